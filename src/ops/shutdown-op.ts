import { OP_KIND } from './operation-kind.js';
import { StatusOp } from './status-op.js';

/**
 * A pending `SslStream.asyncShutdown`. Completion signature: `(err)`, once
 * the TLS close_notify (and the end of the stream under it) is handed to
 * the kernel. Cancellable through a slot while pending (terminal only: the
 * close_notify may already be on its way; the handler gets
 * `operation_aborted`).
 *
 * @category Operations (advanced)
 */
export class ShutdownOp extends StatusOp {
  constructor() {
    super(OP_KIND.shutdown);
  }
}
