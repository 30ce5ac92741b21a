import { isIP } from 'node:net';
import { IoError, type IoErrorCode } from './io-error.js';

/** Node's `code` strings (libuv's error names) and the asio code each one means. */
const codesByNodeCode: Readonly<Record<string, IoErrorCode>> = {
  EOF: 'eof',
  ECANCELED: 'operation_aborted',
  EBADF: 'bad_descriptor',
  ENOENT: 'not_found',
  EISCONN: 'already_connected',
  ENOTCONN: 'not_connected',
  ECONNRESET: 'connection_reset',
  ECONNREFUSED: 'connection_refused',
  ECONNABORTED: 'connection_aborted',
  EPIPE: 'broken_pipe',
  ERR_STREAM_WRITE_AFTER_END: 'shut_down',
  ERR_STREAM_DESTROYED: 'bad_descriptor',
  ERR_SOCKET_CLOSED: 'bad_descriptor',
  ETIMEDOUT: 'timed_out',
  EADDRINUSE: 'address_in_use',
  EADDRNOTAVAIL: 'address_not_available',
  ENOTFOUND: 'host_not_found',
  EAI_NONAME: 'host_not_found',
  EAI_AGAIN: 'try_again',
  EHOSTUNREACH: 'host_unreachable',
  ENETUNREACH: 'network_unreachable',
  EACCES: 'access_denied',
  EPERM: 'access_denied',
  EMFILE: 'no_descriptors',
  ENFILE: 'no_descriptors',
  ENOBUFS: 'no_buffer_space',
  EMSGSIZE: 'message_size',
  EINVAL: 'invalid_argument',
  ERR_INVALID_ARG_VALUE: 'invalid_argument',
  ERR_SOCKET_BAD_PORT: 'invalid_argument',
  ESHUTDOWN: 'shut_down',
  EAGAIN: 'try_again',
  EINTR: 'interrupted',
  ENOTSUP: 'operation_not_supported',
  EOPNOTSUPP: 'operation_not_supported',
};

interface NodeSystemError {
  code?: unknown;
  errno?: unknown;
  syscall?: unknown;
  message?: unknown;
  address?: unknown;
  port?: unknown;
  path?: unknown;
}

interface Details {
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
  path?: string;
  nodeCode?: string;
  cause: unknown;
}

/**
 * Node names the endpoint of a failed socket call in `address` (and `port`,
 * when it is not 0) and the file of a failed fs call in `path`; for a Unix
 * socket `address` is the path.
 */
function addEndpoint(details: Details, e: NodeSystemError): void {
  if (typeof e.path === 'string') details.path = e.path;
  if (typeof e.address !== 'string') return;
  if (typeof e.port === 'number') {
    details.address = e.address;
    details.port = e.port;
  } else if (isIP(e.address) !== 0) {
    details.address = e.address;
  } else {
    details.path ??= e.address;
  }
}

/**
 * Translates an error thrown or emitted by Node (a `SystemError` with
 * `code`/`errno`/`syscall`) into an `IoError` with a stable code. An `IoError`
 * passes through unchanged; an unknown Node code becomes `unknown`. The
 * endpoint Node names (`address` and `port`, or the path of a Unix socket
 * or file) is kept in `address`/`port` or `path`.
 *
 * @example
 * ```ts
 * const err = fromNodeError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' }));
 * err.code;    // 'connection_reset'
 * err.syscall; // 'read'
 * const refused = fromNodeError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5555'), {
 *   code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 5555,
 * }));
 * refused.port; // 5555
 * ```
 *
 * @category Errors
 */
export function fromNodeError(err: unknown): IoError {
  if (err instanceof IoError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as NodeSystemError;
  const nodeCode = typeof e.code === 'string' ? e.code : '';
  const code = codesByNodeCode[nodeCode] ?? 'unknown';
  const message = typeof e.message === 'string' ? e.message : String(err);
  const details: Details = { cause: err };
  if (nodeCode !== '') details.nodeCode = nodeCode;
  if (typeof e.errno === 'number') details.errno = e.errno;
  if (typeof e.syscall === 'string') details.syscall = e.syscall;
  addEndpoint(details, e);
  return new IoError(code, message, details);
}
