import { asyncInitiate } from '../tokens/async-initiate.js';
import type { CompletionResult, Handler, NullaryToken } from '../tokens/completion-token.js';
import type { Executor } from './executor.js';
import { IoContext } from './io-context.js';
import { toExecutor, type ExecutionContextLike } from './to-executor.js';

function initiatePost(handler: Handler, executor: Executor): void {
  executor.post(handler as () => void);
}

function initiateDispatch(handler: Handler, executor: Executor): void {
  executor.dispatch(handler as () => void);
}

function initiateDefer(handler: Handler, executor: Executor): void {
  executor.defer(handler as () => void);
}

/**
 * Queues `token`'s handler on `ex`; it never runs inside this call.
 * Completion signature: `() => void` (with `usePromise`, a `Promise<void>`).
 *
 * @example
 * ```ts
 * post(ctx, () => console.log('later'));
 * await post(ctx, usePromise); // resumes from the run loop
 * ```
 *
 * @category Run loop
 */
export function post<T extends NullaryToken>(ex: ExecutionContextLike, token: T): CompletionResult<T, []> {
  if (typeof token === 'function' && ex instanceof IoContext) {
    // The callback path on a context, exactly what asyncInitiate does for a function, two calls shallower.
    ex.postHandler(token, 'post');
    return undefined as CompletionResult<T, []>;
  }
  return postToExecutor(ex, token);
}

/** `post` to anything but a context, or with a token that is not a callback: out of line, so `post(ctx, fn)` inlines whole. */
function postToExecutor<T extends NullaryToken>(ex: ExecutionContextLike, token: T): CompletionResult<T, []> {
  if (typeof token === 'function') {
    toExecutor(ex, 'post').post(token);
    return undefined as CompletionResult<T, []>;
  }
  return asyncInitiate<[], T, Executor>(initiatePost, token, toExecutor(ex, 'post'));
}

/**
 * Runs `token`'s handler inline when called from a handler running on `ex`,
 * otherwise queues it like `post`. Completion signature: `() => void`.
 *
 * @example
 * ```ts
 * post(ctx, () => {
 *   dispatch(ctx, () => console.log('1: inline, inside the running handler'));
 *   console.log('2');
 * });
 * dispatch(ctx, () => console.log('3: queued, not called from a handler'));
 * ```
 *
 * @category Run loop
 */
export function dispatch<T extends NullaryToken>(ex: ExecutionContextLike, token: T): CompletionResult<T, []> {
  return asyncInitiate<[], T, Executor>(initiateDispatch, token, toExecutor(ex, 'dispatch'));
}

/**
 * Queues `token`'s handler on `ex` as a continuation of the current handler
 * (for a single-threaded context this orders exactly like `post`).
 * Completion signature: `() => void`.
 *
 * @example
 * ```ts
 * post(ctx, () => {
 *   defer(ctx, () => console.log('after the current handler returns'));
 * });
 * ```
 *
 * @category Run loop
 */
export function defer<T extends NullaryToken>(ex: ExecutionContextLike, token: T): CompletionResult<T, []> {
  return asyncInitiate<[], T, Executor>(initiateDefer, token, toExecutor(ex, 'defer'));
}
