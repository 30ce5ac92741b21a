import { Buffer } from 'node:buffer';
import { describeValue as describe } from '../../errors/describe-value.js';

/**
 * A Unix-domain stream endpoint: a filesystem path (asio's
 * `local::stream_protocol::endpoint`).
 *
 * @example
 * ```ts
 * const endpoint: LocalEndpoint = { path: '/tmp/app.sock' };
 * const acceptor = new UnixAcceptor(ctx, endpoint);
 * await new UnixSocket(ctx).asyncConnect(endpoint, usePromise);
 * ```
 *
 * @category Stream sockets
 */
export interface LocalEndpoint {
  /** The socket file's path. */
  readonly path: string;
}

/**
 * The longest Unix socket path the platform takes, in bytes: `sun_path`
 * holds 108 bytes on Linux (104 on macOS and the BSDs), the last one the
 * terminating NUL.
 *
 * @example
 * ```ts
 * if (Buffer.byteLength(path) > MAX_LOCAL_PATH) path = join(os.tmpdir(), 'app.sock');
 * ```
 *
 * @category Stream sockets
 */
export const MAX_LOCAL_PATH = process.platform === 'linux' ? 107 : 103;

/** @internal Reads `{ path }`, throwing a TypeError when malformed or too long for the platform. */
export function pathOf(endpoint: unknown, what: string): string {
  if (typeof endpoint !== 'object' || endpoint === null) throw new TypeError(`${what}: expected { path }, got ${describe(endpoint)}`);
  const path = (endpoint as { path?: unknown }).path;
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`${what}: path must be a non-empty string, got ${describe(path)}`);
  if (path.includes('\0')) throw new TypeError(`${what}: path must not contain a NUL byte`);
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_LOCAL_PATH) {
    throw new TypeError(`${what}: path is ${String(bytes)} bytes, longer than the ${String(MAX_LOCAL_PATH)} a Unix socket path can have here`);
  }
  return path;
}
