import { constants as bufferConstants } from 'node:buffer';
import { describeValue } from '../errors/describe-value.js';

const MIN_CAPACITY = 512;

/**
 * The `maxSize` of a `new DynamicBuffer()` given none: 1 MiB (1,048,576
 * bytes). Sized for a server: a line, a header block or a framed message
 * of the usual protocols fits many times over (Node's HTTP parser stops
 * headers at 16 KiB), while a peer that never sends the delimiter makes
 * `asyncReadUntil` hold at most 1 MiB for it before completing with
 * `not_found`, instead of growing towards the 4 GiB a Node Buffer can be.
 * Pass a size for a different bound, or `Infinity` for none (as large as
 * Node allows).
 *
 * @example
 * ```ts
 * const lines = new DynamicBuffer(); // lines.maxSize === DEFAULT_DYNAMIC_BUFFER_MAX_SIZE
 * const bodies = new DynamicBuffer(16 * DEFAULT_DYNAMIC_BUFFER_MAX_SIZE); // 16 MiB messages
 * const anything = new DynamicBuffer(Infinity); // unbounded: the peer decides how much memory it takes
 * ```
 *
 * @category Composed I/O
 */
export const DEFAULT_DYNAMIC_BUFFER_MAX_SIZE = 1024 * 1024;

/**
 * A growable byte buffer in asio's `dynamic_buffer` style, for
 * `asyncReadUntil`: readable bytes (`data()`, `size`, `consume(n)`) followed
 * by writable space (`prepare(n)` then `commit(n)`). It never grows past
 * `maxSize`: `prepare` throws a RangeError beyond it, and `asyncReadUntil`
 * fails with `not_found` when it is full and holds no delimiter. The bound
 * is `DEFAULT_DYNAMIC_BUFFER_MAX_SIZE` (1 MiB) unless the constructor is
 * given one; `new DynamicBuffer(Infinity)` asks for none (up to Node's
 * largest Buffer, `buffer.constants.MAX_LENGTH`).
 *
 * @example
 * ```ts
 * const lines = new DynamicBuffer(64 * 1024);
 * const n = await asyncReadUntil(socket, lines, '\n', usePromise);
 * const line = Buffer.from(lines.data().subarray(0, n)).toString();
 * lines.consume(n);
 * ```
 *
 * @category Composed I/O
 */
export class DynamicBuffer {
  /** The most bytes the buffer may hold (for `Infinity`, Node's largest Buffer). */
  readonly maxSize: number;
  #storage: Buffer = Buffer.alloc(0);
  #start = 0;
  #end = 0;
  #prepared: Uint8Array | null = null;
  #preparedAt = -1;

  constructor(maxSize: number = DEFAULT_DYNAMIC_BUFFER_MAX_SIZE) {
    if (typeof maxSize !== 'number' || !(Number.isInteger(maxSize) || maxSize === Infinity) || maxSize < 1) {
      throw new TypeError(`DynamicBuffer: maxSize must be a positive integer or Infinity, got ${describeValue(maxSize)}`);
    }
    this.maxSize = Math.min(maxSize, bufferConstants.MAX_LENGTH);
  }

  /** How many readable bytes the buffer holds. */
  get size(): number {
    return this.#end - this.#start;
  }

  /** How many bytes the buffer can hold without reallocating. */
  get capacity(): number {
    return this.#storage.length;
  }

  /**
   * The readable bytes (a view: valid until the next `prepare`, `commit` or `consume`).
   *
   * @example
   * ```ts
   * const n = await asyncReadUntil(socket, lines, '\r\n', usePromise);
   * const line = Buffer.from(lines.data().subarray(0, n - 2)).toString('utf8'); // copy before consume
   * lines.consume(n);
   * ```
   */
  data(): Uint8Array {
    return this.#storage.subarray(this.#start, this.#end);
  }

  /**
   * Writable space of exactly `n` bytes after the readable bytes (a view,
   * valid until the next call that changes the buffer). Throws a RangeError
   * when `size + n` would exceed `maxSize`.
   *
   * @example
   * ```ts
   * // Read some bytes straight into the buffer's free space:
   * const n = await socket.asyncReadSome(dynbuf.prepare(4096), usePromise);
   * dynbuf.commit(n);
   * ```
   */
  prepare(n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 0) throw new TypeError(`DynamicBuffer.prepare: n must be a non-negative integer, got ${describeValue(n)}`);
    const size = this.#end - this.#start;
    if (size + n > this.maxSize) throw new RangeError(`DynamicBuffer.prepare: ${size} + ${n} bytes exceed maxSize ${this.maxSize}`);
    let storage = this.#storage;
    if (this.#end + n > storage.length) {
      if (size + n <= storage.length) {
        storage.copyWithin(0, this.#start, this.#end);
      } else {
        const capacity = Math.min(this.maxSize, Math.max(MIN_CAPACITY, size + n, storage.length * 2));
        const grown = Buffer.allocUnsafe(capacity);
        storage.copy(grown, 0, this.#start, this.#end);
        this.#storage = storage = grown;
      }
      this.#start = 0;
      this.#end = size;
      this.#prepared = null;
    }
    const prepared = this.#prepared;
    if (prepared !== null && this.#preparedAt === this.#end && prepared.length === n) return prepared;
    const view = storage.subarray(this.#end, this.#end + n);
    this.#prepared = view;
    this.#preparedAt = this.#end;
    return view;
  }

  /**
   * Moves `n` bytes of prepared space into the readable bytes.
   *
   * @example
   * ```ts
   * const space = dynbuf.prepare(5);
   * space.set(Buffer.from('hello'));
   * dynbuf.commit(5); // dynbuf.size grew by 5
   * ```
   */
  commit(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new TypeError(`DynamicBuffer.commit: n must be a non-negative integer, got ${describeValue(n)}`);
    this.#end = Math.min(this.#end + n, this.#storage.length);
  }

  /**
   * Removes `n` bytes (at most `size`) from the front of the readable bytes.
   *
   * @example
   * ```ts
   * const n = await asyncReadUntil(socket, dynbuf, '\n', usePromise);
   * console.log(Buffer.from(dynbuf.data().subarray(0, n)).toString());
   * dynbuf.consume(n); // bytes read past the newline stay for the next asyncReadUntil
   * ```
   */
  consume(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new TypeError(`DynamicBuffer.consume: n must be a non-negative integer, got ${describeValue(n)}`);
    this.#start = Math.min(this.#start + n, this.#end);
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
    }
  }

  /**
   * @internal Where `delim` ends in the readable bytes, searching from
   * readable offset `from`: the count of bytes up to and including the first
   * match, or -1. No allocation.
   */
  findBytes(delim: Uint8Array, from: number): number {
    const start = this.#start + from;
    const end = this.#end;
    const len = delim.length;
    if (end - start < len) return -1;
    const at = len === 1 ? this.#storage.indexOf(delim[0]!, start) : this.#storage.indexOf(delim, start);
    if (at < 0 || at + len > end) return -1;
    return at + len - this.#start;
  }

  /** @internal Like `findBytes` for a RegExp, matched against the bytes as latin1 text (allocates a string). */
  findPattern(pattern: RegExp): number {
    const text = this.#storage.toString('latin1', this.#start, this.#end);
    const m = pattern.exec(text);
    return m === null ? -1 : m.index + m[0].length;
  }
}
