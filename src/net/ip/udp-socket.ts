import * as net from 'node:net';
import type { IoContext } from '../../io-context/io-context.js';
import { asyncInitiate } from '../../tokens/async-initiate.js';
import type { CompletionResult, CompletionToken, Handler } from '../../tokens/completion-token.js';
import { describeValue } from '../../errors/describe-value.js';
import { IoError } from '../../errors/io-error.js';
import { BasicDatagramSocket, checkBuffer } from '../basic-datagram-socket.js';
import type { DatagramCore } from '../datagram-core.js';
import { checkPort, familyOf, hostOf, type ConnectTarget, type Endpoint } from '../endpoint.js';

/**
 * What `new UdpSocket(ctx, options)` accepts.
 *
 * @example
 * ```ts
 * const options: UdpSocketOptions = { family: 'udp6' };
 * const socket = new UdpSocket(ctx, options);
 * ```
 *
 * @category Datagram sockets
 */
export interface UdpSocketOptions {
  /** `'udp4'` (the default) for IPv4 addresses, `'udp6'` for IPv6 addresses. */
  readonly family?: 'udp4' | 'udp6';
}

/** The address and port of a target validated by `UdpSocket`: re-read inside the initiation. */
function addressOf(target: ConnectTarget): string {
  return 'host' in target ? target.host : target.address;
}

function initiateSendTo(handler: Handler<[number]>, socket: UdpSocket, buf: Uint8Array, target: ConnectTarget): void {
  socket.core.startSendTo(handler, buf, addressOf(target), target.port, socket.sendToWhat);
}

function initiateConnect(handler: Handler, core: DatagramCore, target: ConnectTarget, what: string): void {
  core.startConnect(handler, addressOf(target), target.port, what);
}

function initiateBind(handler: Handler, core: DatagramCore, target: ConnectTarget, what: string): void {
  core.startBind(handler, addressOf(target), target.port, what);
}

/**
 * A UDP socket, with asio's `ip::udp::socket` semantics over `node:dgram`:
 * every datagram method of `BasicDatagramSocket`, plus binding, sending to
 * and connecting to IP endpoints, and the IP options.
 *
 * Endpoints are IP addresses of the socket's family (`udp4`: IPv4,
 * `udp6`: IPv6), as asio's `udp::endpoint`: look names up with a `Resolver`
 * first. A wrong family, a name, a port out of range or a buffer that is not
 * a `Uint8Array` throws `TypeError` at initiation.
 *
 * Binding: asio's `bind` is synchronous, Node's is not. `bind(endpoint)`
 * starts the bind and returns; operations started before it completes wait
 * for it, and a bind error (`address_in_use`, …) completes them, or, with
 * none pending, the next operation started. `bind(endpoint, token)` also
 * completes when the bind has: `(err)`, after which `localEndpoint()` tells
 * the port that port 0 picked. A socket that is never bound is bound to the
 * any address and port 0 by its first send or connect (Node's rule), so a
 * client needs no bind.
 *
 * @example
 * ```ts
 * const ctx = new IoContext();
 * const socket = new UdpSocket(ctx);
 * const reply = Buffer.alloc(1500);
 * socket.asyncSendTo(Buffer.from('ping'), { host: '127.0.0.1', port: 5555 }, (err) => {
 *   if (err) return socket.close();
 *   socket.asyncReceiveFrom(reply, cancelAfter(1000, (err, n, from) => {
 *     if (!err) console.log(`${from.address}:${from.port} said ${reply.toString('utf8', 0, n)}`);
 *     socket.close();
 *   }));
 * });
 * await ctx.run();
 * ```
 *
 * @category Datagram sockets
 */
export class UdpSocket extends BasicDatagramSocket {
  /** The socket's family: `'udp4'` or `'udp6'`. */
  readonly family: 'udp4' | 'udp6';
  /** @internal The prefix of `asyncSendTo` errors, made once. */
  readonly sendToWhat = 'UdpSocket.asyncSendTo';

