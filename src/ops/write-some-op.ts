import type { Allocator } from '../allocation/allocator.js';
import type { Handler } from '../tokens/completion-token.js';
import { OP_KIND } from './operation-kind.js';
import type { CancellableOpOwner } from './cancellable-op.js';
import { TransferOp } from './transfer-op.js';

/**
 * A pending `asyncWriteSome`: one buffer or a gathered sequence of buffers,
 * their total length, and the result. Completion signature: `(err, n)`.
 * Cancellable through a slot while pending; its owner decides which types
 * it can honour (all of them while its bytes wait behind another write,
 * only terminal once Node holds them).
 *
 * Buffer ownership: the bytes of `buffers` must stay unchanged from
 * initiation until the handler runs.
 *
 * @category Operations (advanced)
 */
export class WriteSomeOp extends TransferOp {
  /** The caller's bytes; they must stay unchanged until the handler runs. */
  buffers: Uint8Array | readonly Uint8Array[] | null;
  /** How many bytes `buffers` holds in all. */
  total: number;

  constructor() {
    super(OP_KIND.writeSome);
    this.buffers = null;
    this.total = 0;
  }

  /**
   * @internal Prepares the op for one write of `buffers` (`total` bytes in all);
   * `owner` (the socket) is asked to withdraw it when its cancellation slot
   * fires.
   */
  init(
    handler: Handler<[number]>,
    buffers: Uint8Array | readonly Uint8Array[],
    total: number,
    allocator: Allocator,
    owner: CancellableOpOwner | null = null,
  ): this {
    this.prepare(handler, allocator, owner);
    this.buffers = buffers;
    this.total = total;
    return this;
  }

  override reset(): void {
    this.buffers = null;
    this.total = 0;
    super.reset();
  }
}
