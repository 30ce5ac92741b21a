import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { CancellableOp, type CancellableOpOwner } from './cancellable-op.js';

/**
 * The operation behind `SignalSet.asyncWait`: completion signature
 * `(err: IoError | null, signal: string) => void`. Cancellable through a
 * slot like `WaitOp` (terminal, partial and total alike).
 */
export class SignalWaitOp extends CancellableOp {
  handler: Handler<[string]> | null;
  err: IoError | null;
  /** The signal name delivered, `''` until one is. */
  signal: string;

  constructor() {
    super();
    this.handler = null;
    this.err = null;
    this.signal = '';
  }

  init(handler: Handler<[string]>, allocator: Allocator, owner: CancellableOpOwner): this {
    this.handler = handler;
    this.allocator = allocator;
    this.err = null;
    this.signal = '';
    this.owner = owner;
    this.slot = null;
    return this;
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