  /** An open, unbound socket of `options.family` (`'udp4'` by default). */
  constructor(ctx: IoContext, options: UdpSocketOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError(`UdpSocket: options must be an object, got ${describeValue(options)}`);
    const family = options.family ?? 'udp4';
    if (family !== 'udp4' && family !== 'udp6') throw new TypeError(`UdpSocket: family must be 'udp4' or 'udp6', got ${describeValue(family)}`);
    super(ctx, 'UdpSocket', family);
    this.family = family;
  }

  /**
   * Binds the socket to a local IP address and port (0: any free port;
   * `0.0.0.0` or `::`: every interface). Without a token it starts the bind
   * and returns (operations started meanwhile wait for it, and a bind error
   * goes to them or to the next one); with a token it also completes when
   * the bind has. Completion signature: `(err)`, for example
   * `address_in_use`. Throws `IoError` `invalid_argument` when the socket is
   * already bound and `bad_descriptor` when closed (with a token these
   * complete the operation instead).
   *
   * @example
   * ```ts
   * const server = new UdpSocket(ctx);
   * await server.bind({ host: '127.0.0.1', port: 0 }, usePromise);
   * console.log(`listening on 127.0.0.1:${server.localEndpoint().port}`);
   * ```
   */
  bind(endpoint: ConnectTarget): void;
  bind<T extends CompletionToken>(endpoint: ConnectTarget, token: T): CompletionResult<T, []>;
  bind<T extends CompletionToken>(endpoint: ConnectTarget, token?: T): CompletionResult<T, []> | undefined {
    this.#check(endpoint, 'UdpSocket.bind', true);
    if (token === undefined) {
      this.core.bind(addressOf(endpoint), endpoint.port, 'UdpSocket.bind');
      return undefined;
    }
    return asyncInitiate<[], T, DatagramCore, ConnectTarget, string>(initiateBind, token, this.core, endpoint, 'UdpSocket.bind');
  }

  /**
   * Sends `buf` as one datagram to `destination`. Completion signature:
   * `(err, n)`, `n` = `buf.length` once the kernel has taken it. A datagram
   * larger than the path allows (over 65,507 bytes on IPv4) is
   * `message_size`; on a connected socket this is `already_connected` (use
   * `asyncSend`). The bytes must stay unchanged until the handler runs.
   * Sending on an unbound socket binds it first (any address, port 0).
   *
   * Per-operation cancellation: a send still waiting for the bind is
   * withdrawn with `operation_aborted` (terminal, partial, total); once
   * handed to the kernel it completes as usual.
   *
   * @example
   * ```ts
   * const socket = new UdpSocket(ctx);
   * socket.asyncSendTo(Buffer.from('hello'), { host: '127.0.0.1', port: 5555 }, (err, n) => {
   *   if (err) console.error(`send: ${err.code}`); // n === 5 otherwise
   * });
   * ```
   */
  asyncSendTo<T extends CompletionToken<[number]>>(buf: Uint8Array, destination: ConnectTarget, token: T): CompletionResult<T, [number]> {
    checkBuffer(buf, this.sendToWhat);
    this.#check(destination, this.sendToWhat, false);
    return asyncInitiate<[number], T, UdpSocket, Uint8Array, ConnectTarget>(initiateSendTo, token, this, buf, destination);
  }

  /**
   * Connects the socket to a peer: later sends go there (`asyncSend`), and
   * only its datagrams are received (datagrams from other peers are dropped
   * and counted in `datagramStats().filtered`, kept ones included).
   * Completion signature: `(err)`. Connecting again switches to another
   * peer; while a connect is pending another is `already_started`. An
   * unbound socket is bound first (any address, port 0). No packet is sent:
   * a peer that is not there shows up later, as `connection_refused` on a
   * receive or send, where the platform reports ICMP port unreachable.
   *
   * Per-operation cancellation: terminal, partial and total; the handler
   * gets `operation_aborted` and the socket is left unconnected.
   *
   * @example
   * ```ts
   * const socket = new UdpSocket(ctx);
   * await socket.asyncConnect({ host: '127.0.0.1', port: 5555 }, usePromise);
   * await socket.asyncSend(Buffer.from('ping'), usePromise);
   * ```
   */
  asyncConnect<T extends CompletionToken>(peer: ConnectTarget, token: T): CompletionResult<T, []> {
    this.#check(peer, 'UdpSocket.asyncConnect', false);
    return asyncInitiate<[], T, DatagramCore, ConnectTarget, string>(initiateConnect, token, this.core, peer, 'UdpSocket.asyncConnect');
  }

