import { checkIoContext } from '../io-context/check-context.js';
import type { IoContext } from '../io-context/io-context.js';
import { asyncInitiate } from '../tokens/async-initiate.js';
import type { CompletionResult, CompletionToken, Handler } from '../tokens/completion-token.js';
import { describeValue as describe } from '../errors/describe-value.js';
import { checkNotDetached } from '../io/detached.js';
import { DatagramCore, type DatagramPath, type DatagramStats } from './datagram-core.js';
import type { Endpoint } from './endpoint.js';

function initiateReceive(handler: Handler<[number]>, core: DatagramCore, buf: Uint8Array): void {
  core.startReceive(handler, buf);
}

function initiateReceiveFrom(handler: Handler<[number, Endpoint]>, core: DatagramCore, buf: Uint8Array): void {
  core.startReceiveFrom(handler, buf);
}

function initiateSend(handler: Handler<[number]>, core: DatagramCore, buf: Uint8Array, what: string): void {
  core.startSend(handler, buf, what);
}

/**
 * What every datagram socket has, whatever its protocol (asio's
 * `basic_datagram_socket`): receives, connected sends, cancellation, close
 * and buffer sizes, on the protocol-free datagram core. `UdpSocket` adds
 * endpoints, binding, connecting and the IP options.
 *
 * Receives: one receive completes with exactly one datagram. A datagram
 * longer than the buffer delivers its first `buf.length` bytes (`n` is
 * `buf.length`) and the rest of it is dropped, as with `recvfrom`.
 * Datagrams that arrive while no receive is pending are kept, up to
 * `DATAGRAM_QUEUE_MAX_COUNT` datagrams and `DATAGRAM_QUEUE_MAX_BYTES`
 * bytes, for the next receives; beyond that they are dropped and counted
 * (`datagramStats().dropped`), never buffered without bound. Each datagram
 * is copied once, from Node's buffer into the caller's. Receives issued
 * while another is pending queue in FIFO order. No handler ever runs
 * inside the call that started its operation.
 *
 * Errors: `close()` completes pending operations with `operation_aborted`
 * and later ones with `bad_descriptor`; `cancel()` aborts pending
 * operations and leaves the socket open.
 *
 * @example
 * ```ts
 * // One receive loop written once for every datagram socket.
 * function drain(socket: BasicDatagramSocket, buf: Buffer, onDatagram: (d: Buffer) => void): void {
 *   socket.asyncReceive(buf, (err, n) => {
 *     if (err) return socket.close();
 *     onDatagram(buf.subarray(0, n));
 *     drain(socket, buf, onDatagram);
 *   });
 * }
 * ```
 *
 * @category Datagram sockets
 */
export abstract class BasicDatagramSocket {
  /** The context whose run loop invokes this socket's handlers. */
  readonly context: IoContext;
  /** @internal The datagram core this socket's operations run on. */
  readonly core: DatagramCore;
  /** @internal The class name error messages start with. */
  readonly typeName: string;
  readonly #receiveWhat: string;
  readonly #receiveFromWhat: string;
  readonly #sendWhat: string;

  protected constructor(ctx: IoContext, typeName: string, type: 'udp4' | 'udp6') {
    checkIoContext(ctx, typeName);
    this.context = ctx;
    this.typeName = typeName;
    this.#receiveWhat = `${typeName}.asyncReceive`;
    this.#receiveFromWhat = `${typeName}.asyncReceiveFrom`;
    this.#sendWhat = `${typeName}.asyncSend`;
    this.core = new DatagramCore(ctx, this, type);
  }

  /**
   * Whether the socket is open: from construction until `close()`.
   *
   * @example
   * ```ts
   * const socket = new UdpSocket(ctx);
   * socket.isOpen(); // true
   * socket.close();
   * socket.isOpen(); // false
   * ```
   */
  isOpen(): boolean {
    return this.core.isOpen();
  }

  /**
   * Whether the bind has completed (an explicit `bind`, or the implicit one
   * of a first send or connect).
   *
   * @example
   * ```ts
   * const socket = new UdpSocket(ctx);
   * const bound = socket.bind({ host: '127.0.0.1', port: 0 }, usePromise);
   * socket.isBound(); // false: Node binds asynchronously
   * await bound;
   * socket.isBound(); // true
   * ```
   */
  isBound(): boolean {
    return this.core.isBound();
  }

