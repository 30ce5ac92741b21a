import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { destroyOwnedHandler } from '../net/owned-handler.js';
import { CancellableOp, type CancellableOpOwner } from './cancellable-op.js';

/**
 * A pending `asyncWriteSome`: one buffer or a gathered sequence of buffers,
 * their total length, and the result. Completion signature: `(err, n)`.
 * Cancellable through a slot while pending; its owner decides which types
 * it can honour (all of them while its bytes wait behind another write,
 * only terminal once Node holds them).
 */
export class WriteSomeOp extends CancellableOp {
  handler: Handler<[number]> | null;
  /** The caller's bytes; they must stay unchanged until the handler runs. */
  buffers: Uint8Array | readonly Uint8Array[] | null;
  /** How many bytes `buffers` holds in all. */
  total: number;
  err: IoError | null;
  bytes: number;

  constructor() {
    super();
    this.handler = null;
    this.buffers = null;
    this.total = 0;
    this.err = null;
    this.bytes = 0;
  }

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
    this.buffers = null;
    this.total = 0;
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