  /**
   * The local address and port. Before any bind: the unspecified endpoint
   * of the family (`0.0.0.0:0` or `[::]:0`), as asio reports; throws
   * `IoError` `try_again` while a bind is in progress (wait for it with
   * `bind(endpoint, token)`) and `bad_descriptor` when closed.
   *
   * @example
   * ```ts
   * await socket.bind({ host: '127.0.0.1', port: 0 }, usePromise);
   * const { address, port } = socket.localEndpoint(); // 127.0.0.1 and the port picked
   * ```
   */
  localEndpoint(): Endpoint {
    if (this.core.isUnbound()) {
      return this.family === 'udp4' ? { address: '0.0.0.0', port: 0, family: 'IPv4' } : { address: '::', port: 0, family: 'IPv6' };
    }
    const a = this.core.boundSocket('UdpSocket.localEndpoint').address();
    return { address: a.address, port: a.port, family: familyOf(a.family, a.address) };
  }

  /**
   * The connected peer's address and port. Throws `IoError` `not_connected`
   * unless `asyncConnect` has completed (`bad_descriptor` when closed).
   *
   * @example
   * ```ts
   * await socket.asyncConnect({ host: '127.0.0.1', port: 5555 }, usePromise);
   * socket.remoteEndpoint(); // { address: '127.0.0.1', port: 5555, family: 'IPv4' }
   * ```
   */
  remoteEndpoint(): Endpoint {
    const s = this.core.boundSocket('UdpSocket.remoteEndpoint');
    if (!this.core.isConnected()) throw new IoError('not_connected', 'UdpSocket.remoteEndpoint: the socket is not connected');
    const a = s.remoteAddress();
    return { address: a.address, port: a.port, family: familyOf(a.family, a.address) };
  }

  /**
   * Allows (`true`) or forbids sending to broadcast addresses (`SO_BROADCAST`).
   * Before the bind completes it is applied once it has.
   *
   * @example
   * ```ts
   * socket.setBroadcast(true);
   * socket.asyncSendTo(announce, { host: '255.255.255.255', port: 9999 }, () => undefined);
   * ```
   */
  setBroadcast(on: boolean): void {
    const flag = checkFlag(on, 'UdpSocket.setBroadcast');
    this.core.withSocket('UdpSocket.setBroadcast', (s) => {
      s.setBroadcast(flag);
    });
  }

  /**
   * Sets the unicast time to live (hop limit on IPv6), 1 to 255.
   *
   * @example
   * ```ts
   * socket.setTtl(1); // stay on the local network
   * ```
   */
  setTtl(ttl: number): void {
    checkTtl(ttl, 1, 'UdpSocket.setTtl');
    this.core.withSocket('UdpSocket.setTtl', (s) => {
      s.setTTL(ttl);
    });
  }

  /**
   * Sets the time to live of multicast datagrams, 0 to 255 (1 by default: the local network).
   *
   * @example
   * ```ts
   * socket.setMulticastTtl(4);
   * ```
   */
  setMulticastTtl(ttl: number): void {
    checkTtl(ttl, 0, 'UdpSocket.setMulticastTtl');
    this.core.withSocket('UdpSocket.setMulticastTtl', (s) => {
      s.setMulticastTTL(ttl);
    });
  }

  /**
   * Whether multicast datagrams this socket sends are looped back to the
   * host's own members (on by default).
   *
   * @example
   * ```ts
   * socket.setMulticastLoopback(false);
   * ```
   */
  setMulticastLoopback(on: boolean): void {
    const flag = checkFlag(on, 'UdpSocket.setMulticastLoopback');
    this.core.withSocket('UdpSocket.setMulticastLoopback', (s) => {
      s.setMulticastLoopback(flag);
    });
  }

