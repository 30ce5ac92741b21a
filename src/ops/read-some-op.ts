import type { Allocator } from '../allocation/allocator.js';
import type { Handler } from '../tokens/completion-token.js';
import { OP_KIND } from './operation-kind.js';
import type { CancellableOpOwner } from './cancellable-op.js';
import { TransferOp } from './transfer-op.js';

/**
 * A pending `asyncReadSome`: the caller's buffer, and the result once the
 * bytes have landed in it. Completion signature: `(err, n)`. Cancellable
 * through a slot while pending (terminal, partial and total: no byte has
 * been consumed from the stream until it completes).
 *
 * Buffer ownership: `buffer` belongs to the operation from initiation until
 * the handler runs; the op drops its reference (`reset`) before that.
 *
 * @category Operations (advanced)
 */
export class ReadSomeOp extends TransferOp {
  /** The caller's buffer; the socket reads straight into it. */
  buffer: Uint8Array | null;

  constructor() {
    super(OP_KIND.readSome);
    this.buffer = null;
  }

  /**
   * @internal Prepares the op for one read into `buffer`; `owner` (the socket) is
   * asked to withdraw it when its cancellation slot fires.
   */
  init(handler: Handler<[number]>, buffer: Uint8Array, allocator: Allocator, owner: CancellableOpOwner | null = null): this {
    this.prepare(handler, allocator, owner);
    this.buffer = buffer;
    return this;
  }

  override reset(): void {
    this.buffer = null;
    super.reset();
  }
}
