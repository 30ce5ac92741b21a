import { createAlarm, freshNow, turnNow, type Alarm, type Clock } from '../io-context/clock.js';
import type { IoContext, IoService } from '../io-context/io-context.js';
import { OpQueue } from '../ops/op-queue.js';
import { TimerSet } from './timer-set.js';

const queues = new WeakMap<IoContext, TimerQueue>();

/**
 * The last heap-slot token handed out, by any queue. Tokens are never reused
 * (2^53 of them), so a dead slot can never pass for the live slot of a
 * timer, whichever context that timer is on.
 */
let lastToken = 0;

/**
 * @internal What a `TimerQueue` keeps in its heap: a timer with pending
 * waits (`SteadyTimer`). While its waits are pending the timer holds the
 * token of its one live slot; a slot whose token differs is dead.
 */
export interface QueuedTimer {
  /** The token of this timer's live slot, 0 when it has none. */
  heapToken(): number;
  /** Whether the live slot is before the timer's key (it was re-armed later in place) and waits are pending: it moves, not fires. */
  slotIsEarly(): boolean;
  /** Takes a new slot at the timer's own key (through `insertMoved`): its early slot has left the heap. */
  moveSlot(): void;
  /**
   * Detaches every pending wait, oldest first, and pushes it to `due`; the
   * timer's slot dies (its token becomes 0).
   */
  takeWaits(due: OpQueue): void;
}

function isLive(timer: QueuedTimer, token: number): boolean {
  return timer.heapToken() === token;
}

/**
 * @internal Every timer of one `IoContext`: an ordered set (`TimerSet`:
 * sorted runs, plus a 4-ary heap for stragglers) of timers with pending
 * waits, keyed by (expiry, sequence), and one alarm on the context's clock
 * (one Node timer on the default clock) armed for the earliest expiry.
 *
 * - Arming a timer later than the alarm costs an insert and nothing else,
 *   not even a clock reading while the alarm is not due.
 * - Re-arming a timer to a later expiry leaves its slot where it is
 *   (lazy re-arming, as in Linux's and tokio's wheels): the slot, now early,
 *   moves to the real expiry only if it comes due with waits pending, so an
 *   idle timeout pushed back on every read touches the heap about once per
 *   timeout, not once per read.
 * - Cancelling is O(1): the timer's slot is left in the heap, dead (lazy
 *   deletion). Dead slots are dropped when they reach the top, and all at
 *   once (O(n)) when they outnumber the live ones, so the heap never holds
 *   more than twice the live timers.
 * - Cancelling leaves the alarm as it is; an alarm that rings with nothing
 *   due re-arms for the new earliest expiry (so arm+cancel churn never
 *   touches the Node timer).
 * - When the alarm rings, every wait due by `clock.now()` is collected in
 *   deadline order (a run of due slots at a time), queued on the context,
 *   and the queue drained once, in that callback: equal deadlines complete
 *   in the order they were set.
 *
 * It is the context's `IoService`: `shutdown()` destroys every pending wait
 * without invoking it.
 */
export class TimerQueue implements IoService {
  readonly #ctx: IoContext;
  readonly #clock: Clock;
  readonly #heap = new TimerSet<QueuedTimer>();
  /** Slots of timers with pending waits; the others in the heap are dead. */
  #live = 0;
  readonly #due = new OpQueue();
  #alarm: Alarm | null = null;
  #armedAt = Infinity;
  #seq = 0;
  #shutDown = false;

