import type { IoError } from '../errors/io-error.js';
import type { Allocator } from '../allocation/allocator.js';
import { makeStepHandler } from './owned-handler.js';
import type { Handler } from '../tokens/completion-token.js';
import { OP_KIND } from './operation-kind.js';
import { ComposedOp } from './composed-op.js';

/** @internal What the composed reads need of a stream. */
export interface ReadSomeStream {
  asyncReadSome(buf: Uint8Array, handler: Handler<[number]>): void;
}

/**
 * asio's completion condition: given the error of the last read and the bytes
 * transferred so far, returns the most the next read may transfer, or 0 when
 * the operation is complete.
 *
 * @example
 * ```ts
 * // Read until a whole HTTP header block (ending in an empty line) has arrived:
 * const head = Buffer.alloc(8192);
 * const untilBlankLine: CompletionCondition = (err, transferred) =>
 *   err !== null || head.subarray(0, transferred).includes('\r\n\r\n') ? 0 : DEFAULT_MAX_TRANSFER;
 * const n = await asyncRead(socket, head, untilBlankLine, usePromise);
 * ```
 *
 * @category Composed I/O
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
 *
 * Buffer ownership: `buffer` belongs to the operation until the final
 * handler runs.
 *
 * @category Operations (advanced)
 */
export class ReadOp extends ComposedOp {
  /** @internal The stream read from. */
  stream: ReadSomeStream | null;
  /** The caller's buffer, filled from the front. */
  buffer: Uint8Array | null;
  /** @internal Decides after each read how much more to read (see `transferAll`, `transferExactly`). */
  condition: CompletionCondition | null;
  /** @internal The intermediate handler, made once per op object. */
  readonly onStep: Handler<[number]>;

  constructor() {
    super(OP_KIND.read);
    this.stream = null;
    this.buffer = null;
    this.condition = null;
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
   * @internal Prepares the op for one composed read of `stream` into `buffer`, and
   * records the cancellation slot `handler` carries.
   */
  init(handler: Handler<[number]>, stream: ReadSomeStream, buffer: Uint8Array, condition: CompletionCondition, allocator: Allocator): this {
    this.handler = handler;
    this.stream = stream;
    this.buffer = buffer;
    this.condition = condition;
    this.bytes = 0;
    this.err = null;
    this.allocator = allocator;
    this.bindSlot(handler);
    return this;
  }

  /**
   * @internal Issues the first read (a zero-length one when the condition is already
   * met, so the handler runs from the loop).
   */
  start(): void {
    this.armSlot();
    this.#readNext(this.condition!(null, 0));
    this.forwardEarly();
  }

  /**
   * @internal One intermediate read finished: completes the op, or issues the next
   * read. `onStep` calls it.
   */
  advance(err: IoError | null, n: number): void {
    this.bytes += n;
    const max = err === null ? this.condition!(null, this.bytes) : 0;
    if (max <= 0 || this.bytes >= this.buffer!.length || (n === 0 && err === null)) {
      this.finish(err);
      return;
    }
    if (this.stopIfCancelled()) return;
    this.#readNext(max);
  }

  #readNext(max: number): void {
    const buf = this.buffer!;
    const start = this.bytes;
    const size = Math.max(0, Math.min(max, buf.length - start));
    this.stream!.asyncReadSome(start === 0 && size === buf.length ? buf : buf.subarray(start, start + size), this.onStep);
  }

  override reset(): void {
    this.stream = null;
    this.buffer = null;
    this.condition = null;
    super.reset();
  }
}
