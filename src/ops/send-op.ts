import { OP_KIND } from './operation-kind.js';
import { SendToOp } from './send-to-op.js';

/**
 * A pending `asyncSend` on a connected datagram socket: a `SendToOp` with no
 * destination of its own, counted under its own kind (`send`). Completion
 * signature: `(err, n)`.
 *
 * @example
 * ```ts
 * await socket.asyncConnect(server, usePromise);
 * socket.asyncSend(request, (err, n) => { … });
 * ctx.allocationStats().byKind.send?.allocations; // 1
 * ```
 *
 * @category Operations (advanced)
 */
export class SendOp extends SendToOp {
  constructor() {
    super(OP_KIND.send);
  }
}
