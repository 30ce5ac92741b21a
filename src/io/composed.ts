import { getAssociatedAllocator } from '../associations/associate.js';
import { defaultAllocator } from '../allocation/new-allocator.js';
import { IoContext } from '../io-context/io-context.js';
import { ReadOp, type CompletionCondition, type ReadSomeStream } from '../ops/read-op.js';
import { ReadUntilOp } from '../ops/read-until-op.js';
import { WriteOp, type WriteSomeStream } from '../ops/write-op.js';
import { asyncInitiate } from '../tokens/async-initiate.js';
import type { CompletionResult, CompletionToken, Handler } from '../tokens/completion-token.js';
import { checkNotDetached } from './detached.js';
import { DynamicBuffer } from './dynamic-buffer.js';
import { describeValue } from '../errors/describe-value.js';

/**
 * A stream `asyncRead` and `asyncReadUntil` can read from: a `TcpSocket`, or
 * any object with `asyncReadSome(buf, handler)` that calls
 * `handler(err, n)` once, from the run loop, with `0 < n <= buf.length` or
 * an error (`eof` at the end).
 *
 * @example
 * ```ts
 * // A stream over bytes already in memory, for tests:
 * class MemoryStream implements AsyncReadStream {
 *   #offset = 0;
 *   constructor(readonly ctx: IoContext, readonly bytes: Uint8Array) {}
 *   asyncReadSome(buf: Uint8Array, handler: Handler<[number]>): void {
 *     const n = Math.min(buf.length, this.bytes.length - this.#offset);
 *     buf.set(this.bytes.subarray(this.#offset, this.#offset + n));
 *     this.#offset += n;
 *     post(this.ctx, () => handler(n === 0 && buf.length > 0 ? new IoError('eof') : null, n));
 *   }
 * }
 * const lines = new DynamicBuffer();
 * asyncReadUntil(new MemoryStream(ctx, Buffer.from('a\nb\n')), lines, '\n', (err, n) => { … }); // n === 2
 * ```
 *
 * @category Composed I/O
 */
export type AsyncReadStream = ReadSomeStream;
/**
 * A stream `asyncWrite` can write to: a `TcpSocket`, or any object with
 * `asyncWriteSome(bufs, handler)` (bufs one `Uint8Array` or an array of
 * them) that calls `handler(err, n)` once, from the run loop, with the bytes
 * written.
 *
 * @example
 * ```ts
 * // A stream that collects what is written, for tests:
 * class Collector implements AsyncWriteStream {
 *   readonly chunks: Buffer[] = [];
 *   constructor(readonly ctx: IoContext) {}
 *   asyncWriteSome(bufs: Uint8Array | readonly Uint8Array[], handler: Handler<[number]>): void {
 *     const bytes = Buffer.concat(bufs instanceof Uint8Array ? [bufs] : [...bufs]);
 *     this.chunks.push(bytes);
 *     post(this.ctx, () => handler(null, bytes.length));
 *   }
 * }
 * asyncWrite(new Collector(ctx), [header, body], (err, n) => { … });
 * ```
 *
 * @category Composed I/O
 */
export type AsyncWriteStream = WriteSomeStream;
export type { CompletionCondition };

/**
 * The most one intermediate read of `asyncRead` transfers (asio's default).
 *
 * @example
 * ```ts
 * // A completion condition that reads to the end of the buffer, in steps of at most 4096 bytes:
 * const smallSteps: CompletionCondition = (err) => (err === null ? Math.min(4096, DEFAULT_MAX_TRANSFER) : 0);
 * await asyncRead(socket, buf, smallSteps, usePromise);
 * ```
 *
 * @category Composed I/O
 */
export const DEFAULT_MAX_TRANSFER = 65536;

const transferAllCondition: CompletionCondition = (err) => (err === null ? DEFAULT_MAX_TRANSFER : 0);

/**
 * Read until the buffer is full (or an error): `asyncRead`'s default.
 *
 * @example
 * ```ts
 * const header = Buffer.alloc(16);
 * asyncRead(socket, header, transferAll(), (err, n) => { … }); // n === 16 unless err
 * ```
 *
 * @category Composed I/O
 */
export function transferAll(): CompletionCondition {
  return transferAllCondition;
}

/**
 * Read until at least `n` bytes have arrived (more may, up to the buffer's length).
 *
 * @example
 * ```ts
 * const n = await asyncRead(socket, buf, transferAtLeast(4), usePromise); // 4 <= n <= buf.length
 * ```
 *
 * @category Composed I/O
 */
export function transferAtLeast(n: number): CompletionCondition {
  checkCount(n, 'transferAtLeast');
  return (err, transferred) => (err !== null || transferred >= n ? 0 : DEFAULT_MAX_TRANSFER);
}

/**
 * Read exactly `n` bytes (never more), for length-prefixed protocols.
 *
 * @example
 * ```ts
 * await asyncRead(socket, buf, transferExactly(4), usePromise);
 * const length = buf.readUInt32BE(0);
 * ```
 *
 * @category Composed I/O
 */
