import type { Operation, OpClass } from '../ops/operation.js';

/**
 * The allocator protocol. Allocators hand out operation objects, not bytes:
 * `allocate(OpClass)` returns a free instance of that class (recycled or
 * new), and `deallocate(op)` takes it back once the operation is finished,
 * always before its handler is invoked.
 *
 * The runtime never calls one handler's allocator concurrently (there is one
 * thread), and every op allocated from it is deallocated to it exactly once.
 *
 * @example
 * ```ts
 * // An allocator that keeps exactly one free op per class.
 * class OneEach implements Allocator {
 *   readonly #free = new Map<OpClass, Operation>();
 *   allocate<T extends Operation>(type: OpClass<T>): T {
 *     const op = this.#free.get(type);
 *     if (op === undefined) return new type();
 *     this.#free.delete(type);
 *     return op as T;
 *   }
 *   deallocate(op: Operation): void {
 *     this.#free.set(op.constructor as OpClass, op);
 *   }
 * }
 * const ctx = new IoContext({ allocator: new OneEach() });
 * ```
 */
export interface Allocator {
  /** Returns a free instance of `type`: one the allocator holds, or a new one. */
  allocate<T extends Operation>(type: OpClass<T>): T;
  /** Takes back `op`, already reset, before its handler is invoked. */
  deallocate(op: Operation): void;
}

/** Counters every allocator in this package keeps. */
export interface AllocatorStats {
  /** `allocate` calls. */
  readonly allocations: number;
  /** `deallocate` calls. */
  readonly deallocations: number;
  /** Allocations served from memory the allocator already held. */
  readonly hits: number;
  /** Allocations that had to construct a new op object. */
  readonly fallbacks: number;
  /** Ops handed out and not yet given back. */
  readonly live: number;
}

/**
 * An allocator that reports its counters.
 *
 * @example
 * ```ts
 * const memory = new HandlerAllocator();
 * // … run a session whose handlers are bound to `memory` …
 * const { allocations, hits, fallbacks, live } = memory.stats();
 * ```
 */
export interface InstrumentedAllocator extends Allocator {
  /** A snapshot of the counters (a new object each call). */
  stats(): AllocatorStats;
}
