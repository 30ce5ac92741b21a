import { OP_KIND } from './operation-kind.js';
import { StatusOp } from './status-op.js';

/**
 * A pending `asyncConnect`. Completion signature: `(err)`. Cancellable
 * through a slot while pending (terminal, partial and total: the attempt is
 * abandoned and the socket is left open and unconnected).
 *
 * @example
 * ```ts
 * const memory = new HandlerAllocator();
 * socket.asyncConnect({ host: '127.0.0.1', port: 5555 }, bindAllocator(memory, (err: IoError | null) => { … }));
 * memory.stats().byKind.connect?.live; // 1 until the connect completes
 * ```
 */
export class ConnectOp extends StatusOp {
  constructor() {
    super(OP_KIND.connect);
  }
}
