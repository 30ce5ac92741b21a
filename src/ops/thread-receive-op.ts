import type { Allocator } from '../allocation/allocator.js';
import type { Handler } from '../tokens/completion-token.js';
import type { CancellableOpOwner } from './cancellable-op.js';
import { OP_KIND } from './operation-kind.js';
import { ResultOp } from './result-op.js';

/**
 * The operation behind `ThreadInbox.asyncReceive`: completion signature
 * `(err: IoError | null, value: unknown) => void` (`value` is `undefined`
 * with an error). While it waits for a message from another thread it sits
 * in its inbox's receive queue. Cancellable through a slot while it waits
 * (terminal, partial and total alike: it has taken nothing yet).
 *
 * @category Operations (advanced)
 */
export class ThreadReceiveOp extends ResultOp<unknown> {
  constructor() {
    super(OP_KIND.threadReceive, undefined);
  }

  /**
   * @internal Prepares the op for one receive; `owner` (the inbox) is asked to
   * withdraw it when its cancellation slot fires.
   */
  init(handler: Handler<[unknown]>, allocator: Allocator, owner: CancellableOpOwner): this {
    this.prepare(handler, allocator, owner);
    return this;
  }
}
