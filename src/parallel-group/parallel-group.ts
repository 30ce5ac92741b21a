import { getAssociatedAllocator } from '../associations/associate.js';
import { defaultAllocator } from '../allocation/new-allocator.js';
import type { IoError } from '../errors/io-error.js';
import { ParallelGroupOp, type MemberStart } from '../ops/parallel-group-op.js';
import { asyncInitiate } from '../tokens/async-initiate.js';
import type { CompletionResult, CompletionToken, DeferredOperation, Handler } from '../tokens/completion-token.js';
import type { ParallelGroupCondition } from './wait-conditions.js';
import { describeValue } from '../errors/describe-value.js';

/**
 * Any deferred operation, whatever its completion results.
 *
 * @example
 * ```ts
 * const members: AnyDeferredOperation[] = [socket.asyncReadSome(buf, deferred), timer.asyncWait(deferred)];
 * ```
 *
 * @category Parallel groups
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a member may have any completion signature
export type AnyDeferredOperation = DeferredOperation<any>;

/**
 * What a member reports in the group's completion: its own `[err, ...values]`.
 *
 * @example
 * ```ts
 * type ReadResult = MemberResult<DeferredOperation<[number]>>; // [IoError | null, number]
 * ```
 *
 * @category Parallel groups
 */
export type MemberResult<D> = D extends DeferredOperation<infer R> ? [IoError | null, ...R] : never;

/**
 * The group's completion results: the completion order, then each member's result in its own place.
 *
 * @example
 * ```ts
 * type Race = ParallelGroupResults<[DeferredOperation<[number]>, DeferredOperation<[]>]>;
 * // [order: number[], [IoError | null, number], [IoError | null]]
 * ```
 *
 * @category Parallel groups
 */
export type ParallelGroupResults<Ops extends readonly AnyDeferredOperation[]> = [order: number[], ...results: { [K in keyof Ops]: MemberResult<Ops[K]> }];

function initiateGroup(handler: Handler<unknown[]>, members: readonly MemberStart[], condition: ParallelGroupCondition): void {
  const allocator = getAssociatedAllocator(handler, defaultAllocator);
  const op = allocator.allocate(ParallelGroupOp).init(handler, members.length, condition, allocator);
  op.start(members);
}

/**
 * Operations started together and waited for as one (asio's
 * `parallel_group`); made by `makeParallelGroup`.
 *
 * @example
 * ```ts
 * const group = makeParallelGroup(socket.asyncReadSome(buf, deferred), timer.asyncWait(deferred));
 * const [order, [readErr, n], [waitErr]] = await group.asyncWait(waitForOne(), usePromise);
 * ```
 *
 * @category Parallel groups
 */
export class ParallelGroup<Ops extends readonly AnyDeferredOperation[]> {
  readonly #ops: Ops;

  /** @internal Use `makeParallelGroup`. */
  constructor(ops: Ops) {
    this.#ops = ops;
  }

  /** How many operations the group has. */
  get size(): number {
    return this.#ops.length;
  }

  /**
   * Starts every operation, in order, and waits for them as `condition`
   * says (`waitForAll()`, `waitForOne()`, `waitForOneSuccess()`,
   * `waitForOneError()`, or your own). Once the condition is met, the
   * operations still pending are cancelled (terminal, unless the condition
   * says otherwise), and the group completes when every operation has
   * completed, cancelled or not.
   *
   * Completion signature: `(err, order, ...results)`: `err` is always
   * `null` (each operation's own error is in its result), `order` the
   * indices in completion order, and `results[i]` operation `i`'s
   * `[err, ...values]`. With `usePromise` it resolves `[order, ...results]`.
   *
   * A cancellation request on the group's handler (`cancelAfter`,
   * `withAbortSignal`, a bound slot) is passed to every operation still
   * pending. The group's state comes from the handler's associated
   * allocator and is freed before the handler runs; the operations
   * allocate theirs from it too.
   *
   * Each call starts the operations anew.
   *
   * @example
   * ```ts
   * // A read with an idle timeout, as a race:
   * const [order, [err, n]] = await makeParallelGroup(
   *   socket.asyncReadSome(buf, deferred),
   *   timer.asyncWait(deferred),
   * ).asyncWait(waitForOne(), usePromise);
   * if (order[0] === 1) console.log('timed out'); // the read completed with operation_aborted
   * ```
   */
  asyncWait<T extends CompletionToken<ParallelGroupResults<Ops>>>(condition: ParallelGroupCondition, token: T): CompletionResult<T, ParallelGroupResults<Ops>> {
    if (typeof condition !== 'function') {
      throw new TypeError(`ParallelGroup.asyncWait: the condition must be a function such as waitForAll(), got ${describeValue(condition)}`);
    }
    const launch = asyncInitiate as unknown as (
      i: (h: Handler<unknown[]>, m: readonly MemberStart[], c: ParallelGroupCondition) => void,
      t: T,
      m: readonly MemberStart[],
      c: ParallelGroupCondition,
    ) => CompletionResult<T, ParallelGroupResults<Ops>>;
    return launch(initiateGroup, token, this.#ops, condition);
  }
}

/**
 * Makes a group of operations packaged with the `deferred` token (asio's
 * `make_parallel_group`); nothing starts until `asyncWait`.
 *
 * @example
 * ```ts
 * const group = makeParallelGroup(
 *   socket.asyncConnect(primary, deferred),
 *   timer.asyncWait(deferred),
 * );
 * const [order, [connectErr]] = await group.asyncWait(waitForOne(), usePromise);
 * ```
 *
 * @category Parallel groups
 */
export function makeParallelGroup<Ops extends AnyDeferredOperation[]>(...ops: Ops): ParallelGroup<Ops> {
  if (ops.length === 0) throw new TypeError('makeParallelGroup: expected at least one operation');
  ops.forEach((op, i) => {
    if (typeof op !== 'function') throw new TypeError(`makeParallelGroup: operation ${String(i)} must be a deferred operation (made with the deferred token), got ${describeValue(op)}`);
  });
  return new ParallelGroup(Object.freeze([...ops]) as unknown as Ops);
}
