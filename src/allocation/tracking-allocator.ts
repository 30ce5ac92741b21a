import type { Operation, OpClass } from '../ops/operation.js';
import { AllocationCounters } from './allocation-counters.js';
import type { Allocator, AllocatorStats, InstrumentedAllocator } from './allocator.js';
import { RecyclingAllocator } from './recycling-allocator.js';

/**
 * Options for `TrackingAllocator`.
 *
 * @example
 * ```ts
 * const tracking = new TrackingAllocator(new HandlerAllocator(), { log: true });
 * ```
 *
 * @category Allocation
 */
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
 *
 * @category Allocation
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
  /** Every op object this allocator has handed out: a second hand-out is a recycled op. */
  readonly #seen = new WeakSet<Operation>();
  readonly #counters = new AllocationCounters();

  constructor(inner: Allocator = new RecyclingAllocator(), options: TrackingAllocatorOptions = {}) {
    this.#inner = inner;
    this.#log = options.log ?? false;
  }

  /** Ops allocated and not yet deallocated. */
  get live(): number {
    return this.#live.size;
  }

  /**
   * The ops currently live, for diagnosing a leak.
   *
   * @example
   * ```ts
   * await ctx.run();
   * for (const op of tracking.liveOps()) console.error(`leaked: ${op.constructor.name}`);
   * ```
   */
  liveOps(): Operation[] {
    return [...this.#live];
  }

  allocate<T extends Operation>(type: OpClass<T>): T {
    const op = this.#inner.allocate(type);
    this.allocations++;
    this.#live.add(op);
    if (this.#seen.has(op)) {
      this.#counters.hit(op.kind);
    } else {
      this.#seen.add(op);
      this.#counters.fallback(op.kind);
    }
    if (this.#log) this.events.push(`allocate:${type.name}`);
    return op;
  }

  deallocate(op: Operation): void {
    if (!this.#live.delete(op)) {
      throw new Error(`TrackingAllocator: ${op.constructor.name} deallocated twice or never allocated here`);
    }
    this.deallocations++;
    this.#counters.deallocation(op.kind);
    if (this.#log) this.events.push(`deallocate:${op.constructor.name}`);
    this.#inner.deallocate(op);
  }

  /**
   * Appends an event of the caller's (for example `invoke:read`) to the log.
   *
   * @example
   * ```ts
   * const tracking = new TrackingAllocator(undefined, { log: true });
   * socket.asyncReadSome(buf, bindAllocator(tracking, () => tracking.record('invoke:read')));
   * // after the run: ['allocate:ReadSomeOp', 'deallocate:ReadSomeOp', 'invoke:read']
   * ```
   */
  record(event: string): void {
    this.events.push(event);
  }

  /**
   * The counts, totals and by kind; an op object handed out before counts as recycled (`hits`).
   *
   * @example
   * ```ts
   * const { hits, fallbacks, byKind } = tracking.stats();
   * console.log(`${hits} recycled, ${fallbacks} new; reads live: ${byKind.readSome?.live ?? 0}`);
   * ```
   */
  stats(): AllocatorStats {
    return this.#counters.snapshot();
  }
}
