import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { CancellableOp, type CancellableOpOwner } from './cancellable-op.js';

/**
 * The base of every cancellable operation that completes with an
 * error alone, `(err)`: connect and timer waits. `ResultOp` without the
 * result.
 *
 * @category Operations (advanced)
 */
export abstract class StatusOp extends CancellableOp {
  // Set in the constructor, not by initializers, for the speed of construction (see Operation).
  /** The completion handler; `null` while the op is free. */
  declare handler: Handler | null;
  /** The error the handler gets (`null` on success). */
  declare err: IoError | null;

  /** @param kind the op's index in `OPERATION_KINDS`, passed on to `Operation`. */
  constructor(kind?: number) {
    super(kind);
    this.handler = null;
    this.err = null;
  }

  /**
   * @internal Prepares the op for one use; `owner` (the I/O object) is asked to
   * withdraw it when its cancellation slot fires.
   */
  init(handler: Handler, allocator: Allocator, owner: CancellableOpOwner | null = null): this {
    this.owner = owner;
    this.slot = null;
    this.handler = handler;
    this.err = null;
    this.allocator = allocator;
    return this;
  }

  /**
   * @internal Records the result; the owner then queues the op on its context.
   */
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
    this.free(allocator);
    handler(err);
  }
}
