import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Allocator } from '../allocation/allocator.js';
import { getAssociatedAllocator } from '../allocation/associate.js';
import { getAssociatedCancellationSlot } from '../cancellation/bind-cancellation-slot.js';
import { CancellationType } from '../cancellation/cancellation-type.js';
import { OPERATION_ABORTED } from '../cancellation/operation-aborted.js';
import { fromNodeError } from '../errors/from-node-error.js';
import { IoError } from '../errors/io-error.js';
import type { IoContext, IoService } from '../io-context/io-context.js';
import { ConnectOp } from '../ops/connect-op.js';
import { OpQueue } from '../ops/op-queue.js';
import type { Operation } from '../ops/operation.js';
import { ReadSomeOp } from '../ops/read-some-op.js';
import { WriteSomeOp } from '../ops/write-some-op.js';
import { asyncInitiate } from '../tokens/async-initiate.js';
import type { CompletionResult, CompletionToken, Handler } from '../tokens/completion-token.js';
import { checkPort, familyOf, hostOf, type ConnectTarget, type Endpoint } from './endpoint.js';
import { checkNotDetached } from './detached.js';
import { errnoError } from './errno.js';
import {
  captureWriteReqDuring,
  nativeWritesReady,
  newWriteReq,
  retireWriteReq,
  shouldCaptureWriteReq,
  type NativeWriteHandle,
  type NativeWriteReq,
} from './native-write.js';

/**
 * How many times one socket re-registers a different read buffer with its
 * handle before it switches to a socket-owned landing buffer (see
 * `TcpSocket.asyncReadSome`). Each registration keeps a small native record
 * until the socket closes, so the count is bounded.
 *
 * @example
 * ```ts
 * // Reads into a rotating set of buffers: each new buffer is one retarget.
 * const pool = [Buffer.alloc(4096), Buffer.alloc(4096)];
 * let i = 0;
 * const onRead = (err: IoError | null, n: number): void => {
 *   if (err) return socket.close();
 *   i = (i + 1) % pool.length;
 *   socket.asyncReadSome(pool[i]!, onRead); // started from a read handler: switched for free
 * };
 * socket.asyncReadSome(pool[0]!, onRead);
 * // Reads started elsewhere with ever new buffers copy through a landing
 * // buffer once READ_RETARGET_LIMIT registrations are used up.
 * ```
 */
export const READ_RETARGET_LIMIT = 64;

/**
 * The size of the socket-owned landing buffer used past `READ_RETARGET_LIMIT`.
 *
 * @example
 * ```ts
 * // A read buffer larger than this gains nothing on a socket that has used
 * // up its retargets: each read copies at most READ_LANDING_SIZE bytes.
 * const buf = Buffer.alloc(Math.min(wanted, READ_LANDING_SIZE));
 * ```
 */
export const READ_LANDING_SIZE = 65536;

/**
 * When a read of at most this many bytes completes and no other read is
 * pending, the handle keeps reading (into a landing buffer of this size
 * shared by all sockets) instead of stopping: stopping and restarting for
 * the next read costs two `epoll_ctl` calls, more than copying this many
 * bytes into the next read's buffer. Bytes that arrive before the next read
 * is started are kept for it, and reading stops then, so a socket nobody
 * reads holds at most this many bytes.
 */
export const IDLE_READ_LIMIT = 16384;

/** The landing buffer of handles reading with no read pending (see `IDLE_READ_LIMIT`). */
let idleLanding: Buffer | null = null;

/** @internal The parts of a libuv stream handle (`socket._handle`) this module drives. */
export interface NativeStreamHandle extends NativeWriteHandle {
  reading: boolean;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Uint8Array): void;
}

interface HandleHolder {
  _handle: NativeStreamHandle | null;
}

/**
 * What `shutdown(how)` accepts.
 *
 * @example
 * ```ts
 * const how: ShutdownType = halfClose ? 'send' : 'both';
 * socket.shutdown(how);
 * ```
 */
export type ShutdownType = 'send' | 'receive' | 'both';

const EMPTY = new Uint8Array(0);

function asRead(op: Operation | null): ReadSomeOp | null {
  return op instanceof ReadSomeOp ? op : null;
}

