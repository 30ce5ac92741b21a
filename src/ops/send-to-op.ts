import type { Allocator } from '../allocation/allocator.js';
import type { Handler } from '../tokens/completion-token.js';
import { OP_KIND } from './operation-kind.js';
import type { CancellableOpOwner } from './cancellable-op.js';
import { TransferOp } from './transfer-op.js';

/**
 * A pending `asyncSendTo` of a datagram socket: the caller's bytes and
 * where they go. Completion signature: `(err, n)`, `n` the datagram's
 * length. Cancellable through a slot while it waits for the socket's bind;
 * once handed to the kernel it completes as usual.
 *
 * Buffer ownership: `buffer` must stay unchanged until the handler runs; the
 * op drops its reference (`reset`) before that.
 *
 * @example
 * ```ts
 * const memory = new HandlerAllocator();
 * socket.asyncSendTo(request, server, bindAllocator(memory, (err: IoError | null, n: number) => { … }));
 * memory.stats().byKind.sendTo?.live; // 1 until the send completes
 * ```
 *
 * @category Operations (advanced)
 */
export class SendToOp extends TransferOp {
  /** The datagram; sent as one. */
  buffer: Uint8Array | null;
  /** The destination port (0 for a connected send). */
  port: number;
  /** The destination IP address (`''` for a connected send). */
  address: string;

  constructor(kind: number = OP_KIND.sendTo) {
    super(kind);
    this.buffer = null;
    this.port = 0;
    this.address = '';
  }

  /**
   * Prepares the op for one datagram to `address`:`port` (`''` and 0: the
   * connected peer); `owner` (the socket) is asked to withdraw it when its
   * cancellation slot fires.
   *
   * @example
   * ```ts
   * const allocator = getAssociatedAllocator(handler, ctx.allocator);
   * const op = allocator.allocate(SendToOp).init(handler, datagram, '127.0.0.1', 5555, allocator, socket);
   * ```
   */
  init(handler: Handler<[number]>, buffer: Uint8Array, address: string, port: number, allocator: Allocator, owner: CancellableOpOwner | null = null): this {
    this.prepare(handler, allocator, owner);
    this.buffer = buffer;
    this.address = address;
    this.port = port;
    return this;
  }

  override reset(): void {
    this.buffer = null;
    this.address = '';
    this.port = 0;
    super.reset();
  }
}
