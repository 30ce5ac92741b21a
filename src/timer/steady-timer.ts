import { getAssociatedAllocator } from '../associations/associate.js';
import type { CancellationType } from '../cancellation/cancellation-type.js';
import { getAssociatedCancellationSlot } from '../associations/bind-cancellation-slot.js';
import { IoContext } from '../io-context/io-context.js';
import { OPERATION_ABORTED } from '../cancellation/operation-aborted.js';
import type { CancellableOpOwner } from '../ops/cancellable-op.js';
import type { OpQueue } from '../ops/op-queue.js';
import type { Operation } from '../ops/operation.js';
import { WaitOp } from '../ops/wait-op.js';
import { asyncInitiate } from '../tokens/async-initiate.js';
import type { CompletionResult, CompletionToken, Handler } from '../tokens/completion-token.js';
import { TimerQueue } from './timer-queue.js';
import { describeValue } from '../errors/describe-value.js';
import { keepShape } from '../ops/keep-shape.js';

/** Out of line so a wait's start stays small enough for V8 to inline whole. */
function throwNotAWaitHandler(handler: unknown): never {
  throw new TypeError(`SteadyTimer.asyncWait: the handler must be a function, got ${describeValue(handler)}`);
}

/** A second wait on one timer goes behind the others (out of line: the common timer has one wait). */
function appendWait(head: WaitOp, op: WaitOp): void {
  let tail: Operation = head;
  while (tail.next !== null) tail = tail.next;
  tail.next = op;
}