function asWrite(op: Operation | null): WriteSomeOp | null {
  return op instanceof WriteSomeOp ? op : null;
}

function swallowError(): void {
  // A socket we have let go of may still report an error while it closes.
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a === b || (a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.byteLength === b.byteLength);
}

function checkBuffer(buf: unknown, what: string): Uint8Array {
  if (!(buf instanceof Uint8Array)) throw new TypeError(`${what}: the buffer must be a Uint8Array (or Buffer)`);
  checkNotDetached(buf, what);
  return buf;
}

function totalLength(buffers: unknown, what: string): number {
  if (buffers instanceof Uint8Array) {
    checkNotDetached(buffers, what);
    return buffers.length;
  }
  if (!Array.isArray(buffers)) throw new TypeError(`${what}: expected a Uint8Array or an array of Uint8Array`);
  let total = 0;
  for (const b of buffers as unknown[]) {
    if (!(b instanceof Uint8Array)) throw new TypeError(`${what}: every element of the buffer array must be a Uint8Array`);
    checkNotDetached(b, what);
    total += b.length;
  }
  return total;
}

function initiateReadSome(handler: Handler<[number]>, socket: TcpSocket, buf: Uint8Array): void {
  socket.startReadSome(handler, buf);
}

function initiateWriteSome(handler: Handler<[number]>, socket: TcpSocket, bufs: Uint8Array | readonly Uint8Array[], total: number): void {
  socket.startWriteSome(handler, bufs, total);
}

function initiateConnect(handler: Handler, socket: TcpSocket, host: string, port: number): void {
  socket.startConnect(handler, host, port);
}

/**
 * A TCP stream socket on Node's `net.Socket`, with asio's `tcp::socket`
 * semantics.
 *
 * Reads: a socket made by `asyncConnect` or accepted by `TcpAcceptor` reads
 * straight into the caller's buffer (Node's user-buffer `onread` mode), so
 * no `Buffer` is made per read. After a small read with no other read
 * pending, the handle keeps reading into a shared landing buffer for the
 * next read (whose bytes are then copied) instead of stopping and
 * restarting, and stops once `IDLE_READ_LIMIT` bytes have arrived with no
 * read to take them (see `IDLE_READ_LIMIT`).
 *
 * Writes: a direct socket writes on its handle with a reused request, so a
 * write the kernel takes at once allocates nothing; it still completes
 * through the run loop.
 *
 * A socket adopted with `fromNetSocket` (including a `tls.TLSSocket`, whose
 * plaintext only exists as decrypted chunks) reads through the stream's
 * `'data'` chunks, copying them into the caller's buffer, and writes through
 * `net.Socket.write`.
 *
 * Results: a read completes with `0 < n <= buf.length`; at the end of the
 * stream, after all data, with `(eof, 0)`; data and eof never come together.
 * A write completes once Node has handed all of its bytes to the kernel, so
 * one socket never buffers more than the writes its caller has pending.
 * Reads (and writes) issued while another is pending queue in FIFO order.
 * No handler ever runs inside the call that started its operation.
 *
 * Errors: `close()` completes pending operations with `operation_aborted`
 * and later ones with `bad_descriptor`; `cancel()` aborts pending operations
 * and leaves the socket open; a peer reset is `connection_reset`; a refused
 * connect is `connection_refused`; reads and writes on a socket that is open
 * but not connected are `not_connected`.
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
 */
export class TcpSocket {
  /** The context whose run loop invokes this socket's handlers. */
  readonly context: IoContext;

  #sock: net.Socket | null = null;
  /** Reads land in user buffers through the handle (false: copied from `'data'` chunks). */
  #direct = false;
  #open = false;
  #connecting = false;
  #registered = false;
  #connectOp: ConnectOp | null = null;
  readonly #reads = new OpQueue();
  readonly #writes = new OpQueue();
  readonly #doomed = new OpQueue();
  #readError: IoError | null = null;
  #writeError: IoError | null = null;
  /** I/O is started for the front read. */
  #reading = false;
  /** The handle reads into `idleLanding` while no read is pending (see `IDLE_READ_LIMIT`). */
  #idle = false;
  #inReadCallback = false;
  /** The buffer the handle fills on its next read. */
  #landing: Uint8Array = EMPTY;
  #nextLanding: Uint8Array = EMPTY;
  #retargets = 0;
  #scratch: Buffer | null = null;
  /** Bytes received and not yet delivered: `#spill[#spillStart, #spillEnd)`. */
  #spill: Uint8Array | null = null;
  #spillStart = 0;
  #spillEnd = 0;
  #writeActive = false;
  #orphanWrites = 0;
  /** The request object of this socket's handle writes (see native-write.ts). */
  #writeReq: NativeWriteReq | null = null;
  /** `#writeReq` went asynchronous since it was last known to be free. */
  #writeReqUsed = false;

