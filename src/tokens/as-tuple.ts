import type { IoError } from '../errors/io-error.js';
import type { AsTuple, Initiation, UsePromise } from './completion-token.js';

/**
 * Adapts `usePromise` so the promise never rejects: it resolves with
 * `[err, ...results]`, like asio's `as_tuple(use_awaitable)`.
 *
 * @example
 * ```ts
 * const [err, n] = await socket.asyncReadSome(buf, asTuple(usePromise));
 * if (err?.code === 'eof') …
 * ```
 */
export function asTuple(token: UsePromise): AsTuple {
  if (token.kind !== 'promise') throw new TypeError('asTuple: only usePromise can be adapted');
  return tupleToken;
}

const tupleToken: AsTuple = Object.freeze({
  kind: 'tuple' as const,
  launch<R extends unknown[], A, B, C>(initiation: Initiation<R, A, B, C>, a: A, b: B, c: C): Promise<unknown> {
    return new Promise<unknown>((resolve) => {
      initiation(
        (err: IoError | null, ...results: R) => {
          resolve([err ?? null, ...results]);
        },
        a,
        b,
        c,
      );
    });
  },
});
