import * as dgram from 'node:dgram';
import { getAssociatedAllocator } from '../associations/associate.js';
import { getAssociatedCancellationSlot } from '../associations/bind-cancellation-slot.js';
import { OPERATION_ABORTED } from '../cancellation/operation-aborted.js';
import { fromNodeError } from '../errors/from-node-error.js';
import { IoError } from '../errors/io-error.js';
import type { IoContext, IoService } from '../io-context/io-context.js';
import { BindOp } from '../ops/bind-op.js';
import type { CancellableOp } from '../ops/cancellable-op.js';
import { ConnectOp } from '../ops/connect-op.js';
import { OpQueue } from '../ops/op-queue.js';
import type { Operation } from '../ops/operation.js';
import { ReceiveFromOp } from '../ops/receive-from-op.js';
import { ReceiveOp } from '../ops/receive-op.js';
import { SendOp } from '../ops/send-op.js';
import { SendToOp } from '../ops/send-to-op.js';
import type { Handler } from '../tokens/completion-token.js';
import { DATAGRAM_PENDING, DATAGRAM_SENT, DatagramHandle, type DatagramHandleSink } from './datagram-handle.js';
import type { Endpoint } from './endpoint.js';
import { errnoError } from './errno.js';
import { NativeDatagram, UV_EAGAIN, UV_EINVAL } from './native/native-datagram.js';
import { defaultTransport } from './transport-choice.js';

/**
 * How many datagrams a datagram socket keeps while no receive is pending;
 * one more is dropped (and counted in `datagramStats().dropped`).
 *
 * @example
 * ```ts
 * // A burst larger than this, sent while nothing is receiving, loses the rest:
 * const lost = Math.max(0, burst - DATAGRAM_QUEUE_MAX_COUNT);
 * ```
 *
 * @category Datagram sockets
 */
export const DATAGRAM_QUEUE_MAX_COUNT = 64;

/**
 * How many bytes of datagrams a datagram socket keeps while no receive is
 * pending; a datagram that would go over it is dropped (and counted).
 *
 * @example
 * ```ts
 * const fits = Math.floor(DATAGRAM_QUEUE_MAX_BYTES / 1200); // 1,200-byte datagrams kept before drops
 * ```
 *
 * @category Datagram sockets
 */
export const DATAGRAM_QUEUE_MAX_BYTES = 256 * 1024;

/**
 * What a datagram socket's `datagramStats()` counts.
 *
 * @example
 * ```ts
 * const { received, dropped, filtered } = socket.datagramStats();
 * console.log(`${received} datagrams arrived, ${dropped} dropped with no receive pending, ${filtered} from other peers`);
 * ```
 *
 * @category Datagram sockets
 */
export interface DatagramStats {
  /** Datagrams the socket received, every one counted. */
  readonly received: number;
  /** Datagrams dropped because no receive was pending and the queue was full (count or bytes). */
  readonly dropped: number;
  /** Datagrams dropped on a connected socket because they came from another peer. */
  readonly filtered: number;
  /** Datagrams kept now for the next receives. */
  readonly queued: number;
  /** The bytes of the datagrams kept now. */
  readonly queuedBytes: number;
  /** Datagrams copied into a receive's buffer: one copy per datagram delivered, never more. */
  readonly copies: number;
  /** The bytes those copies moved (a truncated datagram counts the bytes that fit). */
  readonly bytesCopied: number;
  /** Datagrams the native path read straight into a receive's buffer: no copy at all. */
  readonly directReads: number;
}

/**
 * How a datagram socket moves its datagrams:
 * - `'native'`: the handle path, and a receive started with nothing kept
 *   first reads the kernel's queue itself through the native addon, straight
 *   into its buffer (no copy), as asio tries an operation before it waits;
 *   sends go out at once the same way. The default where the native
 *   transport is (see `defaultTransport()`);
 * - `'handle'`: Node's UDP handle driven directly, each datagram copied
 *   once from Node's buffer;
 * - `'dgram'`: node:dgram's public API (where the handle is not usable;
 *   said once on `proactor:transport`).
 *
 * @example
 * ```ts
 * await socket.bind({ host: '127.0.0.1', port: 0 }, usePromise);
 * const path: DatagramPath | null = socket.transport; // 'native' where the addon is built, else 'handle'
 * ```
 *
 * @category Datagram sockets
 */
