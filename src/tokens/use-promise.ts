import type { IoError } from '../errors/io-error.js';
import type { Initiation, UsePromise } from './completion-token.js';

/**
 * The promise token: the operation returns a `Promise` that resolves with its
 * result (nothing, the one result, or a tuple of them) and rejects with the
 * `IoError`. The op's memory is released before the promise settles.
 *
 * @example
 * ```ts
 * const n = await socket.asyncReadSome(buf, usePromise);
 * ```
 *
 * @category Tokens
 */
export const usePromise: UsePromise = Object.freeze({
  kind: 'promise' as const,
  launch<R extends unknown[], A, B, C>(initiation: Initiation<R, A, B, C>, a: A, b: B, c: C): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      initiation(
        (err: IoError | null, ...results: R) => {
          if (err) reject(err);
          else resolve(results.length <= 1 ? results[0] : results);
        },
        a,
        b,
        c,
      );
    });
  },
});
