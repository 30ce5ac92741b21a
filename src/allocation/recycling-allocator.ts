import type { Operation, OpClass } from '../ops/operation.js';
import { AllocationCounters, COUNTER_STRIDE, DEALLOCATIONS, HITS, snapshotCounts } from './allocation-counters.js';
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
 * One op class's free list with its own counts of hits and deallocations:
 * the allocator finds the list for every allocate and deallocate anyway, so
 * counting there is an increment of a field already at hand, not a second
 * lookup by kind. `kind` is the kind of the class's ops, learnt from the
 * first one seen; an op of another kind (a subclass constructed with its
 * own) is counted apart.
 */
class FreeList {
  readonly type: OpClass | null;
  readonly ops: Operation[] = [];
  kind = -1;
  hits = 0;
  deallocations = 0;

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
    if (op === undefined) {
      const fresh = new type();
      if (list.kind < 0) list.kind = fresh.kind;
      this.#counters.fallback(fresh.kind);
      return fresh;
    }
    if (op.kind === list.kind) list.hits++;
    else this.#counters.hit(op.kind);
    return op as T;
  }

  deallocate(op: Operation): void {
    const type = op.constructor as OpClass;
    const last = this.#last;
    const list = type === last.type ? last : this.#listFor(type);
    if (list.kind < 0) list.kind = op.kind;
    if (op.kind === list.kind) list.deallocations++;
    else this.#counters.deallocation(op.kind);
    if (list.ops.length < this.#capacity) list.ops.push(op);
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
    const counts = Float64Array.from(this.#counters.counts);
    for (const list of this.#freeLists) {
      if (list.kind < 0) continue;
      const k = list.kind * COUNTER_STRIDE;
      counts[k + HITS]! += list.hits;
      counts[k + DEALLOCATIONS]! += list.deallocations;
    }
    return snapshotCounts(counts);
  }
}
