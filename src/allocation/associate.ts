import type { Allocator } from './allocator.js';
import { defaultAllocator } from './new-allocator.js';

/** The property under which a handler carries its allocator. */
export const associatedAllocator: unique symbol = Symbol.for('proactor.associatedAllocator');
/** The property under which a handler carries the executor it must run on. */
export const associatedExecutor: unique symbol = Symbol.for('proactor.associatedExecutor');
/** The property under which a handler carries its cancellation slot. */
export const associatedCancellationSlot: unique symbol = Symbol.for('proactor.associatedCancellationSlot');

/** The association keys a handler can carry. */
export type AssociationKey = typeof associatedAllocator | typeof associatedExecutor | typeof associatedCancellationSlot;

/** A handler that carries an allocator, either as a property or through `getAllocator()`. */
export interface AllocatorCarrier {
  readonly [associatedAllocator]?: Allocator;
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
export function associate<F extends (...args: never[]) => unknown>(handler: F, key: AssociationKey, value: unknown): F {
  if (typeof handler !== 'function') {
    throw new TypeError(`a handler must be a function, got ${typeof handler}`);
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
 * `allocator`.
 *
 * @example
 * ```ts
 * const memory = new HandlerAllocator();
 * const onRead = bindAllocator(memory, (err: IoError | null, n: number) => { … });
 * socket.asyncReadSome(buf, onRead);
 * ```
 */
export function bindAllocator<F extends (...args: never[]) => unknown>(allocator: Allocator, handler: F): F {
  if (typeof allocator !== 'object' || allocator === null || typeof allocator.allocate !== 'function' || typeof allocator.deallocate !== 'function') {
    throw new TypeError('bindAllocator: the first argument must be an Allocator (allocate/deallocate)');
  }
  return associate(handler, associatedAllocator, allocator);
}

/**
 * The seed's `make_custom_alloc_handler`: the same as `bindAllocator`, under
 * the name Boost.Asio's allocation example uses.
 */
export function makeCustomAllocHandler<F extends (...args: never[]) => unknown>(allocator: Allocator, handler: F): F {
  return bindAllocator(allocator, handler);
}
