import type { Operation, OpClass } from '../ops/operation.js';
import { AllocationCounters } from './allocation-counters.js';
import type { AllocatorStats, InstrumentedAllocator } from './allocator.js';

/** How many freed ops of one class a `RecyclingAllocator` keeps by default. */
export const RECYCLING_ALLOCATOR_CAPACITY = 64;

/**
 * asio's recycling allocator and every `IoContext`'s default: a small bounded
 * free list per op class. Freed ops beyond the bound go to the garbage
 * collector, so a burst of concurrent operations does not pin memory forever.
 */
export class RecyclingAllocator implements InstrumentedAllocator {
  readonly #capacity: number;
  readonly #types: OpClass[] = [];
  readonly #freeLists: Operation[][] = [];
  readonly #counters = new AllocationCounters();

  /** @param capacity how many freed ops of each class to keep (default 64). */
  constructor(capacity: number = RECYCLING_ALLOCATOR_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new TypeError(`RecyclingAllocator capacity must be a non-negative integer, got ${String(capacity)}`);
    }
    this.#capacity = capacity;
  }

  allocate<T extends Operation>(type: OpClass<T>): T {
    const counters = this.#counters;
    counters.allocations++;
    const types = this.#types;
    for (let i = 0; i < types.length; i++) {
      if (types[i] !== type) continue;
      const op = this.#freeLists[i]!.pop();
      if (op === undefined) break;
      counters.hits++;
      return op as T;
    }
    counters.fallbacks++;
    return new type();
  }

  deallocate(op: Operation): void {
    this.#counters.deallocations++;
    const type = op.constructor as OpClass;
    const types = this.#types;
    for (let i = 0; i < types.length; i++) {
      if (types[i] !== type) continue;
      const list = this.#freeLists[i]!;
      if (list.length < this.#capacity) list.push(op);
      return;
    }
    if (this.#capacity === 0) return;
    types.push(type);
    this.#freeLists.push([op]);
  }

  stats(): AllocatorStats {
    return this.#counters.snapshot();
  }
}
