import type { Allocator } from '../allocation/allocator.js';
import { defaultAllocator } from '../allocation/new-allocator.js';
import { describeValue } from '../errors/describe-value.js';

/**
 * The property under which a handler carries its allocator. `bindAllocator`
 * sets it; an object handler can also declare it itself.
 *
 * @example
 * ```ts
 * const memory = new HandlerAllocator();
 * const onWait = Object.assign((err: IoError | null) => { … }, { [associatedAllocator]: memory });
 * timer.asyncWait(onWait); // its WaitOp comes from `memory`
 * ```
 *
 * @category Allocation
 */
export const associatedAllocator: unique symbol = Symbol.for('proactor.associatedAllocator');
/**
 * The property under which a handler carries the executor it must run on.
 * `bindExecutor` sets it.
 *
 * @example
 * ```ts
 * const strand = new Strand(ctx);
 * const h = bindExecutor(strand, () => undefined);
 * (h as { [associatedExecutor]?: Executor })[associatedExecutor] === strand; // true; prefer getAssociatedExecutor(h)
 * ```
 *
 * @category Strands
 */
export const associatedExecutor: unique symbol = Symbol.for('proactor.associatedExecutor');
/**
 * The property under which a handler carries its cancellation slot.
 * `bindCancellationSlot` sets it; an object handler can also declare it itself.
 *
 * @example
 * ```ts
 * const cancel = new CancellationSignal();
 * const onWait = Object.assign((err: IoError | null) => { … }, { [associatedCancellationSlot]: cancel.slot() });
 * timer.asyncWait(onWait);
 * cancel.emit(CancellationType.terminal); // onWait gets operation_aborted
 * ```
 *
 * @category Cancellation
 */
export const associatedCancellationSlot: unique symbol = Symbol.for('proactor.associatedCancellationSlot');

/** The association keys a handler can carry. */
export type AssociationKey = typeof associatedAllocator | typeof associatedExecutor | typeof associatedCancellationSlot;

/**
 * A handler that carries an allocator, either as a property or through
 * `getAllocator()` (asio's `get_allocator()` member).
 *
 * @example
 * ```ts
 * const memory = new HandlerAllocator();
 * const handler = Object.assign((err: IoError | null) => { … }, { getAllocator: () => memory });
 * getAssociatedAllocator(handler) === memory; // true
 * ```
 *
 * @category Allocation
 */
export interface AllocatorCarrier {
  /** The allocator, set by `bindAllocator` (looked up first). */
  readonly [associatedAllocator]?: Allocator;
  /** Returns the allocator (looked up when the property is absent). */
  getAllocator?(): Allocator;
}

type Associations = Partial<Record<AssociationKey, unknown>> & { getAllocator?: unknown };

/**
 * Reads the value associated with `handler` under `key`, or `undefined`.
 * One property read: no allocation.
 * @internal
 */
export function getAssociated(handler: unknown, key: AssociationKey): unknown {
  if (typeof handler !== 'function' && (typeof handler !== 'object' || handler === null)) return undefined;
  return (handler as Associations)[key];
}

/**
 * The allocator associated with `handler`: its `associatedAllocator`
 * property, else the result of its `getAllocator()` method, else `fallback`
 * (by default a shared `NewAllocator`, asio's `std::allocator`).
 * Operations call it once at initiation, with their context's allocator as
 * the fallback.
 *
 * @example
 * ```ts
 * const memory = new HandlerAllocator();
 * const bound = bindAllocator(memory, () => undefined);
 * getAssociatedAllocator(bound, ctx.allocator) === memory;          // true
 * getAssociatedAllocator(() => undefined, ctx.allocator) === ctx.allocator; // true
 * ```
 *
 * @category Allocation
 */
export function getAssociatedAllocator(handler: unknown, fallback: Allocator = defaultAllocator): Allocator {
  if (typeof handler !== 'function' && (typeof handler !== 'object' || handler === null)) return fallback;
  const h = handler as Associations;
  const allocator = h[associatedAllocator];
  if (allocator !== undefined) return allocator as Allocator;
  const getAllocator = h.getAllocator;
  if (typeof getAllocator === 'function') return (getAllocator as () => Allocator).call(handler);
  return fallback;
}

/**
 * Returns a new function that forwards every call to `handler` (same
 * arguments, no per-call allocation: a bound function) and carries `value`
 * under `key`. Associations already on `handler` are carried over.
 * @internal
 */
export function associate<F>(handler: F & CallableFunction, key: AssociationKey, value: unknown): F {
  if (typeof handler !== 'function') {
    throw new TypeError(`a handler must be a function, got ${describeValue(handler)}`);
  }
  const bound = Function.prototype.bind.call(handler, undefined) as F;
  const source = handler as unknown as Associations;
  for (const k of [associatedAllocator, associatedExecutor, associatedCancellationSlot] as const) {
    const carried = source[k];
    if (carried !== undefined && k !== key) Object.defineProperty(bound, k, { value: carried });
  }
  if (typeof source.getAllocator === 'function' && key !== associatedAllocator && source[associatedAllocator] === undefined) {
    Object.defineProperty(bound, associatedAllocator, { value: (source.getAllocator as () => Allocator).call(handler) });
  }
  Object.defineProperty(bound, key, { value });
  return bound;
}

/**
 * Binds `allocator` to `handler` once: the returned handler is called exactly
 * like `handler` and every operation it completes allocates its state from
 * `allocator`. Other associations `handler` carries (executor, cancellation
 * slot) are kept.
 *
 * @typeParam F - the handler's type, which the result keeps. Inferred from
 * the operation the result is passed to, so an unannotated `(err, n) => …`
 * gets that operation's completion signature, also through nested helpers.
 * @example
 * ```ts
 * const memory = new HandlerAllocator();
 * const onRead = bindAllocator(memory, (err: IoError | null, n: number) => { … });
 * socket.asyncReadSome(buf, onRead);
 * ```
 *
 * @category Allocation
 */
export function bindAllocator<F>(allocator: Allocator, handler: F & CallableFunction): F {
  if (typeof allocator !== 'object' || allocator === null || typeof allocator.allocate !== 'function' || typeof allocator.deallocate !== 'function') {
    throw new TypeError('bindAllocator: the first argument must be an Allocator (allocate/deallocate)');
  }
  return associate(handler, associatedAllocator, allocator);
}

/**
 * The seed's `make_custom_alloc_handler`: the same as `bindAllocator`, under
 * the name Boost.Asio's allocation example uses. Make the handler once (for
 * example in a session's constructor) and pass the same function to every
 * operation of the chain; calling it per operation would make a new
 * function each time.
 *
 * @typeParam F - the handler's type, which the result keeps. Inferred from
 * the operation the result is passed to, so an unannotated `(err, n) => …`
 * gets that operation's completion signature, also through nested helpers.
 * @example
 * ```ts
 * const memory = new HandlerAllocator();
 * const data = Buffer.alloc(1024);
 * const onRead = makeCustomAllocHandler(memory, (err: IoError | null, n: number) => {
 *   if (!err) socket.asyncReadSome(data, onRead); // reuses the ReadSomeOp just freed
 * });
 * socket.asyncReadSome(data, onRead);
 * ```
 *
 * @category Allocation
 */
export function makeCustomAllocHandler<F>(allocator: Allocator, handler: F & CallableFunction): F {
  return bindAllocator(allocator, handler);
}
