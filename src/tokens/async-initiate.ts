import type { CompletionResult, CompletionToken, Initiation, TokenAdapter } from './completion-token.js';
import { describeValue } from '../errors/describe-value.js';

function isTokenAdapter(token: unknown): token is TokenAdapter {
  return typeof token === 'object' && token !== null && typeof (token as Partial<TokenAdapter>).launch === 'function';
}

/**
 * The one path every asynchronous function in proactor goes through: it
 * turns `token` into a completion handler, calls `initiation(handler, a, b, c)`
 * to start the operation, and returns what the token asks for.
 *
 * A plain callback is passed straight to `initiation` (no allocation); a
 * `TokenAdapter` (`usePromise`, `asTuple(…)`, `detached`, or your own)
 * builds the handler and the return value.
 *
 * Completion signature: `Handler<R>`, that is
 * `(err: IoError | null, ...results: R) => void`; `initiation` must call the
 * handler exactly once, and never before it returns.
 *
 * @example
 * ```ts
 * function asyncWaitTwice<T extends CompletionToken<[]>>(timer: SteadyTimer, token: T) {
 *   return asyncInitiate<[], T, SteadyTimer>(
 *     (handler, t) => t.asyncWait((err) => (err ? handler(err) : t.asyncWait(handler))),
 *     token, timer);
 * }
 * ```
 *
 * @category Tokens
 */
export function asyncInitiate<R extends unknown[], T extends CompletionToken<R>, A = undefined, B = undefined, C = undefined>(
  initiation: Initiation<R, A, B, C>,
  token: T,
  a?: A,
  b?: B,
  c?: C,
): CompletionResult<T, R> {
  if (typeof token === 'function') {
    initiation(token, a as A, b as B, c as C);
    return undefined as CompletionResult<T, R>;
  }
  if (isTokenAdapter(token)) {
    return token.launch(initiation, a as A, b as B, c as C) as CompletionResult<T, R>;
  }
  throw new TypeError(`a completion token must be a function or a token such as usePromise, got ${describeValue(token)}`);
}

/**
 * @internal `asyncInitiate` for a wrapping token's `launch`: starts
 * `initiation` through the wrapped `token`, whose type the wrapper does not
 * know, and returns what that token makes the operation return.
 */
export function launchThrough<R extends unknown[], A, B, C>(initiation: Initiation<R, A, B, C>, token: unknown, a: A, b: B, c: C): unknown {
  return (asyncInitiate as (i: Initiation<R, A, B, C>, t: unknown, a: A, b: B, c: C) => unknown)(initiation, token, a, b, c);
}
