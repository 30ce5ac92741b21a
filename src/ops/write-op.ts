import type { IoError } from '../errors/io-error.js';
import type { Allocator } from '../allocation/allocator.js';
import { OPERATION_ABORTED } from '../cancellation/operation-aborted.js';
import { makeStepHandler } from '../net/owned-handler.js';
import type { Handler } from '../tokens/completion-token.js';
import { ComposedOp } from './composed-op.js';

/** @internal What `asyncWrite` needs of a stream. */
export interface WriteSomeStream {
  asyncWriteSome(bufs: Uint8Array | readonly Uint8Array[], handler: Handler<[number]>): void;
}

/**
 * The composed `asyncWrite`: calls `asyncWriteSome` until every byte is
 * written or an error occurs. Completion signature: `(err, n)` with `n` the
 * bytes written. The op lives in the final handler's allocator; each
 * intermediate write is allocated there too, one at a time.
 * Cancellable through the final handler's slot: terminal and partial (see
 * `ComposedOp`), completing with `(operation_aborted, bytes written so far)`.
 */
export class WriteOp extends ComposedOp {
  handler: Handler<[number]> | null;
  stream: WriteSomeStream | null;
  buffers: Uint8Array | readonly Uint8Array[] | null;
  total: number;
  written: number;
  err: IoError | null;
  /** The intermediate handler, made once per op object. */
  readonly onStep: Handler<[number]>;

  constructor() {
    super();
    this.handler = null;
    this.stream = null;
    this.buffers = null;
    this.total = 0;
    this.written = 0;
    this.err = null;
    this.onStep = makeStepHandler(
      this,
      (err: IoError | null, n: number): void => {
        this.advance(err, n);
      },
      () => this.innerSlot(),
    );
  }

  init(handler: Handler<[number]>, stream: WriteSomeStream, buffers: Uint8Array | readonly Uint8Array[], total: number, allocator: Allocator): this {
    this.handler = handler;
    this.stream = stream;
    this.buffers = buffers;
    this.total = total;
    this.written = 0;
    this.err = null;
    this.allocator = allocator;
    this.bindSlot(handler);
    return this;
  }

  /** Issues the first write: all the buffers at once (a gathered write for an array). */
  start(): void {
    this.armSlot();
    this.stream!.asyncWriteSome(this.buffers!, this.onStep);
    this.forwardEarly();
  }

  /** One intermediate write finished. */
  advance(err: IoError | null, n: number): void {
    this.written += n;
    if (err !== null || this.written >= this.total || n === 0) {
      this.err = err;
      this.complete();
      return;
    }
    if (this.cancelled !== 0) {
      // Cancelled while the last step could not be withdrawn: stop before the next one.
      this.err = OPERATION_ABORTED;
      this.complete();
      return;
    }
    const bufs = this.buffers!;
    if (bufs instanceof Uint8Array) {
      this.stream!.asyncWriteSome(bufs.subarray(this.written), this.onStep);
      return;
    }
    let skip = this.written;
    let i = 0;
    while (skip >= bufs[i]!.length) skip -= bufs[i++]!.length;
    this.stream!.asyncWriteSome(bufs[i]!.subarray(skip), this.onStep);
  }

  override reset(): void {
    this.leaveSlot();
    this.handler = null;
    this.stream = null;
    this.buffers = null;
    this.total = 0;
    this.written = 0;
    this.err = null;
    this.allocator = null;
    this.next = null;
  }

  override complete(): void {
    const handler = this.handler!;
    const err = this.err;
    const written = this.written;
    const allocator = this.allocator!;
    this.reset();
    // Free before invoking: the handler may start the next operation in this memory.
    allocator.deallocate(this);
    handler(err, written);
  }
}