export type DatagramPath = 'native' | 'handle' | 'dgram';

const CLOSED = 0;
const UNBOUND = 1;
const BINDING = 2;
const BOUND = 3;

function asReceive(op: Operation | null): ReceiveOp | null {
  return op instanceof ReceiveOp ? op : null;
}

function asSend(op: Operation | null): SendToOp | null {
  return op instanceof SendToOp ? op : null;
}

/**
 * @internal The engine under every datagram socket, over one `node:dgram`
 * socket at a time: the bind (asynchronous in Node), connect, the receive
 * queue and the datagrams kept for it, sends, cancellation, close and
 * context shutdown. The front-end (`UdpSocket`) validates and names
 * endpoints.
 *
 * Rules it keeps:
 * - no handler runs inside the call that started its operation;
 * - one receive completes with exactly one datagram; receives queue FIFO;
 * - each datagram is copied once, from Node's buffer into the caller's;
 * - datagrams that arrive with no receive pending are kept up to
 *   `DATAGRAM_QUEUE_MAX_COUNT` / `DATAGRAM_QUEUE_MAX_BYTES`, then dropped
 *   and counted;
 * - operations started before the bind completes wait for it, and a bind
 *   error completes them (or, with none pending, the next one started).
 */
export class DatagramCore {
  readonly context: IoContext;
  /** The front-end object handler tracking names (`udp_socket@0x…`). */
  readonly #owner: object;
  readonly #type: 'udp4' | 'udp6';
  #state = UNBOUND;
  #registered = false;
  #socket: dgram.Socket | null = null;
  /** The bound socket's UDP handle, driven directly; null on node:dgram's public path. */
  #fast: DatagramHandle | null = null;
  /** The native path's reads and sends on the handle's descriptor; null on the other paths. */
  #direct: NativeDatagram | null = null;
  /** Sends handed to node:dgram's public `send` and not completed: the handle path waits for them, so completions stay in order. */
  #dgramSends = 0;
  /** What the current socket's handle reports, made once per socket. */
  #handleSink: DatagramHandleSink | null = null;
  /** The current socket's send and connect callbacks, made once per socket. */
  #onSent: (err: Error | null, n?: number) => void = noop;
  #onConnected: (err?: Error | null) => void = noop;
  #bindOp: BindOp | null = null;
  #connectOp: ConnectOp | null = null;
  #connecting = false;
  #connected = false;
  #peerAddress = '';
  #peerPort = 0;
  /** Receives waiting for a datagram. */
  readonly #receives = new OpQueue();
  /** Sends waiting for the bind. */
  readonly #waiting = new OpQueue();
  /** Sends handed to node:dgram, in the order it completes them. */
  readonly #inFlight = new OpQueue();
  readonly #doomed = new OpQueue();
  /** An error for the next operation of any kind (a bind that failed with nobody waiting, a deferred option). */
  #nextError: IoError | null = null;
  /** An error for the next receive (an ICMP error on a connected socket, with no receive pending). */
  #receiveError: IoError | null = null;
  /** Options set before the bind completed, applied once it has. */
  #deferred: ((s: dgram.Socket) => void)[] = [];
  /** Datagrams received with no receive pending: a ring of `#count` from `#head`. */
  readonly #kept: (Buffer | null)[] = new Array<Buffer | null>(DATAGRAM_QUEUE_MAX_COUNT).fill(null);
  readonly #keptFrom: (dgram.RemoteInfo | null)[] = new Array<dgram.RemoteInfo | null>(DATAGRAM_QUEUE_MAX_COUNT).fill(null);
  #head = 0;
  #count = 0;
  #bytes = 0;
  #received = 0;
  #dropped = 0;
  #filtered = 0;
  #copies = 0;
  #bytesCopied = 0;
  #directReads = 0;

