import type { Detached, Initiation } from './completion-token.js';

function ignoreCompletion(): void {
  // A detached operation's result, error included, is deliberately dropped.
}

/**
 * The fire-and-forget token: the operation runs, its result (and any error)
 * is ignored, and the initiating function returns nothing.
 *
 * @example
 * ```ts
 * asyncWrite(socket, Buffer.from('bye\n'), detached); // nobody waits for it
 * ```
 *
 * @category Tokens
 */
export const detached: Detached = Object.freeze({
  kind: 'detached' as const,
  launch<R extends unknown[], A, B, C>(initiation: Initiation<R, A, B, C>, a: A, b: B, c: C): undefined {
    initiation(ignoreCompletion, a, b, c);
    return undefined;
  },
});