  /**
   * Whether `asyncConnect` has completed: sends go to the peer, and only its
   * datagrams are received.
   *
   * @example
   * ```ts
   * await socket.asyncConnect({ host: '127.0.0.1', port: 5555 }, usePromise);
   * socket.isConnected(); // true
   * ```
   */
  isConnected(): boolean {
    return this.core.isConnected();
  }

  /**
   * How this socket moves its datagrams once bound: `'native'` (the handle
   * path, with datagrams read straight into the receive's buffer and sent at
   * once by the native addon where the native transport is the default),
   * `'handle'` (Node's UDP handle driven directly: no event emit, lookup or
   * tick per datagram) or `'dgram'` (node:dgram's public API, where the
   * handle is not usable, which `transportFallbacks()` then says). `null`
   * before the bind has completed and once closed. A datagram is copied at
   * most once on every path (`datagramStats().copies`; `directReads` counts
   * the ones read in place). A process's first send goes through node:dgram,
   * which teaches the handle path Node's request class.
   *
   * @example
   * ```ts
   * await socket.bind({ host: '127.0.0.1', port: 0 }, usePromise);
   * socket.transport; // 'native' where the addon is built, else 'handle'
   * ```
   */
  get transport(): DatagramPath | null {
    return this.core.path();
  }

  /**
   * The socket's datagram counters: received, dropped for want of a pending
   * receive, filtered (another peer, on a connected socket), kept now, and
   * the copies into receive buffers (one per datagram delivered).
   *
   * @example
   * ```ts
   * const { dropped } = socket.datagramStats();
   * if (dropped > 0) console.warn(`${dropped} datagrams arrived faster than they were received`);
   * ```
   */
  datagramStats(): DatagramStats {
    return this.core.datagramStats();
  }

