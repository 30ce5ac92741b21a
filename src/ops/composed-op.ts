import { getAssociatedCancellationSlot } from '../associations/bind-cancellation-slot.js';
import { CancellationSignal } from '../cancellation/cancellation-signal.js';
import type { CancellationHandler, CancellationSlot } from '../cancellation/cancellation-slot.js';
import { CancellationType } from '../cancellation/cancellation-type.js';
import { OPERATION_ABORTED } from '../cancellation/operation-aborted.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { Operation } from './operation.js';

/**
 * The cancellation types a composed operation honours: terminal and partial.
 * Total cannot be honoured once an intermediate step has had an effect (bytes
 * read from or written to the stream), so, as in asio, it is filtered out.
 */
export const COMPOSED_CANCELLATION = CancellationType.terminal | CancellationType.partial;

/**
 * @internal The base of the composed operations (`asyncRead`, `asyncWrite`,
 * `asyncReadUntil`) and how they take part in per-operation cancellation,
 * as asio's composed operations do:
 *
 * - The op itself is the handler it installs in the final handler's slot
 *   (`bindSlot` at init, `armSlot` just before the first step starts), so
 *   no allocation per operation. A request that arrives before the first
 *   step is pending (an already-aborted `AbortSignal`, or an emit from
 *   inside the stream's initiation) is forwarded to it by `forwardEarly`
 *   once it is.
 * - A request of a type it honours (terminal or partial) is remembered in
 *   `cancelled` and forwarded, filtered, to the intermediate operation in
 *   progress through a signal the op object owns (made once per op object,
 *   reused across operations). The intermediate handler carries that
 *   signal's slot only while the final handler has a slot of its own.
 * - The intermediate operation either aborts (and the composed op completes
 *   with `operation_aborted` and the bytes so far) or completes anyway
 *   (then the composed op stops with `operation_aborted` before the next
 *   step, unless that step finished the whole operation).
 * - `total` alone is ignored.
 */
export abstract class ComposedOp extends Operation implements CancellationHandler {
  /** The final handler; `null` while the op is free. */
  handler: Handler<[number]> | null = null;
  /** The error the final handler gets: `null` on success. */
  err: IoError | null = null;
  /** The final handler's `n`: the bytes read or written so far (for `asyncReadUntil`, set when it ends: up to and including the delimiter). */
  bytes = 0;
  /** @internal The final handler's slot while the op is pending, else `null`. */
  slot: CancellationSlot | null = null;
  /** @internal The cancellation types requested so far (within `COMPOSED_CANCELLATION`). */
  cancelled: CancellationType = CancellationType.none;
  /** Forwards a request to the intermediate operation in progress. */
  readonly #inner = new CancellationSignal();

  /** @internal Records the slot of the final handler (called by `init`). */
  bindSlot(handler: unknown): void {
    this.slot = getAssociatedCancellationSlot(handler);
    this.cancelled = CancellationType.none;
  }

  /** @internal Installs the op in its slot, just before its first step starts. */
  armSlot(): void {
    const slot = this.slot;
    if (slot !== null && this.allocator !== null) slot.assign(this);
  }

  /** @internal Once the first step is pending: forwards to it a request that arrived before it was. */
  forwardEarly(): void {
    if (this.cancelled !== CancellationType.none) this.#inner.emit(this.cancelled);
  }

  /** @internal The slot the intermediate operations install themselves in, or `undefined` when the op has none. */
  innerSlot(): CancellationSlot | undefined {
    return this.slot !== null ? this.#inner.slot() : undefined;
  }

  /** @internal Records the request and forwards it to the intermediate operation in progress. */
  onCancellation(type: CancellationType): void {
    const honoured = type & COMPOSED_CANCELLATION;
    if (honoured === 0 || this.allocator === null) return;
    this.cancelled |= honoured;
    this.#inner.emit(honoured);
  }

  /** @internal Ends the operation: frees it, then invokes the final handler with `(err, bytes)`. */
  finish(err: IoError | null): void {
    this.err = err;
    this.complete();
  }

  /**
   * @internal After a step that completed although a cancellation was requested (it
   * could not be withdrawn): ends the operation with `operation_aborted`
   * before the next step. Returns whether it did.
   */
  stopIfCancelled(): boolean {
    if (this.cancelled === CancellationType.none) return false;
    this.finish(OPERATION_ABORTED);
    return true;
  }

  /** Clears the handler, the result, the slot and the links; subclasses clear their own fields and call this. */
  override reset(): void {
    this.leaveSlot();
    this.handler = null;
    this.err = null;
    this.bytes = 0;
    this.allocator = null;
    this.next = null;
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

  /**
   * @internal A step threw (a stream whose `asyncReadSome`/`asyncWriteSome` threw
   * instead of completing): frees the op without invoking its handler, if
   * it is still pending, so nothing leaks; the caller rethrows.
   */
  abandon(): void {
    if (this.allocator !== null) this.destroy();
  }

  /** @internal Leaves the slot (when the op completes or is destroyed). */
  leaveSlot(): void {
    const slot = this.slot;
    if (slot !== null) {
      this.slot = null;
      slot.clearIf(this);
    }
    this.cancelled = CancellationType.none;
  }
}
