import type { Allocator } from '../allocation/allocator.js';
import type { Handler } from '../tokens/completion-token.js';
import { OP_KIND } from './operation-kind.js';
import type { CancellableOpOwner } from './cancellable-op.js';
import { TransferOp } from './transfer-op.js';

/**
 * A pending `asyncReceive` of a datagram socket: the caller's buffer, and
 * the result once one datagram has been copied into it. Completion
 * signature: `(err, n)`. Cancellable through a slot while pending
 * (terminal, partial and total: no datagram has been taken for it).
 *
 * Buffer ownership: `buffer` belongs to the operation from initiation until
 * the handler runs; the op drops its reference (`reset`) before that.
 *
 * @example
 * ```ts
 * const memory = new HandlerAllocator();
 * const buf = Buffer.alloc(1500);
 * const onDatagram = makeCustomAllocHandler(memory, (err: IoError | null, n: number) => {
 *   if (!err) socket.asyncReceive(buf, onDatagram); // the same ReceiveOp object every time
 * });
 * socket.asyncReceive(buf, onDatagram);
 * ```
 *
 * @category Operations (advanced)
 */
export class ReceiveOp extends TransferOp {
  /** The caller's buffer; at most `buffer.length` bytes of the datagram land in it. */
  buffer: Uint8Array | null;

  constructor(kind: number = OP_KIND.receive) {
    super(kind);
    this.buffer = null;
  }

  /**
   * Prepares the op for one datagram into `buffer`; `owner` (the socket) is
   * asked to withdraw it when its cancellation slot fires.
   *
   * @example
   * ```ts
   * const allocator = getAssociatedAllocator(handler, ctx.allocator);
   * const op = allocator.allocate(ReceiveOp).init(handler, buf, allocator, socket);
   * ```
   */
  init(handler: Handler<[number]>, buffer: Uint8Array, allocator: Allocator, owner: CancellableOpOwner | null = null): this {
    this.prepare(handler, allocator, owner);
    this.buffer = buffer;
    return this;
  }

  /** @internal Records a datagram's delivery: `n` bytes copied, from `sender` (kept by `ReceiveFromOp`). */
  deliver(n: number, _sender: object): this {
    return this.finish(null, n); // a plain receive does not keep the sender
  }

  override reset(): void {
    this.buffer = null;
    super.reset();
  }
}