function checkTime(value: unknown, caller: string, what: string): asserts value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${caller}: ${what} must be a number, got ${describeValue(value)}`);
}

/**
 * A timer on an `IoContext`'s monotonic clock (asio's `steady_timer`).
 *
 * - The expiry is a time on `ctx.clock` (`ctx.clock.now()` scale, ms);
 *   setting it cancels the pending waits.
 * - `asyncWait` completes with `null` at the expiry, or with
 *   `operation_aborted` when cancelled; a wait on an expired timer completes
 *   on the next `run`/`poll`, never inside `asyncWait`.
 * - A pending wait is outstanding work: `run()` does not return before it
 *   completes.
 * - Waits are cancellable per operation through a cancellation slot
 *   (`bindCancellationSlot`, `bindAbortSignal`, `withAbortSignal`): terminal,
 *   partial and total alike, aborting only that wait.
 * - "Now" (for `expiresAfter` and the default expiry) is, on the default
 *   clock, one `performance.now()` reading per stretch of synchronous code,
 *   reused until the microtask queue next runs, as Node's `setTimeout` counts
 *   from libuv's cached loop time. It is never later than `ctx.clock.now()`,
 *   so a timer never fires before its delay has passed since that reading.
 *   Whether a wait is already due is checked against a fresh reading,
 *   unless the context's alarm, not yet due, rings before its expiry anyway.
 *   Other clocks (`ManualClock`) are read at every call.
 *
 * Cost: all timers of a context share one heap and one Node timer. A timer
 * is one object; a wait allocates its `WaitOp` from the handler's allocator
 * (recycled) and nothing else; cancelling is O(1). Arming reads the clock
 * only when the alarm has to move.
 *
 * @example
 * ```ts
 * const timer = new SteadyTimer(ctx);
 * timer.expiresAfter(500);
 * timer.asyncWait((err) => {
 *   if (err?.code === 'operation_aborted') return;
 *   console.log('500 ms later');
 * });
 * ```
 *
 * @category Timers
 */
export class SteadyTimer implements CancellableOpOwner {
  // The helper methods are TypeScript-private, not `#`: a class with `#` methods keeps a brand in every instance, 8 bytes a timer.
  /** The context's timer queue, which also names the context: one field for both keeps a timer small. */
  readonly #queue: TimerQueue;
  // A number from the start (a declared field begins as undefined): V8 then keeps the expiry as a double stored in place, where a field that began as undefined boxes every new expiry, 16 heap bytes per re-arm.
  #expiry = Number.NaN;
  /** Order among equal expiries: taken from the queue each time the expiry is set. */
  #seq = 0;
  /**
   * The token of this timer's heap slot, else 0. Negative while the slot is
   * early: the timer was re-armed later and its slot stayed where it was
   * (lazy re-arming), to be moved to the real expiry when it comes due.
   */
  #token = 0;
  /**
   * The pending waits, oldest first, linked through `Operation.next`. No
   * tail pointer: a timer nearly always has one wait, so appending a second
   * walks the list rather than every timer paying a field for it.
   */
  #head: WaitOp | null = null;

  /**
   * @param ctx the context whose clock and run loop the timer uses
   * @param expiry the initial expiry on `ctx.clock` (default: now, see the class notes, so already expired)
   */
  constructor(ctx: IoContext, expiry?: number) {
    if (!(ctx instanceof IoContext)) throw new TypeError(`SteadyTimer: the first argument must be an IoContext, got ${describeValue(ctx)}`);
    if (expiry !== undefined) checkTime(expiry, 'SteadyTimer', 'expiry');
    const queue = TimerQueue.of(ctx);
    this.#queue = queue;
    this.#expiry = expiry ?? queue.now();
    this.#seq = queue.nextSeq();
  }

  /** The context the timer runs on. */
  get context(): IoContext {
    return this.#queue.context;
  }

  /**
   * The expiry, a time on the context's clock.
   *
   * @example
   * ```ts
   * const timer = new SteadyTimer(ctx);
   * timer.expiresAfter(1000);
   * const msLeft = timer.expiry() - ctx.clock.now(); // about 1000
   * ```
   */
  expiry(): number {
    return this.#expiry;
  }

  /**
   * Sets the expiry to `time` on the context's clock (`Infinity`: never),
   * cancelling the pending waits. Returns how many were cancelled.
   *
   * @example
   * ```ts
   * const deadline = ctx.clock.now() + 30_000;
   * timer.expiresAt(deadline); // the same deadline for every step of a session
   * timer.expiresAt(Infinity); // disarmed: a wait now pends until cancelled
   * ```
   */
  expiresAt(time: number): number {
    checkTime(time, 'SteadyTimer.expiresAt', 'time');
    return this.setExpiry(time);
  }

  /**
   * Cancels the pending waits and sets the expiry (checked by the caller);
   * returns how many were cancelled. A slot in the heap stays when the new
   * expiry is not earlier (the idle-timeout pattern re-arms without touching
   * the heap) and is moved only if it comes due with waits pending.
   */
  private setExpiry(time: number): number {
    let cancelled = 0;
    if (this.#head !== null) {
      this.#queue.context.tracker?.operation('deadline_timer', this, 'cancel');
      cancelled = this.abortWaits();
    }
    const token = this.#token;
    if (token !== 0) {
      if (time >= this.#expiry) {
        if (token > 0) this.#token = -token;
      } else {
        // An earlier expiry needs a slot further up: this one dies.
        this.#token = 0;
        this.#queue.retire();
      }
    }
    this.#expiry = time;
    this.#seq = this.#queue.nextSeq();
    return cancelled;
  }

  /**
   * Sets the expiry to `ms` milliseconds from now on the context's clock,
   * cancelling the pending waits. Returns how many were cancelled. On the
   * default clock "now" is read once per stretch of synchronous code (see
   * the class notes): timers armed together with one delay share an expiry.
   *
   * @example
   * ```ts
   * // An idle timeout pushed back on every read:
   * socket.asyncReadSome(buf, (err, n) => {
   *   if (!err) timer.expiresAfter(30_000); // the pending wait completes with operation_aborted
   * });
   * ```
   */
  expiresAfter(ms: number): number {
    checkTime(ms, 'SteadyTimer.expiresAfter', 'ms');
    return this.setExpiry(this.#queue.now() + ms);
  }

  /**
   * Waits for the expiry. Completion signature: `(err: IoError | null) => void`,
   * `err` being `null` when the timer expired and `operation_aborted` when
   * the wait was cancelled (by `cancel`, `cancelOne`, a new expiry or its
   * cancellation slot). Several waits may be pending; they complete in the
   * order they were started. With `usePromise`, resolves `void` or rejects.
   *
   * @example
   * ```ts
   * const timer = new SteadyTimer(ctx);
   * timer.expiresAfter(1000);
   * timer.asyncWait((err) => {
   *   if (err) return; // operation_aborted: cancelled or re-armed
   *   console.log('a second has passed');
   * });
   *
   * // or, in an async function:
   * timer.expiresAfter(250);
   * await timer.asyncWait(usePromise);
   * ```
   */
  asyncWait<T extends CompletionToken>(token: T): CompletionResult<T, []> {
    // A plain callback goes straight to the initiation, as asyncInitiate would send it.
    if (typeof token === 'function') {
      this.startWait(token);
      return undefined as CompletionResult<T, []>;
    }
    return asyncInitiate<[], T, SteadyTimer>(SteadyTimer.#initiateWait, token, this);
  }

  /**
   * Cancels every pending wait (they complete with `operation_aborted`, queued,
   * never inside this call); the expiry stays. Returns how many were cancelled.
   *
   * @example
   * ```ts
   * timer.expiresAfter(5000);
   * timer.asyncWait((err) => console.log(err?.code)); // 'operation_aborted'
   * timer.cancel(); // 1
   * ```
   */
  cancel(): number {
    this.#queue.context.tracker?.operation('deadline_timer', this, 'cancel');
    if (this.#head === null) return 0;
    const count = this.abortWaits();
    this.#token = 0;
    this.#queue.retire();
    return count;
  }

  /** Queues every pending wait with `operation_aborted`, oldest first; the slot is left to the caller. Returns how many. */
  private abortWaits(): number {
    let op = this.#head;
    this.#head = null;
    const ctx = this.#queue.context;
    let count = 0;
    while (op !== null) {
      const next = op.next as WaitOp | null;
      op.detach();
      op.err = OPERATION_ABORTED;
      ctx.enqueue(op);
      count++;
      op = next;
    }
    return count;
  }

  /**
   * Cancels pending waits when a `using` declaration goes out of scope (a timer has nothing else to release), so `using` works: `[Symbol.dispose]()` is `cancel()`.
   *
   * @example
   * ```ts
   * using timer = new SteadyTimer(ctx);
   * timer.expiresAfter(1000); // its waits complete with operation_aborted at the end of the block
   * ```
   */
  [Symbol.dispose](): void {
    this.cancel();
  }

  /**
   * Cancels the oldest pending wait; returns 1, or 0 when none was pending. The expiry stays.
   *
   * @example
   * ```ts
   * timer.asyncWait(() => console.log('first: cancelled'));
   * timer.asyncWait(() => console.log('second: still waits for the expiry'));
   * timer.cancelOne(); // 1
   * ```
   */
  cancelOne(): number {
    const op = this.#head;
    if (op === null) return 0;
    this.#queue.context.tracker?.operation('deadline_timer', this, 'cancel_one');
    this.abortWait(op);
    return 1;
  }

  /**
   * @internal Cancellation-slot path: aborts `op` if it is still a pending
   * wait of this timer. A wait honours every cancellation type.
   */
  abortOperation(op: Operation, _type: CancellationType): boolean {
    if (!(op instanceof WaitOp) || op.owner !== this) return false;
    this.abortWait(op);
    return true;
  }

  private abortWait(op: WaitOp): void {
    if (op.owner !== this) return;
    let prev: WaitOp | null = null;
    let cur = this.#head;
    while (cur !== op) {
      if (cur === null) return;
      prev = cur;
      cur = cur.next as WaitOp | null;
    }
    const next = op.next as WaitOp | null;
    if (prev === null) this.#head = next;
    else prev.next = next;
    if (this.#head === null) {
      this.#token = 0;
      this.#queue.retire();
    }
    op.detach();
    op.err = OPERATION_ABORTED;
    this.#queue.context.enqueue(op);
  }

  /**
   * @internal Withdraws every pending wait without invoking its handler and
   * ends its work: for a wait whose aborted completion nobody would read
   * (`cancelAfter`'s deadline once its operation completed first), so the
   * wait's op goes back to its allocator at once instead of after one more
   * handler. Returns how many were withdrawn.
   */
  discardWaits(): number {
    if (this.#head === null) return 0;
    let op: WaitOp | null = this.unlinkWaits();
    this.#queue.retire();
    const ctx = this.#queue.context;
    let count = 0;
    while (op !== null) {
      const next = op.next as WaitOp | null;
      op.destroy();
      ctx.workFinished();
      count++;
      op = next;
    }
    return count;
  }

  /**
   * @internal `expiresAfter(ms)` for a whole `ms`, rounded up to the next
   * whole millisecond of the clock: a time that is a small integer travels
   * through the timer queue without being boxed, so a deadline re-armed for
   * every operation (`cancelAfter`) allocates nothing. At most 1 ms later
   * than `expiresAfter`, the granularity of Node's own timers.
   */
  expiresAfterWholeMs(ms: number): number {
    return this.setExpiry(Math.ceil(this.#queue.now()) + ms);
  }

  /** Takes the list of pending waits (oldest first, linked through `next`) off the timer, whose heap slot dies. */
  private unlinkWaits(): WaitOp | null {
    const head = this.#head;
    this.#head = null;
    this.#token = 0;
    return head;
  }

  /** @internal The token of this timer's heap slot, 0 when it has none. */
  heapToken(): number {
    const token = this.#token;
    return token < 0 ? -token : token;
  }

  /** @internal Whether the slot is before the expiry (re-armed later in place) while waits are pending: it must move, not fire. */
  slotIsEarly(): boolean {
    return this.#token < 0 && this.#head !== null;
  }

  /** @internal Gives the timer a slot at its own expiry, the early one having left the heap. */
  moveSlot(): void {
    this.#token = this.#queue.insertMoved(this, this.#expiry, this.#seq);
  }

  /** @internal Detaches every pending wait, oldest first, into `due` (the timer fired). */
  takeWaits(due: OpQueue): void {
    let op = this.unlinkWaits();
    while (op !== null) {
      const next = op.next as WaitOp | null;
      op.detach();
      due.push(op);
      op = next;
    }
  }

  static readonly #initiateWait = (handler: Handler, timer: SteadyTimer): void => {
    timer.startWait(handler);
  };

  private startWait(handler: Handler): void {
    if (typeof handler !== 'function') throwNotAWaitHandler(handler);
    const queue = this.#queue;
    const ctx = queue.context;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(WaitOp).init(handler, allocator, this);
    ctx.startOperation(op, 'deadline_timer', this, 'async_wait');
    if (queue.isShutDown()) {
      op.destroy();
      return;
    }
    const head = this.#head;
    if (head === null) {
      this.#head = op;
      // A slot left by a re-arm (not after the expiry) serves again.
      if (this.#token === 0) this.#token = queue.insert(this, this.#expiry, this.#seq);
    } else appendWait(head, op);
    const slot = getAssociatedCancellationSlot(handler);
    if (slot !== null) op.installSlot(slot);
    queue.settle(this.#expiry);
  }
}

// One timer on a context that never runs, kept for good: the maps of the timer, its queue and the context outlive every user timer.
// Its expiry is given (never), so loading the module reads no clock and queues nothing.
keepShape(new SteadyTimer(new IoContext({ exitWarnings: false }), Infinity));
