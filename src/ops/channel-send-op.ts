import type { Allocator } from '../allocation/allocator.js';
import type { Handler } from '../tokens/completion-token.js';
import type { CancellableOpOwner } from './cancellable-op.js';
import { OP_KIND } from './operation-kind.js';
import { StatusOp } from './status-op.js';

/**
 * The operation behind `Channel.asyncSend`: completion signature
 * `(err: IoError | null) => void`. While it waits for room it sits in its
 * channel's sender queue (linked through `Operation.next`) carrying the
 * value, so a waiting send allocates nothing beyond the op. Cancellable
 * through a slot while it waits (terminal, partial and total alike: its
 * value has not been delivered, so it has had no side effects).
 *
 * @category Operations (advanced)
 */
export class ChannelSendOp extends StatusOp {
  /** The value being sent; `undefined` while the op is free, so a pooled op keeps nothing alive. */
  value: unknown = undefined;

  constructor() {
    super(OP_KIND.channelSend);
  }

  /**
   * @internal Prepares the op to send `value`; `owner` (the channel) is asked to
   * withdraw it when its cancellation slot fires.
   */
  override init(handler: Handler, allocator: Allocator, owner: CancellableOpOwner | null = null, value?: unknown): this {
    super.init(handler, allocator, owner);
    this.value = value;
    return this;
  }

  override reset(): void {
    // The value too: a pooled op must not keep what it carried alive.
    this.value = undefined;
    super.reset();
  }
}
