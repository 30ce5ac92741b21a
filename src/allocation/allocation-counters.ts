import { OPERATION_KINDS, type OperationKind } from '../ops/operation-kind.js';
import type { AllocationCounts, AllocatorStats } from './allocator.js';

function zeros(): number[] {
  return new Array<number>(OPERATION_KINDS.length).fill(0);
}

/** Extends `counters` with zeros up to the kinds defined by now (a kind defined after they were made). */
function grow(counters: number[]): void {
  while (counters.length < OPERATION_KINDS.length) counters.push(0);
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
    if (kind >= this.hits.length) this.#grow();
    this.hits[kind]! += 1;
  }

  /** An allocation of kind `kind` that constructed a new op. */
  fallback(kind: number): void {
    if (kind >= this.fallbacks.length) this.#grow();
    this.fallbacks[kind]! += 1;
  }

  /** An op of kind `kind` given back. */
  deallocation(kind: number): void {
    if (kind >= this.deallocations.length) this.#grow();
    this.deallocations[kind]! += 1;
  }

  /** Sized for the kinds of the runtime: a kind defined later (`defineOperationKind`) grows them once. */
  #grow(): void {
    grow(this.hits);
    grow(this.fallbacks);
    grow(this.deallocations);
  }

  snapshot(): AllocatorStats {
    const byKind: Partial<Record<OperationKind, AllocationCounts>> = {};
    for (let i = 0; i < OPERATION_KINDS.length; i++) {
      const hits = this.hits[i] ?? 0;
      const fallbacks = this.fallbacks[i] ?? 0;
      const deallocations = this.deallocations[i] ?? 0;
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
