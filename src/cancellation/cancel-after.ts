import type { Allocator } from '../allocation/allocator.js';
import { getAssociatedCancellationSlot } from '../associations/bind-cancellation-slot.js';
import { carriedAllocator } from '../associations/carry-associations.js';
import type { IoError } from '../errors/io-error.js';
import type { CancellationSlot } from './cancellation-slot.js';
import { launchThrough } from '../tokens/async-initiate.js';
import type { CompletionToken, Handler, Initiation, WrappedToken } from '../tokens/completion-token.js';
import type { SteadyTimer } from '../timer/steady-timer.js';
import { CancellationType, checkRequestedType } from './cancellation-type.js';
import { Deadline, type DeadlineOwner } from './deadline.js';
import { describeValue } from '../errors/describe-value.js';

type AnyHandler = (err: IoError | null, ...results: unknown[]) => void;

/** The token `cancelAfter` and `cancelAt` return; one deadline kept for reuse. */
class DeadlineToken<T> implements WrappedToken<T>, DeadlineOwner {
  readonly kind = 'wrapped' as const;
  readonly inner: T;
  readonly type: CancellationType;
  readonly #time: number;
  readonly #relative: boolean;
  /** A whole number of milliseconds: armed on whole-millisecond times, which cost no heap (see `expiresAfterWholeMs`). */
  readonly #wholeMs: boolean;
  /** A deadline whose operation completed, kept for the next one (a chain uses one forever). */
  #idle: Deadline | null = null;
  /** A callback's associations, read once: a chain's every operation would otherwise look them up again. */
  readonly #innerAllocator: Allocator | undefined;
  readonly #innerSlot: CancellationSlot | null;

  constructor(inner: T, time: number, relative: boolean, type: CancellationType) {
    this.inner = inner;
    const callback = typeof inner === 'function';
    this.#innerAllocator = callback ? carriedAllocator(inner) : undefined;
    this.#innerSlot = callback ? getAssociatedCancellationSlot(inner) : null;
    this.#time = time;
    this.#relative = relative;
    this.#wholeMs = relative && Number.isSafeInteger(time);
    this.type = type;
  }

  arm(timer: SteadyTimer): void {
    if (!this.#relative) timer.expiresAt(this.#time);
    else if (this.#wholeMs) timer.expiresAfterWholeMs(this.#time);
    else timer.expiresAfter(this.#time);
  }

  release(deadline: Deadline): void {
    this.#idle ??= deadline;
  }

  #take(): Deadline {
    const idle = this.#idle;
    if (idle === null) return new Deadline(this);
    this.#idle = null;
    return idle;
  }

  launch<R extends unknown[], A, B, C>(initiation: Initiation<R, A, B, C>, a: A, b: B, c: C): unknown {
    const inner = this.inner;
    if (typeof inner === 'function') {
      this.#start(initiation, inner as AnyHandler, this.#innerAllocator, this.#innerSlot, a, b, c);
      return undefined;
    }
    return this.#launchInner(initiation, a, b, c);
  }

  // Apart from `launch`: a closure in `launch` would make every call allocate its scope, the callback path's too.
  #launchInner<R extends unknown[], A, B, C>(initiation: Initiation<R, A, B, C>, a: A, b: B, c: C): unknown {
    const initiateWithDeadline = (handler: Handler<R>, a2: A, b2: B, c2: C): void => {
      this.#start(initiation, handler as unknown as AnyHandler, carriedAllocator(handler), getAssociatedCancellationSlot(handler), a2, b2, c2);
    };
    return launchThrough(initiateWithDeadline, this.inner, a, b, c);
  }

  #start<R extends unknown[], A, B, C>(
    initiation: Initiation<R, A, B, C>,
    target: AnyHandler,
    allocator: Allocator | undefined,
    outer: CancellationSlot | null,
    a: A,
    b: B,
    c: C,
  ): void {
    const deadline = this.#take();
    deadline.begin(target, allocator, outer);
    try {
      initiation(deadline.handler, a, b, c);
    } catch (error) {
      deadline.abandon();
      throw error;
    }
  }
}