  /**
   * Chooses the interface multicast datagrams go out on (asio's
   * `ip::multicast::outbound_interface`): a local IPv4 address, or on IPv6
   * `::%` followed by the interface name or index (`::%lo`). The system's
   * route picks one when this is not set. Before the bind completes it is
   * applied once it has.
   *
   * @example
   * ```ts
   * socket.setMulticastInterface('127.0.0.1'); // multicast stays on this host
   * socket.asyncSendTo(Buffer.from('hello'), { host: '239.255.0.1', port: 5000 }, () => undefined);
   * ```
   */
  setMulticastInterface(iface: string): void {
    if (typeof iface !== 'string' || iface === '') throw new TypeError(`UdpSocket.setMulticastInterface: iface must be an address string, got ${describeValue(iface)}`);
    this.core.withSocket('UdpSocket.setMulticastInterface', (s) => {
      s.setMulticastInterface(iface);
    });
  }

  /**
   * Joins the multicast `group` (an IPv4 or IPv6 multicast address of the
   * socket's family), on `iface` (a local address; the system picks one
   * when omitted). Before the bind completes it is applied once it has.
   *
   * @example
   * ```ts
   * await socket.bind({ host: '0.0.0.0', port: 5353 }, usePromise);
   * socket.addMembership('224.0.0.251');
   * ```
   */
  addMembership(group: string, iface?: string): void {
    this.#checkGroup(group, iface, 'UdpSocket.addMembership');
    this.core.withSocket('UdpSocket.addMembership', (s) => {
      s.addMembership(group, iface);
    });
  }

  /**
   * Leaves the multicast `group` joined with `addMembership(group, iface)`.
   *
   * @example
   * ```ts
   * socket.dropMembership('224.0.0.251');
   * ```
   */
  dropMembership(group: string, iface?: string): void {
    this.#checkGroup(group, iface, 'UdpSocket.dropMembership');
    this.core.withSocket('UdpSocket.dropMembership', (s) => {
      s.dropMembership(group, iface);
    });
  }

  /** Throws a TypeError unless `target` is `{ host, port }` (or an `Endpoint`) with an IP address of this socket's family. */
  #check(target: unknown, what: string, portZeroOk: boolean): asserts target is ConnectTarget {
    const host = hostOf(target, what);
    const port = checkPort((target as { port?: unknown }).port, what);
    if (port === 0 && !portZeroOk) throw new TypeError(`${what}: port must be an integer from 1 to 65535, got number 0`);
    const version = net.isIP(host);
    if (version === 0) throw new TypeError(`${what}: host must be an IP address (look names up with a Resolver), got ${describeValue(host)}`);
    if (version === 4 !== (this.family === 'udp4')) {
      throw new TypeError(`${what}: a ${this.family} socket needs an IPv${this.family === 'udp4' ? '4' : '6'} address, got ${describeValue(host)}`);
    }
  }

  #checkGroup(group: unknown, iface: unknown, what: string): void {
    const wanted = this.family === 'udp4' ? 4 : 6;
    if (typeof group !== 'string' || net.isIP(group) !== wanted) {
      throw new TypeError(`${what}: group must be an IPv${String(wanted)} multicast address, got ${describeValue(group)}`);
    }
    if (iface !== undefined && typeof iface !== 'string') throw new TypeError(`${what}: iface must be a string address, got ${describeValue(iface)}`);
  }
}

function checkFlag(on: unknown, what: string): boolean {
  if (typeof on !== 'boolean') throw new TypeError(`${what}: expected a boolean, got ${describeValue(on)}`);
  return on;
}

function checkTtl(ttl: unknown, min: number, what: string): void {
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < min || ttl > 255) {
    throw new TypeError(`${what}: the TTL must be an integer from ${String(min)} to 255, got ${describeValue(ttl)}`);
  }
}
