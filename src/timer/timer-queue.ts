import { OPERATION_ABORTED } from '../cancellation/operation-aborted.js';
import { createAlarm, type Alarm } from '../io-context/clock.js';
import type { IoContext, IoService } from '../io-context/io-context.js';
import { OpQueue } from '../ops/op-queue.js';
import type { WaitOp } from '../ops/wait-op.js';
import { TimerEntry } from './timer-entry.js';

const queues = new WeakMap<IoContext, TimerQueue>();

function before(a: TimerEntry, b: TimerEntry): boolean {
  return a.expiry < b.expiry || (a.expiry === b.expiry && a.seq < b.seq);
}

/**
 * @internal Every timer of one `IoContext`: a binary min-heap of timers with
 * pending waits, keyed by (expiry, sequence), and one alarm on the context's
 * clock (one Node timer on the default clock) armed for the earliest expiry.
 *
 * - Arming a timer later than the alarm costs a heap insert and nothing else.
 * - Cancelling leaves the alarm as it is; an alarm that rings with nothing
 *   due re-arms for the new earliest expiry (lazy, so arm+cancel churn never
 *   touches the Node timer).
 * - When the alarm rings, every wait due by `clock.now()` is collected in
 *   deadline order, queued on the context, and the queue drained once, in
 *   that callback: equal deadlines complete in the order they were set.
 *
 * It is the context's `IoService`: `shutdown()` destroys every pending wait
 * without invoking it.
 */
export class TimerQueue implements IoService {
  readonly #ctx: IoContext;
  readonly #heap: TimerEntry[] = [];
  readonly #due = new OpQueue();
  #alarm: Alarm | null = null;
  #armedAt = Infinity;
  #seq = 0;
  #shutDown = false;

  readonly #onAlarm = (): void => {
    this.#armedAt = Infinity;
    this.#fireDue(true);
  };
  readonly #onDeadline = (): void => {
    this.#fireDue(true);
  };

  private constructor(ctx: IoContext) {
    this.#ctx = ctx;
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

  /** How many timers have pending waits. */
  get size(): number {
    return this.#heap.length;
  }

  /** The earliest pending expiry, or `Infinity`. */
  nextExpiry(): number {
    return this.#heap.length === 0 ? Infinity : this.#heap[0]!.expiry;
  }

  /** A fresh sequence number for an expiry being set. */
  nextSeq(): number {
    return ++this.#seq;
  }

  /**
   * Adds a wait to `entry` and arms the alarm if it is the new earliest.
   * Returns false (and destroys the op) when the context is shut down.
   * The caller then installs the op's cancellation slot and calls
   * `completeIfDue`, so an already-aborted slot wins over an expired timer.
   */
  schedule(entry: TimerEntry, op: WaitOp): boolean {
    if (this.#shutDown || this.#ctx.isShutDown()) {
      op.destroy();
      return false;
    }
    entry.waits.push(op);
    if (entry.heapIndex < 0) this.#insert(entry);
    if (entry.heapIndex === 0 && entry.expiry < this.#armedAt && entry.expiry > this.#ctx.clock.now()) this.#arm(entry.expiry);
    return true;
  }

  /**
   * If `entry` is pending and already due, queues its waits on the context
   * at once (with every other due wait, in order): they run on the next
   * drain, never inside the initiating call.
   */
  completeIfDue(entry: TimerEntry): void {
    if (entry.heapIndex >= 0 && entry.expiry <= this.#ctx.clock.now()) this.#fireDue(false);
  }

  /** Aborts every pending wait of `entry`, oldest first; returns how many. */
  cancel(entry: TimerEntry): number {
    if (entry.heapIndex < 0) return 0;
    this.#remove(entry);
    const ctx = this.#ctx;
    const waits = entry.waits;
    let count = 0;
    for (let op = waits.shift() as WaitOp | null; op !== null; op = waits.shift() as WaitOp | null) {
      op.detach();
      op.err = OPERATION_ABORTED;
      ctx.enqueue(op);
      count++;
    }
    return count;
  }

  /** Aborts the oldest pending wait of `entry`; returns 1, or 0 when none was pending. */
  cancelOne(entry: TimerEntry): number {
    const op = entry.waits.front() as WaitOp | null;
    if (op === null) return 0;
    this.abortWait(entry, op);
    return 1;
  }

  /** Aborts `op` if it is still pending on `entry` (cancellation slot path). */
  abortWait(entry: TimerEntry, op: WaitOp): void {
    if (!entry.waits.remove(op)) return;
    if (entry.waits.isEmpty()) this.#remove(entry);
    op.detach();
    op.err = OPERATION_ABORTED;
    this.#ctx.enqueue(op);
  }

  shutdown(): void {
    this.#shutDown = true;
    const heap = this.#heap;
    for (const entry of heap) {
      entry.heapIndex = -1;
      for (let op = entry.waits.shift(); op !== null; op = entry.waits.shift()) op.destroy();
    }
    heap.length = 0;
    this.#alarm?.clear();
    this.#armedAt = Infinity;
    this.#ctx.setBeforeDeadline(null);
    queues.delete(this.#ctx);
  }

  #arm(time: number): void {
    if (time === Infinity) return;
    this.#armedAt = time;
    this.#alarm ??= createAlarm(this.#ctx.clock, this.#onAlarm);
    this.#alarm.set(time);
  }

  /**
   * Moves every wait due by now to the context. From an alarm (`fromIo`) the
   * last one goes through `completeFromIo`, which drains the queue in this
   * callback; otherwise all are only queued.
   */
  #fireDue(fromIo: boolean): void {
    const ctx = this.#ctx;
    const now = ctx.clock.now();
    const heap = this.#heap;
    const due = this.#due;
    while (heap.length > 0 && heap[0]!.expiry <= now) {
      const entry = heap[0]!;
      this.#remove(entry);
      const waits = entry.waits;
      for (let op = waits.shift() as WaitOp | null; op !== null; op = waits.shift() as WaitOp | null) {
        op.detach();
        due.push(op);
      }
    }
    // Re-arm before any handler runs: handlers may arm timers of their own.
    if (heap.length > 0 && heap[0]!.expiry < this.#armedAt) this.#arm(heap[0]!.expiry);
    for (let op = due.shift(); op !== null; op = due.shift()) {
      if (fromIo && due.isEmpty()) ctx.completeFromIo(op);
      else ctx.enqueue(op);
    }
  }

  #insert(entry: TimerEntry): void {
    const heap = this.#heap;
    entry.heapIndex = heap.length;
    heap.push(entry);
    this.#siftUp(entry.heapIndex);
  }

  #remove(entry: TimerEntry): void {
    const heap = this.#heap;
    const index = entry.heapIndex;
    entry.heapIndex = -1;
    const last = heap.pop()!;
    if (last === entry) return;
    heap[index] = last;
    last.heapIndex = index;
    if (index > 0 && before(last, heap[(index - 1) >> 1]!)) this.#siftUp(index);
    else this.#siftDown(index);
  }

  #siftUp(index: number): void {
    const heap = this.#heap;
    const entry = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!before(entry, parent)) break;
      heap[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    heap[index] = entry;
    entry.heapIndex = index;
  }

  #siftDown(index: number): void {
    const heap = this.#heap;
    const length = heap.length;
    const entry = heap[index]!;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && before(heap[right]!, heap[left]!)) child = right;
      const smallest = heap[child]!;
      if (!before(smallest, entry)) break;
      heap[index] = smallest;
      smallest.heapIndex = index;
      index = child;
    }
    heap[index] = entry;
    entry.heapIndex = index;
  }
}
