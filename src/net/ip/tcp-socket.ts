import * as net from 'node:net';
import type { IoContext } from '../../io-context/io-context.js';
import type { CompletionResult, CompletionToken } from '../../tokens/completion-token.js';
import { BasicStreamSocket, type StreamSocketOptions } from '../basic-stream-socket.js';
import { checkPort, familyOf, hostOf, type ConnectTarget, type Endpoint } from '../endpoint.js';
import { IoError } from '../../errors/io-error.js';
import { describeValue } from '../../errors/describe-value.js';

/**
 * A TCP stream socket, with asio's `tcp::socket` semantics: every stream
 * method of `BasicStreamSocket`, plus connecting to `{ host, port }`, IP
 * endpoints and TCP options.
 *
 * A socket made by `asyncConnect` or accepted by `TcpAcceptor` uses the
 * handle transport: reads land straight in the caller's buffer (Node's
 * user-buffer `onread` mode), so no `Buffer` is made per read, and writes
 * go on the handle, so a write the kernel takes at once allocates nothing;
 * it still completes through the run loop. A socket adopted with
 * `fromNetSocket` (including a `tls.TLSSocket`, whose plaintext only exists
 * as decrypted chunks) uses the chunk transport: reads copy from the
 * stream's `'data'` chunks, writes go through `write`. `transport` says
 * which.
 *
 * Results and errors are `BasicStreamSocket`'s; a refused connect is
 * `connection_refused`.
 *
 * @example
 * ```ts
 * const ctx = new IoContext();
 * const socket = new TcpSocket(ctx);
 * const buf = Buffer.alloc(4096);
 * socket.asyncConnect({ host: '127.0.0.1', port: 5555 }, (err) => {
 *   if (err) return console.error(`connect: ${err.code}`);
 *   socket.asyncWriteSome(Buffer.from('hello\n'), (err) => {
 *     if (err) return socket.close();
 *     socket.asyncReadSome(buf, (err, n) => {
 *       if (!err) console.log(buf.toString('utf8', 0, n));
 *       socket.close();
 *     });
 *   });
 * });
 * await ctx.run();
 * ```
 *
 * @category Stream sockets
 */
export class TcpSocket extends BasicStreamSocket {
  /** An unopened socket: `asyncConnect` opens and connects it (on `options.transport`, else `defaultTransport()`). */
  constructor(ctx: IoContext, options?: StreamSocketOptions) {
    super(ctx, 'TcpSocket', options);
  }

  /**
   * Adopts a connected (or connecting) `net.Socket` or `tls.TLSSocket`
   * through the chunk transport: its reads copy from the stream's chunks
   * into the caller's buffer (the zero-copy path needs the socket to be
   * created by proactor); a plain `net.Socket` is switched to
   * `allowHalfOpen` so reading eof leaves the sending side open, as in asio.
   * The adopted socket must have no `'data'` or `'readable'` listeners of
   * its own.
   *
   * @example
   * ```ts
   * import * as tls from 'node:tls';
   *
   * const tlsSocket = tls.connect({ host: 'example.com', port: 443, servername: 'example.com' });
   * tlsSocket.once('secureConnect', () => {
   *   const socket = TcpSocket.fromNetSocket(ctx, tlsSocket);
   *   asyncWrite(socket, Buffer.from('GET / HTTP/1.0\r\nHost: example.com\r\n\r\n'), (err) => {
   *     if (err) socket.close();
   *   });
   * });
   * ```
   */
  static fromNetSocket(ctx: IoContext, socket: net.Socket): TcpSocket {
    if (!(socket instanceof net.Socket)) throw new TypeError(`TcpSocket.fromNetSocket: expected a net.Socket or tls.TLSSocket, got ${describeValue(socket)}`);
    if (socket.destroyed) throw new TypeError('TcpSocket.fromNetSocket: the socket is already destroyed');
    const s = new TcpSocket(ctx);
    s.adoptStream(socket);
    return s;
  }

