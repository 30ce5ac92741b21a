import { asioErrorCode } from '../diagnostics/asio-error-code.js';
import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { destroyOwnedHandler } from '../net/owned-handler.js';
import { OP_KIND } from './operation-kind.js';
import { CancellableOp, type CancellableOpOwner } from './cancellable-op.js';

/**
 * A pending `asyncWriteSome`: one buffer or a gathered sequence of buffers,
 * their total length, and the result. Completion signature: `(err, n)`.
 * Cancellable through a slot while pending; its owner decides which types
 * it can honour (all of them while its bytes wait behind another write,
 * only terminal once Node holds them).
 *
 * Buffer ownership: the bytes of `buffers` must stay unchanged from
 * initiation until the handler runs.
 *
 * @example
 * ```ts
 * const tracking = new TrackingAllocator(undefined, { log: true });
 * socket.asyncWriteSome(Buffer.from('ping\n'), bindAllocator(tracking, (err: IoError | null, n: number) => {
 *   tracking.events; // ['allocate:WriteSomeOp', 'deallocate:WriteSomeOp']: freed before this runs
 * }));
 * ```
 */
export class WriteSomeOp extends CancellableOp {
  /** The completion handler; `null` while the op is free. */
  handler: Handler<[number]> | null;
  /** The caller's bytes; they must stay unchanged until the handler runs. */
  buffers: Uint8Array | readonly Uint8Array[] | null;
  /** How many bytes `buffers` holds in all. */
  total: number;
  /** The error the handler gets: `null` on success. */
  err: IoError | null;
  /** How many bytes were written: `total` on success. */
  bytes: number;

  constructor() {
    super(OP_KIND.writeSome);
    this.handler = null;
    this.buffers = null;
    this.total = 0;
    this.err = null;
    this.bytes = 0;
  }

  /**
   * Prepares the op for one write of `buffers` (`total` bytes in all);
   * `owner` (the socket) is asked to withdraw it when its cancellation slot
   * fires.
   *
   * @example
   * ```ts
   * // What TcpSocket.asyncWriteSome does:
   * const allocator = getAssociatedAllocator(handler, ctx.allocator);
   * const op = allocator.allocate(WriteSomeOp).init(handler, [header, body], header.length + body.length, allocator, socket);
   * ```
   */
  init(
    handler: Handler<[number]>,
    buffers: Uint8Array | readonly Uint8Array[],
    total: number,
    allocator: Allocator,
    owner: CancellableOpOwner | null = null,
  ): this {
    this.owner = owner;
    this.slot = null;
    this.handler = handler;
    this.buffers = buffers;
    this.total = total;
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
   * const op = allocator.allocate(WriteSomeOp).init(handler, data, data.length, allocator);
   * op.finish(null, data.length); // what the socket does once Node has taken every byte
   * op.complete(); // op back in `allocator` first, then handler(null, data.length)
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
    this.buffers = null;
    this.total = 0;
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
   * op.destroy(); // context shutdown: the op (and an asyncWrite it was a step of) goes back to its allocator
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
