import type { IoError } from '../errors/io-error.js';

/**
 * An error-first completion handler: `(err, ...results)`. `err` is `null` on
 * success. This is the zero-allocation path.
 *
 * @example
 * ```ts
 * const onRead: Handler<[number]> = (err, n) => {
 *   if (err) return console.error(err.code);
 *   console.log(`${n} bytes`);
 * };
 * socket.asyncReadSome(buf, onRead);
 * ```
 */
export type Handler<R extends unknown[] = []> = (err: IoError | null, ...results: R) => void;

/**
 * The function an asynchronous operation hands to `asyncInitiate`: it starts
 * the operation and arranges for `handler` to be called once. It receives up
 * to three arguments so the callback path needs no closure or array.
 */
export type Initiation<R extends unknown[], A, B, C> = (handler: Handler<R>, a: A, b: B, c: C) => void;

/**
 * A completion token other than a plain callback: it decides how the
 * operation reports (a promise, a tuple, nothing) and what the initiating
 * function returns. `kind` selects the return type.
 */
export interface TokenAdapter {
  /** Which return type `CompletionResult` gives the operation. */
  readonly kind: 'promise' | 'tuple' | 'detached' | 'wrapped';
  /** Starts the operation through `initiation` and returns what the async function returns. */
  launch<R extends unknown[], A, B, C>(initiation: Initiation<R, A, B, C>, a: A, b: B, c: C): unknown;
}

/** The `usePromise` token's type. */
export interface UsePromise extends TokenAdapter {
  readonly kind: 'promise';
}

/** The type of `asTuple(token)`. */
export interface AsTuple extends TokenAdapter {
  readonly kind: 'tuple';
}

/** The `detached` token's type. */
export interface Detached extends TokenAdapter {
  readonly kind: 'detached';
}

/** A token that wraps another (for example an AbortSignal binding) and returns what the inner one does. */
export interface WrappedToken<Inner> extends TokenAdapter {
  readonly kind: 'wrapped';
  readonly inner: Inner;
}

/**
 * Anything an asynchronous operation with results `R` accepts as its last
 * argument: a `Handler<R>`, `usePromise`, `asTuple(usePromise)`, `detached`,
 * or a wrapping token such as `withAbortSignal(signal, usePromise)`.
 *
 * @example
 * ```ts
 * timer.asyncWait((err) => { … });                  // void
 * await timer.asyncWait(usePromise);                 // Promise<void>
 * const [err] = await timer.asyncWait(asTuple(usePromise));
 * timer.asyncWait(detached);                         // void
 * ```
 */
export type CompletionToken<R extends unknown[] = []> = Handler<R> | TokenAdapter;

/** What a promise resolves with for results `R`: nothing, the one result, or all of them as a tuple. */
export type PromiseValue<R extends unknown[]> = R extends [] ? void : R extends [infer Only] ? Only : R;

/** What an asynchronous operation with results `R` returns when given token `T`. */
export type CompletionResult<T, R extends unknown[]> = T extends (...args: never[]) => unknown
  ? void
  : T extends UsePromise
    ? Promise<PromiseValue<R>>
    : T extends AsTuple
      ? Promise<[IoError | null, ...Partial<R>]>
      : T extends WrappedToken<infer Inner>
        ? CompletionResult<Inner, R>
        : void;
