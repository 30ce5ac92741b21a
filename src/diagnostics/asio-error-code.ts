import { constants } from 'node:os';
import type { IoError, IoErrorCode } from '../errors/io-error.js';

/** The POSIX error behind each code that asio reports in its system category. */
const SYSTEM_ERRNO: Readonly<Partial<Record<IoErrorCode, string>>> = {
  operation_aborted: 'ECANCELED',
  bad_descriptor: 'EBADF',
  already_started: 'EALREADY',
  already_connected: 'EISCONN',
  not_connected: 'ENOTCONN',
  connection_reset: 'ECONNRESET',
  connection_refused: 'ECONNREFUSED',
  connection_aborted: 'ECONNABORTED',
  broken_pipe: 'EPIPE',
  timed_out: 'ETIMEDOUT',
  address_in_use: 'EADDRINUSE',
  address_not_available: 'EADDRNOTAVAIL',
  host_unreachable: 'EHOSTUNREACH',
  network_unreachable: 'ENETUNREACH',
  access_denied: 'EACCES',
  no_descriptors: 'EMFILE',
  no_buffer_space: 'ENOBUFS',
  message_size: 'EMSGSIZE',
  invalid_argument: 'EINVAL',
  shut_down: 'ESHUTDOWN',
  try_again: 'EAGAIN',
  interrupted: 'EINTR',
  operation_not_supported: 'EOPNOTSUPP',
};

/** asio's `misc_errors`, `netdb_errors` and `experimental::error::channel_errors` values for the codes outside the system category. */
const OTHER_CATEGORY: Readonly<Partial<Record<IoErrorCode, string>>> = {
  already_open: 'asio.misc:1',
  eof: 'asio.misc:2',
  not_found: 'asio.misc:3',
  host_not_found: 'asio.netdb:1',
  channel_closed: 'asio.channel:1',
  channel_cancelled: 'asio.channel:2',
};

/**
 * @internal An error as asio's handler tracking writes an `error_code`:
 * `<category>:<value>`, with `asio.system:0` for success. System errors use
 * this platform's errno values.
 */
export function asioErrorCode(err: IoError | null): string {
  if (err === null) return 'asio.system:0';
  const other = OTHER_CATEGORY[err.code];
  if (other !== undefined) return other;
  const name = SYSTEM_ERRNO[err.code];
  const errno = name !== undefined ? (constants.errno as Record<string, number | undefined>)[name] : undefined;
  if (errno !== undefined) return `asio.system:${String(errno)}`;
  return `asio.system:${String(Math.abs(err.errno ?? -1))}`;
}

let codeNames: Map<string, IoErrorCode> | null = null;

/**
 * @internal The proactor code for an asio error code as handler tracking
 * writes it (`asio.misc:2` → `eof`, `asio.system:125` → `operation_aborted`
 * on Linux), so pictures of a trace can name it; `null` for success and for
 * values proactor has no name for.
 */
export function asioErrorName(code: string): IoErrorCode | null {
  if (codeNames === null) {
    const names = new Map<string, IoErrorCode>();
    for (const [name, value] of Object.entries(OTHER_CATEGORY)) names.set(value, name as IoErrorCode);
    const errnos = constants.errno as Record<string, number | undefined>;
    for (const [name, posix] of Object.entries(SYSTEM_ERRNO)) {
      const errno = errnos[posix];
      if (errno !== undefined && !names.has(`asio.system:${String(errno)}`)) names.set(`asio.system:${String(errno)}`, name as IoErrorCode);
    }
    codeNames = names;
  }
  return codeNames.get(code) ?? null;
}
