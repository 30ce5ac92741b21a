import { OP_KIND } from './operation-kind.js';
import { StatusOp } from './status-op.js';

/**
 * A pending `asyncWaitListening`. Completion signature: `(err)`. Cancellable
 * through a slot while pending (terminal, partial and total: only the wait
 * is withdrawn; the acceptor goes on waiting for its listening socket).
 *
 * @category Operations (advanced)
 */
export class ListenWaitOp extends StatusOp {
  constructor() {
    super(OP_KIND.listenWait);
  }
}
