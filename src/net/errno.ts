import * as util from 'node:util';
import { fromNodeError } from '../errors/from-node-error.js';
import type { IoError } from '../errors/io-error.js';

/** @internal The endpoint a failed handle call was for: an IP address and port, or a Unix socket path. */
export type ErrnoEndpoint = { readonly address: string; readonly port: number } | { readonly path: string };

/** What to do about a code, where the code alone does not say it. */
function hintFor(name: string, endpoint: ErrnoEndpoint): string {
  if (name !== 'EADDRINUSE') return '';
  return 'path' in endpoint
    ? ' (a server is listening at that path, or one left its socket file behind: stop it or remove the file)'
    : ' (another socket is listening there: stop that server or choose another port; port 0 picks a free one)';
}

/**
 * @internal The `IoError` for a negative libuv status returned by a handle
 * method. With `endpoint` the message names it as Node does
 * (`listen EADDRINUSE 127.0.0.1:5555`) and the error carries it
 * (`address`/`port` or `path`).
 */
export function errnoError(status: number, syscall: string, endpoint?: ErrnoEndpoint): IoError {
  let name = 'UNKNOWN';
  try {
    name = util.getSystemErrorName(status);
  } catch {
    // Not a known errno: keep UNKNOWN.
  }
  if (endpoint === undefined) return fromNodeError({ code: name, errno: status, syscall, message: `${syscall} ${name}` });
  const where = 'path' in endpoint ? endpoint.path : `${endpoint.address}:${endpoint.port}`;
  return fromNodeError({ code: name, errno: status, syscall, message: `${syscall} ${name} ${where}${hintFor(name, endpoint)}`, ...endpoint });
}
