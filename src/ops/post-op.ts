import type { Allocator } from '../allocation/allocator.js';
import { OP_KIND } from './operation-kind.js';
import { Operation } from './operation.js';

/**
 * The operation behind `post`, `defer` and a queued `dispatch`: a nullary
 * handler. Completion signature: `() => void`. It is allocated from the
 * handler's associated allocator (the context's when it has none) and freed
 * before the handler runs.
 *
 * @category Operations (advanced)
 */
export class PostOp extends Operation {
  /** The handler to invoke; `null` while the op is free. */
  handler: (() => void) | null;

  constructor() {
    super(OP_KIND.post);
    this.handler = null;
  }

  /**
   * @internal Prepares the op for one use: `handler` runs on completion, and the op
   * goes back to `allocator` just before.
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
