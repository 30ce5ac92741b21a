import type { IoError } from '../errors/io-error.js';
import type { Allocator } from '../allocation/allocator.js';
import { makeStepHandler } from './owned-handler.js';
import type { Handler } from '../tokens/completion-token.js';
import { OP_KIND } from './operation-kind.js';
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
 *
 * Buffer ownership: the bytes of `buffers` must stay unchanged until the
 * final handler runs.
 *
 * @category Operations (advanced)
 */
export class WriteOp extends ComposedOp {
  /** @internal The stream written to. */
  stream: WriteSomeStream | null;
  /** @internal The caller's bytes: one buffer, or an array written as a gathered write. */
  buffers: Uint8Array | readonly Uint8Array[] | null;
  /** @internal How many bytes `buffers` holds in all. */
  total: number;
  /** @internal The intermediate handler, made once per op object. */
  readonly onStep: Handler<[number]>;

  constructor() {
    super(OP_KIND.write);
    this.stream = null;
    this.buffers = null;
    this.total = 0;
    this.onStep = makeStepHandler(
      this,
      (err: IoError | null, n: number): void => {
        try {
          this.advance(err, n);
        } catch (error) {
          this.abandon();
          throw error;
        }
      },
      () => this.innerSlot(),
    );
  }

  /**
   * @internal Prepares the op for writing all `total` bytes of `buffers` to `stream`,
   * and records the cancellation slot `handler` carries.
   */
  init(handler: Handler<[number]>, stream: WriteSomeStream, buffers: Uint8Array | readonly Uint8Array[], total: number, allocator: Allocator): this {
    this.handler = handler;
    this.stream = stream;
    this.buffers = buffers;
    this.total = total;
    this.bytes = 0;
    this.err = null;
    this.allocator = allocator;
    this.bindSlot(handler);
    return this;
  }

  /**
   * @internal Issues the first write: all the buffers at once (a gathered write for an array).
   */
  start(): void {
    this.armSlot();
    this.stream!.asyncWriteSome(this.buffers!, this.onStep);
    this.forwardEarly();
  }

  /**
   * @internal One intermediate write finished: completes the op, or writes the rest.
   * `onStep` calls it.
   */
  advance(err: IoError | null, n: number): void {
    this.bytes += n;
    if (err !== null || this.bytes >= this.total || n === 0) {
      this.finish(err);
      return;
    }
    if (this.stopIfCancelled()) return;
    const bufs = this.buffers!;
    if (bufs instanceof Uint8Array) {
      this.stream!.asyncWriteSome(bufs.subarray(this.bytes), this.onStep);
      return;
    }
    let skip = this.bytes;
    let i = 0;
    while (skip >= bufs[i]!.length) skip -= bufs[i++]!.length;
    this.stream!.asyncWriteSome(bufs[i]!.subarray(skip), this.onStep);
  }

  override reset(): void {
    this.stream = null;
    this.buffers = null;
    this.total = 0;
    super.reset();
  }
}
