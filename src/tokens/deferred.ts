import { asyncInitiate } from './async-initiate.js';
import type { CompletionToken, Deferred, DeferredOperation, Initiation } from './completion-token.js';

/**
 * The token that packages an operation instead of starting it (asio's
 * `deferred`): `op(…, deferred)` returns a `DeferredOperation`, and nothing
 * happens until it is called with a token. Used with `makeParallelGroup`,
 * and to pass an operation around before deciding how to wait for it.
 * Arguments are checked when the operation is packaged.
 *
 * @example
 * ```ts
 * const read = socket.asyncReadSome(buf, deferred);
 * const wait = timer.asyncWait(deferred);
 * const [order, readResult, waitResult] = await makeParallelGroup(read, wait).asyncWait(waitForOne(), usePromise);
 * ```
 *
 * @category Tokens
 */
export const deferred: Deferred = Object.freeze({
  kind: 'deferred' as const,
  launch<R extends unknown[], A, B, C>(initiation: Initiation<R, A, B, C>, a: A, b: B, c: C): DeferredOperation<R> {
    return <T extends CompletionToken<R>>(token: T) => asyncInitiate<R, T, A, B, C>(initiation, token, a, b, c);
  },
});
