import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { CancellableOp, type CancellableOpOwner } from './cancellable-op.js';

/**
 * The operation behind `SteadyTimer.asyncWait`: completion signature
 * `(err: IoError | null) => void`. While pending it sits in its timer's
 * wait list (linked through `Operation.next`, so waiting allocates nothing
 * beyond the op) and, when the handler carries a cancellation slot, is itself
 * the slot's handler (so cancelling allocates nothing). It honours
 * terminal, partial and total cancellation alike: a wait has no side effects.
 */
export class WaitOp extends CancellableOp {
  handler: Handler | null;
  err: IoError | null;

  constructor() {
    super();
    this.handler = null;
    this.err = null;
  }

  init(handler: Handler, allocator: Allocator, owner: CancellableOpOwner): this {
    this.handler = handler;
    this.allocator = allocator;
    this.err = null;
    this.owner = owner;
    this.slot = null;
    return this;
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
