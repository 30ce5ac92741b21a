import { checkIoContext } from '../../io-context/check-context.js';
import * as net from 'node:net';
import { IoError } from '../../errors/io-error.js';
import type { IoContext } from '../../io-context/io-context.js';
import { BasicAcceptor, backlogOf, listenOn, type ClientHandle, type ServerHandle } from '../basic-acceptor.js';
import { inClusterWorker, listenThroughCluster } from '../cluster-listen.js';
import { checkPort, familyOf, hostOf, type Endpoint, type HostPort } from '../endpoint.js';
import { errnoError } from '../errno.js';
import { TcpSocket } from './tcp-socket.js';
import { NativeServerHandle } from '../native/native-server.js';
import type { TransportKind } from '../stream-transport.js';
import { defaultTransport, nativeAddonFor, transportOption } from '../transport-choice.js';
import { describeValue } from '../../errors/describe-value.js';

/**
 * Options for `new TcpAcceptor(ctx, endpoint, options)`.
 *
 * @example
 * ```ts
 * const acceptor = new TcpAcceptor(ctx, { host: '0.0.0.0', port: 8080 }, { backlog: 1024 });
 * ```
 *
 * @category Stream sockets
 */
export interface TcpAcceptorOptions {
  /**
   * The listen backlog (default 511), which also bounds how many accepted
   * connections wait here for an `asyncAccept` before new ones are closed.
   */
  readonly backlog?: number;
  /**
   * asio's `reuse_address` (default true). On POSIX systems libuv always
   * sets `SO_REUSEADDR` on listening TCP sockets, so `false` cannot be
   * honoured there and is accepted as a no-op.
   */
  readonly reuseAddress?: boolean;
  /**
   * Linux's `SO_REUSEPORT` (default false): several acceptors, one per
   * worker thread or process and each on its own `IoContext`, listen on
   * the same address and port, and the kernel spreads the connections
   * between them. It needs libuv 1.49 or later (Node 22.12 / 23.1 and
   * later) and a platform whose kernel balances (Linux, FreeBSD); elsewhere
   * the constructor throws `IoError` `operation_not_supported`. Every
   * acceptor on the port must set it. In a `node:cluster` worker it binds
   * the worker's own socket, as `net.Server`'s `reusePort` does, instead of
   * sharing the primary's.
   */
  readonly reusePort?: boolean;
  /**
   * The transport of the accepted sockets: `'native'`, `'handle'` or
   * `'chunk'`; absent: `defaultTransport()`. `'native'` where the addon does
   * not load throws `IoError` `invalid_argument`.
   */
  readonly transport?: TransportKind;
}

/** libuv's `UV_TCP_REUSEPORT` bind flag (libuv 1.49, the release Node 22.12 and 23.1 ship). */
const UV_TCP_REUSEPORT = 2;

/** Whether this process's libuv knows `UV_TCP_REUSEPORT`; an older one ignores the flag, and the second bind would fail. */
function libuvHasReusePort(): boolean {
  const [major = 0, minor = 0] = process.versions.uv.split('.').map(Number);
  return major > 1 || (major === 1 && minor >= 49);
}

/** The bind flags for `options`; throws `operation_not_supported` for `reusePort` where libuv cannot. */
function bindFlagsOf(options: TcpAcceptorOptions): number {
  const reusePort = options.reusePort ?? false;
  if (typeof reusePort !== 'boolean') throw new TypeError(`TcpAcceptor: reusePort must be a boolean, got ${describeValue(reusePort)}`);
  if (!reusePort) return 0;
  if (!libuvHasReusePort()) {
    throw new IoError(
      'operation_not_supported',
      `TcpAcceptor: reusePort needs libuv 1.49 or later (Node 22.12 / 23.1 and later); this is Node ${process.version} with libuv ${process.versions.uv}`,
    );
  }
  return UV_TCP_REUSEPORT;
}

interface TcpServerHandle extends ServerHandle {
  getsockname(out: Record<string, unknown>): number;
}

type CreateServerHandle = (address: string, port: number, addressType: number, fd?: number, flags?: number) => TcpServerHandle | number;

/** Node's server-handle factory (`net._createServerHandle`), the one way to a TCP server handle without a `net.Server`. */
export function createServerHandle(what: string): CreateServerHandle {
  const create = (net as unknown as { _createServerHandle?: CreateServerHandle })._createServerHandle;
  if (typeof create !== 'function') throw new IoError('unknown', `${what}: this Node.js version does not expose a server handle`);
  return create;
}


/** The endpoint a listening handle is bound to, as `getsockname` tells it. */
function endpointOf(handle: { getsockname(out: Record<string, unknown>): number }, host: string, port: number): Endpoint {
  const name: Record<string, unknown> = {};
  handle.getsockname(name);
  const address = typeof name.address === 'string' ? name.address : host;
  return { address, port: typeof name.port === 'number' ? name.port : port, family: familyOf(name.family, address) };
}

