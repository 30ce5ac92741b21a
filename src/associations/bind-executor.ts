import { associatedAllocator, associatedExecutor, getAssociated } from './associate.js';
import { carriedAllocator, carryAssociations } from './carry-associations.js';
import type { Executor } from '../io-context/executor.js';
import { toExecutor, type ExecutionContextLike } from '../io-context/to-executor.js';
import { describeValue } from '../errors/describe-value.js';

/**
 * Binds `handler` to run through `ex` (a `Strand`, a context's executor):
 * the returned handler, called by an operation on completion, dispatches
 * the call to `ex` with the same arguments, so the completion runs inside
 * the strand (inline if the strand is idle, queued behind it otherwise).
 * The allocator and cancellation slot `handler` carries are carried over,
 * and the queued call allocates its `PostOp` from that allocator.
 *
 * Cost: each completion through the returned handler allocates one small
 * closure holding the arguments (the price of forwarding any signature);
 * the operation's own memory is freed before, as always.
 *
 * @typeParam F - the handler's type, which the result keeps. Inferred from
 * the operation the result is passed to, so an unannotated `(err, n) => …`
 * gets that operation's completion signature, also through nested helpers.
 * @example
 * ```ts
 * const strand = new Strand(ctx);
 * timer.asyncWait(bindExecutor(strand, (err: IoError | null) => {
 *   strand.runningInThisThread(); // true
 * }));
 * ```
 *
 * @category Strands
 */
export function bindExecutor<F>(ex: ExecutionContextLike, handler: F & CallableFunction): F {
  const executor = toExecutor(ex, 'bindExecutor');
  if (typeof handler !== 'function') throw new TypeError(`bindExecutor: the handler must be a function, got ${describeValue(handler)}`);
  const call = handler as unknown as (...args: unknown[]) => void;
  const allocator = carriedAllocator(handler);
  const bound = function (this: unknown, ...args: unknown[]): void {
    const invoke = (): void => {
      call(...args);
    };
    if (allocator !== undefined) Object.defineProperty(invoke, associatedAllocator, { value: allocator });
    executor.dispatch(invoke);
  };
  carryAssociations(handler, bound);
  Object.defineProperty(bound, associatedExecutor, { value: executor, configurable: true });
  return bound as unknown as F;
}

/**
 * The executor `handler` is bound to (`bindExecutor`), else `fallback`.
 *
 * @example
 * ```ts
 * const strand = new Strand(ctx);
 * const h = bindExecutor(strand, () => undefined);
 * getAssociatedExecutor(h, ctx.getExecutor()) === strand;                 // true
 * getAssociatedExecutor(() => undefined, ctx.getExecutor()) === ctx.getExecutor(); // true
 * ```
 *
 * @category Strands
 */
export function getAssociatedExecutor(handler: unknown, fallback: Executor): Executor;
export function getAssociatedExecutor(handler: unknown, fallback?: Executor): Executor | undefined;
export function getAssociatedExecutor(handler: unknown, fallback?: Executor): Executor | undefined {
  const executor = getAssociated(handler, associatedExecutor);
  return executor === undefined ? fallback : (executor as Executor);
}
