import { MAX_OPERATION_KINDS, OPERATION_KINDS, type OperationKind } from '../ops/operation-kind.js';
import type { AllocationCounts, AllocatorStats } from './allocator.js';

/** The counts of one kind (or the totals). */
export function allocationCounts(hits: number, fallbacks: number, deallocations: number): AllocationCounts {
  const allocations = hits + fallbacks;
  return { allocations, deallocations, hits, fallbacks, live: allocations - deallocations };
}

/**
 * @internal The counters behind `AllocatorStats`: one `Float64Array` per
 * count, indexed by operation kind (`Operation.kind`), each with room for
 * every kind there can be (`MAX_OPERATION_KINDS`), so counting is one
 * increment of a double in place, with no growth and no call. The hot paths
 * (a context's op start and free) keep the arrays in fields of their own
 * and increment them inline: indexed by the kind alone, with no stride to
 * multiply by and no offset to add, the two counts of a post cost about
 * 3 ns less than they did in one interleaved array. Doubles count exactly
 * up to 2^53.
 */
export class AllocationCounters {
  /** Allocations served from memory already held (recycled ops), by kind. */
  readonly hits = new Float64Array(MAX_OPERATION_KINDS);
  /** Allocations that constructed a new op, by kind. */
  readonly fallbacks = new Float64Array(MAX_OPERATION_KINDS);
  /** Ops given back, by kind. */
  readonly deallocations = new Float64Array(MAX_OPERATION_KINDS);

  /** An allocation of kind `kind` served from memory already held (a recycled op). */
  hit(kind: number): void {
    this.hits[kind]!++;
  }

  /** An allocation of kind `kind` that constructed a new op. */
  fallback(kind: number): void {
    this.fallbacks[kind]!++;
  }

  /** An op of kind `kind` given back. */
  deallocation(kind: number): void {
    this.deallocations[kind]!++;
  }

  /** A copy, for an allocator that adds counts it keeps elsewhere before it reports them. */
  copy(): AllocationCounters {
    const copy = new AllocationCounters();
    copy.hits.set(this.hits);
    copy.fallbacks.set(this.fallbacks);
    copy.deallocations.set(this.deallocations);
    return copy;
  }

  /** The counts as `AllocatorStats`: totals, and `byKind` for every kind with a count. */
  snapshot(): AllocatorStats {
    const byKind: Partial<Record<OperationKind, AllocationCounts>> = {};
    let hits = 0;
    let fallbacks = 0;
    let deallocations = 0;
    for (let i = 0; i < OPERATION_KINDS.length; i++) {
      const h = this.hits[i]!;
      const f = this.fallbacks[i]!;
      const d = this.deallocations[i]!;
      hits += h;
      fallbacks += f;
      deallocations += d;
      if (h + f + d === 0) continue;
      byKind[OPERATION_KINDS[i]!] = allocationCounts(h, f, d);
    }
    return { ...allocationCounts(hits, fallbacks, deallocations), byKind };
  }
}
