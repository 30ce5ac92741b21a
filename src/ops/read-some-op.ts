import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { destroyOwnedHandler } from '../net/owned-handler.js';
import { CancellableOp, type CancellableOpOwner } from './cancellable-op.js';

/**
 * A pending `asyncReadSome`: the caller's buffer, and the result once the
 * bytes have landed in it. Completion signature: `(err, n)`. Cancellable
 * through a slot while pending (terminal, partial and total: no byte has
 * been consumed from the stream until it completes).
 */
export class ReadSomeOp extends CancellableOp {
  handler: Handler<[number]> | null;
  /** The caller's buffer; the socket reads straight into it. */
  buffer: Uint8Array | null;
  err: IoError | null;
  bytes: number;

  constructor() {
    super();
    this.handler = null;
    this.buffer = null;
    this.err = null;
    this.bytes = 0;
  }

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

  /** Records the result; the owner then queues the op on its context. */
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

  /** Frees this op without invoking its handler, and destroys a composed operation that handler belongs to. */
  override destroy(): void {
    const handler = this.handler;
    super.destroy();
    destroyOwnedHandler(handler);
  }

  override complete(): void {
    const handler = this.handler!;
    const err = this.err;
    const bytes = this.bytes;
    const allocator = this.allocator!;
    this.reset();
    // Free before invoking: the handler may start the next operation in this memory.
    allocator.deallocate(this);
    handler(err, bytes);
  }
}
