import { getAssociatedAllocator } from '../associations/associate.js';
import { getAssociatedCancellationSlot } from '../associations/bind-cancellation-slot.js';
import type { CancellationType } from '../cancellation/cancellation-type.js';
import { OPERATION_ABORTED } from '../cancellation/operation-aborted.js';
import { describeValue } from '../errors/describe-value.js';
import { IoError } from '../errors/io-error.js';
import { checkIoContext } from '../io-context/check-context.js';
import type { IoContext, IoService } from '../io-context/io-context.js';
import type { CancellableOpOwner } from '../ops/cancellable-op.js';
import { ChannelReceiveOp } from '../ops/channel-receive-op.js';
import { ChannelSendOp } from '../ops/channel-send-op.js';
import { OpQueue } from '../ops/op-queue.js';
import type { Operation } from '../ops/operation.js';
import { asyncInitiate } from '../tokens/async-initiate.js';
import type { CompletionResult, CompletionToken, Handler } from '../tokens/completion-token.js';

/** Shared, frozen errors: closing or cancelling a channel allocates no error per operation. */
const CHANNEL_CLOSED: IoError = Object.freeze(new IoError('channel_closed'));
const CHANNEL_CANCELLED: IoError = Object.freeze(new IoError('channel_cancelled'));

/** The first size of a buffer's ring; it doubles up to the capacity, so a large capacity costs nothing until used. */
const FIRST_RING_SIZE = 8;

/**
 * A FIFO of values between asynchronous operations on one `IoContext`
 * (asio's `experimental::channel`, single-threaded): senders wait when the
 * channel is full, receivers wait when it is empty.
 *
 * - Capacity 0 (the default) is a rendezvous: a send completes only when a
 *   receiver takes its value. With capacity N, up to N values are buffered:
 *   a send completes at once while there is room, otherwise it waits; when
 *   a receiver takes a buffered value, the oldest waiting sender's value
 *   moves into the buffer and that send completes.
 * - Senders and receivers are each served in the order they started.
 * - Handlers are never invoked inside the call that completes them (an
 *   initiation, `trySend`, `tryReceive`, `close`, `cancel`): they are queued
 *   on the context. Where one call completes two operations, the one that
 *   was waiting runs first.
 * - `close()`: pending and later sends fail with `channel_closed`; receivers
 *   drain what is buffered, then get `channel_closed`.
 * - `cancel()`: pending sends and receives complete with `channel_cancelled`;
 *   the buffered values stay, and the channel stays open.
 * - A pending send or receive is cancellable per operation through its
 *   cancellation slot (`bindCancellationSlot`, `bindAbortSignal`,
 *   `withAbortSignal`): terminal, partial and total alike, completing with
 *   `operation_aborted`.
 * - A pending operation is outstanding work. `ctx.shutdown()` destroys the
 *   pending operations without invoking them and drops the buffered values.
 *
 * Cost: each `asyncSend`/`asyncReceive` allocates its op from the handler's
 * allocator (recycled) and nothing else; waiting ops are linked into the
 * channel's queues, buffered values live in a ring that grows up to the
 * capacity and is then reused.
 *
 * @typeParam T - the type of the values carried.
 * @example
 * ```ts
 * const ctx = new IoContext();
 * const lines = new Channel<string>(ctx, 4); // at most 4 lines in flight
 * lines.asyncSend('hello', (err) => {
 *   if (err) console.log(err.code); // 'channel_closed' once the channel is closed
 * });
 * lines.asyncReceive((err, line) => {
 *   if (!err) console.log(line); // 'hello'
 * });
 * await ctx.run();
 * ```
 *
 * @category Channels
 */
