import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { OP_KIND } from './operation-kind.js';
import { CancellableOp, type CancellableOpOwner } from './cancellable-op.js';

/**
 * The operation behind `SteadyTimer.asyncWait`: completion signature
 * `(err: IoError | null) => void`. While pending it sits in its timer's
 * wait list (linked through `Operation.next`, so waiting allocates nothing
 * beyond the op) and, when the handler carries a cancellation slot, is itself
 * the slot's handler (so cancelling allocates nothing). It honours
 * terminal, partial and total cancellation alike: a wait has no side effects.
 *
 * @example
 * ```ts
 * const memory = new HandlerAllocator();
 * const timer = new SteadyTimer(ctx);
 * timer.expiresAfter(100);
 * timer.asyncWait(bindAllocator(memory, (err: IoError | null) => { … })); // a WaitOp from `memory`
 * memory.stats().byKind.wait?.live; // 1 while the wait is pending
 * ```
 */
export class WaitOp extends CancellableOp {
  /** The completion handler; `null` while the op is free. */
  handler: Handler | null;
  /** `null` when the timer expired, `operation_aborted` when the wait was cancelled. */
  err: IoError | null;

  constructor() {
    super(OP_KIND.wait);
    this.handler = null;
    this.err = null;
  }

  /**
   * Prepares the op for one wait on `owner` (the timer), with `handler` and
   * the allocator it goes back to.
   *
   * @example
   * ```ts
   * // What SteadyTimer.asyncWait does:
   * const allocator = getAssociatedAllocator(handler, ctx.allocator);
   * const op = allocator.allocate(WaitOp).init(handler, allocator, timer);
   * ```
   */
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
    this.free(allocator);
    handler(err);
  }
}
