import type { IoError } from '../errors/io-error.js';
import type { Allocator } from '../allocation/allocator.js';
import { OPERATION_ABORTED } from '../cancellation/operation-aborted.js';
import { makeStepHandler } from '../net/owned-handler.js';
import type { Handler } from '../tokens/completion-token.js';
import { ComposedOp } from './composed-op.js';

/** @internal What the composed reads need of a stream. */
export interface ReadSomeStream {
  asyncReadSome(buf: Uint8Array, handler: Handler<[number]>): void;
}

/**
 * asio's completion condition: given the error of the last read and the bytes
 * transferred so far, returns the most the next read may transfer, or 0 when
 * the operation is complete.
 */
export type CompletionCondition = (err: IoError | null, transferred: number) => number;

/**
 * The composed `asyncRead`: calls `asyncReadSome` into the rest of the
 * buffer until the completion condition says done, the buffer is full, or
 * an error occurs. Completion signature: `(err, n)` with `n` the bytes read
 * (on `eof`, the bytes read before it). The op lives in the final handler's
 * allocator; each intermediate read is allocated there too, one at a time.
 * Cancellable through the final handler's slot: terminal and partial (see
 * `ComposedOp`), completing with `(operation_aborted, bytes read so far)`.
 */
export class ReadOp extends ComposedOp {
  handler: Handler<[number]> | null;
  stream: ReadSomeStream | null;
  buffer: Uint8Array | null;
  condition: CompletionCondition | null;
  total: number;
  err: IoError | null;
  /** The intermediate handler, made once per op object. */
  readonly onStep: Handler<[number]>;

  constructor() {
    super();
    this.handler = null;
    this.stream = null;
    this.buffer = null;
    this.condition = null;
    this.total = 0;
    this.err = null;
    this.onStep = makeStepHandler(
      this,
      (err: IoError | null, n: number): void => {
        this.advance(err, n);
      },
      () => this.innerSlot(),
    );
  }

  init(handler: Handler<[number]>, stream: ReadSomeStream, buffer: Uint8Array, condition: CompletionCondition, allocator: Allocator): this {
    this.handler = handler;
    this.stream = stream;
    this.buffer = buffer;
    this.condition = condition;
    this.total = 0;
    this.err = null;
    this.allocator = allocator;
    this.bindSlot(handler);
    return this;
  }

  /** Issues the first read (a zero-length one when the condition is already met, so the handler runs from the loop). */
  start(): void {
    this.armSlot();
    this.#readNext(this.condition!(null, 0));
    this.forwardEarly();
  }

  /** One intermediate read finished. */
  advance(err: IoError | null, n: number): void {
    this.total += n;
    const max = err === null ? this.condition!(null, this.total) : 0;
    if (max <= 0 || this.total >= this.buffer!.length || (n === 0 && err === null)) {
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
    this.#readNext(max);
  }

  #readNext(max: number): void {
    const buf = this.buffer!;
    const start = this.total;
    const size = Math.max(0, Math.min(max, buf.length - start));
    this.stream!.asyncReadSome(start === 0 && size === buf.length ? buf : buf.subarray(start, start + size), this.onStep);
  }

  override reset(): void {
    this.leaveSlot();
    this.handler = null;
    this.stream = null;
    this.buffer = null;
    this.condition = null;
    this.total = 0;
    this.err = null;
    this.allocator = null;
    this.next = null;
  }

  override complete(): void {
    const handler = this.handler!;
    const err = this.err;
    const total = this.total;
    const allocator = this.allocator!;
    this.reset();
    // Free before invoking: the handler may start the next operation in this memory.
    allocator.deallocate(this);
    handler(err, total);
  }
}
