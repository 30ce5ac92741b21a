import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { getAssociatedAllocator } from '../associations/associate.js';
import { getAssociatedCancellationSlot } from '../associations/bind-cancellation-slot.js';
import { CancellationType } from '../cancellation/cancellation-type.js';
import { OPERATION_ABORTED } from '../cancellation/operation-aborted.js';
import { END_OF_STREAM } from '../errors/end-of-stream.js';
import { IoError } from '../errors/io-error.js';
import type { IoContext, IoService } from '../io-context/io-context.js';
import { ConnectOp } from '../ops/connect-op.js';
import { OpQueue } from '../ops/op-queue.js';
import type { Operation } from '../ops/operation.js';
import { ReadSomeOp } from '../ops/read-some-op.js';
import { WriteSomeOp } from '../ops/write-some-op.js';
import type { Handler } from '../tokens/completion-token.js';
import { ChunkTransport } from './chunk-transport.js';
import { READ_LANDING_SIZE } from './handle-transport.js';
import { acceptedTransport, connectingTransport, tlsTransport } from './stream-transports.js';
import {
  TRANSPORT_WRITE_DONE,
  TRANSPORT_WRITE_PENDING,
  type StreamSink,
  type StreamTransport,
  type TransportKind,
  type TransportSocket,
} from './stream-transport.js';
import { defaultTransport, nativeAddonFor } from './transport-choice.js';
import { sameBytes } from './same-bytes.js';

/**
 * What `shutdown(how)` accepts.
 *
 * @example
 * ```ts
 * const how: ShutdownType = halfClose ? 'send' : 'both';
 * socket.shutdown(how);
 * ```
 *
 * @category Stream sockets
 */
export type ShutdownType = 'send' | 'receive' | 'both';

/**
 * What a stream socket's `transportStats()` reports: which transport moves
 * its bytes and what that cost.
 *
 * @example
 * ```ts
 * const { transport, bytesCopied, readStarts } = socket.transportStats();
 * console.log(`${transport}: ${bytesCopied} bytes copied, reading started ${readStarts} times`);
 * ```
 *
 * @category Stream sockets
 */
export interface TransportStats {
  /** The transport of the current connection (of the last one once closed; `null` before one is opened). */
  readonly transport: TransportKind | null;
  /** Bytes received that did not land in the caller's buffer directly and were copied into it (or kept for a later read). */
  readonly bytesCopied: number;
  /** How many times reading was started on the handle (an `epoll_ctl` each); 0 on the chunk transport. */
  readonly readStarts: number;
}

function asRead(op: Operation | null): ReadSomeOp | null {
  return op instanceof ReadSomeOp ? op : null;
}

function asWrite(op: Operation | null): WriteSomeOp | null {
  return op instanceof WriteSomeOp ? op : null;
}

/**
 * @internal The protocol-free engine under every stream socket: the
 * connect, read and write queues, sticky errors, cancellation, shutdown and
 * the orphan-write rule, driving one `StreamTransport` at a time without
 * asking which one it is. The front-ends (`TcpSocket`, `UnixSocket`) only
 * validate, name endpoints and set options.
 *
 * Rules it keeps:
 * - no handler runs inside the call that started its operation;
 * - reads (and writes) queue in FIFO order; data and eof never come
 *   together; bytes that arrive with no read to take them are kept, in
 *   order, for the next reads;
 * - a write completes once every byte is handed to the kernel (or the
 *   stream); after a write is abandoned in flight (terminal cancellation,
 *   `cancel()`), its late completion is swallowed (the orphan-write rule),
 *   so it can never complete the next write early;
 * - the first read error (eof included) and the first write error stick.
 */
