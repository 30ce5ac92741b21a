import { checkIoContext } from '../../io-context/check-context.js';
import * as net from 'node:net';
import { IoError } from '../../errors/io-error.js';
import type { IoContext } from '../../io-context/io-context.js';
import { BasicAcceptor, backlogOf, listenOn, type ClientHandle, type ServerHandle } from '../basic-acceptor.js';
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
   * The transport of the accepted sockets: `'native'`, `'handle'` or
   * `'chunk'`; absent: `defaultTransport()`. `'native'` where the addon does
   * not load throws `IoError` `invalid_argument`.
   */
  readonly transport?: TransportKind;
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
  readonly #endpoint: Endpoint;

  constructor(ctx: IoContext, endpoint: HostPort, options: TcpAcceptorOptions = {}) {
    checkIoContext(ctx, 'TcpAcceptor');
    const host = hostOf(endpoint, 'TcpAcceptor');
    const port = checkPort((endpoint as { port?: unknown }).port, 'TcpAcceptor');
    const family = net.isIP(host);
    if (family === 0) throw new TypeError(`TcpAcceptor: host must be an IP address literal (resolve names with Resolver), got ${describeValue(host)}`);
    const backlog = backlogOf(options, 'TcpAcceptor');
    if (options.reuseAddress !== undefined && typeof options.reuseAddress !== 'boolean') throw new TypeError(`TcpAcceptor: reuseAddress must be a boolean, got ${describeValue(options.reuseAddress)}`);
    const transport = transportOption(options, 'TcpAcceptor') ?? defaultTransport();
    const addon = nativeAddonFor(transport, 'TcpAcceptor');
    const handle = addon !== null ? NativeServerHandle.bind(addon, { address: host, port }) : createServerHandle('TcpAcceptor')(host, port, family);
    if (typeof handle === 'number') throw errnoError(handle, 'bind', { address: host, port });
    listenOn(handle, backlog, { address: host, port });
    const socketOptions = { transport };
    super(ctx, 'TcpAcceptor', handle, backlog, (c: IoContext, client: ClientHandle) => TcpSocket.fromAcceptedHandle(c, client, socketOptions));
    const name: Record<string, unknown> = {};
    handle.getsockname(name);
    const address = typeof name.address === 'string' ? name.address : host;
    this.#endpoint = { address, port: typeof name.port === 'number' ? name.port : port, family: familyOf(name.family, address) };
  }

  /**
   * The address and port the acceptor listens on (the real port when bound
   * to port 0). Throws `IoError` `bad_descriptor` once closed.
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
    return this.#endpoint;
  }
}
