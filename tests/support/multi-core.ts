import { IoError } from '../../src/index.js';

/** libuv learned UV_TCP_REUSEPORT in 1.49 (Node 22.12 / 23.1); Node 20's libuv 1.46 ignores the flag. Linux balances. */
const [uvMajor = 0, uvMinor = 0] = process.versions.uv.split('.').map(Number);
export const hasReusePort = process.platform === 'linux' && (uvMajor > 1 || (uvMajor === 1 && uvMinor >= 49));

/** The IoError code `fn` throws ('none' when it returns). */
export function thrownCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return error instanceof IoError ? error.code : `not an IoError: ${String(error)}`;
  }
  return 'none';
}
