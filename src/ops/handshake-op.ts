import { OP_KIND } from './operation-kind.js';
import { StatusOp } from './status-op.js';

/**
 * A pending `SslStream.asyncHandshake`. Completion signature: `(err)`.
 * Cancellable through a slot while pending (terminal, partial and total:
 * the handshake is abandoned and the stream closed, since a half-done
 * handshake cannot be resumed).
 *
 * @category Operations (advanced)
 */
export class HandshakeOp extends StatusOp {
  constructor() {
    super(OP_KIND.handshake);
  }
}