  readonly #service: IoService = {
    shutdown: (): void => {
      this.#destroyAll();
    },
  };

  constructor(ctx: IoContext, owner: object, type: 'udp4' | 'udp6') {
    this.context = ctx;
    this.#owner = owner;
    this.#type = type;
  }

  isOpen(): boolean {
    return this.#state !== CLOSED;
  }

  isBound(): boolean {
    return this.#state === BOUND;
  }

  /** Open, with no bind started (explicitly or by a first send or connect). */
  isUnbound(): boolean {
    return this.#state === UNBOUND;
  }

  isConnected(): boolean {
    return this.#connected;
  }

  datagramStats(): DatagramStats {
    return {
      received: this.#received,
      dropped: this.#dropped,
      filtered: this.#filtered,
      queued: this.#count,
      queuedBytes: this.#bytes,
      copies: this.#copies,
      bytesCopied: this.#bytesCopied,
      directReads: this.#directReads,
    };
  }

  /** How the bound socket moves datagrams; null until the bind completes, and once closed. */
  path(): DatagramPath | null {
    if (this.#state !== BOUND) return null;
    if (this.#fast === null) return 'dgram';
    return this.#direct !== null ? 'native' : 'handle';
  }

  // ---- bind ----

  /** Starts binding; throws `IoError` on a closed or already bound socket. */
  bind(address: string, port: number, what: string): void {
    const err = this.#bindRefusal(what);
    if (err !== null) throw err;
    this.#startBind(address, port);
  }

  startBind(handler: Handler, address: string, port: number, what: string): void {
    const ctx = this.context;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(BindOp).init(handler, allocator, this);
    this.#begin(op, 'bind');
    const err = this.#bindRefusal(what);
    if (err !== null) {
      ctx.enqueue(op.finish(err));
      return;
    }
    this.#bindOp = op;
    this.#startBind(address, port);
    if (this.#bindOp === op) this.#installSlot(op, handler);
  }

  #bindRefusal(what: string): IoError | null {
    if (this.#state === CLOSED) return new IoError('bad_descriptor', `${what}: the socket is closed`);
    if (this.#state !== UNBOUND) return new IoError('invalid_argument', `${what}: the socket is already bound (or binding)`);
    return null;
  }

  #startBind(address: string, port: number): void {
    const s = this.#ensureSocket();
    this.#state = BINDING;
    try {
      s.bind(port, address);
    } catch (e) {
      // Reported as Node reports a bind error, later: never inside the initiating call.
      const err = fromNodeError(e);
      process.nextTick(() => {
        if (this.#socket === s && this.#state === BINDING) this.#bindFailed(err);
      });
    }
  }

  /** Binds to the any address and port 0 if nothing bound the socket yet (what Node does on a first send). */
  #ensureBound(): void {
    if (this.#state === UNBOUND) this.#startBind(this.#type === 'udp4' ? '0.0.0.0' : '::', 0);
  }

  // ---- initiation: allocate, init, tracking, work started, then the op's own start ----

  startSendTo(handler: Handler<[number]>, buf: Uint8Array, address: string, port: number, what: string): void {
    const ctx = this.context;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(SendToOp).init(handler, buf, address, port, allocator, this);
    this.#begin(op, 'async_send_to');
    let early = this.#earlyError();
    if (early === null && (this.#connected || this.#connecting)) {
      early = new IoError('already_connected', `${what}: the socket is connected; use asyncSend`);
    }
    if (early !== null) {
      ctx.enqueue(op.finish(early, 0));
      return;
    }
    this.#ensureBound();
    if (this.#state === BOUND) {
      this.#handOver(op);
    } else if (this.#state === BINDING) {
      this.#waiting.push(op);
      this.#installSlot(op, handler);
    } else {
      ctx.enqueue(op.finish(this.#takeNextError() ?? new IoError('bad_descriptor'), 0));
    }
  }

  startSend(handler: Handler<[number]>, buf: Uint8Array, what: string): void {
    const ctx = this.context;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(SendOp).init(handler, buf, '', 0, allocator, this);
    this.#begin(op, 'async_send');
    let early = this.#earlyError();
    if (early === null && !this.#connected) early = new IoError('not_connected', `${what}: the socket is not connected; use asyncConnect or asyncSendTo`);
    if (early !== null) {
      ctx.enqueue(op.finish(early, 0));
      return;
    }
    this.#handOver(op);
  }

  startReceive(handler: Handler<[number]>, buf: Uint8Array): void {
    const ctx = this.context;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(ReceiveOp).init(handler, buf, allocator, this);
    this.#begin(op, 'async_receive');
    this.#receive(op, handler);
  }

  startReceiveFrom(handler: Handler<[number, Endpoint]>, buf: Uint8Array): void {
    const ctx = this.context;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(ReceiveFromOp).initFrom(handler, buf, allocator, this);
    this.#begin(op, 'async_receive_from');
    this.#receive(op, handler);
  }

  startConnect(handler: Handler, address: string, port: number, what: string): void {
    const ctx = this.context;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(ConnectOp).init(handler, allocator, this);
    this.#begin(op, 'async_connect');
    let early = this.#earlyError();
    if (early === null && this.#connecting) early = new IoError('already_started', `${what}: a connect is already in progress`);
    if (early !== null) {
      ctx.enqueue(op.finish(early));
      return;
    }
    if (this.#connected) {
      // asio lets a datagram socket connect again, to another peer: Node needs a disconnect first.
      this.#connected = false;
      try {
        this.#socket?.disconnect();
      } catch {
        // Not connected after all: nothing to undo.
      }
    }
    this.#connecting = true;
    this.#connectOp = op;
    this.#peerAddress = address;
    this.#peerPort = port;
    this.#ensureBound();
    if (this.#state === BOUND) this.#connectNow();
    if (this.#connectOp === op) this.#installSlot(op, handler);
  }

  /** The one start path of this socket's ops: statistics, handler tracking, outstanding work. */
  #begin(op: Operation, name: string): void {
    this.context.startOperation(op, 'udp_socket', this.#owner, name);
  }

  #installSlot(op: CancellableOp, handler: unknown): void {
    const slot = getAssociatedCancellationSlot(handler);
    if (slot !== null) op.installSlot(slot);
  }

  #earlyError(): IoError | null {
    if (this.#state === CLOSED) return new IoError('bad_descriptor');
    return this.#takeNextError();
  }

  #takeNextError(): IoError | null {
    const err = this.#nextError;
    this.#nextError = null;
    return err;
  }

  #receive(op: ReceiveOp, handler: unknown): void {
    const ctx = this.context;
    const early = this.#earlyError();
    if (early !== null) {
      ctx.enqueue(op.finish(early, 0));
      return;
    }
    if (this.#receives.isEmpty()) {
      if (this.#count > 0) {
        ctx.enqueue(this.#deliverKept(op));
        return;
      }
      const err = this.#receiveError;
      if (err !== null) {
        this.#receiveError = null;
        ctx.enqueue(op.finish(err, 0));
        return;
      }
      // Tried first, as asio does: in a burst the next datagram is already in the kernel's queue.
      const direct = this.#direct;
      if (direct !== null && this.#readNow(op, direct)) return;
    }
    this.#receives.push(op);
    this.#register();
    this.#installSlot(op, handler);
    if (this.#fast === null && this.#state === BOUND) this.#upgrade();
  }

  /**
   * One datagram for `op` from the kernel's queue, read now: true when `op`
   * is complete (a datagram, or the error the read gave), false when the
   * queue is empty and the handle reads again for it.
   */
  #readNow(op: ReceiveOp, direct: NativeDatagram): boolean {
    for (;;) {
      const n = direct.receive(op.buffer!);
      if (n === UV_EAGAIN) return false; // the handle reads the next one for it
      if (n < 0) {
        this.context.enqueue(op.finish(errnoError(n, 'recvmsg'), 0));
        return true;
      }
      this.#received++;
      const from = direct.sender();
      // A datagram from another peer that reached the kernel before the connect.
      if (this.#connected && !this.#fromPeer(from)) {
        this.#filtered++;
        continue;
      }
      this.#directReads++;
      this.context.enqueue(op.deliver(n, from));
      return true;
    }
  }

  /** Drives bound socket `s` through its handle where the process can (and its descriptor natively, where the addon is). */
  #attach(s: dgram.Socket): DatagramHandle | null {
    const fast = DatagramHandle.attach(s, this.#handleSink!);
    this.#fast = fast;
    this.#direct = fast !== null && defaultTransport() === 'native' ? NativeDatagram.open(fast.fd()) : null;
    return fast;
  }

  /**
   * Moves the bound socket onto the handle path once the process knows it:
   * the first sends of a process go through node:dgram and teach the
   * handle path its request class.
   */
  #upgrade(): DatagramHandle | null {
    if (!DatagramHandle.ready()) return null;
    return this.#attach(this.#socket!);
  }

  #handOver(op: SendToOp): void {
    const s = this.#socket!;
    const fast = this.#fast ?? this.#upgrade();
    if (fast !== null && this.#dgramSends === 0) {
      const direct = this.#direct;
      // Sent at once natively while nothing is queued before it; a full send buffer queues it on the handle.
      if (direct !== null && this.#inFlight.isEmpty()) {
        const n = direct.send(op.buffer!, op.address, op.port);
        if (n >= 0) {
          this.context.enqueue(op.finish(null, op.buffer!.length));
          return;
        }
        if (n !== UV_EAGAIN && n !== UV_EINVAL) {
          this.context.enqueue(op.finish(errnoError(n, 'send', op.address === '' ? undefined : { address: op.address, port: op.port }), 0));
          return;
        }
      }
      const result = fast.send(op.buffer!, op.address, op.port);
      if (result === DATAGRAM_SENT) this.context.enqueue(op.finish(null, op.buffer!.length));
      else if (result === DATAGRAM_PENDING) this.#inFlight.push(op);
      else this.context.enqueue(op.finish(result as IoError, 0));
      return;
    }
    if (DatagramHandle.wantsLesson()) DatagramHandle.learnSendRequest(s);
    this.#inFlight.push(op);
    this.#dgramSends++;
    try {
      if (op.address === '') s.send(op.buffer!, this.#onSent);
      else s.send(op.buffer!, op.port, op.address, this.#onSent);
    } catch (e) {
      this.#inFlight.remove(op);
      this.#dgramSends--;
      this.context.enqueue(op.finish(fromNodeError(e), 0));
    }
  }

  #connectNow(): void {
    const s = this.#socket!;
    try {
      s.connect(this.#peerPort, this.#peerAddress, this.#onConnected);
    } catch (e) {
      // Reported as Node reports a connect error, later: never inside the initiating call.
      const err = fromNodeError(e);
      process.nextTick(() => {
        if (this.#socket === s) this.#connectDone(err);
      });
    }
  }

  // ---- what node:dgram reports ----

  #ensureSocket(): dgram.Socket {
    const current = this.#socket;
    if (current !== null) return current;
    const s = dgram.createSocket({ type: this.#type });
    // The context holds the process open while it has work; an idle socket does not.
    s.unref();
    s.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => {
      if (this.#socket === s) this.#message(msg, rinfo);
    });
    s.on('error', (err: Error) => {
      if (this.#socket === s) this.#error(fromNodeError(err));
    });
    s.on('listening', () => {
      if (this.#socket === s) this.#listening();
    });
    this.#onSent = (err: Error | null) => {
      if (this.#socket === s) this.#sent(err);
    };
    this.#onConnected = (err?: Error | null) => {
      if (this.#socket === s) this.#connectDone(err === undefined || err === null ? null : fromNodeError(err));
    };
    this.#handleSink = {
      message: (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
        if (this.#socket === s) this.#message(msg, rinfo);
      },
      failed: (err: IoError): void => {
        if (this.#socket === s) this.#error(err);
      },
      sendDone: (err: IoError | null): void => {
        if (this.#socket === s) this.#handleSent(err);
      },
    };
    this.#socket = s;
    this.#register();
    return s;
  }

  #listening(): void {
    const ctx = this.context;
    this.#state = BOUND;
    const s = this.#socket!;
    this.#attach(s);
    const deferred = this.#deferred;
    this.#deferred = [];
    for (const apply of deferred) {
      try {
        apply(s);
      } catch (e) {
        this.#nextError ??= fromNodeError(e);
      }
    }
    const bindOp = this.#bindOp;
    if (bindOp !== null) {
      this.#bindOp = null;
      ctx.completeFromIo(bindOp.finish(this.#takeNextError()));
    }
    if (this.#connecting) {
      if (this.#connectOp !== null) this.#connectNow();
      else this.#connecting = false; // withdrawn while it waited for the bind
    }
    const doomed = this.#doomed;
    doomed.append(this.#waiting);
    for (let op = doomed.shift(); op !== null; op = doomed.shift()) {
      if (this.#socket === s) this.#handOver(asSend(op)!);
      else ctx.completeFromIo(asSend(op)!.finish(new IoError('bad_descriptor'), 0));
    }
  }

  #message(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.#received++;
    if (this.#connected && !this.#fromPeer(rinfo)) {
      this.#filtered++;
      return;
    }
    const op = asReceive(this.#receives.shift());
    if (op !== null) {
      const buf = op.buffer!;
      this.context.completeFromIo(op.deliver(this.#copyInto(msg, buf), rinfo));
      return;
    }
    if (this.#count === DATAGRAM_QUEUE_MAX_COUNT || this.#bytes + msg.length > DATAGRAM_QUEUE_MAX_BYTES) {
      this.#dropped++;
      return;
    }
    const at = (this.#head + this.#count) % DATAGRAM_QUEUE_MAX_COUNT;
    this.#kept[at] = msg;
    this.#keptFrom[at] = rinfo;
    this.#count++;
    this.#bytes += msg.length;
  }

  /** Takes the oldest kept datagram into `op`'s buffer. */
  #deliverKept(op: ReceiveOp): ReceiveOp {
    const at = this.#head;
    const msg = this.#kept[at]!;
    const from = this.#keptFrom[at]!;
    this.#kept[at] = null;
    this.#keptFrom[at] = null;
    this.#head = (at + 1) % DATAGRAM_QUEUE_MAX_COUNT;
    this.#count--;
    this.#bytes -= msg.length;
    return op.deliver(this.#copyInto(msg, op.buffer!), from);
  }

  /** The one copy of a datagram: from Node's buffer into the receive's, as much as fits. */
  #copyInto(msg: Buffer, buf: Uint8Array): number {
    const n = msg.length < buf.length ? msg.length : buf.length;
    if (n > 0) msg.copy(buf, 0, 0, n);
    this.#copies++;
    this.#bytesCopied += n;
    return n;
  }

  #error(err: IoError): void {
    if (this.#state === BINDING) {
      this.#bindFailed(err);
      return;
    }
    // A receive-side error (an ICMP error on a connected socket): the front receive, or the next one.
    const op = asReceive(this.#receives.shift());
    if (op !== null) this.context.completeFromIo(op.finish(err, err === null ? op.buffer!.length : 0));
    else this.#receiveError = err;
  }

  #bindFailed(err: IoError): void {
    const ctx = this.context;
    this.#dropSocket();
    this.#state = UNBOUND;
    this.#deferred = [];
    let told = false;
    const bindOp = this.#bindOp;
    if (bindOp !== null) {
      this.#bindOp = null;
      ctx.completeFromIo(bindOp.finish(err));
      told = true;
    }
    const connectOp = this.#connectOp;
    this.#connecting = false;
    if (connectOp !== null) {
      this.#connectOp = null;
      ctx.completeFromIo(connectOp.finish(err));
      told = true;
    }
    const doomed = this.#doomed;
    doomed.append(this.#waiting);
    doomed.append(this.#receives);
    for (let op = doomed.shift(); op !== null; op = doomed.shift()) {
      ctx.completeFromIo((op as SendToOp | ReceiveOp).finish(err, 0));
      told = true;
    }
    if (!told) this.#nextError = err;
  }

  #sent(err: Error | null): void {
    if (this.#dgramSends > 0) this.#dgramSends--;
    const op = asSend(this.#inFlight.shift());
    if (op === null) return;
    if (err !== null) op.finish(fromNodeError(err), 0);
    else op.finish(null, op.buffer!.length);
    this.context.completeFromIo(op);
  }

  /** A send the handle queued has completed (they complete in the order they were queued). */
  #handleSent(err: IoError | null): void {
    const op = asSend(this.#inFlight.shift());
    if (op === null) return;
    this.context.completeFromIo(op.finish(err, err === null ? op.buffer!.length : 0));
  }

  #connectDone(err: IoError | null): void {
    this.#connecting = false;
    const op = this.#connectOp;
    this.#connectOp = null;
    if (err === null) {
      if (op === null) {
        // The connect was withdrawn (cancelled) while Node made it: undo it.
        try {
          this.#socket?.disconnect();
        } catch {
          // Already disconnected.
        }
        return;
      }
      const peer = this.#socket!.remoteAddress();
      this.#peerAddress = peer.address;
      this.#peerPort = peer.port;
      this.#connected = true;
      this.#filterKept();
    }
    if (op !== null) this.context.completeFromIo(op.finish(err));
  }

  /** Whether a datagram from `sender` came from the connected peer. */
  #fromPeer(sender: { readonly address: string; readonly port: number }): boolean {
    return sender.port === this.#peerPort && sender.address === this.#peerAddress;
  }

  /** Drops kept datagrams that did not come from the peer just connected to. */
  #filterKept(): void {
    const kept = this.#kept;
    const from = this.#keptFrom;
    let write = 0;
    const count = this.#count;
    for (let i = 0; i < count; i++) {
      const at = (this.#head + i) % DATAGRAM_QUEUE_MAX_COUNT;
      const msg = kept[at]!;
      const rinfo = from[at]!;
      kept[at] = null;
      from[at] = null;
      if (!this.#fromPeer(rinfo)) {
        this.#filtered++;
        this.#count--;
        this.#bytes -= msg.length;
        continue;
      }
      const to = (this.#head + write) % DATAGRAM_QUEUE_MAX_COUNT;
      kept[to] = msg;
      from[to] = rinfo;
      write++;
    }
  }

  // ---- options and endpoints ----

  /** Runs `apply` on the bound socket now, or once the bind completes; throws `IoError` on a closed socket or when Node refuses. */
  withSocket(what: string, apply: (s: dgram.Socket) => void): void {
    if (this.#state === CLOSED) throw new IoError('bad_descriptor', `${what}: the socket is closed`);
    if (this.#state !== BOUND) {
      this.#deferred.push(apply);
      return;
    }
    try {
      apply(this.#socket!);
    } catch (e) {
      throw fromNodeError(e);
    }
  }

  /** The bound Node socket, for reading options and endpoints; throws `IoError` when closed or not bound yet. */
  boundSocket(what: string): dgram.Socket {
    if (this.#state === CLOSED) throw new IoError('bad_descriptor', `${what}: the socket is closed`);
    if (this.#state === BINDING) throw new IoError('try_again', `${what}: the bind has not completed yet (wait for it with bind(endpoint, token))`);
    if (this.#state !== BOUND) throw new IoError('bad_descriptor', `${what}: the socket is not bound`);
    return this.#socket!;
  }

  // ---- cancellation, close, shutdown ----

  /** Withdraws one pending operation with `operation_aborted`: a receive, a send waiting for the bind, a connect, a bind wait. */
  abortOperation(op: Operation): boolean {
    // Every cancellation type: none of these has handed anything to the kernel.
    const ctx = this.context;
    const bindOp = this.#bindOp;
    if (bindOp !== null && op === bindOp) {
      this.#bindOp = null;
      ctx.enqueue(bindOp.finish(OPERATION_ABORTED));
      return true;
    }
    const connectOp = this.#connectOp;
    if (connectOp !== null && op === connectOp) {
      // Node's connect goes on; #connectDone undoes it.
      this.#connectOp = null;
      ctx.enqueue(connectOp.finish(OPERATION_ABORTED));
      return true;
    }
    if (this.#receives.remove(op) || this.#waiting.remove(op)) {
      ctx.enqueue((op as SendToOp | ReceiveOp).finish(OPERATION_ABORTED, 0));
      return true;
    }
    return false;
  }

  cancel(): void {
    if (this.#state === CLOSED) return;
    this.context.tracker?.operation('udp_socket', this.#owner, 'cancel');
    this.#abortPending(false);
  }

  close(): void {
    if (this.#state === CLOSED) return;
    this.context.tracker?.operation('udp_socket', this.#owner, 'close');
    this.#abortPending(true);
    this.#state = CLOSED;
    this.#connected = false;
    this.#connecting = false;
    this.#deferred = [];
    this.#dropKept();
    this.#dropSocket();
    if (this.#registered) {
      this.#registered = false;
      this.context.removeService(this.#service);
    }
  }

  #abortPending(inFlightToo: boolean): void {
    const ctx = this.context;
    const bindOp = this.#bindOp;
    this.#bindOp = null;
    if (bindOp !== null) ctx.enqueue(bindOp.finish(OPERATION_ABORTED));
    const connectOp = this.#connectOp;
    this.#connectOp = null;
    if (connectOp !== null) ctx.enqueue(connectOp.finish(OPERATION_ABORTED));
    const doomed = this.#doomed;
    doomed.append(this.#receives);
    doomed.append(this.#waiting);
    if (inFlightToo) doomed.append(this.#inFlight);
    for (let op = doomed.shift(); op !== null; op = doomed.shift()) {
      ctx.enqueue((op as SendToOp | ReceiveOp).finish(OPERATION_ABORTED, 0));
    }
  }

  #register(): void {
    if (this.#registered || this.#state === CLOSED) return;
    this.#registered = true;
    this.context.addService(this.#service);
  }

  #dropSocket(): void {
    const s = this.#socket;
    if (s === null) return;
    this.#socket = null;
    this.#onSent = noop;
    this.#onConnected = noop;
    this.#handleSink = null;
    this.#fast?.detach();
    this.#fast = null;
    this.#direct = null;
    this.#dgramSends = 0;
    try {
      s.close();
    } catch {
      // Already closed.
    }
  }

  #dropKept(): void {
    this.#kept.fill(null);
    this.#keptFrom.fill(null);
    this.#head = 0;
    this.#count = 0;
    this.#bytes = 0;
  }

  /** Context shutdown: destroy pending operations without invoking them, and close. */
  #destroyAll(): void {
    this.#bindOp?.destroy();
    this.#bindOp = null;
    this.#connectOp?.destroy();
    this.#connectOp = null;
    for (const queue of [this.#receives, this.#waiting, this.#inFlight]) {
      for (let op = queue.shift(); op !== null; op = queue.shift()) op.destroy();
    }
    this.#state = CLOSED;
    this.#registered = false;
    this.#connected = false;
    this.#connecting = false;
    this.#deferred = [];
    this.#dropKept();
    this.#dropSocket();
  }
}

function noop(): void {
  // A callback of a socket that is gone.
}