export function transferExactly(n: number): CompletionCondition {
  checkCount(n, 'transferExactly');
  return (err, transferred) => (err !== null || transferred >= n ? 0 : Math.min(n - transferred, DEFAULT_MAX_TRANSFER));
}

function checkCount(n: unknown, what: string): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new TypeError(`${what}: n must be a non-negative integer, got ${describeValue(n)}`);
}

/**
 * The context of a stream that has one (a `TcpSocket`): a composed op falls
 * back to its allocator (else to a plain one), and it counts the op in its
 * statistics.
 */
function streamContext(stream: object): IoContext | null {
  const ctx = (stream as { context?: unknown }).context;
  return ctx instanceof IoContext ? ctx : null;
}

// A composed operation is counted by its stream's context but gets no
// handler-tracking id of its own: as in asio, the tracked handlers are those
// of its intermediate operations, and the final handler runs inside the last.

/** Starts `op`'s first step; a stream that throws instead of completing leaves nothing allocated. */
function startComposed(op: ReadOp | WriteOp | ReadUntilOp): void {
  try {
    op.start();
  } catch (error) {
    op.abandon();
    throw error;
  }
}

function initiateWrite(handler: Handler<[number]>, stream: WriteSomeStream, bufs: Uint8Array | readonly Uint8Array[], total: number): void {
  const ctx = streamContext(stream);
  const allocator = getAssociatedAllocator(handler, ctx?.allocator ?? defaultAllocator);
  const op = allocator.allocate(WriteOp).init(handler, stream, bufs, total, allocator);
  ctx?.operationStarted(op, 'socket', stream, null);
  startComposed(op);
}

function initiateRead(handler: Handler<[number]>, stream: ReadSomeStream, buf: Uint8Array, condition: CompletionCondition): void {
  const ctx = streamContext(stream);
  const allocator = getAssociatedAllocator(handler, ctx?.allocator ?? defaultAllocator);
  const op = allocator.allocate(ReadOp).init(handler, stream, buf, condition, allocator);
  ctx?.operationStarted(op, 'socket', stream, null);
  startComposed(op);
}

function initiateReadUntil(handler: Handler<[number]>, stream: ReadSomeStream, dynbuf: DynamicBuffer, delim: Uint8Array | RegExp): void {
  const ctx = streamContext(stream);
  const allocator = getAssociatedAllocator(handler, ctx?.allocator ?? defaultAllocator);
  const bytes = delim instanceof Uint8Array ? delim : null;
  const pattern = delim instanceof RegExp ? delim : null;
  const op = allocator.allocate(ReadUntilOp).init(handler, stream, dynbuf, bytes, pattern, allocator);
  ctx?.operationStarted(op, 'socket', stream, null);
  startComposed(op);
}

function checkStream(stream: unknown, method: 'asyncReadSome' | 'asyncWriteSome', what: string): void {
  if (typeof stream !== 'object' || stream === null || typeof (stream as Record<string, unknown>)[method] !== 'function') {
    throw new TypeError(`${what}: the stream must have an ${method} method`);
  }
}

/**
 * Writes every byte of `bufs` (one buffer, or an array written as a
 * gathered write) to `stream`. Completion signature: `(err, n)` with `n`
 * the bytes written: the total unless `err` is set, or unless the stream
 * completed a step with `(null, 0)` (it took nothing: a stream that will
 * take no more), which ends the operation there, as in asio. The
 * intermediate writes use the handler's associated allocator, one at a
 * time. The bytes must stay unchanged until the handler runs.
 *
 * @example
 * ```ts
 * asyncWrite(socket, [header, body], (err, n) => {
 *   if (err) return socket.close();
 *   // n === header.length + body.length
 * });
 * ```
 *
 * @category Composed I/O
 */
export function asyncWrite<T extends CompletionToken<[number]>>(
  stream: AsyncWriteStream,
  bufs: Uint8Array | readonly Uint8Array[],
  token: T,
): CompletionResult<T, [number]> {
  checkStream(stream, 'asyncWriteSome', 'asyncWrite');
  let total = 0;
  if (bufs instanceof Uint8Array) {
    checkNotDetached(bufs, 'asyncWrite');
    total = bufs.length;
  } else if (Array.isArray(bufs)) {
    for (const b of bufs as unknown[]) {
      if (!(b instanceof Uint8Array)) throw new TypeError('asyncWrite: every element of the buffer array must be a Uint8Array');
      checkNotDetached(b, 'asyncWrite');
      total += b.length;
    }
  } else {
    throw new TypeError('asyncWrite: expected a Uint8Array or an array of Uint8Array');
  }
  return asyncInitiate<[number], T, WriteSomeStream, Uint8Array | readonly Uint8Array[], number>(initiateWrite, token, stream, bufs, total);
}

