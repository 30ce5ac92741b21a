import { asioErrorCode } from '../diagnostics/asio-error-code.js';
import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { destroyOwnedHandler } from '../net/owned-handler.js';
import { OP_KIND } from './operation-kind.js';
import { CancellableOp, type CancellableOpOwner } from './cancellable-op.js';

/**
 * A pending `asyncReadSome`: the caller's buffer, and the result once the
 * bytes have landed in it. Completion signature: `(err, n)`. Cancellable
 * through a slot while pending (terminal, partial and total: no byte has
 * been consumed from the stream until it completes).
 *
 * Buffer ownership: `buffer` belongs to the operation from initiation until
 * the handler runs; the op drops its reference (`reset`) before that.
 *
 * @example
 * ```ts
 * const memory = new HandlerAllocator();
 * const buf = Buffer.alloc(4096);
 * const onRead = makeCustomAllocHandler(memory, (err: IoError | null, n: number) => {
 *   if (!err) socket.asyncReadSome(buf, onRead); // the same ReadSomeOp object every time
 * });
 * socket.asyncReadSome(buf, onRead);
 * ```
 */
export class ReadSomeOp extends CancellableOp {
  /** The completion handler; `null` while the op is free. */
  handler: Handler<[number]> | null;
  /** The caller's buffer; the socket reads straight into it. */
  buffer: Uint8Array | null;
  /** The error the handler gets: `null` on success, `eof` at the end of the stream. */
  err: IoError | null;
  /** How many bytes landed in `buffer`. */
  bytes: number;

  constructor() {
    super(OP_KIND.readSome);
    this.handler = null;
    this.buffer = null;
    this.err = null;
    this.bytes = 0;
  }

  /**
   * Prepares the op for one read into `buffer`; `owner` (the socket) is
   * asked to withdraw it when its cancellation slot fires.
   *
   * @example
   * ```ts
   * // What TcpSocket.asyncReadSome does:
   * const allocator = getAssociatedAllocator(handler, ctx.allocator);
   * const op = allocator.allocate(ReadSomeOp).init(handler, buf, allocator, socket);
   * ```
   */
  init(handler: Handler<[number]>, buffer: Uint8Array, allocator: Allocator, owner: CancellableOpOwner | null = null): this {
    this.owner = owner;
    this.slot = null;
    this.handler = handler;
    this.buffer = buffer;
    this.err = null;
    this.bytes = 0;
    this.allocator = allocator;
    return this;
  }

  /**
   * Records the result; the owner then queues the op on its context.
   *
   * @example
   * ```ts
   * const op = allocator.allocate(ReadSomeOp).init(handler, buf, allocator);
   * buf.set(Buffer.from('hello')); // what the socket does when bytes arrive
   * op.finish(null, 5);
   * op.complete(); // op back in `allocator` first, then handler(null, 5)
   * ```
   */
  finish(err: IoError | null, bytes: number): this {
    this.detach();
    this.err = err;
    this.bytes = bytes;
    return this;
  }

  override reset(): void {
    this.detach();
    this.handler = null;
    this.buffer = null;
    this.err = null;
    this.bytes = 0;
    this.allocator = null;
    this.next = null;
  }

  /**
   * Frees this op without invoking its handler, and destroys a composed
   * operation that handler belongs to.
   *
   * @example
   * ```ts
   * op.destroy(); // context shutdown: the op (and an asyncRead it was a step of) goes back to its allocator
   * ```
   */
  override destroy(): void {
    const handler = this.handler;
    super.destroy();
    destroyOwnedHandler(handler);
  }

  override trackingArgs(): string {
    return `ec=${asioErrorCode(this.err)},bytes_transferred=${String(this.bytes)}`;
  }

  override complete(): void {
    const handler = this.handler!;
    const err = this.err;
    const bytes = this.bytes;
    const allocator = this.allocator!;
    this.reset();
    // Free before invoking: the handler may start the next operation in this memory.
    this.free(allocator);
    handler(err, bytes);
  }
}