export class StreamCore implements StreamSink {
  readonly context: IoContext;
  /** The front-end object handler tracking names (`socket@0x…`). */
  readonly #owner: object;
  #transport: StreamTransport | null = null;
  #open = false;
  #connecting = false;
  #registered = false;
  #connectOp: ConnectOp | null = null;
  readonly #reads = new OpQueue();
  readonly #writes = new OpQueue();
  readonly #doomed = new OpQueue();
  #readError: IoError | null = null;
  #writeError: IoError | null = null;
  /** `shutdown('send')` came while writes were queued: the end goes out once they have all been handed on. */
  #endAfterWrites = false;
  /** What reads get once the peer has finished: `eof`, unless a layer above said otherwise (`endWith`). */
  #endError: IoError = END_OF_STREAM;
  /** `startRead` was called for the front read and not yet served. */
  #readStarted = false;
  /** Bytes received and not yet delivered: `#spill[#spillStart, #spillEnd)`. */
  #spill: Uint8Array | null = null;
  #spillStart = 0;
  #spillEnd = 0;
  /** A buffer of the core's own for bytes it must keep from memory the transport reuses. */
  #spillStore: Buffer | null = null;
  #writeActive = false;
  #orphanWrites = 0;
  #bytesCopied = 0;
  #readStartsBefore = 0;
  /** The kind of the transport of the current (or, once closed, the last) connection. */
  #kind: TransportKind | null = null;
  /** The Node socket lent to a layer above (`lendSocket`), kept for endpoints and options. */
  #lent: net.Socket | null = null;
  /** Closes the layer the socket was lent to, when this stream is closed. */
  #lentClose: (() => void) | null = null;
  /** The transport asked for (the front-end's `transport` option), else `defaultTransport()`. */
  readonly #preferred: TransportKind | undefined;

