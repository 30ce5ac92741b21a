import type { Allocator } from '../allocation/allocator.js';
import { OP_KIND } from './operation-kind.js';
import { Operation } from './operation.js';

/**
 * The operation behind `post`, `defer` and a queued `dispatch`: a nullary
 * handler. Completion signature: `() => void`. It is allocated from the
 * handler's associated allocator (the context's when it has none) and freed
 * before the handler runs.
 *
 * @example
 * ```ts
 * const tracking = new TrackingAllocator(undefined, { log: true });
 * const ctx = new IoContext({ allocator: tracking });
 * post(ctx, () => tracking.record('invoke'));
 * await ctx.run();
 * tracking.events; // ['allocate:PostOp', 'deallocate:PostOp', 'invoke']
 * ```
 */
export class PostOp extends Operation {
  /** The handler to invoke; `null` while the op is free. */
  handler: (() => void) | null;

  constructor() {
    super(OP_KIND.post);
    this.handler = null;
  }

  /**
   * Prepares the op for one use: `handler` runs on completion, and the op
   * goes back to `allocator` just before.
   *
   * @example
   * ```ts
   * // What a context's executor does for post(ctx, handler):
   * const allocator = getAssociatedAllocator(handler, ctx.allocator);
   * const op = allocator.allocate(PostOp).init(handler, allocator);
   * op.complete(); // op back in `allocator` first, then handler()
   * ```
   */
  init(handler: () => void, allocator: Allocator): this {
    this.handler = handler;
    this.allocator = allocator;
    return this;
  }

  override reset(): void {
    this.handler = null;
    this.allocator = null;
    this.next = null;
  }

  override complete(): void {
    const handler = this.handler!;
    const allocator = this.allocator!;
    this.reset();
    // Free before invoking: the handler may start the next operation in this memory.
    this.free(allocator);
    handler();
  }
}
