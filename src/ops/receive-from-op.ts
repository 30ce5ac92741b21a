import type { Allocator } from '../allocation/allocator.js';
import type { Handler } from '../tokens/completion-token.js';
import { OP_KIND } from './operation-kind.js';
import type { CancellableOpOwner } from './cancellable-op.js';
import { ReceiveOp } from './receive-op.js';

/** What the handler gets as the sender when there is no datagram (an error): asio's default endpoint, 0.0.0.0:0. */
const NO_SENDER = Object.freeze({ address: '0.0.0.0', port: 0, family: 'IPv4' });

/**
 * A pending `asyncReceiveFrom`: a `ReceiveOp` that also reports the
 * datagram's sender. Completion signature: `(err, n, from)`; on an error
 * `from` is the unspecified endpoint `0.0.0.0:0`.
 *
 * @example
 * ```ts
 * const memory = new HandlerAllocator();
 * const onDatagram = makeCustomAllocHandler(memory, (err: IoError | null, n: number, from: Endpoint) => {
 *   if (!err) socket.asyncSendTo(buf.subarray(0, n), from, onSent);
 * });
 * socket.asyncReceiveFrom(buf, onDatagram);
 * ```
 *
 * @category Operations (advanced)
 */
export class ReceiveFromOp extends ReceiveOp {
  /** The sender of the datagram delivered; `null` until one is. */
  sender: object | null;

  constructor() {
    super(OP_KIND.receiveFrom);
    this.sender = null;
  }

  /**
   * Prepares the op for one datagram into `buffer`, for a handler that takes
   * the sender as its third argument.
   *
   * @example
   * ```ts
   * const allocator = getAssociatedAllocator(handler, ctx.allocator);
   * const op = allocator.allocate(ReceiveFromOp).initFrom(handler, buf, allocator, socket);
   * ```
   */
  initFrom<E>(handler: Handler<[number, E]>, buffer: Uint8Array, allocator: Allocator, owner: CancellableOpOwner | null = null): this {
    this.sender = null;
    return this.init(handler as unknown as Handler<[number]>, buffer, allocator, owner);
  }

  /** @internal Records a datagram's delivery and its sender. */
  override deliver(n: number, sender: object): this {
    this.sender = sender;
    return this.finish(null, n);
  }

  override reset(): void {
    this.sender = null;
    super.reset();
  }

  /**
   * Frees the op, then invokes the handler with `(err, n, from)`.
   *
   * @example
   * ```ts
   * op.deliver(5, { address: '127.0.0.1', port: 5555, family: 'IPv4' });
   * op.complete(); // op back in its allocator first, then handler(null, 5, from)
   * ```
   */
  override complete(): void {
    const handler = this.handler as unknown as Handler<[number, object]>;
    const err = this.err;
    const n = this.result;
    const sender = this.sender ?? NO_SENDER;
    const allocator = this.allocator!;
    this.reset();
    // Free before invoking: the handler may start the next receive in this memory.
    this.free(allocator);
    handler(err, n, sender);
  }
}
