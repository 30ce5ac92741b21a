import type { Allocator } from '../allocation/allocator.js';
import type { CancellationHandler, CancellationSlot } from '../cancellation/cancellation-slot.js';
import { ANY_CANCELLATION, type CancellationType } from '../cancellation/cancellation-type.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { Operation } from './operation.js';

/** @internal What a pending `WaitOp` waits on: it can withdraw the op when cancellation is requested. */
export interface WaitOpOwner {
  /** Aborts `op` if it is still pending here (queues it with `operation_aborted`). */
  abortWait(op: WaitOp): void;
}

/**
 * The operation behind `SteadyTimer.asyncWait`: completion signature
 * `(err: IoError | null) => void`. While pending it sits in its timer's
 * wait list (linked through `Operation.next`, so waiting allocates nothing
 * beyond the op) and, when the handler carries a cancellation slot, is itself
 * the slot's handler (so cancelling allocates nothing). It honours
 * terminal, partial and total cancellation alike: a wait has no side effects.
 */
export class WaitOp extends Operation implements CancellationHandler {
  handler: Handler | null;
  err: IoError | null;
  /** The timer this op waits on while pending; `null` once it left the timer. */
  owner: WaitOpOwner | null;
  /** The slot this op is installed in, if any. */
  slot: CancellationSlot | null;

  constructor() {
    super();
    this.handler = null;
    this.err = null;
    this.owner = null;
    this.slot = null;
  }

  init(handler: Handler, allocator: Allocator, owner: WaitOpOwner): this {
    this.handler = handler;
    this.allocator = allocator;
    this.err = null;
    this.owner = owner;
    this.slot = null;
    return this;
  }

  /** Installs this op as `slot`'s cancellation handler. */
  installSlot(slot: CancellationSlot): void {
    this.slot = slot;
    slot.assign(this);
  }

  /** Leaves the owner and uninstalls from the slot: the op is no longer cancellable. */
  detach(): void {
    this.owner = null;
    const slot = this.slot;
    if (slot !== null) {
      this.slot = null;
      slot.clearIf(this);
    }
  }

  onCancellation(type: CancellationType): void {
    if ((type & ANY_CANCELLATION) !== 0) this.owner?.abortWait(this);
  }

  override reset(): void {
    this.detach();
    this.handler = null;
    this.err = null;
    this.allocator = null;
    this.next = null;
  }

  override complete(): void {
    const handler = this.handler!;
    const err = this.err;
    const allocator = this.allocator!;
    this.reset();
    // Free before invoking: the handler may start the next operation in this memory.
    allocator.deallocate(this);
    handler(err);
  }
}
