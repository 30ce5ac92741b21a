import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { CancellableOp, type CancellableOpOwner } from './cancellable-op.js';

/**
 * The base of every operation that completes with one result,
 * `(err, result)`: accept (the socket), read-some and write-some (the byte
 * count), resolve (the endpoints), signal waits (the signal). It writes the
 * handler, the error, the result, `finish`, `reset` and `complete` once;
 * each subclass adds its own inputs (buffers, a port) and its `init`.
 *
 * `none` is the result while the op is free, so a pooled op keeps no
 * reference and every instance keeps one shape.
 *
 * @category Operations (advanced)
 */
export abstract class ResultOp<R> extends CancellableOp {
  /** The completion handler; `null` while the op is free. */
  handler: Handler<[R]> | null = null;
  /** The error the handler gets (`null` on success). */
  err: IoError | null = null;
  /** The result the handler gets. */
  result: R;
  readonly #none: R;

  protected constructor(kind: number, none: R) {
    super(kind);
    this.result = none;
    this.#none = none;
  }

  /** Fills the fields every such op has, for one use; each subclass's `init` calls it. */
  protected prepare(handler: Handler<[R]>, allocator: Allocator, owner: CancellableOpOwner | null): void {
    this.owner = owner;
    this.slot = null;
    this.handler = handler;
    this.err = null;
    this.result = this.#none;
    this.allocator = allocator;
  }

  /**
   * @internal Records the result and leaves the cancellation slot; the owner then
   * queues the op on its context.
   */
  finish(err: IoError | null, result: R): this {
    this.detach();
    this.err = err;
    this.result = result;
    return this;
  }

  /** @internal `finish(err)` with the empty result: the op failed or was aborted. */
  fail(err: IoError): this {
    return this.finish(err, this.#none);
  }

  /** Clears the handler, the result and the links; subclasses clear their own fields and call this. */
  override reset(): void {
    this.detach();
    this.handler = null;
    this.err = null;
    this.result = this.#none;
    this.allocator = null;
    this.next = null;
  }

  override complete(): void {
    const handler = this.handler!;
    const err = this.err;
    const result = this.result;
    const allocator = this.allocator!;
    this.reset();
    // Free before invoking: the handler may start the next operation in this memory.
    this.free(allocator);
    handler(err, result);
  }
}
