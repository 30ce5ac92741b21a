// Puts the native transport's addon into the package as a prebuilt binary,
// prebuilds/<platform>-<arch>/proactor_native.node, for machines that cannot
// compile it at install. Run by `prepack`, so every `npm pack` carries the
// binary for the machine it ran on. The addon is built first when
// build/Release has none; when it cannot be built this says why and the
// package is packed without a prebuilt binary (installs then compile or use
// the JavaScript transports, as before).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { built, isCurrent, prebuilt, root } from './addon-files.mjs';

if (!isCurrent(built)) {
  const r = spawnSync(process.execPath, [path.join(root, 'native', 'build.mjs')], { cwd: root, stdio: 'inherit', env: { ...process.env, PROACTOR_BUILD_NATIVE: '1' } });
  if (r.status !== 0 || !fs.existsSync(built)) {
    console.warn('proactor: no prebuilt binary packed (the addon did not build here)');
    process.exit(0);
  }
}
fs.mkdirSync(path.dirname(prebuilt), { recursive: true });
fs.copyFileSync(built, prebuilt);
console.log(`proactor: packed the prebuilt addon ${path.relative(root, prebuilt)}`);
