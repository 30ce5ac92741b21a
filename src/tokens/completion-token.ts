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
 *
 * @category Tokens
 */
export type Handler<R extends unknown[] = []> = (err: IoError | null, ...results: R) => void;

/**
 * The function an asynchronous operation hands to `asyncInitiate`: it starts
 * the operation and arranges for `handler` to be called once. It receives up
 * to three arguments so the callback path needs no closure or array.
 *
 * @example
 * ```ts
 * // Module level, so no closure is made per call:
 * const initiateRead: Initiation<[number], TcpSocket, Uint8Array, undefined> = (handler, socket, buf) => {
 *   socket.asyncReadSome(buf, handler);
 * };
 * function readInto<T extends CompletionToken<[number]>>(socket: TcpSocket, buf: Uint8Array, token: T) {
 *   return asyncInitiate<[number], T, TcpSocket, Uint8Array>(initiateRead, token, socket, buf);
 * }
 * ```
 *
 * @category Tokens
 */
export type Initiation<R extends unknown[], A, B, C> = (handler: Handler<R>, a: A, b: B, c: C) => void;

/**
 * A completion token other than a plain callback: it decides how the
 * operation reports (a promise, a tuple, nothing) and what the initiating
 * function returns. `kind` selects the return type.
 *
 * @example
 * ```ts
 * // A token that logs every error and otherwise drops the result:
 * const logErrors: Detached = {
 *   kind: 'detached',
 *   launch<R extends unknown[], A, B, C>(initiation: Initiation<R, A, B, C>, a: A, b: B, c: C): undefined {
 *     const handler = (err: IoError | null, ..._results: R): void => {
 *       if (err) console.error(err.code);
 *     };
 *     initiation(handler, a, b, c);
 *     return undefined;
 *   },
 * };
 * asyncWrite(socket, Buffer.from('bye\n'), logErrors);
 * ```
 *
 * @category Tokens
 */
export interface TokenAdapter {
  /** Which return type `CompletionResult` gives the operation. */
  readonly kind: 'promise' | 'tuple' | 'detached' | 'wrapped' | 'deferred';
  /** Starts the operation through `initiation` and returns what the async function returns. */
  launch<R extends unknown[], A, B, C>(initiation: Initiation<R, A, B, C>, a: A, b: B, c: C): unknown;
}

/**
 * The `usePromise` token's type.
 *
 * @example
 * ```ts
 * function readAll(socket: TcpSocket, buf: Uint8Array, token: UsePromise): Promise<number> {
 *   return asyncRead(socket, buf, token);
 * }
 * ```
 *
 * @category Tokens
 */
export interface UsePromise extends TokenAdapter {
  /** Always `'promise'`: the operation returns a `Promise`. */
  readonly kind: 'promise';
}

/**
 * The type of `asTuple(token)`: `Inner` is the token it adapts (`usePromise` by default).
 *
 * @example
 * ```ts
 * const tuple: AsTuple = asTuple(usePromise);
 * const [err, n] = await socket.asyncReadSome(buf, tuple);
 * ```
 *
 * @category Tokens
 */
export interface AsTuple<Inner = UsePromise> extends TokenAdapter {
  /** Always `'tuple'`: the operation reports `[err, ...results]` to `inner` as its one result. */
  readonly kind: 'tuple';
  /** The adapted token. */
  readonly inner: Inner;
}

/**
 * The `detached` token's type.
 *
 * @example
 * ```ts
 * function fireAndForget(token: Detached): void {
 *   asyncWrite(socket, Buffer.from('ping\n'), token);
 * }
 * fireAndForget(detached);
 * ```
 *
 * @category Tokens
 */
export interface Detached extends TokenAdapter {
  /** Always `'detached'`: the operation returns nothing and its result is dropped. */
  readonly kind: 'detached';
}

/**
 * A token that wraps another (for example an AbortSignal binding) and returns what the inner one does.
 *
 * @example
 * ```ts
 * const token: WrappedToken<UsePromise> = withAbortSignal(AbortSignal.timeout(1000), usePromise);
 * const n = await socket.asyncReadSome(buf, token); // Promise<number>, as with usePromise
 * ```
 *
 * @category Tokens
 */