/**
 * A listening TCP socket: asio's `tcp::acceptor`, on `BasicAcceptor`.
 *
 * Binding happens in the constructor, synchronously: the host must be an IP
 * address literal (resolve names with `Resolver` first) so no lookup is
 * needed, and libuv's bind and listen run inside the call. A failure (for
 * example a port in use) throws an `IoError` (`address_in_use`) from the
 * constructor, whose message and `address`/`port` name the endpoint
 * (`listen EADDRINUSE 127.0.0.1:5555 …`), and `localEndpoint()` is valid as
 * soon as it returns.
 *
 * Accepted sockets use the handle transport and read straight into the
 * caller's buffers (see `TcpSocket`).
 *
 * In a `node:cluster` worker the acceptor listens as `net.Server` does
 * there: the primary binds the address once and hands each connection to
 * one worker (round robin by default), so several workers serve one port.
 * The primary answers asynchronously, so the constructor returns before
 * the acceptor listens: accepts wait meanwhile, a bind failure in the
 * primary (`address_in_use` …) completes them and `asyncWaitListening`,
 * and `localEndpoint()` throws `try_again` until `listening()` is true.
 * With `reusePort` each worker binds its own socket instead.
 *
 * @example
 * ```ts
 * const ctx = new IoContext();
 * const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 }); // 0: any free port
 * console.log(`listening on port ${acceptor.localEndpoint().port}`);
 * const onAccept = (err: IoError | null, socket: TcpSocket): void => {
 *   if (err) return; // operation_aborted once the acceptor is closed
 *   startSession(socket);
 *   acceptor.asyncAccept(onAccept);
 * };
 * acceptor.asyncAccept(onAccept);
 * await ctx.run();
 * ```
 *
 * @category Stream sockets
 */
export class TcpAcceptor extends BasicAcceptor<TcpSocket> {
  #endpoint: Endpoint | null = null;

  constructor(ctx: IoContext, endpoint: HostPort, options: TcpAcceptorOptions = {}) {
    checkIoContext(ctx, 'TcpAcceptor');
    const host = hostOf(endpoint, 'TcpAcceptor');
    const port = checkPort((endpoint as { port?: unknown }).port, 'TcpAcceptor');
    const family = net.isIP(host);
    if (family === 0) throw new TypeError(`TcpAcceptor: host must be an IP address literal (resolve names with Resolver), got ${describeValue(host)}`);
    const backlog = backlogOf(options, 'TcpAcceptor');
    if (options.reuseAddress !== undefined && typeof options.reuseAddress !== 'boolean') throw new TypeError(`TcpAcceptor: reuseAddress must be a boolean, got ${describeValue(options.reuseAddress)}`);
    const flags = bindFlagsOf(options);
    const transport = transportOption(options, 'TcpAcceptor') ?? defaultTransport();
    const socketOptions = { transport };
    const wrap = (c: IoContext, client: ClientHandle): TcpSocket => TcpSocket.fromAcceptedHandle(c, client, socketOptions);
    if (flags === 0 && inClusterWorker()) {
      // The primary's listening handle is Node's: its connections go to the handle transport whatever was asked.
      super(ctx, 'TcpAcceptor', null, backlog, wrap);
      listenThroughCluster({ host, port, backlog }, (err, shared) => {
        if (shared === null) {
          this.failListen(err!);
          return;
        }
        this.#endpoint = endpointOf(shared, host, port);
        this.attachHandle(shared);
      });
      return;
    }
    const addon = nativeAddonFor(transport, 'TcpAcceptor');
    const handle = addon !== null ? NativeServerHandle.bind(addon, { address: host, port }, flags) : createServerHandle('TcpAcceptor')(host, port, family, undefined, flags);
    if (typeof handle === 'number') throw errnoError(handle, 'bind', { address: host, port });
    listenOn(handle, backlog, { address: host, port });
    super(ctx, 'TcpAcceptor', handle, backlog, wrap);
    this.#endpoint = endpointOf(handle, host, port);
  }

  /**
   * The address and port the acceptor listens on (the real port when bound
   * to port 0). Throws `IoError` `bad_descriptor` once closed, and
   * `try_again` in a cluster worker before the primary has answered
   * (see `asyncWaitListening`).
   *
   * @example
   * ```ts
   * const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
   * const { port } = acceptor.localEndpoint();
   * await new TcpSocket(ctx).asyncConnect({ host: '127.0.0.1', port }, usePromise);
   * ```
   */
  localEndpoint(): Endpoint {
    this.checkOpen('localEndpoint');
    if (this.#endpoint === null) throw new IoError('try_again', 'TcpAcceptor.localEndpoint: not listening yet (the cluster primary has not answered: wait with asyncWaitListening)');
    return this.#endpoint;
  }
}
