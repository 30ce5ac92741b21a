import { associatedCancellationSlot } from '../associations/associate.js';
import { launchThrough } from '../tokens/async-initiate.js';
import type { CompletionToken, Handler, Initiation, WrappedToken } from '../tokens/completion-token.js';
import { carryAssociations } from '../associations/carry-associations.js';
import { getAssociatedCancellationSlot } from '../associations/bind-cancellation-slot.js';
import { CancellationSignal } from './cancellation-signal.js';
import { SlotChain } from './slot-chain.js';
import { CancellationType } from './cancellation-type.js';
import { describeValue } from '../errors/describe-value.js';

function checkAbortSignal(signal: unknown, caller: string): asserts signal is AbortSignal {
  if (!(signal instanceof AbortSignal)) throw new TypeError(`${caller}: the first argument must be an AbortSignal, got ${describeValue(signal)}`);
}

/**
 * Binds an `AbortSignal` to `handler`: aborting the signal cancels, with
 * `type` (default `terminal`), the operation started last with the returned
 * handler, which then completes with `operation_aborted` (queued, never run
 * inside `abort()`). If the signal is already aborted, every operation
 * started with the handler is aborted at initiation, again queued.
 *
 * Works with every operation that supports cancellation slots. The binding
 * is made once and can be reused for any number of operations (a re-arming
 * timer loop); it adds one `abort` listener to `signal` for the life of the
 * signal. For one-off operations prefer `withAbortSignal`, which removes its
 * listener when the operation completes.
 *
 * @typeParam F - the handler's type, which the result keeps. Inferred from
 * the operation the result is passed to, so an unannotated `(err, n) => …`
 * gets that operation's completion signature, also through nested helpers.
 * @example
 * ```ts
 * const ac = new AbortController();
 * timer.asyncWait(bindAbortSignal(ac.signal, (err: IoError | null) => { … }));
 * ac.abort(); // err?.code === 'operation_aborted'
 * ```
 *
 * @category Cancellation
 */
export function bindAbortSignal<F>(signal: AbortSignal, handler: F & CallableFunction, type: CancellationType = CancellationType.terminal): F {
  checkAbortSignal(signal, 'bindAbortSignal');
  if (typeof handler !== 'function') throw new TypeError(`bindAbortSignal: the handler must be a function, got ${describeValue(handler)}`);
  const cancellation = new CancellationSignal();
  if (signal.aborted) {
    cancellation.latch(type);
  } else {
    signal.addEventListener(
      'abort',
      () => {
        cancellation.latch(type);
      },
      { once: true },
    );
  }
  const bound = Function.prototype.bind.call(handler, undefined) as F & CallableFunction;
  carryAssociations(handler, bound);
  Object.defineProperty(bound, associatedCancellationSlot, { value: cancellation.slot(), configurable: true });
  return bound;
}

/**
 * A completion token that makes the operation abortable by `signal` and
 * otherwise behaves like `token` (a callback, `usePromise`, `asTuple(…)`,
 * `detached`): the operation returns what `token` makes it return.
 *
 * Aborting cancels the operation with `type` (default `terminal`); it
 * completes with `operation_aborted` (with `usePromise`, the promise
 * rejects with that `IoError`). An already-aborted signal aborts the
 * operation at initiation; the handler is queued, not run inline. The
 * `abort` listener is removed when the operation completes.
 *
 * Cost: one closure, one listener and one `CancellationSignal` per
 * operation. It is the convenience path; for a hot loop bind a
 * `CancellationSignal` once with `bindCancellationSlot`.
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * setTimeout(() => ac.abort(), 100);
 * await timer.asyncWait(withAbortSignal(ac.signal, usePromise)); // rejects: operation_aborted
 * ```
 *
 * @category Cancellation
 */
export function withAbortSignal<T extends CompletionToken<never[]>>(signal: AbortSignal, token: T, type: CancellationType = CancellationType.terminal): WrappedToken<T> {
  checkAbortSignal(signal, 'withAbortSignal');
  if (typeof token !== 'function' && (typeof token !== 'object' || token === null)) {
    throw new TypeError('withAbortSignal: the second argument must be a completion token');
  }
  return {
    kind: 'wrapped',
    inner: token,
    launch<R extends unknown[], A, B, C>(initiation: Initiation<R, A, B, C>, a: A, b: B, c: C): unknown {
      const initiateAbortable = (handler: Handler<R>, a2: A, b2: B, c2: C): void => {
        const cancellation = new CancellationSignal();
        const onAbort = (): void => {
          cancellation.latch(type);
        };
        // The slot the handler already had (an inner cancelAfter, a bound signal) keeps working.
        const outer = getAssociatedCancellationSlot(handler);
        const chain = outer === null ? null : new SlotChain(cancellation, outer);
        const wrapped = (err: Parameters<Handler<R>>[0], ...results: R): void => {
          signal.removeEventListener('abort', onAbort);
          chain?.unlink();
          handler(err, ...results);
        };
        carryAssociations(handler, wrapped);
        Object.defineProperty(wrapped, associatedCancellationSlot, { value: cancellation.slot(), configurable: true });
        if (signal.aborted) cancellation.latch(type);
        else signal.addEventListener('abort', onAbort, { once: true });
        initiation(wrapped, a2, b2, c2);
      };
      return launchThrough(initiateAbortable, token, a, b, c);
    },
  };
}
