import type { Allocator } from '../allocation/allocator.js';
import { IoError } from '../errors/io-error.js';
import type { DynamicBuffer } from '../io/dynamic-buffer.js';
import { makeStepHandler } from './owned-handler.js';
import type { Handler } from '../tokens/completion-token.js';
import { OP_KIND } from './operation-kind.js';
import { ComposedOp } from './composed-op.js';
import type { ReadSomeStream } from './read-op.js';

/**
 * The most one intermediate read of `asyncReadUntil` asks for.
 *
 * @example
 * ```ts
 * // A line buffer that always has room for one full intermediate read:
 * const lines = new DynamicBuffer(maxLineLength + READ_UNTIL_MAX_READ);
 * ```
 *
 * @category Composed I/O
 */
export const READ_UNTIL_MAX_READ = 65536;
const READ_UNTIL_MIN_READ = 512;
const NO_BYTES = new Uint8Array(0);

/** The `not_found` message of a full buffer: what happened and what to do about it. */
function fullMessage(maxSize: number): string {
  return (
    `asyncReadUntil: the buffer is full (maxSize ${maxSize} bytes) and holds no delimiter; ` +
    'if messages can be that long, give the DynamicBuffer a larger maxSize (or Infinity for no bound)'
  );
}

/**
 * The composed `asyncReadUntil`: reads into a `DynamicBuffer` until it holds
 * the delimiter. Completion signature: `(err, n)` with `n` the bytes up to
 * and including the delimiter; `(not_found, 0)` when the buffer reached its
 * `maxSize` without one; `(eof, 0)` (or another error) when the stream ended
 * first, the bytes read so far staying in the buffer.
 *
 * Cancellable through the final handler's slot: terminal and partial (see
 * `ComposedOp`). A cancelled op completes with `(operation_aborted, 0)`
 * like any other error before the delimiter: the bytes read so far are not
 * lost but committed to the buffer (its `size`), as with `eof`.
 *
 * Buffer ownership: `dynbuf` belongs to the operation until the final
 * handler runs; do not `prepare`, `commit` or `consume` it meanwhile.
 *
 * @category Operations (advanced)
 */
export class ReadUntilOp extends ComposedOp {
  /** @internal The stream read from. */
  stream: ReadSomeStream | null;
  /** @internal The caller's buffer the bytes are read into. */
  dynbuf: DynamicBuffer | null;
  /** @internal The delimiter as bytes, or `null` when it is a pattern. */
  delimBytes: Uint8Array | null;
  /** @internal The delimiter as a RegExp (matched against latin1 text), or `null` when it is bytes. */
  delimPattern: RegExp | null;
  /** @internal Readable offset the next byte search starts at (bytes before it cannot start a match). */
  searchFrom: number;
  /** @internal The intermediate handler, made once per op object. */
  readonly onStep: Handler<[number]>;

  constructor() {
    super(OP_KIND.readUntil);
    this.stream = null;
    this.dynbuf = null;
    this.delimBytes = null;
    this.delimPattern = null;
    this.searchFrom = 0;
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
   * @internal Prepares the op for reading `stream` into `dynbuf` until it holds the
   * delimiter (`delimBytes` or `delimPattern`, the other `null`), and
   * records the cancellation slot `handler` carries.
   */
  init(
    handler: Handler<[number]>,
    stream: ReadSomeStream,
    dynbuf: DynamicBuffer,
    delimBytes: Uint8Array | null,
    delimPattern: RegExp | null,
    allocator: Allocator,
  ): this {
    this.handler = handler;
    this.stream = stream;
    this.dynbuf = dynbuf;
    this.delimBytes = delimBytes;
    this.delimPattern = delimPattern;
    this.searchFrom = 0;
    this.err = null;
    this.bytes = 0;
    this.allocator = allocator;
    this.bindSlot(handler);
    return this;
  }

  /**
   * @internal Starts: when the buffer already holds the delimiter (or is full) a
   * zero-length read lets the handler run from the loop, never inside the
   * initiating call; otherwise the first real read.
   */
  start(): void {
    this.armSlot();
    if (this.#find() >= 0 || this.dynbuf!.size >= this.dynbuf!.maxSize) {
      this.stream!.asyncReadSome(NO_BYTES, this.onStep);
    } else {
      this.#readMore();
    }
    this.forwardEarly();
  }

  /**
   * @internal One intermediate read finished: commits its bytes to the buffer, then
   * completes the op or reads more. `onStep` calls it.
   */
  advance(err: IoError | null, n: number): void {
    const dynbuf = this.dynbuf!;
    if (n > 0) dynbuf.commit(n);
    const found = this.#find();
    if (found >= 0) {
      this.#finish(null, found);
    } else if (err !== null) {
      this.#finish(err, 0);
    } else if (dynbuf.size >= dynbuf.maxSize) {
      this.#finish(new IoError('not_found', fullMessage(dynbuf.maxSize)), 0);
    } else if (!this.stopIfCancelled()) {
      this.#readMore();
    }
  }

  #find(): number {
    const dynbuf = this.dynbuf!;
    const bytes = this.delimBytes;
    if (bytes === null) return dynbuf.findPattern(this.delimPattern!);
    const found = dynbuf.findBytes(bytes, this.searchFrom);
    if (found < 0) this.searchFrom = Math.max(0, dynbuf.size - bytes.length + 1);
    return found;
  }

  #readMore(): void {
    const dynbuf = this.dynbuf!;
    const size = dynbuf.size;
    const room = dynbuf.maxSize - size;
    const want = Math.min(READ_UNTIL_MAX_READ, Math.max(READ_UNTIL_MIN_READ, dynbuf.capacity - size), room);
    this.stream!.asyncReadSome(dynbuf.prepare(want), this.onStep);
  }

  /** Ends the operation with `bytes` up to and including the delimiter (0 when none was found). */
  #finish(err: IoError | null, bytes: number): void {
    this.bytes = bytes;
    this.finish(err);
  }

  override reset(): void {
    this.stream = null;
    this.dynbuf = null;
    this.delimBytes = null;
    this.delimPattern = null;
    this.searchFrom = 0;
    super.reset();
  }
}