  readonly #onAlarm = (): void => {
    this.#armedAt = Infinity;
    this.#fireDue(true, freshNow(this.#clock));
  };
  readonly #onDeadline = (): void => {
    this.#fireDue(true, freshNow(this.#clock));
  };
  /** An early slot `popDue` stopped at: its timer moves before the pass goes on, so keys stay in order. */
  #moving: QueuedTimer | null = null;
  /** `popDue`'s visitor: a due slot's timer, if the slot is live, hands its waits over, or stops the pass to move. */
  readonly #takeDue = (timer: QueuedTimer, token: number): boolean => {
    if (!isLive(timer, token)) return true;
    if (timer.slotIsEarly()) {
      this.#moving = timer;
      return false;
    }
    this.#live--;
    timer.takeWaits(this.#due);
    return true;
  };

  private constructor(ctx: IoContext) {
    this.#ctx = ctx;
    this.#clock = ctx.clock;
    ctx.addService(this);
    ctx.setBeforeDeadline(this.#onDeadline);
  }

  /** The timer queue of `ctx`, made on first use. */
  static of(ctx: IoContext): TimerQueue {
    let queue = queues.get(ctx);
    if (queue === undefined) {
      queue = new TimerQueue(ctx);
      queues.set(ctx, queue);
    }
    return queue;
  }

  /** The context whose timers these are. */
  get context(): IoContext {
    return this.#ctx;
  }

  /** How many timers have pending waits. */
  get size(): number {
    return this.#live;
  }

  /** How many slots the heap holds, dead ones included (at most twice `size`, plus one). */
  get slots(): number {
    return this.#heap.length;
  }

  /** The earliest expiry in the heap (possibly of a dead slot), or `Infinity`. */
  nextExpiry(): number {
    return this.#heap.topExpiry();
  }

  /**
   * The time expiries count from: `turnNow(clock)`, which on the default
   * clock is read once per stretch of synchronous code.
   */
  now(): number {
    return turnNow(this.#clock);
  }

  /** A fresh sequence number for an expiry being set. */
  nextSeq(): number {
    return ++this.#seq;
  }

  /** Whether waits started now must be destroyed at once (the context is shut down). */
  isShutDown(): boolean {
    return this.#shutDown || this.#ctx.isShutDown();
  }

  /**
   * Puts `timer`, which has just got its first pending wait, in the heap and
   * returns the token of its slot. The caller then installs the wait's
   * cancellation slot and calls `settle`, so an already-aborted slot wins
   * over an expired timer.
   */
  insert(timer: QueuedTimer, expiry: number, seq: number): number {
    const token = ++lastToken;
    this.#heap.push(timer, expiry, seq, token);
    this.#live++;
    return token;
  }

  /**
   * After a wait on a timer expiring at `expiry` was added: when it is
   * already due, queues the due waits on the context at once (every due
   * wait, in order; they run on the next drain, never inside the initiating
   * call); otherwise makes sure the alarm rings by `expiry`.
   *
   * The common case, an expiry at or after an alarm that is not due yet by
   * `now()`, needs no clock reading; the others read the clock afresh.
   */
  settle(expiry: number): void {
    const armedAt = this.#armedAt;
    if (expiry >= armedAt && (armedAt === Infinity || armedAt > turnNow(this.#clock))) return;
    this.#settleNow(expiry);
  }

  /** `settle` with a fresh reading of the clock: out of line, so a wait's start stays small enough to inline whole. */
  #settleNow(expiry: number): void {
    const now = this.#clock.now();
    if (expiry <= now) this.#fireDue(false, now);
    else if (expiry < this.#armedAt) this.#arm(expiry);
  }

  /** A slot for `timer`, whose early slot left the heap: the live count stays. Returns its token. */
  insertMoved(timer: QueuedTimer, expiry: number, seq: number): number {
    const token = ++lastToken;
    this.#heap.push(timer, expiry, seq, token);
    return token;
  }

  /** A timer's live slot died (its waits were cancelled): O(1), compacting now and then. */
  retire(): void {
    const live = --this.#live;
    const heap = this.#heap;
    if (live === 0) heap.clear();
    else if (heap.length - live > live) heap.retain(isLive);
  }

  shutdown(): void {
    this.#shutDown = true;
    const due = this.#due;
    this.#heap.retain((timer, token) => {
      if (isLive(timer, token)) timer.takeWaits(due);
      return false;
    });
    this.#live = 0;
    for (let op = due.shift(); op !== null; op = due.shift()) op.destroy();
    this.#alarm?.clear();
    this.#armedAt = Infinity;
    this.#ctx.setBeforeDeadline(null);
    queues.delete(this.#ctx);
  }

  #arm(time: number): void {
    if (time === Infinity) return;
    this.#armedAt = time;
    this.#alarm ??= createAlarm(this.#clock, this.#onAlarm);
    this.#alarm.set(time);
  }

  /**
   * Moves every wait due by `now` (a fresh clock reading) to the context.
   * From an alarm (`fromIo`) the queue is then drained in this callback;
   * otherwise the waits are only queued.
   */
  #fireDue(fromIo: boolean, now: number): void {
    const ctx = this.#ctx;
    const heap = this.#heap;
    const due = this.#due;
    for (;;) {
      heap.popDue(now, this.#takeDue);
      const moving = this.#moving;
      if (moving === null) break;
      this.#moving = null;
      moving.moveSlot();
    }
    // Dead slots at the top go even when not due, and early ones move, so the alarm is armed for a live timer's expiry.
    while (heap.length > 0) {
      const top = heap.topItem();
      if (!isLive(top, heap.topToken())) heap.pop();
      else if (top.slotIsEarly()) {
        heap.pop();
        top.moveSlot();
      } else break;
    }
    // Re-arm before any handler runs: handlers may arm timers of their own.
    const next = heap.topExpiry();
    if (next < this.#armedAt) this.#arm(next);
    // All due waits join the run queue in one step, then (from an alarm) one drain runs them.
    if (!due.isEmpty()) ctx.enqueueAll(due, fromIo);
  }
}
