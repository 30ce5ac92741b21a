import { getAssociatedAllocator } from '../associations/associate.js';
import { getAssociatedExecutor } from '../associations/bind-executor.js';
import { IoContext } from '../io-context/io-context.js';
import { ComposeOp, type ComposeImplementation } from '../ops/compose-op.js';
import { asyncInitiate } from '../tokens/async-initiate.js';
import type { CompletionResult, CompletionToken, Handler, Initiation } from '../tokens/completion-token.js';

/** The context `io` names: an `IoContext` itself, or an object (socket, timer, executor, strand) whose `context` is one. */
function contextOf(io: unknown): IoContext | null {
  if (io instanceof IoContext) return io;
  if (typeof io !== 'object' || io === null) return null;
  const ctx = (io as { context?: unknown }).context;
  return ctx instanceof IoContext ? ctx : null;
}

/** The context of the executor the token's handler is bound to (looking through wrapping tokens such as `withAbortSignal`). */
function tokenContext(token: unknown): IoContext | null {
  let t = token;
  while (typeof t === 'object' && t !== null && (t as { kind?: unknown }).kind === 'wrapped') t = (t as { inner?: unknown }).inner;
  if (typeof t !== 'function') return null;
  return getAssociatedExecutor(t)?.context ?? null;
}

// Module level, so the callback path makes no closure per operation.
function initiateCompose(handler: Handler<never[]>, implementation: ComposeImplementation<never[]>, ctx: IoContext): void {
  const allocator = getAssociatedAllocator(handler, ctx.allocator);
  const op = allocator.allocate(ComposeOp).init(handler, implementation, ctx, allocator);
  // Counted, but no handler-tracking id of its own: as with asyncRead, the tracked handlers are its steps'.
  ctx.operationStarted(op, 'io_context', ctx, null);
  op.start();
}

/**
 * Starts a composed operation written by you, as a state machine (asio's
 * `async_compose`). Completion signature: `(err, ...results: R)`, whatever
 * the implementation passes to `self.complete`.
 *
 * - `implementation` (a function, or an object with a `step` method) is
 *   called first as `implementation(self)` (so `err` is `undefined`),
 *   inside this call, then with each intermediate completion as
 *   `implementation(self, err, ...results)` (`err` an `IoError` or `null`)
 *   whenever `self` was the handler of an intermediate operation
 *   (`socket.asyncReadSome(buf, self)`, `asyncRead(socket, buf, self)`,
 *   `timer.asyncWait(self)`, `post(ctx, self)` …). `self.complete(err,
 *   ...results)` ends it.
 * - Memory: the op comes from the final handler's associated allocator (the
 *   context's when it has none) and is freed before the final handler runs;
 *   the intermediate operations are allocated there too. The runtime
 *   allocates nothing else per operation (the token may: a promise).
 * - The context: the first of `ioObjects` that is an `IoContext` or has one
 *   as its `context` (a socket, a timer, an executor); else the context of
 *   the executor the handler is bound to (`bindExecutor`); else a
 *   `TypeError`. The operation counts as outstanding work there until its
 *   final handler runs, so `run()` does not return between steps.
 * - A `complete` on the first call (inside `asyncCompose`) queues the final
 *   handler on the context; it never runs inside the initiating call. Later,
 *   the final handler runs as soon as the implementation's call returns.
 * - Cancellation: with a final handler that has a cancellation slot
 *   (`bindCancellationSlot`, `withAbortSignal`), a request of type terminal
 *   or partial (see `self.resetCancellationState`) is recorded
 *   (`self.cancelled()`) and forwarded to the intermediate operation in
 *   progress; the implementation decides what it means.
 * - Errors: `complete` twice or after the end throws a `TypeError`. An
 *   exception from the implementation ends the operation without its final
 *   handler (a promise never settles); the op is freed, a step it had
 *   started completes into nothing, and the exception propagates: to the
 *   caller on the first call, out of `run()` afterwards.
 *
 * @typeParam R - the results of the completion signature, after `err`.
 * @typeParam T - the completion token's type: a callback, `usePromise`, `asTuple(usePromise)`, `detached`, `withAbortSignal(…)`.
 * @example
 * ```ts
 * // A length-prefixed frame: a 4-byte big-endian length, then that many bytes.
 * function asyncReadFrame<T extends CompletionToken<[Buffer]>>(sock: TcpSocket, token: T): CompletionResult<T, [Buffer]> {
 *   const header = Buffer.alloc(4);
 *   let body: Buffer | null = null;
 *   return asyncCompose<[Buffer], T>(
 *     (self, err) => {
 *       if (err) {
 *         self.complete(err, Buffer.alloc(0));
 *       } else if (err === undefined) {
 *         asyncRead(sock, header, self); // the first call: read the header
 *       } else if (body === null) {
 *         body = Buffer.alloc(header.readUInt32BE(0));
 *         asyncRead(sock, body, self); // then the body
 *       } else {
 *         self.complete(null, body);
 *       }
 *     },
 *     token,
 *     sock,
 *   );
 * }
 * const frame = await asyncReadFrame(sock, usePromise);
 * asyncReadFrame(sock, (err, frame) => { … });
 * ```
 *
 * @category Composed I/O
 */
export function asyncCompose<R extends unknown[], T extends CompletionToken<R>>(
  implementation: ComposeImplementation<R>,
  token: T,
  ...ioObjects: readonly object[]
): CompletionResult<T, R> {
  if (typeof implementation !== 'function' && (typeof implementation !== 'object' || implementation === null || typeof implementation.step !== 'function')) {
    throw new TypeError('asyncCompose: the implementation must be a function or an object with a step method');
  }
  // Constant indices in the usual case, so the rest array does not escape.
  const count = ioObjects.length;
  let ctx = count > 0 ? contextOf(ioObjects[0]) : null;
  if (ctx === null && count > 1) {
    for (let i = 1; ctx === null && i < count; i++) ctx = contextOf(ioObjects[i]);
  }
  ctx ??= tokenContext(token);
  if (ctx === null) {
    throw new TypeError('asyncCompose: no IoContext: pass an I/O object (or the context) after the token, or a handler bound to an executor');
  }
  const initiation = initiateCompose as unknown as Initiation<R, ComposeImplementation<R>, IoContext, undefined>;
  return asyncInitiate<R, T, ComposeImplementation<R>, IoContext>(initiation, token, implementation, ctx);
}
