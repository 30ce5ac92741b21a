import type { Operation, OpClass } from '../ops/operation.js';
import { AllocationCounters } from './allocation-counters.js';
import type { AllocatorStats, InstrumentedAllocator } from './allocator.js';
import { describeValue } from '../errors/describe-value.js';

/**
 * How many freed ops of one class a `RecyclingAllocator` keeps by default.
 *
 * @example
 * ```ts
 * // A server with thousands of concurrent reads keeps more of them for reuse:
 * const ctx = new IoContext({ allocator: new RecyclingAllocator(16 * RECYCLING_ALLOCATOR_CAPACITY) });
 * ```
 *
 * @category Allocation
 */
export const RECYCLING_ALLOCATOR_CAPACITY = 64;

/**
 * One op class's free list and its counts. Only a free is counted on the
 * hot path: every op in `ops` got there by a counted free (`kept`) and
 * leaves it by an allocation, so the hits are `kept - ops.length`, with no
 * count on allocate. `kind` is the kind of the class's ops, learnt from the
 * first one seen; an op of another kind (a subclass constructed with its
 * own) is counted apart and never kept, so the list holds ops of `kind` only.
 */
class FreeList {
  readonly type: OpClass | null;
  readonly ops: Operation[] = [];
  kind = -1;
  /** Frees of `kind` kept in `ops`. */
  kept = 0;
  /** Frees of `kind` let go because `ops` was full. */
  dropped = 0;

  constructor(type: OpClass | null) {
    this.type = type;
  }
}

/**
 * asio's recycling allocator and every `IoContext`'s default: a small bounded
 * free list per op class. Freed ops beyond the bound go to the garbage
 * collector, so a burst of concurrent operations does not pin memory forever.
 *
 * @example
 * ```ts
 * const recycling = new RecyclingAllocator(16); // keep at most 16 free ops of each class
 * const ctx = new IoContext({ allocator: recycling });
 * // … run …
 * console.log(recycling.stats()); // { allocations, deallocations, hits, fallbacks, live }
 * ```
 *
 * @category Allocation
 */
export class RecyclingAllocator implements InstrumentedAllocator {
  readonly #capacity: number;
  readonly #freeLists: FreeList[] = [];
  // A one-entry cache of the last class looked up: a chain of one op kind
  // finds its free list without a search.
  #last: FreeList = new FreeList(null);
  /** Fallbacks, and the counts of ops whose kind is not their free list's. */
  readonly #counters = new AllocationCounters();

  /** @param capacity how many freed ops of each class to keep (default 64). */
  constructor(capacity: number = RECYCLING_ALLOCATOR_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new TypeError(`RecyclingAllocator capacity must be a non-negative integer, got ${describeValue(capacity)}`);
    }
    this.#capacity = capacity;
  }

  allocate<T extends Operation>(type: OpClass<T>): T {
    const last = this.#last;
    const list = type === last.type ? last : this.#listFor(type);
    const op = list.ops.pop();
    return op === undefined ? this.#construct(list, type) : (op as T);
  }

  deallocate(op: Operation): void {
    const type = op.constructor as OpClass;
    const last = this.#last;
    const list = type === last.type ? last : this.#listFor(type);
    if (op.kind === list.kind && list.ops.length < this.#capacity) {
      list.kept++;
      list.ops.push(op);
    } else this.#release(list, op);
  }

  /** The free the hot path does not take: the list's first op (never allocated here), a full list, an op of another kind. Out of line so `deallocate` stays small. */
  #release(list: FreeList, op: Operation): void {
    if (list.kind < 0) list.kind = op.kind;
    if (op.kind !== list.kind) {
      this.#counters.deallocation(op.kind);
    } else if (list.ops.length < this.#capacity) {
      list.kept++;
      list.ops.push(op);
    } else list.dropped++;
  }

  /** The free list is empty: a new op, counted as a fallback (out of line: the hot path stays small). */
  #construct<T extends Operation>(list: FreeList, type: OpClass<T>): T {
    const fresh = new type();
    if (list.kind < 0) list.kind = fresh.kind;
    this.#counters.fallback(fresh.kind);
    return fresh;
  }

  /** The free list of `type`, made on first use; also fills the one-entry cache. */
  #listFor(type: OpClass): FreeList {
    // A loop, not `find`: a chain alternating op classes misses the cache on every call, and a callback would be garbage each time.
    const lists = this.#freeLists;
    for (let i = 0; i < lists.length; i++) {
      const list = lists[i]!;
      if (list.type !== type) continue;
      this.#last = list;
      return list;
    }
    const list = new FreeList(type);
    lists.push(list);
    this.#last = list;
    return list;
  }

  stats(): AllocatorStats {
    const counts = this.#counters.copy();
    for (const list of this.#freeLists) {
      if (list.kind < 0) continue;
      counts.hits[list.kind]! += list.kept - list.ops.length;
      counts.deallocations[list.kind]! += list.kept + list.dropped;
    }
    return counts.snapshot();
  }
}
