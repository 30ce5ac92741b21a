import type { Operation, OpClass } from '../ops/operation.js';

/**
 * The allocator protocol. Allocators hand out operation objects, not bytes:
 * `allocate(OpClass)` returns a free instance of that class (recycled or
 * new), and `deallocate(op)` takes it back once the operation is finished,
 * always before its handler is invoked.
 *
 * The runtime never calls one handler's allocator concurrently (there is one
 * thread), and every op allocated from it is deallocated to it exactly once.
 */
export interface Allocator {
  allocate<T extends Operation>(type: OpClass<T>): T;
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

/** An allocator that reports its counters. */
export interface InstrumentedAllocator extends Allocator {
  stats(): AllocatorStats;
}