  readonly #service: IoService = {
    shutdown: (): void => {
      this.#destroyAll();
    },
  };

  readonly #onReadBuffer = (): Uint8Array => {
    this.#landing = this.#nextLanding;
    return this.#landing;
  };

  readonly #onReadData = (nread: number): boolean => this.#readArrived(nread);

  readonly #onData = (chunk: Buffer): void => {
    this.#chunkArrived(chunk);
  };

  readonly #onEnd = (): void => {
    this.#readError ??= new IoError('eof');
    this.#failReads(this.#readError);
  };

  readonly #onError = (error: Error): void => {
    this.#fail(fromNodeError(error));
  };

  readonly #onClose = (): void => {
    this.#readError ??= new IoError('eof');
    this.#writeError ??= new IoError('broken_pipe');
    this.#fail(this.#writeError);
  };

  readonly #onConnect = (): void => {
    this.#connecting = false;
    const op = this.#connectOp;
    if (op === null) return;
    this.#connectOp = null;
    this.context.completeFromIo(op.finish(null));
  };

  readonly #onWriteDone = (error?: Error | null): void => {
    this.#writeDone(error ? fromNodeError(error) : null);
  };

  /** A handle write that went asynchronous has finished (`status < 0`: a libuv error). */
  readonly #onNativeWriteDone = (status: number): void => {
    this.#writeDone(status < 0 ? errnoError(status, 'write') : null);
  };

  /** The write in progress finished, through Node or straight on the handle: complete it and start the next. */
  #writeDone(err: IoError | null): void {
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

  /** An unopened socket: `asyncConnect` opens and connects it. */
  constructor(ctx: IoContext) {
    if (typeof ctx !== 'object' || ctx === null || typeof ctx.completeFromIo !== 'function') {
      throw new TypeError('TcpSocket: the first argument must be an IoContext');
    }
    this.context = ctx;
  }

  /**
   * Adopts a connected (or connecting) `net.Socket` or `tls.TLSSocket`.
   * Its reads copy from the stream's chunks into the caller's buffer (the
   * zero-copy path needs the socket to be created by this module); a plain
   * `net.Socket` is switched to `allowHalfOpen` so reading eof leaves the
   * sending side open, as in asio. The adopted socket must have no `'data'`
   * or `'readable'` listeners of its own.
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
    if (!(socket instanceof net.Socket)) throw new TypeError('TcpSocket.fromNetSocket: expected a net.Socket or tls.TLSSocket');
    if (socket.destroyed) throw new TypeError('TcpSocket.fromNetSocket: the socket is already destroyed');
    const s = new TcpSocket(ctx);
    if (!(socket instanceof tls.TLSSocket)) socket.allowHalfOpen = true;
    socket.pause();
    s.#attach(socket, false);
    socket.on('data', s.#onData);
    return s;
  }

  /** @internal Wraps a TCP handle accepted by `TcpAcceptor` (reading stopped). */
  static fromAcceptedHandle(ctx: IoContext, handle: unknown): TcpSocket {
    const s = new TcpSocket(ctx);
    const options = {
      handle,
      allowHalfOpen: true,
      pauseOnCreate: true,
      readable: true,
      writable: true,
      onread: { buffer: s.#onReadBuffer, callback: s.#onReadData },
    };
    const socket = new net.Socket(options);
    s.#attach(socket, true);
    return s;
  }

  /**
   * Whether the socket is open (connected, connecting, or left open by a failed connect).
   *
   * @example
   * ```ts
   * const socket = new TcpSocket(ctx);
   * socket.isOpen(); // false: asyncConnect opens it
   * socket.asyncConnect({ host: '127.0.0.1', port: 5555 }, () => undefined);
   * socket.isOpen(); // true, while connecting
   * ```
   */
  isOpen(): boolean {
    return this.#open;
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
    return asyncInitiate<[], T, TcpSocket, string, number>(initiateConnect, token, this, host, port);
  }

  /**
   * Reads at least one byte into `buf`. Completion signature: `(err, n)`
   * with `0 < n <= buf.length`, or `(eof, 0)` at the end of the stream; a
   * zero-length `buf` completes with `(null, 0)`. `buf` belongs to the
   * socket until the handler runs.
   *
   * Zero-copy detail: the handle keeps filling the buffer of the previous
   * read until told otherwise, and Node switches it only when a read
   * arrives. A read started from the previous read's handler (directly or
   * through a composed operation) is switched for free; a read into the same
   * buffer again needs nothing; any other buffer is registered with the
   * handle, up to `READ_RETARGET_LIMIT` times per socket, after which reads
   * that were not started from a read handler land in a socket-owned
   * `READ_LANDING_SIZE` buffer and are copied.
   *
   * Per-operation cancellation (a slot bound with `bindCancellationSlot`,
   * or an `AbortSignal` through `withAbortSignal`/`bindAbortSignal`):
   * terminal, partial and total. Only this read is withdrawn; it completes
   * with `(operation_aborted, 0)`, no byte of the stream has been consumed
   * for it, and the socket stays usable: the next read gets the next bytes.
   *
   * @example
   * ```ts
   * const buf = Buffer.alloc(65536);
   * const onRead: Handler<[number]> = (err, n) => {
   *   if (err) return socket.close(); // eof: the peer finished sending
   *   process.stdout.write(buf.subarray(0, n)); // copy out what you keep: buf is reused
   *   socket.asyncReadSome(buf, onRead);
   * };
   * socket.asyncReadSome(buf, onRead);
   * ```
   */
  asyncReadSome<T extends CompletionToken<[number]>>(buf: Uint8Array, token: T): CompletionResult<T, [number]> {
    checkBuffer(buf, 'TcpSocket.asyncReadSome');
    return asyncInitiate<[number], T, TcpSocket, Uint8Array>(initiateReadSome, token, this, buf);
  }

  /**
   * Writes `bufs` (one buffer, or an array written as one gathered write).
   * Completion signature: `(err, n)` with `n` the total length, once Node has
   * handed every byte to the kernel. The bytes must stay unchanged until the
   * handler runs. A zero-length write completes with `(null, 0)`.
   *
   * Per-operation cancellation (a slot bound with `bindCancellationSlot`,
   * or an `AbortSignal` through `withAbortSignal`/`bindAbortSignal`)
   * depends on where the bytes are, since bytes handed to Node cannot be
   * recalled:
   * - while the write waits behind an earlier write of this socket, none of
   *   its bytes has left: terminal, partial and total all withdraw it, it
   *   completes with `(operation_aborted, 0)`, and the socket is as if it
   *   had never been started;
   * - once it is the write in progress, Node holds its bytes and some may
   *   already be in the kernel. `partial` and `total` cannot be honoured and
   *   are ignored: the write completes as usual. `terminal` is honoured: the
   *   handler gets `(operation_aborted, 0)` at once, but Node still sends
   *   every byte of it (in order, before any later write) and still reads
   *   them from the caller's buffer until they are sent or the socket is
   *   closed. As asio's terminal type says, closing the socket is then the
   *   only safe next step; close it before reusing the buffer.
   *
   * @example
   * ```ts
   * const header = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n');
   * const body = Buffer.from('ok');
   * socket.asyncWriteSome([header, body], (err, n) => {
   *   if (err) return socket.close();
   *   // n === header.length + body.length; both buffers may be reused now
   * });
   * ```
   */
  asyncWriteSome<T extends CompletionToken<[number]>>(bufs: Uint8Array | readonly Uint8Array[], token: T): CompletionResult<T, [number]> {
    const total = totalLength(bufs, 'TcpSocket.asyncWriteSome');
    return asyncInitiate<[number], T, TcpSocket, Uint8Array | readonly Uint8Array[], number>(initiateWriteSome, token, this, bufs, total);
  }

  /** @internal The initiation behind `asyncConnect`. */
  startConnect(handler: Handler, host: string, port: number): void {
    const ctx = this.context;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(ConnectOp).init(handler, allocator, this);
    ctx.operationStarted(op, 'socket', this, 'async_connect');
    ctx.workStarted();
    if (this.#connecting) {
      ctx.enqueue(op.finish(new IoError('already_started', 'TcpSocket.asyncConnect: a connect is already in progress')));
      return;
    }
    if (this.#sock !== null) {
      ctx.enqueue(op.finish(new IoError('already_connected')));
      return;
    }
    this.#resetStreamState();
    const socket = new net.Socket({
      allowHalfOpen: true,
      onread: { buffer: this.#onReadBuffer, callback: this.#onReadData },
    } as net.SocketConstructorOpts);
    socket.pause();
    this.#attach(socket, true);
    this.#connecting = true;
    this.#connectOp = op;
    socket.once('connect', this.#onConnect);
    socket.connect({ host, port });
    const slot = getAssociatedCancellationSlot(handler);
    if (slot !== null) op.installSlot(slot);
  }

  /** @internal The initiation behind `asyncReadSome`. */
  startReadSome(handler: Handler<[number]>, buf: Uint8Array): void {
    const ctx = this.context;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(ReadSomeOp).init(handler, buf, allocator, this);
    ctx.operationStarted(op, 'socket', this, 'async_receive');
    ctx.workStarted();
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

  /** @internal The initiation behind `asyncWriteSome`. */
  startWriteSome(handler: Handler<[number]>, bufs: Uint8Array | readonly Uint8Array[], total: number): void {
    const ctx = this.context;
    const allocator: Allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(WriteSomeOp).init(handler, bufs, total, allocator, this);
    ctx.operationStarted(op, 'socket', this, 'async_send');
    ctx.workStarted();
    const early = this.#earlyError();
    if (early !== null) {
      ctx.enqueue(op.finish(early, 0));
    } else if (total === 0) {
      ctx.enqueue(op);
    } else if (this.#writeError !== null) {
      ctx.enqueue(op.finish(this.#writeError, 0));
    } else {
      this.#writes.push(op);
      if (!this.#writeActive) this.#pumpWrites();
      const slot = getAssociatedCancellationSlot(handler);
      if (slot !== null) op.installSlot(slot); // only if still pending
    }
  }

  /**
   * Aborts one pending operation of this socket with `operation_aborted`
   * (the per-operation cancellation path), queued, never invoked here.
   * Connects, reads and writes still waiting behind another write are
   * withdrawn for any type; the write Node already holds only for
   * `terminal` (see `asyncWriteSome`). Returns false when `op` is not
   * pending here or cannot honour `type`.
   * @internal
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
    // Bytes handed to Node cannot be recalled: only terminal cancellation may abandon them.
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

  /**
   * Aborts every pending connect, read and write with `operation_aborted`;
   * the socket stays open. Bytes of a write already passed to Node still go
   * out. An aborted connect leaves the socket open and unconnected.
   *
   * @example
   * ```ts
   * socket.asyncReadSome(buf, (err) => {
   *   if (err?.code === 'operation_aborted') console.log('read cancelled; socket still open');
   * });
   * socket.cancel();
   * ```
   */
  cancel(): void {
    if (!this.#open) return;
    this.context.tracker?.operation('socket', this, 'cancel');
    this.#abortPending();
  }

  #abortPending(): void {
    const aborted = new IoError('operation_aborted');
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
  }

  /**
   * Closes the socket at once (no lingering): pending operations complete
   * with `operation_aborted`, later ones with `bad_descriptor`. Closing a
   * closed socket does nothing.
   *
   * @example
   * ```ts
   * socket.asyncReadSome(buf, (err, n) => {
   *   if (err) {
   *     socket.close(); // eof, connection_reset, …: release the socket
   *     return;
   *   }
   *   // … use buf.subarray(0, n)
   * });
   * ```
   */
  close(): void {
    if (!this.#open) return;
    this.context.tracker?.operation('socket', this, 'close');
    this.#abortPending();
    this.#open = false;
    this.#detach();
    if (this.#registered) {
      this.#registered = false;
      this.context.removeService(this.#service);
    }
  }

  /**
   * Shuts down one or both directions. `'send'` sends FIN after the pending
   * writes (later writes fail with `shut_down`); `'receive'` completes pending
   * and later reads with `eof`. Throws `IoError` `bad_descriptor` on a closed
   * socket and `not_connected` on an unconnected one.
   *
   * @example
   * ```ts
   * // Send the request, then tell the server nothing more is coming.
   * await asyncWrite(socket, request, usePromise);
   * socket.shutdown('send');
   * const [err, n] = await asyncRead(socket, reply, asTuple(usePromise)); // until the server's eof
   * ```
   */
  shutdown(how: ShutdownType): void {
    if (how !== 'send' && how !== 'receive' && how !== 'both') {
      throw new TypeError(`TcpSocket.shutdown: expected 'send', 'receive' or 'both', got ${String(how)}`);
    }
    const socket = this.#connectedSocket('shutdown');
    if (how !== 'send') {
      this.#readError ??= new IoError('eof');
      this.#stopReading();
      this.#failReads(this.#readError);
    }
    if (how !== 'receive') {
      this.#writeError ??= new IoError('shut_down');
      socket.end();
    }
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
    const socket = this.#connectedSocket('localEndpoint');
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
    const socket = this.#connectedSocket('remoteEndpoint');
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
    this.#connectedSocket('setNoDelay').setNoDelay(on);
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
      throw new TypeError(`TcpSocket.setKeepAlive: delayMs must be a non-negative number, got ${String(delayMs)}`);
    }
    this.#connectedSocket('setKeepAlive').setKeepAlive(on, delayMs ?? 0);
  }

  // ---- internals ----

  #connectedSocket(what: string): net.Socket {
    if (!this.#open) throw new IoError('bad_descriptor', `TcpSocket.${what}: the socket is closed`);
    const socket = this.#sock;
    if (socket === null || this.#connecting) throw new IoError('not_connected', `TcpSocket.${what}: the socket is not connected`);
    return socket;
  }

  /** The libuv handle of a direct-mode socket (`null` once Node has closed it). */
  #nativeHandle(): NativeStreamHandle | null {
    const socket = this.#sock;
    return socket === null ? null : (socket as unknown as HandleHolder)._handle;
  }

  #earlyError(): IoError | null {
    if (!this.#open) return new IoError('bad_descriptor');
    if (this.#sock === null || this.#connecting) return new IoError('not_connected');
    return null;
  }

  #attach(socket: net.Socket, direct: boolean): void {
    this.#sock = socket;
    this.#direct = direct;
    this.#open = true;
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    if (!this.#registered) {
      this.#registered = true;
      this.context.addService(this.#service);
    }
  }

  #detach(): void {
    const socket = this.#sock;
    if (socket === null) return;
    this.#sock = null;
    this.#connecting = false;
    socket.removeListener('end', this.#onEnd);
    socket.removeListener('error', this.#onError);
    socket.removeListener('close', this.#onClose);
    socket.removeListener('connect', this.#onConnect);
    socket.removeListener('data', this.#onData);
    socket.on('error', swallowError);
    socket.destroy();
  }

  #resetStreamState(): void {
    this.#readError = null;
    this.#writeError = null;
    this.#reading = false;
    this.#idle = false;
    this.#landing = EMPTY;
    this.#nextLanding = EMPTY;
    this.#spill = null;
    this.#spillStart = 0;
    this.#spillEnd = 0;
    this.#writeActive = false;
    this.#orphanWrites = 0;
    if (this.#writeReq !== null) {
      retireWriteReq(this.#writeReq); // a write of the previous connection may still report
      this.#writeReq = null;
    }
    this.#writeReqUsed = false;
  }

  #abortConnect(err: IoError): void {
    const op = this.#connectOp;
    this.#connectOp = null;
    this.#detach();
    if (op !== null) this.context.enqueue(op.finish(err));
  }

  /** Serves queued reads from spilled bytes or a sticky error, then starts I/O for the front one. */
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
      if (!this.#reading) this.#startReadIo(op.buffer!);
      return;
    }
  }

  #startReadIo(buf: Uint8Array): void {
    this.#reading = true;
    if (this.#inReadCallback) return; // the read callback resumes and hands the handle this buffer
    if (this.#idle) {
      this.#idle = false; // still reading: the bytes land in idleLanding and are copied into buf
      return;
    }
    if (!this.#direct) {
      this.#sock?.resume();
      return;
    }
    const handle = this.#nativeHandle();
    if (handle === null) return;
    const landing = this.#landing;
    if (!sameBytes(landing, buf) && landing !== this.#scratch && landing !== idleLanding) {
      if (this.#retargets < READ_RETARGET_LIMIT) {
        this.#retargets++;
        this.#landing = buf;
      } else {
        this.#scratch ??= Buffer.allocUnsafe(READ_LANDING_SIZE);
        this.#landing = this.#scratch;
      }
      handle.useUserBuffer(this.#landing);
    }
    handle.reading = true;
    const status = handle.readStart();
    if (status < 0) {
      handle.reading = false;
      this.#reading = false;
      this.#readError ??= errnoError(status, 'read');
      this.#pumpReads();
    }
  }

  #stopReading(): void {
    if (!this.#reading && !this.#idle) return;
    this.#reading = false;
    this.#idle = false;
    if (this.#inReadCallback) return; // the read callback returns false and Node stops the handle
    if (!this.#direct) {
      this.#sock?.pause();
      return;
    }
    const handle = this.#nativeHandle();
    if (handle !== null && handle.reading) {
      handle.reading = false;
      handle.readStop();
    }
  }

  /** Node's user-buffer read callback: `nread` bytes are in `#landing`. Returns whether to keep reading. */
  #readArrived(nread: number): boolean {
    const op = asRead(this.#reads.shift());
    const landing = this.#landing;
    this.#reading = false;
    this.#idle = false;
    this.#inReadCallback = true;
    if (landing === this.#scratch || landing === idleLanding) {
      this.#ownedLandingArrived(landing as Buffer, nread, op);
    } else if (op !== null) {
      this.context.completeFromIo(op.finish(null, nread));
    }
    this.#pumpReads(); // serve spilled bytes, or keep reading for a read queued behind this one
    this.#inReadCallback = false;
    const next = asRead(this.#reads.front());
    if (this.#reading && next !== null && this.#sock !== null) {
      this.#nextLanding = next.buffer!;
      return true;
    }
    this.#reading = false;
    if (next === null && nread <= IDLE_READ_LIMIT && this.#spill === null && this.#readError === null && this.#sock !== null) {
      this.#idle = true; // keep reading: the next read is likely started soon (see IDLE_READ_LIMIT)
      this.#nextLanding = idleLanding ??= Buffer.allocUnsafe(IDLE_READ_LIMIT);
      return true;
    }
    this.#nextLanding = this.#retargets >= READ_RETARGET_LIMIT && this.#scratch !== null ? this.#scratch : landing;
    return false;
  }

  /**
   * `nread` bytes landed in a buffer of the runtime's (`#scratch` or
   * `idleLanding`): copy what fits into `op`'s buffer and keep the rest in
   * `#spill` (in `#scratch`, as `idleLanding` is reused by the next read of
   * any socket).
   */
  #ownedLandingArrived(landing: Buffer, nread: number, op: ReadSomeOp | null): void {
    let n = 0;
    if (op !== null) {
      n = Math.min(nread, op.buffer!.length);
      landing.copy(op.buffer!, 0, 0, n);
    }
    if (n < nread) {
      if (landing === this.#scratch) {
        this.#spillStart = n;
        this.#spillEnd = nread;
      } else {
        const scratch = (this.#scratch ??= Buffer.allocUnsafe(READ_LANDING_SIZE));
        landing.copy(scratch, 0, n, nread);
        this.#spillStart = 0;
        this.#spillEnd = nread - n;
      }
      this.#spill = this.#scratch;
    }
    if (op !== null) this.context.completeFromIo(op.finish(null, n));
  }

  /** A `'data'` chunk of an adopted stream socket. */
  #chunkArrived(chunk: Buffer): void {
    const op = asRead(this.#reads.shift());
    this.#reading = false;
    this.#inReadCallback = true;
    this.#spill = chunk;
    this.#spillStart = 0;
    this.#spillEnd = chunk.length;
    if (op !== null) {
      const buf = op.buffer!;
      const n = Math.min(chunk.length, buf.length);
      chunk.copy(buf, 0, 0, n);
      this.#spillStart = n;
      if (n === chunk.length) this.#spill = null;
      this.context.completeFromIo(op.finish(null, n));
    }
    this.#pumpReads(); // serve spilled bytes, or keep reading for a read queued behind this one
    this.#inReadCallback = false;
    if (!this.#reading || this.#reads.isEmpty()) {
      this.#reading = false;
      this.#sock?.pause();
    }
  }

  /**
   * Hands the front write to Node. A direct socket writes on its handle:
   * when the kernel takes every byte at once the write completes through the
   * queue (never inside this call) and the next queued write follows; else
   * it completes from `#onNativeWriteDone`. Adopted sockets (and every
   * socket until the handle's write request class is known) write through
   * `net.Socket.write`.
   */
  #pumpWrites(): void {
    const ctx = this.context;
    for (;;) {
      const op = asWrite(this.#writes.front());
      const socket = this.#sock;
      if (op === null || socket === null) return;
      if (this.#writeError !== null) {
        for (let o = this.#writes.shift(); o !== null; o = this.#writes.shift()) {
          ctx.enqueue(asWrite(o)!.finish(this.#writeError, 0));
        }
        return;
      }
      this.#writeActive = true;
      const handle = this.#direct && nativeWritesReady() ? this.#nativeHandle() : null;
      if (handle === null) {
        this.#writeThroughStream(socket, op);
        return;
      }
      const req = this.#freeWriteReq();
      const bufs = op.buffers!;
      const status = bufs instanceof Uint8Array ? handle.writeBuffer(req, bufs) : handle.writev(req, bufs, true);
      if (status === 0 && req.getAsyncId() !== -1) {
        // The kernel did not take every byte: libuv finishes the write and calls back.
        req.buffer = bufs;
        this.#writeReqUsed = true;
        return;
      }
      this.#writeActive = false;
      this.#writes.shift();
      if (status === 0) {
        ctx.enqueue(op.finish(null, op.total)); // every byte is in the kernel
      } else {
        const err = errnoError(status, 'write');
        this.#writeError ??= err;
        ctx.enqueue(op.finish(err, 0));
      }
    }
  }

  /** This socket's write request, or a new one while the last is still attached to a native write. */
  #freeWriteReq(): NativeWriteReq {
    let req = this.#writeReq;
    if (req === null || (this.#writeReqUsed && req.getAsyncId() !== -1)) {
      req = newWriteReq(this.#onNativeWriteDone);
      this.#writeReq = req;
    }
    this.#writeReqUsed = false;
    return req;
  }

  #writeThroughStream(socket: net.Socket, op: WriteSomeOp): void {
    const handle = this.#direct && shouldCaptureWriteReq() ? this.#nativeHandle() : null;
    if (handle !== null) {
      captureWriteReqDuring(handle, () => {
        this.#streamWrite(socket, op);
      });
    } else {
      this.#streamWrite(socket, op);
    }
  }

  #streamWrite(socket: net.Socket, op: WriteSomeOp): void {
    const bufs = op.buffers!;
    if (bufs instanceof Uint8Array) {
      socket.write(bufs, this.#onWriteDone);
      return;
    }
    let last = bufs.length - 1;
    while (bufs[last]!.length === 0) last--;
    socket.cork();
    for (let i = 0; i < last; i++) {
      const b = bufs[i]!;
      if (b.length !== 0) socket.write(b);
    }
    socket.write(bufs[last]!, this.#onWriteDone);
    socket.uncork();
  }

  /** Completes every pending read with `err`. */
  #failReads(err: IoError): void {
    this.#reading = false;
    this.#idle = false;
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

  /** Context shutdown: destroy pending operations without invoking them, and close. */
  #destroyAll(): void {
    const connectOp = this.#connectOp;
    this.#connectOp = null;
    connectOp?.destroy();
    this.#reading = false;
    for (let op = this.#reads.shift(); op !== null; op = this.#reads.shift()) op.destroy();
    for (let op = this.#writes.shift(); op !== null; op = this.#writes.shift()) op.destroy();
    this.#writeActive = false;
    this.#open = false;
    this.#registered = false;
    this.#detach();
  }
}
