import type { Operation, OpClass } from '../ops/operation.js';
import { AllocationCounters } from './allocation-counters.js';
import type { AllocatorStats, InstrumentedAllocator } from './allocator.js';

/**
 * Constructs a new op for every allocation and leaves freed ops to the
 * garbage collector: asio's `std::allocator`, and the baseline the other
 * allocators are measured against. Every allocation counts as a fallback.
 *
 * @example
 * ```ts
 * const ctx = new IoContext({ allocator: new NewAllocator() });
 * ```
 *
 * @category Allocation
 */
export class NewAllocator implements InstrumentedAllocator {
  readonly #counters = new AllocationCounters();

  allocate<T extends Operation>(type: OpClass<T>): T {
    const op = new type();
    this.#counters.fallback(op.kind);
    return op;
  }

  deallocate(op: Operation): void {
    this.#counters.deallocation(op.kind);
  }

  stats(): AllocatorStats {
    return this.#counters.snapshot();
  }
}

/**
 * The allocator `getAssociatedAllocator` falls back to when given none.
 *
 * @example
 * ```ts
 * getAssociatedAllocator(() => undefined) === defaultAllocator; // true: no allocator bound, no fallback given
 * ```
 *
 * @category Allocation
 */
export const defaultAllocator: NewAllocator = new NewAllocator();
