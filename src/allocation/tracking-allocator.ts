import type { Operation, OpClass } from '../ops/operation.js';
import type { Allocator, AllocatorStats, InstrumentedAllocator } from './allocator.js';
import { RecyclingAllocator } from './recycling-allocator.js';

/** Options for `TrackingAllocator`. */
export interface TrackingAllocatorOptions {
  /** Record `allocate:<Op>` / `deallocate:<Op>` events in `events` (default false). */
  readonly log?: boolean;
}

/**
 * Wraps another allocator and counts what passes through it; tests end by
 * asserting `live === 0`. With `{ log: true }` it also keeps an ordered event
 * log that handlers can add to with `record()`, which is how the tests prove
 * an op is freed before its handler is invoked.
 *
 * @example
 * ```ts
 * const tracking = new TrackingAllocator();
 * const ctx = new IoContext({ allocator: tracking });
 * post(ctx, () => undefined);
 * await ctx.run();
 * console.assert(tracking.live === 0);
 * ```
 */
export class TrackingAllocator implements InstrumentedAllocator {
  /** Every `allocate` call so far. */
  allocations = 0;
  /** Every `deallocate` call so far. */
  deallocations = 0;
  /** The event log (empty unless constructed with `{ log: true }`). */
  readonly events: string[] = [];
  readonly #inner: Allocator;
  readonly #log: boolean;
  readonly #live = new Set<Operation>();

  constructor(inner: Allocator = new RecyclingAllocator(), options: TrackingAllocatorOptions = {}) {
    this.#inner = inner;
    this.#log = options.log ?? false;
  }

  /** Ops allocated and not yet deallocated. */
  get live(): number {
    return this.#live.size;
  }

  /** The ops currently live, for diagnosing a leak. */
  liveOps(): Operation[] {
    return [...this.#live];
  }

  allocate<T extends Operation>(type: OpClass<T>): T {
    const op = this.#inner.allocate(type);
    this.allocations++;
    this.#live.add(op);
    if (this.#log) this.events.push(`allocate:${type.name}`);
    return op;
  }

  deallocate(op: Operation): void {
    if (!this.#live.delete(op)) {
      throw new Error(`TrackingAllocator: ${op.constructor.name} deallocated twice or never allocated here`);
    }
    this.deallocations++;
    if (this.#log) this.events.push(`deallocate:${op.constructor.name}`);
    this.#inner.deallocate(op);
  }

  /** Appends an event of the caller's (for example `invoke:read`) to the log. */
  record(event: string): void {
    this.events.push(event);
  }

  stats(): AllocatorStats {
    const inner = this.#inner as Partial<InstrumentedAllocator>;
    const innerStats = typeof inner.stats === 'function' ? inner.stats() : undefined;
    return {
      allocations: this.allocations,
      deallocations: this.deallocations,
      hits: innerStats?.hits ?? 0,
      fallbacks: innerStats?.fallbacks ?? this.allocations,
      live: this.live,
    };
  }
}