/**
 * Reads into `buf` until `condition` (default `transferAll()`) is met, the
 * buffer is full, or an error occurs. Completion signature: `(err, n)` with
 * `n` the bytes read; as in asio an error (`eof` too) comes with the bytes
 * read before it, and a step the stream completes with `(null, 0)` ends the
 * operation with `(null, n)` short of the condition. `buf` belongs to the
 * operation until the handler runs.
 *
 * @example
 * ```ts
 * const frame = Buffer.alloc(512);
 * const [err, n] = await asyncRead(socket, frame, asTuple(usePromise));
 * if (err?.code === 'eof') console.log(`peer closed after ${n} bytes`);
 * ```
 *
 * @category Composed I/O
 */
export function asyncRead<T extends CompletionToken<[number]>>(stream: AsyncReadStream, buf: Uint8Array, token: T): CompletionResult<T, [number]>;
export function asyncRead<T extends CompletionToken<[number]>>(
  stream: AsyncReadStream,
  buf: Uint8Array,
  condition: CompletionCondition,
  token: T,
): CompletionResult<T, [number]>;
export function asyncRead<T extends CompletionToken<[number]>>(
  stream: AsyncReadStream,
  buf: Uint8Array,
  conditionOrToken: CompletionCondition | T,
  maybeToken?: T,
): CompletionResult<T, [number]> {
  checkStream(stream, 'asyncReadSome', 'asyncRead');
  if (!(buf instanceof Uint8Array)) throw new TypeError('asyncRead: the buffer must be a Uint8Array (or Buffer)');
  checkNotDetached(buf, 'asyncRead');
  let condition: CompletionCondition = transferAllCondition;
  let token: T;
  if (maybeToken === undefined) {
    token = conditionOrToken as T;
  } else {
    if (typeof conditionOrToken !== 'function') throw new TypeError('asyncRead: the completion condition must be a function such as transferAll()');
    condition = conditionOrToken as CompletionCondition;
    token = maybeToken;
  }
  return asyncInitiate<[number], T, ReadSomeStream, Uint8Array, CompletionCondition>(initiateRead, token, stream, buf, condition);
}

let lastDelimString = '';
let lastDelimBytes: Uint8Array = Buffer.from('\n');

function delimiterBytes(delim: string): Uint8Array {
  if (delim !== lastDelimString) {
    lastDelimBytes = Buffer.from(delim, 'utf8');
    lastDelimString = delim;
  }
  return lastDelimBytes;
}

/**
 * Reads into `dynbuf` until it holds `delim` (a string, as UTF-8; bytes; or
 * a RegExp matched against the bytes as latin1 text, which allocates a
 * string per step). Completion signature: `(err, n)` with `n` the bytes up
 * to and including the delimiter; bytes past it stay in `dynbuf` for the
 * next call. A buffer that reaches `maxSize` without a delimiter completes
 * with `not_found`; the end of the stream before a delimiter with `(eof, 0)`,
 * the partial data staying in `dynbuf`. A RegExp's first match in the bytes
 * read so far wins, so a pattern whose match can grow (`/;+/`) may end at a
 * chunk boundary, and one that matches the empty string completes at once
 * with `(null, 0)`, as asio's regex overload does.
 *
 * @example
 * ```ts
 * const lines = new DynamicBuffer(4096);
 * asyncReadUntil(socket, lines, '\n', (err, n) => {
 *   if (err) return socket.close(); // not_found: a line longer than 4096 bytes
 *   const line = Buffer.from(lines.data().subarray(0, n)).toString();
 *   lines.consume(n);
 * });
 * ```
 *
 * @category Composed I/O
 */
export function asyncReadUntil<T extends CompletionToken<[number]>>(
  stream: AsyncReadStream,
  dynbuf: DynamicBuffer,
  delim: string | Uint8Array | RegExp,
  token: T,
): CompletionResult<T, [number]> {
  checkStream(stream, 'asyncReadSome', 'asyncReadUntil');
  if (!(dynbuf instanceof DynamicBuffer)) throw new TypeError('asyncReadUntil: the second argument must be a DynamicBuffer');
  let d: Uint8Array | RegExp;
  if (typeof delim === 'string') {
    if (delim.length === 0) throw new TypeError('asyncReadUntil: the delimiter must not be empty');
    d = delimiterBytes(delim);
  } else if (delim instanceof Uint8Array) {
    if (delim.length === 0) throw new TypeError('asyncReadUntil: the delimiter must not be empty');
    d = delim;
  } else if (delim instanceof RegExp) {
    d = delim.global || delim.sticky ? new RegExp(delim.source, delim.flags.replace(/[gy]/g, '')) : delim;
  } else {
    throw new TypeError('asyncReadUntil: the delimiter must be a string, a Uint8Array or a RegExp');
  }
  return asyncInitiate<[number], T, ReadSomeStream, DynamicBuffer, Uint8Array | RegExp>(initiateReadUntil, token, stream, dynbuf, d);
}
