import type { Allocator } from '../allocation/allocator.js';
import type { Handler } from '../tokens/completion-token.js';
import type { CancellableOpOwner } from './cancellable-op.js';
import { OP_KIND } from './operation-kind.js';
import { ResultOp } from './result-op.js';

/**
 * A pending `asyncAccept`. Completion signature: `(err, socket)`; the
 * socket is `S` (a `TcpSocket`), or `null` when `err` is set. Cancellable
 * through a slot while pending (terminal, partial and total: a connection
 * that arrives later waits for the next accept).
 *
 * @category Operations (advanced)
 */
export class AcceptOp<S = unknown> extends ResultOp<S | null> {
  constructor() {
    super(OP_KIND.accept, null);
  }

  /** The accepted socket, `null` until one is, or when `err` is set. */
  get socket(): S | null {
    return this.result;
  }

  /**
   * @internal Prepares the op for one accept; `owner` (the acceptor) is asked to
   * withdraw it when its cancellation slot fires.
   */
  init(handler: Handler<[S]>, allocator: Allocator, owner: CancellableOpOwner | null = null): this {
    // The handler sees a socket whenever err is null; the null result goes only with an error.
    this.prepare(handler as Handler<[S | null]>, allocator, owner);
    return this;
  }
}
