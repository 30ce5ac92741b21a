import { MAX_OPERATION_KINDS, OPERATION_KINDS, type OperationKind } from '../ops/operation-kind.js';
import type { AllocationCounts, AllocatorStats } from './allocator.js';

function zeros(): number[] {
  return new Array<number>(MAX_OPERATION_KINDS).fill(0);
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/**
 * @internal The counters behind `AllocatorStats`: one array slot per
 * operation kind (`Operation.kind`), so counting is an increment.
 */
export class AllocationCounters {
  readonly hits: number[] = zeros();
  readonly fallbacks: number[] = zeros();
  readonly deallocations: number[] = zeros();

  /** An allocation of kind `kind` served from memory already held (a recycled op). */
  hit(kind: number): void {
    this.hits[kind]! += 1;
  }

  /** An allocation of kind `kind` that constructed a new op. */
  fallback(kind: number): void {
    this.fallbacks[kind]! += 1;
  }

  /** An op of kind `kind` given back. */
  deallocation(kind: number): void {
    this.deallocations[kind]! += 1;
  }

  snapshot(): AllocatorStats {
    const byKind: Partial<Record<OperationKind, AllocationCounts>> = {};
    for (let i = 0; i < OPERATION_KINDS.length; i++) {
      const hits = this.hits[i]!;
      const fallbacks = this.fallbacks[i]!;
      const deallocations = this.deallocations[i]!;
      if (hits + fallbacks + deallocations === 0) continue;
      byKind[OPERATION_KINDS[i]!] = counts(hits, fallbacks, deallocations);
    }
    return { ...counts(sum(this.hits), sum(this.fallbacks), sum(this.deallocations)), byKind };
  }
}

function counts(hits: number, fallbacks: number, deallocations: number): AllocationCounts {
  const allocations = hits + fallbacks;
  return { allocations, deallocations, hits, fallbacks, live: allocations - deallocations };
}
