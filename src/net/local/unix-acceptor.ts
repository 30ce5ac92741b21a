import { checkIoContext } from '../../io-context/check-context.js';
import type { IoContext } from '../../io-context/io-context.js';
import { BasicAcceptor, backlogOf, listenOn, type ClientHandle } from '../basic-acceptor.js';
import { inClusterWorker, listenThroughCluster } from '../cluster-listen.js';
import { errnoError } from '../errno.js';
import { createServerHandle } from '../ip/tcp-acceptor.js';
import { pathOf, type LocalEndpoint } from './local-endpoint.js';
import { UnixSocket } from './unix-socket.js';
import { NativeServerHandle } from '../native/native-server.js';
import type { TransportKind } from '../stream-transport.js';
import { defaultTransport, nativeAddonFor, transportOption } from '../transport-choice.js';

/**
 * Options for `new UnixAcceptor(ctx, endpoint, options)`.
 *
 * @example
 * ```ts
 * const acceptor = new UnixAcceptor(ctx, { path: '/tmp/app.sock' }, { backlog: 1024 });
 * ```
 *
 * @category Stream sockets
 */
export interface UnixAcceptorOptions {
  /**
   * The listen backlog (default 511), which also bounds how many accepted
   * connections wait here for an `asyncAccept` before new ones are closed.
   */
  readonly backlog?: number;
  /**
   * The transport of the accepted sockets: `'native'`, `'handle'` or
   * `'chunk'`; absent: `defaultTransport()`. `'native'` where the addon does
   * not load throws `IoError` `invalid_argument`.
   */
  readonly transport?: TransportKind;
}

/**
 * A listening Unix-domain stream socket: asio's
 * `local::stream_protocol::acceptor`, on `BasicAcceptor`.
 *
 * The socket file is made in the constructor, synchronously: a path in use
 * (a live server, or a file left behind) throws `IoError` `address_in_use`,
 * a directory that does not exist `not_found` (the message and the error's
 * `path` name the path: `bind EADDRINUSE /tmp/echo.sock …`), and a path longer than
 * `MAX_LOCAL_PATH` is a `TypeError`. `close()` removes the socket file.
 * Accepted sockets are `UnixSocket`s on the handle transport.
 *
 * In a `node:cluster` worker the primary makes the socket file once and
 * hands each connection to one worker, as for `net.Server`; the acceptor
 * then listens once the primary has answered (see `TcpAcceptor` and
 * `asyncWaitListening`), and the primary removes the file when the last
 * worker closes.
 *
 * @example
 * ```ts
 * const acceptor = new UnixAcceptor(ctx, { path: '/tmp/echo.sock' });
 * const onAccept = (err: IoError | null, socket: UnixSocket): void => {
 *   if (err) return;
 *   startSession(socket);
 *   acceptor.asyncAccept(onAccept);
 * };
 * acceptor.asyncAccept(onAccept);
 * await ctx.run();
 * ```
 *
 * @category Stream sockets
 */
export class UnixAcceptor extends BasicAcceptor<UnixSocket> {
  readonly #endpoint: LocalEndpoint;

  constructor(ctx: IoContext, endpoint: LocalEndpoint, options: UnixAcceptorOptions = {}) {
    checkIoContext(ctx, 'UnixAcceptor');
    const path = pathOf(endpoint, 'UnixAcceptor');
    const backlog = backlogOf(options, 'UnixAcceptor');
    const transport = transportOption(options, 'UnixAcceptor') ?? defaultTransport();
    const socketOptions = { transport };
    const wrap = (c: IoContext, client: ClientHandle): UnixSocket => UnixSocket.fromAcceptedHandle(c, client, path, socketOptions);
    if (inClusterWorker()) {
      super(ctx, 'UnixAcceptor', null, backlog, wrap);
      this.#endpoint = { path };
      listenThroughCluster({ path, backlog }, (err, shared) => {
        if (shared === null) this.failListen(err!);
        else this.attachHandle(shared);
      });
      return;
    }
    // Node's factory makes a pipe handle and binds it to the path for port and address type -1.
    const addon = nativeAddonFor(transport, 'UnixAcceptor');
    const handle = addon !== null ? NativeServerHandle.bind(addon, { path }) : createServerHandle('UnixAcceptor')(path, -1, -1);
    if (typeof handle === 'number') throw errnoError(handle, 'bind', { path });
    listenOn(handle, backlog, { path });
    super(ctx, 'UnixAcceptor', handle, backlog, wrap);
    this.#endpoint = { path };
  }

  /**
   * The path the acceptor listens on. Throws `IoError` `bad_descriptor` once closed.
   *
   * @example
   * ```ts
   * const acceptor = new UnixAcceptor(ctx, { path });
   * await new UnixSocket(ctx).asyncConnect(acceptor.localEndpoint(), usePromise);
   * ```
   */
  localEndpoint(): LocalEndpoint {
    this.checkOpen('localEndpoint');
    return this.#endpoint;
  }
}
