import { OP_KIND } from './operation-kind.js';
import { StatusOp } from './status-op.js';

/**
 * A wait for a datagram socket's bind to complete, started by
 * `bind(endpoint, token)`. Completion signature: `(err)`. Cancellable
 * through a slot while pending: the wait is withdrawn, the bind goes on.
 *
 * @example
 * ```ts
 * await socket.bind({ host: '127.0.0.1', port: 0 }, usePromise);
 * ctx.allocationStats().byKind.bind?.allocations; // 1
 * ```
 *
 * @category Operations (advanced)
 */
export class BindOp extends StatusOp {
  constructor() {
    super(OP_KIND.bind);
  }
}
