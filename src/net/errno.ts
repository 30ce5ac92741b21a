import * as util from 'node:util';
import { fromNodeError } from '../errors/from-node-error.js';
import type { IoError } from '../errors/io-error.js';

/** @internal The `IoError` for a negative libuv status returned by a handle method. */
export function errnoError(status: number, syscall: string): IoError {
  let name = 'UNKNOWN';
  try {
    name = util.getSystemErrorName(status);
  } catch {
    // Not a known errno: keep UNKNOWN.
  }
  return fromNodeError({ code: name, errno: status, syscall, message: `${syscall} ${name}` });
}
