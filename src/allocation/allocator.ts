import type { Operation, OpClass } from '../ops/operation.js';
import type { OperationKind } from '../ops/operation-kind.js';

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
 *
 * @category Allocation
 */
export interface Allocator {
  /** Returns a free instance of `type`: one the allocator holds, or a new one. */
  allocate<T extends Operation>(type: OpClass<T>): T;
  /** Takes back `op`, already reset, before its handler is invoked. */
  deallocate(op: Operation): void;
}

/**
 * What was allocated through an allocator or a context, in all or for one
 * operation kind: operations allocated, recycled (`hits`), constructed anew
 * (`fallbacks`), given back, and live.
 *
 * @example
 * ```ts
 * const { allocations, hits, fallbacks, live } = ctx.allocationStats();
 * console.log(`${hits} of ${allocations} operations reused memory; ${live} live`);
 * ```
 *
 * @category Allocation
 */
export interface AllocationCounts {
  /** `allocate` calls: `hits + fallbacks`. */
  readonly allocations: number;
  /** `deallocate` calls. */
  readonly deallocations: number;
  /** Allocations served from memory the allocator already held: recycled ops. */
  readonly hits: number;
  /** Allocations that fell back to constructing a new op object (`new`). */
  readonly fallbacks: number;
  /** Ops handed out and not yet given back. */
  readonly live: number;
}

/**
 * The counters every allocator in this package keeps, and `IoContext`'s
 * `allocationStats()`: the totals, and the same counts by operation kind
 * (kinds never allocated are absent from `byKind`).
 *
 * @example
 * ```ts
 * const stats = memory.stats();
 * for (const [kind, c] of Object.entries(stats.byKind)) console.log(kind, c.hits, c.fallbacks, c.live);
 * ```
 *
 * @category Allocation
 */
export interface AllocatorStats extends AllocationCounts {
  /** The counts of each operation kind allocated at least once. */
  readonly byKind: Readonly<Partial<Record<OperationKind, AllocationCounts>>>;
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
 *
 * @category Allocation
 */
export interface InstrumentedAllocator extends Allocator {
  /** A snapshot of the counters (a new object each call). */
  stats(): AllocatorStats;
}
