import { OpQueue } from '../ops/op-queue.js';
import type { WaitOp, WaitOpOwner } from '../ops/wait-op.js';
import type { TimerQueue } from './timer-queue.js';

/**
 * @internal The per-timer state a context's `TimerQueue` keeps in its heap:
 * one per `SteadyTimer`, made once with it. All pending waits of a timer
 * share its expiry (changing the expiry cancels them), so the heap holds
 * timers, and each timer holds its waits in arrival order.
 */
export class TimerEntry implements WaitOpOwner {
  /** The expiry on the context's clock. */
  expiry: number;
  /** Order among equal expiries: taken from the queue each time the expiry is set. */
  seq: number;
  /** Position in the queue's heap, -1 when not in it (no pending waits). */
  heapIndex: number;
  /** The pending waits, oldest first. */
  readonly waits: OpQueue;
  readonly queue: TimerQueue;

  constructor(queue: TimerQueue, expiry: number) {
    this.queue = queue;
    this.expiry = expiry;
    this.seq = queue.nextSeq();
    this.heapIndex = -1;
    this.waits = new OpQueue();
  }

  abortWait(op: WaitOp): void {
    this.queue.abortWait(this, op);
  }
}
