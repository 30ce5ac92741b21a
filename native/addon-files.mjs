// Where the install and pack scripts find the addon's files (src/net/native/native-addon.ts
// looks in the same two places): the build made here, and the prebuilt binary a package carries.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const built = path.join(root, 'build', 'Release', 'proactor_native.node');
export const prebuilt = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'proactor_native.node');
const source = path.join(root, 'native', 'proactor_native.c');

/** Whether `file` exists and is not older than the C source (a checkout whose source changed since must compile again). */
export function isCurrent(file) {
  return fs.existsSync(file) && fs.statSync(file).mtimeMs >= fs.statSync(source).mtimeMs;
}