  /** @internal Wraps a TCP handle (or native socket) accepted by `TcpAcceptor` (reading stopped). */
  static fromAcceptedHandle(ctx: IoContext, handle: unknown, options?: StreamSocketOptions): TcpSocket {
    const s = new TcpSocket(ctx, options);
    s.core.acceptHandle(handle);
    return s;
  }

  /**
   * Connects to `{ host, port }` (a name is looked up by Node) or to an
   * `Endpoint`. Completion signature: `(err)`; a refused connection is
   * `connection_refused`, connecting a connected socket `already_connected`.
   *
   * Per-operation cancellation (a slot bound with `bindCancellationSlot`,
   * or an `AbortSignal` through `withAbortSignal`/`bindAbortSignal`):
   * terminal, partial and total. The attempt is abandoned, the handler gets
   * `operation_aborted`, and the socket is left open and unconnected, as
   * after a failed connect.
   *
   * @example
   * ```ts
   * const socket = new TcpSocket(ctx);
   * socket.asyncConnect({ host: 'localhost', port: 8080 }, (err) => {
   *   if (err?.code === 'connection_refused') console.error('nobody listens on 8080');
   * });
   *
   * // or, with an endpoint from a Resolver and a promise:
   * const [endpoint] = await new Resolver(ctx).asyncResolve('example.com', 'http', usePromise);
   * await socket.asyncConnect(endpoint!, usePromise);
   * ```
   */
  asyncConnect<T extends CompletionToken>(target: ConnectTarget, token: T): CompletionResult<T, []> {
    const host = hostOf(target, 'TcpSocket.asyncConnect');
    const port = checkPort((target as { port?: unknown }).port, 'TcpSocket.asyncConnect');
    return this.initiateConnect({ host, port }, token);
  }

  /**
   * The local address and port. Throws `IoError` when closed or not connected.
   *
   * @example
   * ```ts
   * await socket.asyncConnect({ host: '127.0.0.1', port: 5555 }, usePromise);
   * const { address, port } = socket.localEndpoint(); // the ephemeral port picked for us
   * ```
   */
  localEndpoint(): Endpoint {
    const socket = this.connectedSocket('localEndpoint');
    const address = socket.localAddress;
    if (address === undefined) throw new IoError('not_connected');
    return { address, port: socket.localPort ?? 0, family: familyOf(socket.localFamily, address) };
  }

  /**
   * The peer's address and port. Throws `IoError` when closed or not connected.
   *
   * @example
   * ```ts
   * acceptor.asyncAccept((err, socket) => {
   *   if (err) return;
   *   const peer = socket.remoteEndpoint();
   *   console.log(`connection from ${peer.address}:${peer.port} (${peer.family})`);
   * });
   * ```
   */
  remoteEndpoint(): Endpoint {
    const socket = this.connectedSocket('remoteEndpoint');
    const address = socket.remoteAddress;
    if (address === undefined) throw new IoError('not_connected');
    return { address, port: socket.remotePort ?? 0, family: familyOf(socket.remoteFamily, address) };
  }

  /**
   * Turns Nagle's algorithm off (`true`) or on. Throws `IoError` when closed
   * or not connected.
   *
   * @example
   * ```ts
   * await socket.asyncConnect(endpoint, usePromise);
   * socket.setNoDelay(true); // small request/response messages go out at once
   * ```
   */
  setNoDelay(on: boolean): void {
    this.connectedSocket('setNoDelay').setNoDelay(on);
  }

  /**
   * Turns TCP keep-alive on or off; `delayMs` is the idle time before the
   * first probe. Throws `IoError` when closed or not connected.
   *
   * @example
   * ```ts
   * socket.setKeepAlive(true, 60_000); // probe a connection idle for a minute
   * ```
   */
  setKeepAlive(on: boolean, delayMs?: number): void {
    if (delayMs !== undefined && (typeof delayMs !== 'number' || !(delayMs >= 0))) {
      throw new TypeError(`TcpSocket.setKeepAlive: delayMs must be a non-negative number, got ${describeValue(delayMs)}`);
    }
    this.connectedSocket('setKeepAlive').setKeepAlive(on, delayMs ?? 0);
  }
}
