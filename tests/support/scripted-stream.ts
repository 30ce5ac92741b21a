import {
  CancellationType,
  IoError,
  ReadSomeOp,
  WriteSomeOp,
  asyncInitiate,
  getAssociatedAllocator,
  getAssociatedCancellationSlot,
  type CompletionResult,
  type CompletionToken,
  type Handler,
  type IoContext,
  type IoService,
  type Operation,
} from '../../src/index.js';

/*
 * A scripted in-memory stream for tests, in the manner of tokio-test's
 * `io::Builder`: reads return the chunks the script gives, writes are
 * checked against the bytes the script expects, so composed operations can
 * be driven through every chunk boundary without a socket.
 *
 *   const stream = scriptedStream(ctx)
 *     .read('GET / HTTP/1.1\r')
 *     .read('\n\r\n')
 *     .write('HTTP/1.1 200 OK\r\n\r\n', { max: 4 })   // at most 4 bytes per asyncWriteSome
 *     .wait(5)                                         // the next action completes 5 ms later (from a Node timer)
 *     .readError(new IoError('connection_reset'))
 *     .build();
 *   … start operations on `stream`, await ctx.run() …
 *   stream.assertDone();   // throws on a write mismatch, an unconsumed action, a stuck operation
 *
 * The script is one ordered list, as in tokio-test: an operation whose
 * direction differs from the next action's waits (pending, cancellable)
 * until the actions before it have been consumed by operations of the
 * other direction. After the last action every read completes with `eof`
 * (sticky, like a socket) and a write is a script failure.
 *
 * It is a real I/O object on the allocation contract, like `TcpSocket`:
 * each `asyncReadSome`/`asyncWriteSome` allocates a `ReadSomeOp`/
 * `WriteSomeOp` through the handler's associated allocator (falling back
 * to `ctx.allocator`), counts it (`operationStarted`, `workStarted`) and
 * completes it through the context's queue, never inside the initiating
 * call; every completion token works (`asyncInitiate`). Its `context`
 * property lets the composed operations find the context's allocator and
 * statistics, as for a socket.
 */

/** Options of a scripted write. */
export interface ScriptedWriteOptions {
  /** The most bytes one `asyncWriteSome` may take of this action (a partial write); default: all it is offered. */
  readonly max?: number;
}

/** Options of `build()`. */
export interface ScriptedStreamOptions {
  /**
   * How long an operation may wait for the script to reach an action of its
   * direction before it is failed with `timed_out` and recorded as a script
   * failure (so a wrong script ends the run instead of hanging it). Default 2000 ms.
   */
  readonly stallMs?: number;
  /**
   * How many zero-length operations in a row the stream serves before it
   * fails the next one with `invalid_argument` and records a failure: an
   * operation that keeps asking for nothing is spinning (a composed
   * operation that never completes), and would otherwise hang the run.
   * Default 1000.
   */
  readonly spinLimit?: number;
}

type Action =
  | { readonly kind: 'read'; readonly bytes: Buffer; offset: number }
  | { readonly kind: 'readError'; readonly err: IoError }
  | { readonly kind: 'write'; readonly bytes: Buffer; readonly max: number; offset: number }
  | { readonly kind: 'writeError'; readonly err: IoError }
  | { readonly kind: 'wait'; readonly ms: number };

function toBytes(data: Uint8Array | string, what: string): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return Buffer.from(data); // a copy: the script does not change with the caller's buffer
  throw new TypeError(`${what}: expected a Uint8Array or a string`);
}

