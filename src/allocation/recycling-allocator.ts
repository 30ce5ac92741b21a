import type { Operation, OpClass } from '../ops/operation.js';
import { AllocationCounters, COUNTER_STRIDE, DEALLOCATIONS, HITS } from './allocation-counters.js';
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
  readonly #types: OpClass[] = [];
  readonly #freeLists: Operation[][] = [];
  // A one-entry cache of the last class looked up: a chain of one op kind
  // finds its free list without a search.
  #lastType: OpClass | null = null;
  #lastList: Operation[] = [];
  readonly #counters = new AllocationCounters();
  /** `#counters.counts`, held here so counting is one increment inline (see `AllocationCounters`). */
  readonly #counts = this.#counters.counts;

  /** @param capacity how many freed ops of each class to keep (default 64). */
  constructor(capacity: number = RECYCLING_ALLOCATOR_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new TypeError(`RecyclingAllocator capacity must be a non-negative integer, got ${describeValue(capacity)}`);
    }
    this.#capacity = capacity;
  }

  allocate<T extends Operation>(type: OpClass<T>): T {
    const list = type === this.#lastType ? this.#lastList : this.#listFor(type);
    const op = list.pop();
    if (op === undefined) {
      const fresh = new type();
      this.#counters.fallback(fresh.kind);
      return fresh;
    }
    this.#counts[op.kind * COUNTER_STRIDE + HITS]!++;
    return op as T;
  }

  deallocate(op: Operation): void {
    this.#counts[op.kind * COUNTER_STRIDE + DEALLOCATIONS]!++;
    const type = op.constructor as OpClass;
    const list = type === this.#lastType ? this.#lastList : this.#listFor(type);
    if (list.length < this.#capacity) list.push(op);
  }

  /** The free list of `type`, made on first use; also fills the one-entry cache. */
  #listFor(type: OpClass): Operation[] {
    let i = this.#types.indexOf(type);
    if (i < 0) {
      i = this.#types.length;
      this.#types.push(type);
      this.#freeLists.push([]);
    }
    const list = this.#freeLists[i]!;
    this.#lastType = type;
    this.#lastList = list;
    return list;
  }

  stats(): AllocatorStats {
    return this.#counters.snapshot();
  }
}