function checkToken(token: unknown, caller: string): void {
  if (typeof token !== 'function' && (typeof token !== 'object' || token === null)) {
    throw new TypeError(`${caller}: the second argument must be a completion token, got ${describeValue(token)}`);
  }
}

/**
 * A completion token that cancels the operation, with `type` (default
 * `terminal`), if it has not completed `ms` milliseconds after it became
 * pending, and otherwise behaves like `token` (a callback, `usePromise`,
 * `asTuple(…)`, `detached`, `withAbortSignal(…)`, another `cancelAfter`):
 * the operation returns what `token` makes it return. asio's `cancel_after`.
 *
 * - The deadline runs on the operation's own context and its clock
 *   (`ManualClock` included). A whole `ms` is counted from the clock's
 *   reading rounded up to a whole millisecond (at most 1 ms later, the
 *   granularity of Node's timers), which keeps the deadline off the heap. The cancelled operation completes with
 *   `operation_aborted` (with `usePromise`, the promise rejects with it);
 *   what a `partial` or `total` request leaves is as the operation
 *   documents for a cancellation signal.
 * - When the operation completes first, the deadline is withdrawn: no
 *   handler of its own runs and it keeps nothing alive, so `run()` returns
 *   as soon as the real work is done. An operation that completes at
 *   initiation (data already buffered) never starts a deadline.
 * - It works with every operation that supports per-operation cancellation
 *   (sockets, acceptors, the resolver, timers, signal sets, composed
 *   operations, channels, parallel groups, `asyncCompose`). A slot the
 *   wrapped handler already had (`bindCancellationSlot`, `withAbortSignal`)
 *   still cancels the operation.
 * - Cost: one timer wait per operation. Made once and reused by a chain
 *   (`const timedRead = cancelAfter(5000, onRead)`), a callback token
 *   allocates nothing per operation; with a `HandlerAllocator` bound to the
 *   callback the timer's op comes from it too (a callback's allocator and
 *   slot are read when the token is made). A token used by several
 *   operations at once keeps a deadline for each.
 *
 * Completion signature: the operation's own.
 *
 * @example
 * ```ts
 * const [err, n] = await socket.asyncReadSome(buf, cancelAfter(5000, asTuple(usePromise)));
 * if (err?.code === 'operation_aborted') console.log('no data for 5 s');
 * ```
 *
 * @category Cancellation
 */
export function cancelAfter<T extends CompletionToken<never[]>>(ms: number, token: T, type: CancellationType = CancellationType.terminal): WrappedToken<T> {
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
    throw new TypeError(`cancelAfter: ms must be a non-negative number, got ${describeValue(ms)}`);
  }
  checkToken(token, 'cancelAfter');
  checkRequestedType(type, 'cancelAfter');
  return new DeadlineToken(token, ms, true, type);
}

/**
 * `cancelAfter` with an absolute deadline: cancels the operation if it has
 * not completed when the operation's context clock reads `time` (a time
 * from `ctx.clock.now()`, or a `ManualClock`'s). A time already passed
 * cancels the operation as soon as it is pending (queued, never inline).
 *
 * Completion signature: the operation's own.
 *
 * @example
 * ```ts
 * const deadline = ctx.clock.now() + 30_000; // one deadline for a whole exchange
 * await asyncWrite(socket, request, cancelAt(deadline, usePromise));
 * const n = await asyncRead(socket, reply, cancelAt(deadline, usePromise));
 * ```
 *
 * @category Cancellation
 */
export function cancelAt<T extends CompletionToken<never[]>>(time: number, token: T, type: CancellationType = CancellationType.terminal): WrappedToken<T> {
  if (typeof time !== 'number' || Number.isNaN(time)) throw new TypeError(`cancelAt: time must be a number, got ${describeValue(time)}`);
  checkToken(token, 'cancelAt');
  checkRequestedType(type, 'cancelAt');
  return new DeadlineToken(token, time, false, type);
}
