import { MAX_OPERATION_KINDS, OPERATION_KINDS, type OperationKind } from '../ops/operation-kind.js';
import type { AllocationCounts, AllocatorStats } from './allocator.js';

/** Numbers per kind in `AllocationCounters.counts`: hits, fallbacks, deallocations. */
export const COUNTER_STRIDE = 3;
/** Where a kind's hits are, past `kind * COUNTER_STRIDE`. */
export const HITS = 0;
/** Where a kind's fallbacks are, past `kind * COUNTER_STRIDE`. */
export const FALLBACKS = 1;
/** Where a kind's deallocations are, past `kind * COUNTER_STRIDE`. */
export const DEALLOCATIONS = 2;

/** The counts of one kind (or the totals). */
export function allocationCounts(hits: number, fallbacks: number, deallocations: number): AllocationCounts {
  const allocations = hits + fallbacks;
  return { allocations, deallocations, hits, fallbacks, live: allocations - deallocations };
}

/**
 * @internal The counters behind `AllocatorStats`: three numbers per
 * operation kind (`Operation.kind`) in one `Float64Array` with room for
 * every kind there can be (`MAX_OPERATION_KINDS`), so counting is one
 * increment of a double in place, with no bounds check, no growth and no
 * call. The hot paths (a context's op start and free, the recycling
 * allocator) keep `counts` in a field of their own and increment it
 * inline: through a method and a growable array, four counts per
 * operation cost about a quarter of a post. Doubles count exactly up to 2^53.
 */
export class AllocationCounters {
  readonly counts = new Float64Array(MAX_OPERATION_KINDS * COUNTER_STRIDE);

  /** An allocation of kind `kind` served from memory already held (a recycled op). */
  hit(kind: number): void {
    this.counts[kind * COUNTER_STRIDE + HITS]!++;
  }

  /** An allocation of kind `kind` that constructed a new op. */
  fallback(kind: number): void {
    this.counts[kind * COUNTER_STRIDE + FALLBACKS]!++;
  }

  /** An op of kind `kind` given back. */
  deallocation(kind: number): void {
    this.counts[kind * COUNTER_STRIDE + DEALLOCATIONS]!++;
  }

  snapshot(): AllocatorStats {
    return snapshotCounts(this.counts);
  }
}

/** `AllocatorStats` from per-kind counts laid out as in `AllocationCounters.counts`. */
export function snapshotCounts(c: Float64Array): AllocatorStats {
  const byKind: Partial<Record<OperationKind, AllocationCounts>> = {};
  let hits = 0;
  let fallbacks = 0;
  let deallocations = 0;
  for (let i = 0; i < OPERATION_KINDS.length; i++) {
    const k = i * COUNTER_STRIDE;
    const h = c[k + HITS]!;
    const f = c[k + FALLBACKS]!;
    const d = c[k + DEALLOCATIONS]!;
    hits += h;
    fallbacks += f;
    deallocations += d;
    if (h + f + d === 0) continue;
    byKind[OPERATION_KINDS[i]!] = allocationCounts(h, f, d);
  }
  return { ...allocationCounts(hits, fallbacks, deallocations), byKind };
}
