import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { Operation } from './operation.js';

/** A pending `asyncConnect`. Completion signature: `(err)`. */
export class ConnectOp extends Operation {
  handler: Handler | null;
  err: IoError | null;

  constructor() {
    super();
    this.handler = null;
    this.err = null;
  }

  init(handler: Handler, allocator: Allocator): this {
    this.handler = handler;
    this.err = null;
    this.allocator = allocator;
    return this;
  }

  /** Records the result; the owner then queues the op on its context. */
  finish(err: IoError | null): this {
    this.err = err;
    return this;
  }

  override reset(): void {
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