export interface WrappedToken<Inner> extends TokenAdapter {
  /** Always `'wrapped'`: the operation returns what `inner` makes it return. */
  readonly kind: 'wrapped';
  /** The wrapped token. */
  readonly inner: Inner;
}

/**
 * The `deferred` token's type.
 *
 * @example
 * ```ts
 * const wait: DeferredOperation<[]> = timer.asyncWait(deferred);
 * ```
 *
 * @category Tokens
 */
export interface Deferred extends TokenAdapter {
  /** Always `'deferred'`: the operation returns a `DeferredOperation` and starts only when that is called. */
  readonly kind: 'deferred';
}

/**
 * An operation packaged by the `deferred` token, not started yet (asio's
 * deferred async operation). Call it with a completion token to start it;
 * it returns what that token makes the operation return. Each call starts
 * the operation anew with the arguments it was packaged with.
 *
 * @example
 * ```ts
 * const read = socket.asyncReadSome(buf, deferred); // nothing started
 * const n = await read(usePromise);                 // started now
 * ```
 *
 * @category Tokens
 */
export interface DeferredOperation<R extends unknown[]> {
  <T extends CompletionToken<R>>(token: T): CompletionResult<T, R>;
  /** The completion results, for types only (never set). */
  readonly resultTypes?: R;
}

/**
 * Anything an asynchronous operation with results `R` accepts as its last
 * argument: a `Handler<R>`, `usePromise`, `asTuple(usePromise)`, `detached`,
 * or a wrapping token such as `withAbortSignal(signal, usePromise)`. The
 * `WrappedToken<Handler<R>>` member lets an unannotated callback inside
 * `withAbortSignal(signal, (err, n) => …)` take its parameter types from the
 * operation.
 *
 * @example
 * ```ts
 * timer.asyncWait((err) => { … });                  // void
 * await timer.asyncWait(usePromise);                 // Promise<void>
 * const [err] = await timer.asyncWait(asTuple(usePromise));
 * timer.asyncWait(detached);                         // void
 * ```
 *
 * @category Tokens
 */
export type CompletionToken<R extends unknown[] = []> = Handler<R> | WrappedToken<Handler<R>> | TokenAdapter;

/**
 * What `post`, `dispatch` and `defer` accept: a handler taking no arguments
 * (their completion signature is `() => void`, as asio's), or a token such
 * as `usePromise`.
 *
 * @example
 * ```ts
 * const later: NullaryToken = () => console.log('ran');
 * post(ctx, later);
 * await post(ctx, usePromise);
 * ```
 *
 * @category Tokens
 */
export type NullaryToken = (() => void) | WrappedToken<() => void> | TokenAdapter;

/**
 * What a promise resolves with for results `R`: nothing, the one result, or all of them as a tuple.
 *
 * @example
 * ```ts
 * type A = PromiseValue<[]>;               // void
 * type B = PromiseValue<[number]>;         // number
 * type C = PromiseValue<[number, string]>; // [number, string]
 * ```
 *
 * @category Tokens
 */
export type PromiseValue<R extends unknown[]> = R extends [] ? void : R extends [infer Only] ? Only : R;

/**
 * What an asynchronous operation with results `R` returns when given token `T`.
 *
 * @example
 * ```ts
 * // Your own operation, returning whatever the caller's token asks for:
 * function asyncReadByte<T extends CompletionToken<[number]>>(socket: TcpSocket, token: T): CompletionResult<T, [number]> {
 *   const one = new Uint8Array(1);
 *   return asyncRead(socket, one, token);
 * }
 * asyncReadByte(socket, (err, n) => { … });          // void
 * const n = await asyncReadByte(socket, usePromise);  // Promise<number>
 * ```
 *
 * @category Tokens
 */
export type CompletionResult<T, R extends unknown[]> = T extends (...args: never[]) => unknown
  ? void
  : T extends UsePromise
    ? Promise<PromiseValue<R>>
    : T extends AsTuple<infer Inner>
      ? CompletionResult<Inner, [[IoError | null, ...Partial<R>]]>
      : T extends WrappedToken<infer Inner>
        ? CompletionResult<Inner, R>
        : T extends Deferred
          ? DeferredOperation<R>
          : void;
