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
};

interface NodeSystemError {
  code?: unknown;
  errno?: unknown;
  syscall?: unknown;
  message?: unknown;
}

/**
 * Translates an error thrown or emitted by Node (a `SystemError` with
 * `code`/`errno`/`syscall`) into an `IoError` with a stable code. An `IoError`
 * passes through unchanged; an unknown Node code becomes `unknown`.
 *
 * @example
 * ```ts
 * const err = fromNodeError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' }));
 * err.code;    // 'connection_reset'
 * err.syscall; // 'read'
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
  const details: { errno?: number; syscall?: string; cause: unknown } = { cause: err };
  if (typeof e.errno === 'number') details.errno = e.errno;
  if (typeof e.syscall === 'string') details.syscall = e.syscall;
  return new IoError(code, message, details);
}
