import { OP_KIND } from './operation-kind.js';
import { StatusOp } from './status-op.js';

/**
 * A pending `asyncConnect`. Completion signature: `(err)`. Cancellable
 * through a slot while pending (terminal, partial and total: the attempt is
 * abandoned and the socket is left open and unconnected).
 *
 * @category Operations (advanced)
 */
export class ConnectOp extends StatusOp {
  constructor() {
    super(OP_KIND.connect);
  }
}
