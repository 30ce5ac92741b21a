import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { CancellableOp, type CancellableOpOwner } from './cancellable-op.js';

/**
 * A pending `asyncConnect`. Completion signature: `(err)`. Cancellable
 * through a slot while pending (terminal, partial and total: the attempt is
 * abandoned and the socket is left open and unconnected).
 */
export class ConnectOp extends CancellableOp {
  handler: Handler | null;
  err: IoError | null;

  constructor() {
    super();
    this.handler = null;
    this.err = null;
  }

  init(handler: Handler, allocator: Allocator, owner: CancellableOpOwner | null = null): this {
    this.owner = owner;
    this.slot = null;
    this.handler = handler;
    this.err = null;
    this.allocator = allocator;
    return this;
  }

  /** Records the result; the owner then queues the op on its context. */
  finish(err: IoError | null): this {
    this.detach();
    this.err = err;
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