export class Channel<T> implements CancellableOpOwner {
  readonly #ctx: IoContext;
  readonly #capacity: number;
  /** The buffered values, a ring: `#ring[#head]` is the oldest of `#count`. */
  #ring: (T | undefined)[] = [];
  #head = 0;
  #count = 0;
  /** Waiting sends, oldest first; non-empty only while the buffer is full. */
  readonly #senders = new OpQueue();
  /** Waiting receives, oldest first; non-empty only while the buffer is empty and no send waits. */
  readonly #receivers = new OpQueue();
  #open = true;
  readonly #service: IoService = {
    shutdown: (): void => {
      this.#shutdown();
    },
  };

  /**
   * @param ctx the context the channel's operations complete on
   * @param capacity how many values the channel buffers (default 0: a rendezvous channel)
   */
  constructor(ctx: IoContext, capacity = 0) {
    checkIoContext(ctx, 'Channel');
    if (typeof capacity !== 'number' || !Number.isSafeInteger(capacity) || capacity < 0) {
      throw new TypeError(`Channel: capacity must be a non-negative integer, got ${describeValue(capacity)}`);
    }
    this.#ctx = ctx;
    this.#capacity = capacity;
    ctx.addService(this.#service);
  }

  /** The context the channel's operations complete on. */
  get context(): IoContext {
    return this.#ctx;
  }

  /**
   * How many values the channel buffers (0: a rendezvous channel).
   *
   * @example
   * ```ts
   * new Channel<number>(ctx, 16).capacity(); // 16
   * ```
   */
  capacity(): number {
    return this.#capacity;
  }

  /**
   * Whether the channel is open: false after `close()` (or the context's
   * `shutdown()`). A closed channel may still hold buffered values.
   *
   * @example
   * ```ts
   * const channel = new Channel<number>(ctx);
   * channel.isOpen(); // true
   * channel.close();
   * channel.isOpen(); // false
   * ```
   */
  isOpen(): boolean {
    return this.#open;
  }

  /**
   * Sends `value`. Completion signature: `(err: IoError | null) => void`:
   * `null` once the value is buffered or taken by a receiver,
   * `channel_closed` if the channel is or gets closed first,
   * `channel_cancelled` after `cancel()`, `operation_aborted` when
   * cancelled through its slot (the value is then not delivered). On a full
   * channel (always, at capacity 0) the send waits. With `usePromise`,
   * resolves `void` or rejects.
   *
   * @example
   * ```ts
   * const jobs = new Channel<string>(ctx, 2);
   * jobs.asyncSend('first', (err) => {
   *   if (err) return; // channel_closed: nobody will take it
   *   jobs.asyncSend('second', () => undefined);
   * });
   *
   * // or, in an async function (waits while the channel is full: backpressure):
   * await jobs.asyncSend('third', usePromise);
   * ```
   */
  asyncSend<K extends CompletionToken>(value: T, token: K): CompletionResult<K, []> {
    // A plain callback goes straight to the initiation, as asyncInitiate would send it.
    if (typeof token === 'function') {
      this.#startSend(token, value);
      return undefined as CompletionResult<K, []>;
    }
    return asyncInitiate<[], K, Channel<T>, T>(Channel.#initiateSend, token, this, value);
  }

  /**
   * Receives the oldest value. Completion signature:
   * `(err: IoError | null, value: T) => void`: the value (from the buffer,
   * or from the oldest waiting sender), or an error with `value`
   * `undefined`: `channel_closed` once the channel is closed and drained,
   * `channel_cancelled` after `cancel()`, `operation_aborted` when cancelled
   * through its slot. With `usePromise`, resolves the value.
   *
   * @example
   * ```ts
   * const numbers = new Channel<number>(ctx);
   * const consume = (err: IoError | null, n: number): void => {
   *   if (err) return; // channel_closed: the producer is done
   *   console.log(n);
   *   numbers.asyncReceive(consume);
   * };
   * numbers.asyncReceive(consume);
   *
   * // or, in an async function:
   * const n = await numbers.asyncReceive(usePromise);
   * ```
   */
  asyncReceive<K extends CompletionToken<[T]>>(token: K): CompletionResult<K, [T]> {
    if (typeof token === 'function') {
      this.#startReceive(token);
      return undefined as CompletionResult<K, [T]>;
    }
    return asyncInitiate<[T], K, Channel<T>>(Channel.#initiateReceive, token, this);
  }

  /**
   * Sends `value` without waiting: returns true if a receiver was waiting
   * (it then completes with `value`, queued) or the buffer had room, false
   * if the channel is full or closed (nothing is sent).
   *
   * @example
   * ```ts
   * const events = new Channel<string>(ctx, 64);
   * if (!events.trySend('tick')) console.log('consumer is behind: tick dropped');
   * ```
   */
  trySend(value: T): boolean {
    if (!this.#open || this.#ctx.isShutDown()) return false;
    const receiver = this.#receivers.shift() as ChannelReceiveOp | null;
    if (receiver !== null) {
      this.#ctx.enqueue(receiver.finish(null, value));
      return true;
    }
    if (this.#count < this.#capacity) {
      this.#push(value);
      return true;
    }
    return false;
  }

  /**
   * Receives a value without waiting: if one is buffered or a sender is
   * waiting, calls `fn(value)` synchronously, before returning true (a
   * waiting sender it takes from, or whose value refills the buffer,
   * completes queued); otherwise returns false without calling `fn`.
   * Works on a closed channel until it is drained.
   *
   * @example
   * ```ts
   * const inbox = new Channel<string>(ctx, 16);
   * // Take everything there is now, without waiting:
   * while (inbox.tryReceive((message) => console.log(message)));
   * ```
   */
  tryReceive(fn: (value: T) => void): boolean {
    if (typeof fn !== 'function') throw new TypeError(`Channel.tryReceive: fn must be a function, got ${describeValue(fn)}`);
    let value: T;
    if (this.#count > 0) {
      value = this.#take();
      this.#refill();
    } else {
      const sender = this.#senders.shift() as ChannelSendOp | null;
      if (sender === null) return false;
      value = sender.value as T;
      sender.value = undefined;
      this.#ctx.enqueue(sender.finish(null));
    }
    fn(value);
    return true;
  }

  /**
   * Closes the channel: pending sends complete with `channel_closed`, and so
   * do pending receives (there are none while values are buffered); later
   * sends fail with `channel_closed`, later receives get the buffered values
   * and then `channel_closed`. Completions are queued, never run inside this
   * call. Idempotent, and harmless after the context's `shutdown()`.
   *
   * @example
   * ```ts
   * // The producer is done; the consumer still gets what is buffered:
   * for (const line of lines) channel.trySend(line);
   * channel.close();
   * ```
   */
  close(): void {
    if (!this.#open) return;
    const ctx = this.#ctx;
    ctx.tracker?.operation('channel', this, 'close');
    this.#open = false;
    this.#failAll(CHANNEL_CLOSED);
    // Nothing can be pending on a closed channel: every later operation completes at once.
    ctx.removeService(this.#service);
  }

  /**
   * Cancels every pending send and receive: they complete with
   * `channel_cancelled` (queued, never inside this call). The buffered
   * values stay and the channel stays open. Returns how many operations
   * were cancelled.
   *
   * @example
   * ```ts
   * channel.asyncReceive((err) => console.log(err?.code)); // 'channel_cancelled'
   * channel.cancel(); // 1
   * ```
   */
  cancel(): number {
    this.#ctx.tracker?.operation('channel', this, 'cancel');
    return this.#failAll(CHANNEL_CANCELLED);
  }

  /**
   * Closes the channel when a `using` declaration goes out of scope, so `using` works: `[Symbol.dispose]()` is `close()`.
   *
   * @example
   * ```ts
   * using channel = new Channel<string>(ctx); // closed at the end of the block: its pending operations get channel_closed
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * @internal Cancellation-slot path: aborts `op` if it is still pending
   * here. A waiting send or receive has had no side effects, so every
   * cancellation type is honoured.
   */
  abortOperation(op: Operation, _type: CancellationType): boolean {
    if (op instanceof ChannelSendOp) {
      if (op.owner !== this || !this.#senders.remove(op)) return false;
      op.value = undefined;
      this.#ctx.enqueue(op.finish(OPERATION_ABORTED));
      return true;
    }
    if (op instanceof ChannelReceiveOp) {
      if (op.owner !== this || !this.#receivers.remove(op)) return false;
      this.#ctx.enqueue(op.fail(OPERATION_ABORTED));
      return true;
    }
    return false;
  }

  static #initiateSend<T>(this: void, handler: Handler, channel: Channel<T>, value: T): void {
    channel.#startSend(handler, value);
  }

  static #initiateReceive<T>(this: void, handler: Handler<[T]>, channel: Channel<T>): void {
    channel.#startReceive(handler);
  }

  #startSend(handler: Handler, value: T): void {
    if (typeof handler !== 'function') throw new TypeError(`Channel.asyncSend: the handler must be a function, got ${describeValue(handler)}`);
    const ctx = this.#ctx;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(ChannelSendOp).init(handler, allocator, this, value);
    ctx.startOperation(op, 'channel', this, 'async_send');
    if (ctx.isShutDown()) {
      op.destroy();
      return;
    }
    if (!this.#open) {
      op.value = undefined;
      ctx.enqueue(op.finish(CHANNEL_CLOSED));
      return;
    }
    const receiver = this.#receivers.shift() as ChannelReceiveOp | null;
    if (receiver !== null) {
      // The receiver was waiting, so it runs first.
      ctx.enqueue(receiver.finish(null, value));
      op.value = undefined;
      ctx.enqueue(op.finish(null));
      return;
    }
    if (this.#count < this.#capacity) {
      this.#push(value);
      op.value = undefined;
      ctx.enqueue(op.finish(null));
      return;
    }
    this.#senders.push(op);
    const slot = getAssociatedCancellationSlot(handler);
    if (slot !== null) op.installSlot(slot);
  }

  #startReceive(handler: Handler<[T]>): void {
    if (typeof handler !== 'function') throw new TypeError(`Channel.asyncReceive: the handler must be a function, got ${describeValue(handler)}`);
    const ctx = this.#ctx;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(ChannelReceiveOp).init(handler as Handler<[unknown]>, allocator, this);
    ctx.startOperation(op, 'channel', this, 'async_receive');
    if (ctx.isShutDown()) {
      op.destroy();
      return;
    }
    if (this.#count > 0) {
      const value = this.#take();
      this.#refill();
      ctx.enqueue(op.finish(null, value));
      return;
    }
    const sender = this.#senders.shift() as ChannelSendOp | null;
    if (sender !== null) {
      // The sender was waiting, so it runs first.
      const value = sender.value;
      sender.value = undefined;
      ctx.enqueue(sender.finish(null));
      ctx.enqueue(op.finish(null, value));
      return;
    }
    if (!this.#open) {
      ctx.enqueue(op.fail(CHANNEL_CLOSED));
      return;
    }
    this.#receivers.push(op);
    const slot = getAssociatedCancellationSlot(handler);
    if (slot !== null) op.installSlot(slot);
  }

  /** A value was taken from a full buffer: the oldest waiting sender's value takes its place, and that send completes. */
  #refill(): void {
    const sender = this.#senders.shift() as ChannelSendOp | null;
    if (sender === null) return;
    this.#push(sender.value as T);
    sender.value = undefined;
    this.#ctx.enqueue(sender.finish(null));
  }

  /** Completes every pending operation with `err`, oldest first; returns how many. */
  #failAll(err: IoError): number {
    const ctx = this.#ctx;
    let count = 0;
    const senders = this.#senders;
    for (let op = senders.shift() as ChannelSendOp | null; op !== null; op = senders.shift() as ChannelSendOp | null) {
      op.value = undefined;
      ctx.enqueue(op.finish(err));
      count++;
    }
    const receivers = this.#receivers;
    for (let op = receivers.shift() as ChannelReceiveOp | null; op !== null; op = receivers.shift() as ChannelReceiveOp | null) {
      ctx.enqueue(op.fail(err));
      count++;
    }
    return count;
  }

  /** The context shut down: destroy the pending operations uninvoked and drop the buffered values. */
  #shutdown(): void {
    this.#open = false;
    for (let op = this.#senders.shift(); op !== null; op = this.#senders.shift()) op.destroy();
    for (let op = this.#receivers.shift(); op !== null; op = this.#receivers.shift()) op.destroy();
    this.#ring = [];
    this.#head = 0;
    this.#count = 0;
  }

  #push(value: T): void {
    let ring = this.#ring;
    if (this.#count === ring.length) ring = this.#grow();
    let i = this.#head + this.#count;
    if (i >= ring.length) i -= ring.length;
    ring[i] = value;
    this.#count++;
  }

  #take(): T {
    const ring = this.#ring;
    const head = this.#head;
    const value = ring[head] as T;
    ring[head] = undefined;
    this.#head = head + 1 === ring.length ? 0 : head + 1;
    this.#count--;
    return value;
  }

  /** Doubles the ring (up to the capacity), oldest value first at index 0. */
  #grow(): (T | undefined)[] {
    const old = this.#ring;
    const size = Math.min(this.#capacity, Math.max(FIRST_RING_SIZE, old.length * 2));
    const ring = new Array<T | undefined>(size).fill(undefined);
    for (let k = 0; k < this.#count; k++) {
      let i = this.#head + k;
      if (i >= old.length) i -= old.length;
      ring[k] = old[i];
    }
    this.#ring = ring;
    this.#head = 0;
    return ring;
  }
}
