import type { Executor } from './executor.js';
import { IoContext } from './io-context.js';
import { describeValue } from '../errors/describe-value.js';

/**
 * Anything the free functions accept as where to run: a context or an executor (a `Strand` too).
 *
 * @example
 * ```ts
 * function later(where: ExecutionContextLike, fn: () => void): void {
 *   post(where, fn);
 * }
 * later(ctx, () => undefined);
 * later(new Strand(ctx), () => undefined);
 * ```
 *
 * @category Run loop
 */
export type ExecutionContextLike = IoContext | Executor;

/** @internal The executor of `target`, validating it. */
export function toExecutor(target: ExecutionContextLike, caller: string): Executor {
  if (target instanceof IoContext) return target.getExecutor();
  if (typeof target === 'object' && target !== null && typeof (target as Partial<Executor>).post === 'function') return target;
  throw new TypeError(`${caller}: expected an IoContext or an executor, got ${describeValue(target)}`);
}