  readonly #service: IoService = {
    shutdown: (): void => {
      this.#destroyAll();
    },
  };

  constructor(ctx: IoContext, owner: object, preferred?: TransportKind) {
    this.context = ctx;
    this.#owner = owner;
    this.#preferred = preferred;
  }

  isOpen(): boolean {
    return this.#open;
  }

  /** The kind of the current (or, once closed, the last) connection's transport, `null` before one. */
  transportKind(): TransportKind | null {
    return this.#kind;
  }

  transportStats(): TransportStats {
    return {
      transport: this.transportKind(),
      bytesCopied: this.#bytesCopied,
      readStarts: this.#readStartsBefore + (this.#transport?.readStarts ?? 0),
    };
  }

  /** What answers for the connected stream's endpoints and options; throws `IoError` when closed or not connected. */
  connectedSocket(what: string): TransportSocket {
    if (!this.#open) throw new IoError('bad_descriptor', `${what}: the socket is closed`);
    const socket = this.#transport?.socket ?? this.#lent;
    if (socket === null || this.#connecting) throw new IoError('not_connected', `${what}: the socket is not connected`);
    return socket;
  }

  /** Takes over a stream through the chunk transport (`fromNetSocket`). */
  adopt(stream: Duplex): void {
    this.#attach(new ChunkTransport(this, stream));
  }

  /**
   * Takes over a `tls.TLSSocket`: the handle transport where Node lets its
   * reads land in user buffers, else the chunk transport (said once on the
   * `proactor:transport` channel).
   */
  adoptTls(tlsSocket: net.Socket): void {
    this.#resetStreamState();
    this.#attach(tlsTransport(this, tlsSocket));
  }

  /**
   * Lends the connected Node socket to a layer above (TLS), when nothing is
   * pending on it and no received bytes are kept: this stream then has no
   * transport (its reads and writes fail with `not_connected`), still names
   * its endpoints, and `close()` calls `onClose`. Returns `null`, changing
   * nothing, when the socket cannot be lent.
   */
  lendSocket(onClose: () => void): net.Socket | null {
    const transport = this.#transport;
    if (!this.#open || transport === null || this.#connecting || this.#spill !== null) return null;
    if (this.#reads.front() !== null || this.#writes.front() !== null || this.#writeActive || this.#readError !== null) return null;
    const socket = transport.release();
    if (socket === null) return null;
    this.#readStartsBefore += transport.readStarts;
    this.#transport = null;
    this.#lent = socket;
    this.#lentClose = onClose;
    return socket;
  }

  /** Takes over a connection an acceptor took (a libuv handle, or the addon's socket). */
  acceptHandle(handle: unknown): void {
    this.#attach(acceptedTransport(this, handle, this.#preferred ?? defaultTransport()));
  }

  // ---- initiation: allocate, init, tracking, work started, then the op's own start ----

  startConnect(handler: Handler, target: net.NetConnectOpts, what: string): void {
    const ctx = this.context;
    const kind = this.#preferred ?? defaultTransport();
    nativeAddonFor(kind, what); // throws, before anything is allocated, where the native transport is asked for and absent
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(ConnectOp).init(handler, allocator, this);
    this.#begin(op, 'async_connect');
    if (this.#connecting) {
      ctx.enqueue(op.finish(new IoError('already_started', `${what}: a connect is already in progress`)));
      return;
    }
    if (this.#transport !== null) {
      ctx.enqueue(op.finish(new IoError('already_connected')));
      return;
    }
    this.#resetStreamState();
    this.#connecting = true;
    this.#connectOp = op;
    this.#attach(connectingTransport(this, target, kind, what));
    const slot = getAssociatedCancellationSlot(handler);
    if (slot !== null) op.installSlot(slot);
  }

  startReadSome(handler: Handler<[number]>, buf: Uint8Array): void {
    const ctx = this.context;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(ReadSomeOp).init(handler, buf, allocator, this);
    this.#begin(op, 'async_receive');
    const early = this.#earlyError();
    if (early !== null) {
      ctx.enqueue(op.finish(early, 0));
    } else if (buf.length === 0) {
      ctx.enqueue(op);
    } else {
      this.#reads.push(op);
      this.#pumpReads();
      const slot = getAssociatedCancellationSlot(handler);
      if (slot !== null) op.installSlot(slot); // only if still pending
    }
  }

  startWriteSome(handler: Handler<[number]>, bufs: Uint8Array | readonly Uint8Array[], total: number): void {
    const ctx = this.context;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(WriteSomeOp).init(handler, bufs, total, allocator, this);
    this.#begin(op, 'async_send');
    const early = this.#earlyError();
    if (early !== null) {
      ctx.enqueue(op.finish(early, 0));
    } else if (total === 0) {
      ctx.enqueue(op);
    } else if (this.#writeError !== null || this.#endAfterWrites) {
      ctx.enqueue(op.finish(this.#writeError ?? new IoError('shut_down'), 0));
    } else {
      this.#writes.push(op);
      if (!this.#writeActive) this.#pumpWrites();
      const slot = getAssociatedCancellationSlot(handler);
      if (slot !== null) op.installSlot(slot); // only if still pending
    }
  }

  /** The one start path of this stream's ops: statistics, handler tracking, outstanding work. */
  #begin(op: Operation, name: string): void {
    const ctx = this.context;
    ctx.startOperation(op, 'socket', this.#owner, name);
  }

  // ---- cancellation, shutdown, close ----

  /**
   * Withdraws one pending operation with `operation_aborted` (queued, never
   * invoked here). Connects, reads and writes waiting behind another write
   * are withdrawn for any type; the write in progress only for `terminal`.
   */
  abortOperation(op: Operation, type: CancellationType = CancellationType.terminal): boolean {
    if (op === this.#connectOp) {
      this.#abortConnect(OPERATION_ABORTED);
      return true;
    }
    const readFront = this.#reads.front() === op;
    if (this.#reads.remove(op)) {
      if (readFront) this.#stopReading();
      this.context.enqueue(asRead(op)!.finish(OPERATION_ABORTED, 0));
      this.#pumpReads();
      return true;
    }
    const inFlight = this.#writes.front() === op && this.#writeActive;
    // Bytes handed to the transport cannot be recalled: only terminal cancellation may abandon them.
    if (inFlight && (type & CancellationType.terminal) === 0) return false;
    if (this.#writes.remove(op)) {
      if (inFlight) {
        this.#orphanWrites++;
        this.#writeActive = false;
      }
      this.context.enqueue(asWrite(op)!.finish(OPERATION_ABORTED, 0));
      if (!this.#writeActive) this.#pumpWrites();
      return true;
    }
    return false;
  }

  cancel(): void {
    if (!this.#open) return;
    this.context.tracker?.operation('socket', this.#owner, 'cancel');
    this.#abortPending();
  }

  close(): void {
    if (!this.#open) return;
    this.context.tracker?.operation('socket', this.#owner, 'close');
    this.#endAfterWrites = false; // closing: no end goes out first
    this.#abortPending();
    this.#open = false;
    this.#detach();
    this.#closeLent();
    if (this.#registered) {
      this.#registered = false;
      this.context.removeService(this.#service);
    }
  }

  shutdown(how: ShutdownType, what: string): void {
    this.connectedSocket(what);
    if (how !== 'send') {
      this.#readError ??= END_OF_STREAM;
      this.#stopReading();
      this.#failReads(this.#readError);
    }
    if (how !== 'receive') {
      if (this.#writeError === null && !this.#writes.isEmpty()) this.#endAfterWrites = true;
      else this.#end(this.#transport!);
    }
  }

  // ---- StreamSink: what the transport reports ----

  readInto(buf: Uint8Array, n: number, copied = 0): void {
    const op = asRead(this.#reads.front());
    if (op === null || !sameBytes(op.buffer!, buf)) {
      this.readCopy(buf, 0, n, false); // the read it was meant for is gone: keep the bytes
      return;
    }
    this.#bytesCopied += copied;
    this.#reads.shift();
    this.#readStarted = false;
    this.context.completeFromIo(op.finish(null, n));
    this.#pumpReads();
  }

  readCopy(src: Uint8Array, start: number, end: number, stable: boolean): void {
    this.#readStarted = false;
    const op = asRead(this.#reads.shift());
    let from = start;
    if (op !== null) {
      const buf = op.buffer!;
      const n = Math.min(end - start, buf.length);
      buf.set(src.subarray(start, start + n));
      this.#bytesCopied += n;
      from += n;
      this.context.completeFromIo(op.finish(null, n));
    }
    if (from < end) this.#keep(src, from, end, stable);
    this.#pumpReads();
  }

  readKept(src: Uint8Array, start: number, end: number): void {
    if (start < end) this.#keep(src, start, end, false);
  }

  /**
   * Makes the end of the stream that follows read as `err` instead of `eof`
   * (TLS: the connection under it ended without close_notify). Takes effect
   * only if the end has not been reported yet.
   */
  endWith(err: IoError): void {
    this.#endError = err;
  }

  readEnded(): void {
    this.#readError ??= this.#endError;
    this.#failReads(this.#readError);
  }

  writeDone(err: IoError | null): void {
    if (this.#orphanWrites > 0) {
      this.#orphanWrites--;
      return;
    }
    const op = asWrite(this.#writes.shift());
    this.#writeActive = false;
    if (op === null) return;
    if (err !== null) {
      this.#writeError ??= err;
      op.finish(err, 0);
    } else {
      op.finish(null, op.total);
    }
    this.context.completeFromIo(op);
    if (!this.#writeActive) this.#pumpWrites();
  }

  connected(): void {
    this.#connecting = false;
    const op = this.#connectOp;
    if (op === null) return;
    this.#connectOp = null;
    this.context.completeFromIo(op.finish(null));
  }

  failed(err: IoError): void {
    this.#fail(err);
  }

  closed(): void {
    this.#readError ??= this.#endError;
    this.#writeError ??= new IoError('broken_pipe');
    this.#fail(this.#writeError);
  }

  wantsIdleRead(): boolean {
    return this.#spill === null && this.#readError === null && this.#transport !== null;
  }

  // ---- internals ----

  #earlyError(): IoError | null {
    if (!this.#open) return new IoError('bad_descriptor');
    if (this.#transport === null || this.#connecting) return new IoError('not_connected');
    return null;
  }

  #attach(transport: StreamTransport): void {
    this.#transport = transport;
    this.#kind = transport.kind;
    this.#open = true;
    if (!this.#registered) {
      this.#registered = true;
      this.context.addService(this.#service);
    }
  }

  #detach(): void {
    const transport = this.#transport;
    if (transport === null) return;
    this.#transport = null;
    this.#connecting = false;
    this.#readStartsBefore += transport.readStarts;
    this.#readStarted = false;
    transport.destroy();
  }

  #closeLent(): void {
    const onClose = this.#lentClose;
    const lent = this.#lent;
    this.#lent = null;
    this.#lentClose = null;
    onClose?.();
    lent?.destroy();
  }

  #resetStreamState(): void {
    this.#readError = null;
    this.#writeError = null;
    this.#endAfterWrites = false;
    this.#endError = END_OF_STREAM;
    this.#readStarted = false;
    this.#spill = null;
    this.#spillStart = 0;
    this.#spillEnd = 0;
    this.#writeActive = false;
    this.#orphanWrites = 0;
  }

  #abortConnect(err: IoError): void {
    const op = this.#connectOp;
    this.#connectOp = null;
    this.#detach();
    if (op !== null) this.context.enqueue(op.finish(err));
  }

  /** Keeps `src[from, end)` for later reads, after what is kept already. */
  #keep(src: Uint8Array, from: number, end: number, stable: boolean): void {
    const n = end - from;
    this.#bytesCopied += stable && this.#spill === null ? 0 : n;
    if (this.#spill === null) {
      if (stable) {
        this.#spill = src;
        this.#spillStart = from;
        this.#spillEnd = end;
        return;
      }
      const store = (this.#spillStore ??= Buffer.allocUnsafe(READ_LANDING_SIZE));
      const target = n <= store.length ? store : Buffer.allocUnsafe(n);
      target.set(src.subarray(from, end));
      this.#spill = target;
      this.#spillStart = 0;
      this.#spillEnd = n;
      return;
    }
    // More bytes behind bytes already kept (a stream that delivered past a pause): join them.
    const kept = this.#spillEnd - this.#spillStart;
    const joined = Buffer.allocUnsafe(kept + n);
    joined.set(this.#spill.subarray(this.#spillStart, this.#spillEnd));
    joined.set(src.subarray(from, end), kept);
    this.#spill = joined;
    this.#spillStart = 0;
    this.#spillEnd = kept + n;
  }

  /** Serves queued reads from kept bytes or a sticky error, then starts reading for the front one. */
  #pumpReads(): void {
    const reads = this.#reads;
    const ctx = this.context;
    for (;;) {
      const op = asRead(reads.front());
      if (op === null) return;
      const spill = this.#spill;
      if (spill !== null) {
        reads.shift();
        const buf = op.buffer!;
        const n = Math.min(buf.length, this.#spillEnd - this.#spillStart);
        buf.set(spill.subarray(this.#spillStart, this.#spillStart + n));
        this.#bytesCopied += n;
        this.#spillStart += n;
        if (this.#spillStart === this.#spillEnd) this.#spill = null;
        ctx.enqueue(op.finish(null, n));
        continue;
      }
      if (this.#readError !== null) {
        reads.shift();
        ctx.enqueue(op.finish(this.#readError, 0));
        continue;
      }
      if (!this.#readStarted && this.#transport !== null) {
        this.#readStarted = true;
        this.#transport.startRead(op.buffer!);
      }
      return;
    }
  }

  #stopReading(): void {
    this.#readStarted = false;
    this.#transport?.stopRead();
  }

  /** Sends the end of the stream: later writes fail with `shut_down`. */
  #end(transport: StreamTransport): void {
    this.#endAfterWrites = false;
    this.#writeError ??= new IoError('shut_down');
    transport.end();
  }

  /**
   * Hands the front write to the transport; writes it takes at once
   * complete through the queue. Once the queue is empty, a deferred
   * `shutdown('send')` sends the end.
   */
  #pumpWrites(): void {
    const ctx = this.context;
    for (;;) {
      const op = asWrite(this.#writes.front());
      const transport = this.#transport;
      if (transport === null) return;
      if (op === null) {
        if (this.#endAfterWrites) this.#end(transport);
        return;
      }
      if (this.#writeError !== null) {
        for (let o = this.#writes.shift(); o !== null; o = this.#writes.shift()) {
          ctx.enqueue(asWrite(o)!.finish(this.#writeError, 0));
        }
        if (this.#endAfterWrites) this.#end(transport);
        return;
      }
      this.#writeActive = true;
      const result = transport.write(op.buffers!);
      if (result === TRANSPORT_WRITE_PENDING) return;
      this.#writeActive = false;
      this.#writes.shift();
      if (result === TRANSPORT_WRITE_DONE) {
        ctx.enqueue(op.finish(null, op.total));
      } else if (typeof result !== 'number') {
        this.#writeError ??= result;
        ctx.enqueue(op.finish(result, 0));
      }
    }
  }

  /** Completes every pending read with `err`. */
  #failReads(err: IoError): void {
    this.#readStarted = false;
    const doomed = this.#doomed;
    doomed.append(this.#reads);
    for (let op = doomed.shift(); op !== null; op = doomed.shift()) {
      this.context.completeFromIo(asRead(op)!.finish(err, 0));
    }
  }

  /** The stream failed or closed: pending reads and writes (and a connect) complete with the error. */
  #fail(err: IoError): void {
    this.#readError ??= err;
    this.#writeError ??= err;
    const connectOp = this.#connectOp;
    if (connectOp !== null) {
      this.#connectOp = null;
      this.#detach();
      this.context.completeFromIo(connectOp.finish(err));
    }
    this.#failReads(this.#readError);
    if (this.#writeActive) {
      this.#writeActive = false;
      this.#orphanWrites++;
    }
    const doomed = this.#doomed;
    doomed.append(this.#writes);
    for (let op = doomed.shift(); op !== null; op = doomed.shift()) {
      this.context.completeFromIo(asWrite(op)!.finish(err, 0));
    }
  }

  #abortPending(): void {
    const aborted = OPERATION_ABORTED;
    if (this.#connectOp !== null) this.#abortConnect(aborted);
    this.#stopReading();
    for (let op = this.#reads.shift(); op !== null; op = this.#reads.shift()) {
      this.context.enqueue(asRead(op)!.finish(aborted, 0));
    }
    if (this.#writeActive) {
      this.#orphanWrites++;
      this.#writeActive = false;
    }
    for (let op = this.#writes.shift(); op !== null; op = this.#writes.shift()) {
      this.context.enqueue(asWrite(op)!.finish(aborted, 0));
    }
    this.#pumpWrites(); // a deferred shutdown('send') goes out now
  }

  /** Context shutdown: destroy pending operations without invoking them, and close. */
  #destroyAll(): void {
    const connectOp = this.#connectOp;
    this.#connectOp = null;
    connectOp?.destroy();
    for (let op = this.#reads.shift(); op !== null; op = this.#reads.shift()) op.destroy();
    for (let op = this.#writes.shift(); op !== null; op = this.#writes.shift()) op.destroy();
    this.#writeActive = false;
    this.#open = false;
    this.#registered = false;
    this.#detach();
    this.#closeLent();
  }
}
