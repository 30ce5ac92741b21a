// Builds the native transport's addon (build/Release/proactor_native.node) with node-gyp.
// Optional by design: when it cannot be built (no compiler, no Node headers, no node-gyp) the
// install still succeeds, this prints why, and proactor uses its JavaScript transports.
// PROACTOR_SKIP_NATIVE=1 skips the build. A packed package may carry a prebuilt binary
// (prebuilds/<platform>-<arch>/, put there by native/prebuild.mjs at pack time): when it loads
// here it is used and nothing is compiled; PROACTOR_BUILD_NATIVE=1 compiles anyway.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { built, isCurrent, prebuilt, root } from './addon-files.mjs';

function skip(reason, output = '') {
  const tail = output.trim().split('\n').slice(-15).join('\n');
  console.warn(`proactor: the native transport was not built (${reason}); sockets will use the JavaScript transports.`);
  if (tail !== '') console.warn(tail);
  process.exit(0);
}

if (process.env.PROACTOR_SKIP_NATIVE === '1') skip('PROACTOR_SKIP_NATIVE=1');

if (process.env.PROACTOR_BUILD_NATIVE !== '1' && isCurrent(prebuilt)) {
  try {
    const addon = createRequire(import.meta.url)(prebuilt);
    if (typeof addon.start !== 'function') throw new Error('it is not the proactor addon');
    console.log(`proactor: using the prebuilt native transport (${path.relative(root, prebuilt)}); nothing to compile`);
    process.exit(0);
  } catch (error) {
    console.warn(`proactor: the prebuilt ${path.relative(root, prebuilt)} does not load here (${error.message}); compiling the addon instead`);
  }
}

// npm passes its bundled node-gyp to scripts; otherwise look on PATH.
const gyp = process.env.npm_config_node_gyp;
const command = gyp && fs.existsSync(gyp) ? process.execPath : 'node-gyp';
const args = gyp && fs.existsSync(gyp) ? [gyp, 'rebuild'] : ['rebuild'];
// Headers of the running Node when they are installed beside it, so nothing is downloaded.
const headers = path.resolve(path.dirname(process.execPath), '..', 'include', 'node', 'node_api.h');
if (!process.env.npm_config_nodedir && fs.existsSync(headers)) args.push(`--nodedir=${path.resolve(headers, '..', '..', '..')}`);

const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', timeout: 300_000 });
if (result.error) skip(`${command} could not run: ${result.error.message}`);
if (result.status !== 0) skip(`node-gyp exited with ${result.status ?? result.signal}`, `${result.stdout}\n${result.stderr}`);
if (!fs.existsSync(built)) skip(`node-gyp left no ${path.relative(root, built)}`);
console.log(`proactor: built the native transport (${path.relative(root, built)})`);
