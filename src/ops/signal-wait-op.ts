import type { Allocator } from '../allocation/allocator.js';
import type { CancellationHandler, CancellationSlot } from '../cancellation/cancellation-slot.js';
import { ANY_CANCELLATION, type CancellationType } from '../cancellation/cancellation-type.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { Operation } from './operation.js';

/** @internal What a pending `SignalWaitOp` waits on. */
export interface SignalWaitOpOwner {
  /** Aborts `op` if it is still pending here (queues it with `operation_aborted`). */
  abortWait(op: SignalWaitOp): void;
}

/**
 * The operation behind `SignalSet.asyncWait`: completion signature
 * `(err: IoError | null, signal: string) => void`. Cancellable through a
 * slot like `WaitOp` (terminal, partial and total alike).
 */
export class SignalWaitOp extends Operation implements CancellationHandler {
  handler: Handler<[string]> | null;
  err: IoError | null;
  /** The signal name delivered, `''` until one is. */
  signal: string;
  owner: SignalWaitOpOwner | null;
  slot: CancellationSlot | null;

  constructor() {
    super();
    this.handler = null;
    this.err = null;
    this.signal = '';
    this.owner = null;
    this.slot = null;
  }

  init(handler: Handler<[string]>, allocator: Allocator, owner: SignalWaitOpOwner): this {
    this.handler = handler;
    this.allocator = allocator;
    this.err = null;
    this.signal = '';
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
    this.signal = '';
    this.allocator = null;
    this.next = null;
  }

  override complete(): void {
    const handler = this.handler!;
    const err = this.err;
    const signal = this.signal;
    const allocator = this.allocator!;
    this.reset();
    // Free before invoking: the handler may start the next operation in this memory.
    allocator.deallocate(this);
    handler(err, signal);
  }
}
