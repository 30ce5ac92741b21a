import type { AllocatorStats } from './allocator.js';

/** @internal The counters behind `AllocatorStats`, kept as plain fields. */
export class AllocationCounters {
  allocations = 0;
  deallocations = 0;
  hits = 0;
  fallbacks = 0;

  snapshot(): AllocatorStats {
    return {
      allocations: this.allocations,
      deallocations: this.deallocations,
      hits: this.hits,
      fallbacks: this.fallbacks,
      live: this.allocations - this.deallocations,
    };
  }
}