  /**
   * Receives one datagram into `buf`. Completion signature: `(err, n)`,
   * `n` the datagram's length, or `buf.length` when the datagram was longer
   * (the rest of it is dropped). A 0-byte datagram completes with
   * `(null, 0)`. On an unconnected socket the sender is not reported (use
   * `asyncReceiveFrom`); on a connected one only the peer's datagrams
   * arrive, and an ICMP port unreachable for an earlier send surfaces here
   * as `connection_refused` where the platform reports it. `buf` belongs to
   * the socket until the handler runs.
   *
   * Per-operation cancellation (a slot bound with `bindCancellationSlot`,
   * `cancelAfter`, or an `AbortSignal`): terminal, partial and total; the
   * receive completes with `(operation_aborted, 0)` and no datagram was
   * taken for it.
   *
   * @example
   * ```ts
   * await socket.asyncConnect(server, usePromise);
   * await socket.asyncSend(Buffer.from('time?'), usePromise);
   * const reply = Buffer.alloc(512);
   * const n = await socket.asyncReceive(reply, cancelAfter(1000, usePromise)); // operation_aborted after 1 s
   * ```
   */
  asyncReceive<T extends CompletionToken<[number]>>(buf: Uint8Array, token: T): CompletionResult<T, [number]> {
    checkBuffer(buf, this.#receiveWhat);
    return asyncInitiate<[number], T, DatagramCore, Uint8Array>(initiateReceive, token, this.core, buf);
  }

  /**
   * Receives one datagram into `buf` and tells who sent it.
   * Completion signature: `(err, n, from)`: `n` as for `asyncReceive` (a longer
   * datagram delivers its first `buf.length` bytes, the rest is dropped),
   * `from` the sender's `Endpoint` (on an error, the unspecified endpoint
   * `0.0.0.0:0`). With `usePromise` it resolves `[n, from]`.
   *
   * Per-operation cancellation: as for `asyncReceive`.
   *
   * @example
   * ```ts
   * const buf = Buffer.alloc(65535);
   * socket.asyncReceiveFrom(buf, (err, n, from) => {
   *   if (err) return socket.close();
   *   socket.asyncSendTo(buf.subarray(0, n), from, () => undefined); // echo it back
   * });
   * ```
   */
  asyncReceiveFrom<T extends CompletionToken<[number, Endpoint]>>(buf: Uint8Array, token: T): CompletionResult<T, [number, Endpoint]> {
    checkBuffer(buf, this.#receiveFromWhat);
    return asyncInitiate<[number, Endpoint], T, DatagramCore, Uint8Array>(initiateReceiveFrom, token, this.core, buf);
  }

  /**
   * Sends `buf` as one datagram to the connected peer. Completion signature:
   * `(err, n)`, `n` = `buf.length` once the kernel has taken it; a datagram
   * larger than the path allows is `message_size`, an unconnected socket
   * `not_connected`, and an ICMP port unreachable for an earlier datagram
   * may surface as `connection_refused`. The bytes must stay unchanged
   * until the handler runs. A datagram handed to the kernel is not
   * withdrawn by cancellation.
   *
   * @example
   * ```ts
   * await socket.asyncConnect({ host: '127.0.0.1', port: 5555 }, usePromise);
   * socket.asyncSend(Buffer.from('ping'), (err, n) => {
   *   if (err) console.error(`send: ${err.code}`);
   * });
   * ```
   */
  asyncSend<T extends CompletionToken<[number]>>(buf: Uint8Array, token: T): CompletionResult<T, [number]> {
    const what = this.#sendWhat;
    checkBuffer(buf, what);
    return asyncInitiate<[number], T, DatagramCore, Uint8Array, string>(initiateSend, token, this.core, buf, what);
  }

  /**
   * Sets the kernel's receive buffer size (`SO_RCVBUF`), in bytes. Before
   * the bind completes it is applied once it has.
   *
   * @example
   * ```ts
   * socket.setReceiveBufferSize(1 << 20); // room for bursts while the handler runs
   * ```
   */
  setReceiveBufferSize(bytes: number): void {
    checkSize(bytes, `${this.typeName}.setReceiveBufferSize`);
    this.core.withSocket(`${this.typeName}.setReceiveBufferSize`, (s) => {
      s.setRecvBufferSize(bytes);
    });
  }

  /**
   * Sets the kernel's send buffer size (`SO_SNDBUF`), in bytes. Before the
   * bind completes it is applied once it has.
   *
   * @example
   * ```ts
   * socket.setSendBufferSize(1 << 20);
   * ```
   */
  setSendBufferSize(bytes: number): void {
    checkSize(bytes, `${this.typeName}.setSendBufferSize`);
    this.core.withSocket(`${this.typeName}.setSendBufferSize`, (s) => {
      s.setSendBufferSize(bytes);
    });
  }

  /**
   * The kernel's receive buffer size in bytes (Linux reports twice what was
   * set). Throws `IoError` until the bind has completed.
   *
   * @example
   * ```ts
   * await socket.bind({ host: '127.0.0.1', port: 0 }, usePromise);
   * console.log(socket.receiveBufferSize());
   * ```
   */
  receiveBufferSize(): number {
    return this.core.boundSocket(`${this.typeName}.receiveBufferSize`).getRecvBufferSize();
  }

  /**
   * The kernel's send buffer size in bytes. Throws `IoError` until the bind
   * has completed.
   *
   * @example
   * ```ts
   * await socket.bind({ host: '127.0.0.1', port: 0 }, usePromise);
   * console.log(socket.sendBufferSize());
   * ```
   */
  sendBufferSize(): number {
    return this.core.boundSocket(`${this.typeName}.sendBufferSize`).getSendBufferSize();
  }

  /**
   * Aborts every pending receive, connect, bind wait, and every send still
   * waiting for the bind, with `operation_aborted`; the socket stays open.
   * Sends already handed to the kernel complete as usual.
   *
   * @example
   * ```ts
   * socket.asyncReceiveFrom(buf, (err) => {
   *   if (err?.code === 'operation_aborted') console.log('receive cancelled; socket still open');
   * });
   * socket.cancel();
   * ```
   */
  cancel(): void {
    this.core.cancel();
  }

  /**
   * Closes the socket: every pending operation (sends included) completes
   * with `operation_aborted`, later ones with `bad_descriptor`, datagrams
   * kept for later receives are dropped. Closing a closed socket does
   * nothing; a closed socket stays closed.
   *
   * @example
   * ```ts
   * socket.asyncReceiveFrom(buf, (err) => {
   *   err?.code; // 'operation_aborted'
   * });
   * socket.close();
   * ```
   */
  close(): void {
    this.core.close();
  }

  /**
   * Closes the socket when a `using` declaration goes out of scope: `[Symbol.dispose]()` is `close()`.
   *
   * @example
   * ```ts
   * using socket = new UdpSocket(ctx); // closed at the end of the block
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** @internal Throws a TypeError unless `buf` is a live Uint8Array. */
export function checkBuffer(buf: unknown, what: string): void {
  if (!(buf instanceof Uint8Array)) throw new TypeError(`${what}: the buffer must be a Uint8Array (or Buffer), got ${describe(buf)}`);
  checkNotDetached(buf, what);
}

function checkSize(bytes: unknown, what: string): void {
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 1) {
    throw new TypeError(`${what}: the size must be a positive integer of bytes, got ${describe(bytes)}`);
  }
}
