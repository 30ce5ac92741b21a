import type { IoError } from '../errors/io-error.js';
import { destroyOwnedHandler } from '../net/owned-handler.js';
import type { Handler } from '../tokens/completion-token.js';
import { CancellableOp } from './cancellable-op.js';

/**
 * The base of `ReadSomeOp` and `WriteSomeOp`: a socket operation that moves
 * bytes and completes with `(err, n)`, the number of bytes transferred.
 * It holds the handler and the result; each subclass adds its buffers.
 *
 * @example
 * ```ts
 * const op = allocator.allocate(ReadSomeOp).init(handler, buf, allocator);
 * op.finish(null, 5); // a TransferOp's result: (err, bytes)
 * op.complete();      // freed first, then handler(null, 5)
 * ```
 */
export abstract class TransferOp extends CancellableOp {
  /** The completion handler; `null` while the op is free. */
  handler: Handler<[number]> | null = null;
  /** The error the handler gets: `null` on success, `eof` at the end of a read. */
  err: IoError | null = null;
  /** How many bytes were transferred. */
  bytes = 0;

  /**
   * Records the result and leaves the cancellation slot; the owner then
   * queues the op on its context.
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

  /**
   * Clears the handler, the result and the links; subclasses clear their
   * buffers and call this.
   *
   * @example
   * ```ts
   * class DatagramOp extends TransferOp {
   *   data: Uint8Array | null = null;
   *   override reset(): void {
   *     this.data = null;
   *     super.reset();
   *   }
   * }
   * ```
   */
  override reset(): void {
    this.detach();
    this.handler = null;
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
   * op.destroy(); // context shutdown: the op (and an asyncRead/asyncWrite it was a step of) goes back to its allocator
   * ```
   */
  override destroy(): void {
    const handler = this.handler;
    super.destroy();
    destroyOwnedHandler(handler);
  }

  override trackingArgs(): string {
    return `${super.trackingArgs()},bytes_transferred=${String(this.bytes)}`;
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