/** Printable bytes for failure messages: JSON-quoted latin1 text, so control bytes are visible. */
export function show(bytes: Uint8Array): string {
  return JSON.stringify(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
}

function describeAction(action: Action): string {
  switch (action.kind) {
    case 'read':
      return `read(${show(action.bytes.subarray(action.offset))}${action.offset > 0 ? `, ${action.offset} of ${action.bytes.length} bytes already read` : ''})`;
    case 'readError':
      return `readError(${action.err.code})`;
    case 'write':
      return `write(${show(action.bytes.subarray(action.offset))}${action.offset > 0 ? `, ${action.offset} of ${action.bytes.length} bytes already written` : ''}${action.max !== Infinity ? `, { max: ${action.max} }` : ''})`;
    case 'writeError':
      return `writeError(${action.err.code})`;
    case 'wait':
      return `wait(${action.ms})`;
  }
}

function isReadAction(action: Action): boolean {
  return action.kind === 'read' || action.kind === 'readError';
}

function checkBuffer(buf: unknown, what: string): Uint8Array {
  if (!(buf instanceof Uint8Array)) throw new TypeError(`${what}: the buffer must be a Uint8Array (or Buffer)`);
  return buf;
}

function totalLength(bufs: unknown, what: string): number {
  if (bufs instanceof Uint8Array) return bufs.length;
  if (!Array.isArray(bufs)) throw new TypeError(`${what}: expected a Uint8Array or an array of Uint8Array`);
  let total = 0;
  for (const b of bufs as unknown[]) {
    if (!(b instanceof Uint8Array)) throw new TypeError(`${what}: every element of the buffer array must be a Uint8Array`);
    total += b.length;
  }
  return total;
}

function gather(bufs: Uint8Array | readonly Uint8Array[]): Buffer {
  return bufs instanceof Uint8Array ? Buffer.from(bufs.buffer, bufs.byteOffset, bufs.byteLength) : Buffer.concat(bufs);
}

/**
 * Builds a `ScriptedStream`: each call appends one action to the script.
 */
export class ScriptedStreamBuilder {
  readonly #ctx: IoContext;
  readonly #actions: Action[] = [];

  constructor(ctx: IoContext) {
    this.#ctx = ctx;
  }

  /** One read action: reads take up to their buffer's length of `bytes`; the rest stays for the next read. Non-empty. */
  read(bytes: Uint8Array | string): this {
    const b = toBytes(bytes, 'scriptedStream.read');
    if (b.length === 0) throw new TypeError('scriptedStream.read: a read chunk must not be empty (the end of the stream is the end of the script, or readError(eof))');
    this.#actions.push({ kind: 'read', bytes: b, offset: 0 });
    return this;
  }

  /** The next read completes with `(err, 0)`. */
  readError(err: IoError): this {
    if (!(err instanceof IoError)) throw new TypeError('scriptedStream.readError: expected an IoError');
    this.#actions.push({ kind: 'readError', err });
    return this;
  }

  /**
   * Writes must supply exactly `expected` next (non-empty), over as many
   * `asyncWriteSome` calls as they like; one call takes at most `max` bytes
   * and never more than what is left of this action (the next write action
   * starts a new call). A write of other bytes is a script failure.
   */
  write(expected: Uint8Array | string, options: ScriptedWriteOptions = {}): this {
    const b = toBytes(expected, 'scriptedStream.write');
    if (b.length === 0) throw new TypeError('scriptedStream.write: the expected bytes must not be empty');
    const max = options.max ?? Infinity;
    if (max !== Infinity && (!Number.isInteger(max) || max < 1)) throw new TypeError(`scriptedStream.write: max must be a positive integer, got ${String(max)}`);
    this.#actions.push({ kind: 'write', bytes: b, max, offset: 0 });
    return this;
  }

  /** The next write completes with `(err, 0)`. */
  writeError(err: IoError): this {
    if (!(err instanceof IoError)) throw new TypeError('scriptedStream.writeError: expected an IoError');
    this.#actions.push({ kind: 'writeError', err });
    return this;
  }

  /**
   * The operation that reaches this point of the script waits `ms` ms (a
   * Node timer; `0` is one `setImmediate` turn) and then completes from the timer
   * callback, as I/O from libuv does. It is pending meanwhile, so it can
   * be cancelled.
   */
  wait(ms = 0): this {
    if (typeof ms !== 'number' || !(ms >= 0)) throw new TypeError(`scriptedStream.wait: ms must be a non-negative number, got ${String(ms)}`);
    this.#actions.push({ kind: 'wait', ms });
    return this;
  }

  build(options: ScriptedStreamOptions = {}): ScriptedStream {
    return new ScriptedStream(this.#ctx, this.#actions.splice(0), options.stallMs ?? 2000, options.spinLimit ?? 1000);
  }
}

/**
 * A new script for a stream on `ctx`.
 *
 * @example
 * ```ts
 * const stream = scriptedStream(ctx).read('ab').read('c\n').write('ok\n', { max: 1 }).build();
 * ```
 */
export function scriptedStream(ctx: IoContext): ScriptedStreamBuilder {
  return new ScriptedStreamBuilder(ctx);
}

/**
 * The stream a script builds; `asyncReadSome` and `asyncWriteSome` have
 * `TcpSocket`'s signatures and contract (see the file comment).
 */
export class ScriptedStream {
  /** The context whose run loop invokes this stream's handlers (the composed operations look it up). */
  readonly context: IoContext;
  /** How many times each method was called (zero-length calls included). */
  readonly calls = { reads: 0, writes: 0 };

  readonly #actions: Action[];
  readonly #stallMs: number;
  readonly #spinLimit: number;
  /** Zero-length operations since the last one that moved bytes. */
  #zeroInARow = 0;
  readonly #failures: string[] = [];
  readonly #written: Buffer[] = [];
  /** Operations waiting for the script to reach an action of their direction (or for a wait). */
  readonly #reads: ReadSomeOp[] = [];
  readonly #writes: WriteSomeOp[] = [];
  #open = true;
  /** Clears the timer of the wait in progress, or `null` when none is. */
  #cancelWait: (() => void) | null = null;
  #stallTimer: NodeJS.Timeout | null = null;
  /** Completions made now come from a Node callback (a wait's timer): drain in it, as libuv I/O does. */
  #fromIo = false;

  readonly #service: IoService = {
    shutdown: (): void => {
      this.#clearTimers();
      for (const op of this.#reads.splice(0)) op.destroy();
      for (const op of this.#writes.splice(0)) op.destroy();
    },
  };

  static readonly #initiateRead = (handler: Handler<[number]>, stream: ScriptedStream, buf: Uint8Array): void => {
    stream.#startRead(handler, buf);
  };

  static readonly #initiateWrite = (handler: Handler<[number]>, stream: ScriptedStream, bufs: Uint8Array | readonly Uint8Array[], total: number): void => {
    stream.#startWrite(handler, bufs, total);
  };

  /** Use `scriptedStream(ctx)…build()`. */
  constructor(ctx: IoContext, actions: Action[], stallMs: number, spinLimit: number) {
    this.context = ctx;
    this.#actions = actions;
    this.#stallMs = stallMs;
    this.#spinLimit = spinLimit;
    ctx.addService(this.#service);
  }

  /**
   * Reads some bytes into `buf`: up to `buf.length` bytes of the current
   * read action. Completion signature: `(err, n)` with `0 < n <= buf.length`,
   * `(eof, 0)` after the script, `(err, 0)` at a `readError`, `(null, 0)` for
   * an empty `buf` (which consumes nothing; see `spinLimit`).
   */
  asyncReadSome<T extends CompletionToken<[number]>>(buf: Uint8Array, token: T): CompletionResult<T, [number]> {
    checkBuffer(buf, 'ScriptedStream.asyncReadSome');
    return asyncInitiate<[number], T, ScriptedStream, Uint8Array>(ScriptedStream.#initiateRead, token, this, buf);
  }

  /**
   * Writes some of `bufs` (one buffer, or an array as one gathered write).
   * Completion signature: `(err, n)`: `n` the bytes the current write action
   * took (at most its `max`), `(err, 0)` at a `writeError`, `(null, 0)` for
   * zero bytes. Bytes other than the script's complete it with
   * `invalid_argument` and are recorded as a failure for `assertDone()`.
   */
  asyncWriteSome<T extends CompletionToken<[number]>>(bufs: Uint8Array | readonly Uint8Array[], token: T): CompletionResult<T, [number]> {
    const total = totalLength(bufs, 'ScriptedStream.asyncWriteSome');
    return asyncInitiate<[number], T, ScriptedStream, Uint8Array | readonly Uint8Array[], number>(ScriptedStream.#initiateWrite, token, this, bufs, total);
  }

  /** Pending operations complete with `operation_aborted`, later ones with `bad_descriptor`. The script is left as it is. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#clearTimers();
    this.context.removeService(this.#service);
    const aborted = new IoError('operation_aborted');
    for (const op of this.#reads.splice(0)) this.#complete(op.finish(aborted, 0));
    for (const op of this.#writes.splice(0)) this.#complete(op.finish(aborted, 0));
  }

  isOpen(): boolean {
    return this.#open;
  }

  /** Every byte the writes took, in order. */
  written(): Buffer {
    return Buffer.concat(this.#written);
  }

  /** The script failures so far (write mismatches, unexpected writes, stuck operations). */
  failures(): readonly string[] {
    return this.#failures;
  }

  /** The actions not consumed yet, described. */
  remaining(): string[] {
    return this.#actions.map(describeAction);
  }

  /** Throws, listing them, if there were script failures, actions are left, or operations are still waiting. */
  assertDone(): void {
    const problems = [...this.#failures];
    if (this.#actions.length > 0) problems.push(`unconsumed script actions: ${this.remaining().join(', ')}`);
    if (this.#reads.length + this.#writes.length > 0) problems.push(`operations still pending: ${this.#reads.length} reads, ${this.#writes.length} writes`);
    if (problems.length > 0) throw new Error(`scripted stream:\n  ${problems.join('\n  ')}`);
  }

  /**
   * @internal The cancellation path (the ops' `CancellableOpOwner`): an op
   * still waiting here is withdrawn for any type, as nothing of the script
   * has been consumed for it; queued with `operation_aborted`.
   */
  abortOperation(op: Operation, _type: CancellationType = CancellationType.terminal): boolean {
    const queue: Operation[] = op instanceof ReadSomeOp ? this.#reads : this.#writes;
    const at = queue.indexOf(op);
    if (at < 0) return false;
    queue.splice(at, 1);
    this.#complete((op as ReadSomeOp | WriteSomeOp).finish(new IoError('operation_aborted'), 0));
    if (this.#reads.length + this.#writes.length === 0) this.#clearStall();
    return true;
  }

  // ---- internals ----

  #startRead(handler: Handler<[number]>, buf: Uint8Array): void {
    const ctx = this.context;
    this.calls.reads++;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(ReadSomeOp).init(handler, buf, allocator, this);
    ctx.operationStarted(op, 'socket', this, 'async_receive');
    ctx.workStarted();
    if (!this.#open) {
      ctx.enqueue(op.finish(new IoError('bad_descriptor'), 0));
    } else if (buf.length === 0) {
      ctx.enqueue(op.finish(this.#zeroLength('read'), 0));
    } else {
      this.#zeroInARow = 0;
      this.#reads.push(op);
      this.#pump();
      const slot = getAssociatedCancellationSlot(handler);
      if (slot !== null) op.installSlot(slot); // only if still pending
    }
  }

  #startWrite(handler: Handler<[number]>, bufs: Uint8Array | readonly Uint8Array[], total: number): void {
    const ctx = this.context;
    this.calls.writes++;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(WriteSomeOp).init(handler, bufs, total, allocator, this);
    ctx.operationStarted(op, 'socket', this, 'async_send');
    ctx.workStarted();
    if (!this.#open) {
      ctx.enqueue(op.finish(new IoError('bad_descriptor'), 0));
    } else if (total === 0) {
      ctx.enqueue(op.finish(this.#zeroLength('write'), 0));
    } else {
      this.#zeroInARow = 0;
      this.#writes.push(op);
      this.#pump();
      const slot = getAssociatedCancellationSlot(handler);
      if (slot !== null) op.installSlot(slot); // only if still pending
    }
  }

  /** The result of a zero-length operation: `null`, or an error once too many came in a row (see `spinLimit`). */
  #zeroLength(what: string): IoError | null {
    if (++this.#zeroInARow <= this.#spinLimit) return null;
    if (this.#zeroInARow === this.#spinLimit + 1) {
      this.#failures.push(`more than ${this.#spinLimit} zero-length operations in a row (the last a ${what}): an operation is spinning`);
    }
    return new IoError('invalid_argument', 'scripted stream: too many zero-length operations in a row');
  }

  #complete(op: Operation): void {
    if (this.#fromIo) this.context.completeFromIo(op);
    else this.context.enqueue(op);
  }

  /** Serves waiting operations from the front of the script for as long as it can. */
  #pump(): void {
    for (;;) {
      if (this.#cancelWait !== null) return;
      const action = this.#actions[0];
      if (action === undefined) {
        const read = this.#reads.shift();
        if (read !== undefined) {
          this.#complete(read.finish(new IoError('eof'), 0));
          continue;
        }
        const write = this.#writes.shift();
        if (write !== undefined) {
          this.#failures.push(`unexpected write of ${show(gather(write.buffers!))}: the script has ended`);
          this.#complete(write.finish(new IoError('broken_pipe', 'scripted stream: write after the end of the script'), 0));
          continue;
        }
        this.#clearStall();
        return;
      }
      if (action.kind === 'wait') {
        if (this.#reads.length + this.#writes.length === 0) return;
        this.#clearStall();
        if (action.ms === 0) {
          const immediate = setImmediate(this.#onWaitDone);
          this.#cancelWait = (): void => {
            clearImmediate(immediate);
          };
        } else {
          const timeout = setTimeout(this.#onWaitDone, action.ms);
          this.#cancelWait = (): void => {
            clearTimeout(timeout);
          };
        }
        return;
      }
      if (isReadAction(action)) {
        const op = this.#reads.shift();
        if (op === undefined) break;
        this.#serveRead(op, action);
      } else {
        const op = this.#writes.shift();
        if (op === undefined) break;
        this.#serveWrite(op, action);
      }
    }
    // Operations of the other direction wait; make sure a wrong script cannot hang the run.
    if (this.#reads.length + this.#writes.length > 0) {
      this.#stallTimer ??= setTimeout(this.#onStall, this.#stallMs);
    } else {
      this.#clearStall();
    }
  }

  readonly #onWaitDone = (): void => {
    this.#cancelWait = null;
    this.#actions.shift();
    this.#fromIo = true;
    try {
      this.#pump();
    } finally {
      this.#fromIo = false;
    }
  };

  readonly #onStall = (): void => {
    this.#stallTimer = null;
    const next = this.#actions[0];
    const expected = next === undefined ? 'the end of the script' : describeAction(next);
    const err = new IoError('timed_out', 'scripted stream: the script never reached an action for this operation');
    this.#fromIo = true;
    try {
      for (const op of this.#reads.splice(0)) {
        this.#failures.push(`a read waited ${this.#stallMs} ms while the script expects ${expected}`);
        this.#complete(op.finish(err, 0));
      }
      for (const op of this.#writes.splice(0)) {
        this.#failures.push(`a write of ${show(gather(op.buffers!))} waited ${this.#stallMs} ms while the script expects ${expected}`);
        this.#complete(op.finish(err, 0));
      }
    } finally {
      this.#fromIo = false;
    }
  };

  #serveRead(op: ReadSomeOp, action: Action): void {
    if (action.kind === 'readError') {
      this.#actions.shift();
      this.#complete(op.finish(action.err, 0));
      return;
    }
    if (action.kind !== 'read') throw new Error('unreachable');
    const buf = op.buffer!;
    const n = Math.min(buf.length, action.bytes.length - action.offset);
    buf.set(action.bytes.subarray(action.offset, action.offset + n));
    action.offset += n;
    if (action.offset === action.bytes.length) this.#actions.shift();
    this.#complete(op.finish(null, n));
  }

  #serveWrite(op: WriteSomeOp, action: Action): void {
    if (action.kind === 'writeError') {
      this.#actions.shift();
      this.#complete(op.finish(action.err, 0));
      return;
    }
    if (action.kind !== 'write') throw new Error('unreachable');
    const offered = gather(op.buffers!);
    const left = action.bytes.length - action.offset;
    const n = Math.min(offered.length, left, action.max);
    const expected = action.bytes.subarray(action.offset, action.offset + n);
    const got = offered.subarray(0, n);
    if (!got.equals(expected)) {
      let at = 0;
      while (got[at] === expected[at]) at++;
      const where = action.offset + at;
      this.#failures.push(
        `write mismatch at byte ${where} of write(${show(action.bytes)}): expected ${show(action.bytes.subarray(where, where + 16))}, got ${show(offered.subarray(at, at + 16))}`,
      );
      this.#complete(op.finish(new IoError('invalid_argument', 'scripted stream: the bytes written are not the ones the script expects'), 0));
      return;
    }
    this.#written.push(Buffer.from(got));
    action.offset += n;
    if (action.offset === action.bytes.length) this.#actions.shift();
    this.#complete(op.finish(null, n));
  }

  #clearStall(): void {
    if (this.#stallTimer !== null) {
      clearTimeout(this.#stallTimer);
      this.#stallTimer = null;
    }
  }

  #clearTimers(): void {
    this.#clearStall();
    const cancelWait = this.#cancelWait;
    if (cancelWait !== null) {
      this.#cancelWait = null;
      cancelWait();
    }
  }
}
