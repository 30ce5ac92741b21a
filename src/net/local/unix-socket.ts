import type { IoContext } from '../../io-context/io-context.js';
import type { CompletionResult, CompletionToken } from '../../tokens/completion-token.js';
import { BasicStreamSocket, type StreamSocketOptions } from '../basic-stream-socket.js';
import { pathOf, type LocalEndpoint } from './local-endpoint.js';

/**
 * A Unix-domain stream socket, with asio's `local::stream_protocol::socket`
 * semantics: every stream method of `BasicStreamSocket` (so every composed
 * operation and every token works on it), on the same stream core and the
 * same handle transport as `TcpSocket` (Node's pipe handles speak the same
 * stream protocol as its TCP handles), plus connecting to a path.
 *
 * Connecting to a path nobody listens on fails with `not_found` (no such
 * file) or `connection_refused` (a socket file nobody accepts on); a path
 * longer than `MAX_LOCAL_PATH` is a `TypeError` at initiation.
 *
 * @example
 * ```ts
 * const socket = new UnixSocket(ctx);
 * await socket.asyncConnect({ path: '/tmp/echo.sock' }, usePromise);
 * await asyncWrite(socket, Buffer.from('hello\n'), usePromise);
 * const line = new DynamicBuffer(1024);
 * await asyncReadUntil(socket, line, '\n', usePromise);
 * socket.close();
 * ```
 *
 * @category Stream sockets
 */
export class UnixSocket extends BasicStreamSocket {
  #local = '';
  #remote = '';

  /** An unopened socket: `asyncConnect` opens and connects it (on `options.transport`, else `defaultTransport()`). */
  constructor(ctx: IoContext, options?: StreamSocketOptions) {
    super(ctx, 'UnixSocket', options);
  }

  /** @internal Wraps a pipe handle (or native socket) accepted by `UnixAcceptor` on `path` (reading stopped). */
  static fromAcceptedHandle(ctx: IoContext, handle: unknown, path: string, options?: StreamSocketOptions): UnixSocket {
    const s = new UnixSocket(ctx, options);
    s.#local = path;
    s.core.acceptHandle(handle);
    return s;
  }

  /**
   * Connects to the socket file at `path`. Completion signature: `(err)`;
   * `not_found` when nothing is at the path, `connection_refused` when
   * nobody accepts there, `already_connected` on a connected socket.
   *
   * Per-operation cancellation: terminal, partial and total, as
   * `TcpSocket.asyncConnect`.
   *
   * @example
   * ```ts
   * const socket = new UnixSocket(ctx);
   * socket.asyncConnect({ path: '/run/app.sock' }, (err) => {
   *   if (err?.code === 'not_found') console.error('the server is not running');
   * });
   * ```
   */
  asyncConnect<T extends CompletionToken>(target: LocalEndpoint, token: T): CompletionResult<T, []> {
    const path = pathOf(target, 'UnixSocket.asyncConnect');
    this.#remote = path;
    this.#local = '';
    return this.initiateConnect({ path }, token);
  }

  /**
   * This end's path: the acceptor's path on an accepted socket, `''` (an
   * unnamed socket, as in asio) on a connected one. Throws `IoError` when
   * closed or not connected.
   *
   * @example
   * ```ts
   * acceptor.asyncAccept((err, socket) => {
   *   if (!err) console.log(socket.localEndpoint().path); // the acceptor's path
   * });
   * ```
   */
  localEndpoint(): LocalEndpoint {
    this.connectedSocket('localEndpoint');
    return { path: this.#local };
  }

  /**
   * The peer's path: the path connected to, or `''` for the unnamed client
   * of an accepted socket. Throws `IoError` when closed or not connected.
   *
   * @example
   * ```ts
   * await socket.asyncConnect({ path }, usePromise);
   * socket.remoteEndpoint().path === path; // true
   * ```
   */
  remoteEndpoint(): LocalEndpoint {
    this.connectedSocket('remoteEndpoint');
    return { path: this.#remote };
  }
}
