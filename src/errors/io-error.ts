/**
 * The stable, asio-style error codes an operation can complete with.
 *
 * Each maps to one of Boost.Asio's `error::basic_errors` / `misc_errors`
 * (or, for `invalid_argument` and `shut_down`, to the POSIX error of that name;
 * for `channel_closed` and `channel_cancelled`, to `experimental::error::channel_errors`).
 *
 * @example
 * ```ts
 * function isDisconnect(code: IoErrorCode): boolean {
 *   return code === 'eof' || code === 'connection_reset' || code === 'broken_pipe';
 * }
 * socket.asyncReadSome(buf, (err) => {
 *   if (err && isDisconnect(err.code)) socket.close();
 * });
 * ```
 *
 * @category Errors
 */
export type IoErrorCode =
  | 'eof'
  | 'operation_aborted'
  | 'bad_descriptor'
  | 'not_found'
  | 'already_open'
  | 'already_started'
  | 'already_connected'
  | 'not_connected'
  | 'connection_reset'
  | 'connection_refused'
  | 'connection_aborted'
  | 'broken_pipe'
  | 'timed_out'
  | 'address_in_use'
  | 'address_not_available'
  | 'host_not_found'
  | 'host_unreachable'
  | 'network_unreachable'
  | 'access_denied'
  | 'no_descriptors'
  | 'no_buffer_space'
  | 'message_size'
  | 'invalid_argument'
  | 'shut_down'
  | 'try_again'
  | 'operation_not_supported'
  | 'interrupted'
  | 'channel_closed'
  | 'channel_cancelled'
  | 'handshake_failed'
  | 'certificate_verify_failed'
  | 'stream_truncated'
  | 'unknown';

/**
 * What `IoError` adds to a message: the code, Node's errno/syscall where
 * they exist, and the endpoint the failed call was about.
 *
 * @example
 * ```ts
 * const err = new IoError('connection_refused', 'connect ECONNREFUSED 127.0.0.1:5555', {
 *   errno: -111,
 *   syscall: 'connect',
 *   address: '127.0.0.1',
 *   port: 5555,
 * });
 * ```
 *
 * @category Errors
 */
export interface IoErrorDetails {
  /** Node's (negative) errno, for example `-104` for `ECONNRESET`. */
  readonly errno?: number;
  /** The system call that failed, for example `'read'` or `'connect'`. */
  readonly syscall?: string;
  /** The IP address a bind, listen, connect or send was for, for example `'127.0.0.1'`. */
  readonly address?: string;
  /** The port a bind, listen, connect or send was for. */
  readonly port?: number;
  /** The Unix socket path (or file) a bind, listen, connect or open was for. */
  readonly path?: string;
  /** Node's own `code` of the original error (`'ERR_SSL_WRONG_VERSION_NUMBER'`, `'CERT_HAS_EXPIRED'`, `'ECONNRESET'`). */
  readonly nodeCode?: string;
  /** The original error, kept as the `IoError`'s `cause`. */
  readonly cause?: unknown;
}

const defaultMessages: Readonly<Record<IoErrorCode, string>> = {
  eof: 'End of file',
  operation_aborted: 'Operation aborted',
  bad_descriptor: 'Bad file descriptor',
  not_found: 'Element not found',
  already_open: 'Already open',
  already_started: 'Operation already in progress',
  already_connected: 'Transport endpoint is already connected',
  not_connected: 'Transport endpoint is not connected',
  connection_reset: 'Connection reset by peer',
  connection_refused: 'Connection refused',
  connection_aborted: 'Software caused connection abort',
  broken_pipe: 'Broken pipe',
  timed_out: 'Connection timed out',
  address_in_use: 'Address already in use',
  address_not_available: 'Cannot assign requested address',
  host_not_found: 'Host not found (authoritative)',
  host_unreachable: 'No route to host',
  network_unreachable: 'Network is unreachable',
  access_denied: 'Permission denied',
  no_descriptors: 'Too many open files',
  no_buffer_space: 'No buffer space available',
  message_size: 'Message too long',
  invalid_argument: 'Invalid argument',
  shut_down: 'Cannot send after transport endpoint shutdown',
  try_again: 'Resource temporarily unavailable',
  operation_not_supported: 'Operation not supported',
  interrupted: 'Interrupted system call',
  channel_closed: 'Channel closed',
  channel_cancelled: 'Channel cancelled',
  handshake_failed: 'TLS handshake failed',
  certificate_verify_failed: 'certificate verify failed',
  stream_truncated: 'stream truncated',
  unknown: 'Unknown error',
};

/**
 * The error every operation completes with. `code` is stable and portable;
 * `errno` and `syscall` are Node's, when the error came from the system;
 * `address` and `port` (TCP, UDP) or `path` (Unix sockets) name the
 * endpoint a failed bind, listen or connect was for, which the message
 * names too: `listen EADDRINUSE 127.0.0.1:5555`.
 *
 * @example
 * ```ts
 * socket.asyncReadSome(buf, (err, n) => {
 *   if (err?.code === 'eof') return socket.close();
 * });
 * ```
 *
 * @category Errors
 */
export class IoError extends Error {
  /** Always `'IoError'`. */
  override readonly name = 'IoError';
  /** The stable, portable error code: compare this, not the message. */
  readonly code: IoErrorCode;
  /** Node's errno when the error came from the system, else `undefined`. */
  readonly errno: number | undefined;
  /** The failed system call when the error came from the system, else `undefined`. */
  readonly syscall: string | undefined;
  /**
   * The IP address the failed call was for (a listen, bind or connect
   * endpoint, a datagram's destination), else `undefined`.
   *
   * @example
   * ```ts
   * try {
   *   new TcpAcceptor(ctx, { host: '127.0.0.1', port: 5555 });
   * } catch (err) {
   *   if (IoError.is(err, 'address_in_use')) console.error(`${err.address}:${err.port} is taken`);
   * }
   * ```
   */
  readonly address: string | undefined;
  /** The port the failed call was for, with `address`, else `undefined`. */
  readonly port: number | undefined;
  /** The Unix socket path (or file) the failed call was for, else `undefined`. */
  readonly path: string | undefined;
  /**
   * Node's own `code` of the error this one translates (a libuv name such
   * as `'ECONNRESET'`, or a TLS code such as `'CERT_HAS_EXPIRED'`), else
   * `undefined`.
   *
   * @example
   * ```ts
   * stream.asyncHandshake('client', (err) => {
   *   if (err?.code === 'certificate_verify_failed') console.error(err.nodeCode); // 'CERT_HAS_EXPIRED'
   * });
   * ```
   */
  readonly nodeCode: string | undefined;

  constructor(code: IoErrorCode, message?: string, details?: IoErrorDetails) {
    super(message ?? defaultMessages[code], details?.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.errno = details?.errno;
    this.syscall = details?.syscall;
    this.address = details?.address;
    this.port = details?.port;
    this.path = details?.path;
    this.nodeCode = details?.nodeCode;
  }

  /**
   * True when `err` is an `IoError` with the given code.
   *
   * @example
   * ```ts
   * try {
   *   await timer.asyncWait(usePromise);
   * } catch (err) {
   *   if (!IoError.is(err, 'operation_aborted')) throw err;
   * }
   * ```
   */
  static is(err: unknown, code: IoErrorCode): err is IoError {
    return err instanceof IoError && err.code === code;
  }
}
