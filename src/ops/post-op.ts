import type { Allocator } from '../allocation/allocator.js';
import { Operation } from './operation.js';

/** The operation behind `post`, `defer` and a queued `dispatch`: a nullary handler. */
export class PostOp extends Operation {
  handler: (() => void) | null;

  constructor() {
    super();
    this.handler = null;
  }

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
    allocator.deallocate(this);
    handler();
  }
}
