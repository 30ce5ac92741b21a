import type { Allocator } from '../allocation/allocator.js';
import { describeValue } from '../errors/describe-value.js';
import { OP_KIND, OPERATION_KINDS } from './operation-kind.js';
import { keepShape } from './keep-shape.js';
import { destroyOwnedHandler } from './owned-handler.js';

/**
 * @internal What an operation reports to the context that started it: the
 * allocation statistics and, with handler tracking on, destruction without
 * invocation. Implemented by `IoContext`.
 */
export interface OperationObserver {
  /** `op`, just allocated, starts on this context (statistics; handler tracking when `operation` is given). */
  operationStarted(op: Operation, objectType: string, object: object, operation: string | null): void;
  /** `op` (already reset) is going back to its allocator: counted, and under handler tracking a destruction line unless it was invoked. */
  operationFreed(op: Operation): void;
}

/**
 * @internal The `observer` of an op freed after a use: not `null`, so its
 * next start counts as a reuse (a hit), and no context, so nothing is told
 * twice.
 */
export const RETIRED_OBSERVER: OperationObserver = {
  operationStarted(): void {
    // A retired op is started through a real context, never through this.
  },
  operationFreed(): void {
    // Nothing to count: the op was already counted as freed.
  },
};

/**
 * The base of every asynchronous operation: the state an operation keeps from
 * initiation until its handler runs, allocated through the handler's
 * associated allocator.
 *
 * Contract for subclasses (one per file, named `*-op.ts`):
 * - the constructor takes no arguments, passes its kind to `super`, and sets
 *   every field, so all instances of a class keep one shape and an allocator
 *   can recycle them;
 * - `init(...)` fills every field for one use, including `allocator`;
 * - `reset()` clears every reference (handler, buffer, socket, allocator, `next`);
 * - `complete()` takes the handler and results into locals, calls `reset()`,
 *   returns the op to its allocator with `free()`, and only then invokes the
 *   handler;
 * - `destroy()` returns the op to its allocator without invoking anything.
 *
 * The owning `IoContext` counts the work and handles exceptions around
 * `complete()`; an operation never calls back into the scheduler itself.
 *
 * @example
 * ```ts
 * // A user-defined operation: a nullary handler, freed before it runs.
 * class NotifyOp extends Operation {
 *   handler: (() => void) | null = null;
 *   init(handler: () => void, allocator: Allocator): this {
 *     this.handler = handler;
 *     this.allocator = allocator;
 *     return this;
 *   }
 *   override reset(): void {
 *     this.handler = null;
 *     this.allocator = null;
 *     this.next = null;
 *   }
 *   override complete(): void {
 *     const handler = this.handler!;
 *     const allocator = this.allocator!;
 *     this.reset();
 *     this.free(allocator);
 *     handler();
 *   }
 * }
 * ```
 *
 * @category Operations (advanced)
 */
export abstract class Operation {
  // Fields are set in the constructor rather than by initializers: with a chain of subclasses V8 constructs such objects about twice as fast.
  /** Intrusive link: the runtime queues pending and completed ops through it (no allocation per queued op); `null` whenever the op is not queued. */
  declare next: Operation | null;
  /** The allocator this op goes back to; set by `init`, cleared by `reset`. */
  declare allocator: Allocator | null;
  /**
   * @internal The index of this op's `OperationKind` (see `OPERATION_KINDS`).
   * Kept on the class's prototype, set by its first instance, so an op
   * carries no field for it; an instance whose kind differs from its
   * class's has its own.
   */
  declare readonly kind: number;
  /**
   * @internal The context that counted this op's allocation while it is in
   * use; `RETIRED_OBSERVER` once freed after a use, `null` while never
   * started: the statistics tell a reused op from a new one by it, with no
   * field of its own.
   */
  declare observer: OperationObserver | null;

  /** @param kind the op's index in `OPERATION_KINDS` (subclasses of the runtime pass theirs). */
  constructor(kind: number = OP_KIND.other) {
    // The statistics count by kind in fixed arrays: a kind nobody defined would go uncounted.
    if (!Number.isInteger(kind) || kind < 0 || kind >= OPERATION_KINDS.length) {
      throw new TypeError(`Operation: the kind must be an index from defineOperationKind (0 to ${String(OPERATION_KINDS.length - 1)}), got ${describeValue(kind)}`);
    }
    this.next = null;
    this.allocator = null;
    const proto = new.target.prototype as { kind: number };
    if (proto.kind !== kind) {
      if (Object.hasOwn(proto, 'kind')) (this as { kind: number }).kind = kind;
      else {
        proto.kind = kind;
        // The first op of each class lives on (reset once used), so the class's map outlives every pool that drops its ops.
        keepShape(this);
      }
    }
    this.observer = null;
  }

  /**
   * Frees this op, then invokes its handler with the results it holds.
   * The owning context calls it from its run loop.
   */
  abstract complete(): void;

  /**
   * Clears every reference the op holds so a pooled op retains nothing.
   */
  abstract reset(): void;

  /**
   * The arguments the handler will be invoked with, as handler tracking
   * writes them (`ec=asio.system:0,bytes_transferred=5`). Empty by default.
   */
  trackingArgs(): string {
    return '';
  }

  /**
   * Frees this op without invoking its handler (shutdown, destruction),
   * and destroys the composed operation its handler is a step of, if any.
   */
  destroy(): void {
    const allocator = this.allocator;
    // A handler that is a step of a composed operation goes with it (as in asio): whatever this op's kind.
    const handler = (this as { handler?: unknown }).handler;
    this.reset();
    if (allocator !== null) this.free(allocator);
    destroyOwnedHandler(handler);
  }

  /**
   * Returns this op, already reset, to `allocator`, and tells the context
   * that started it. Every `complete()` calls it just before the handler.
   */
  protected free(allocator: Allocator): void {
    if (this.isCounted()) {
      const observer = this.observer!;
      this.observer = RETIRED_OBSERVER;
      observer.operationFreed(this);
    }
    allocator.deallocate(this);
  }

  /** @internal Whether a context counted this op for its current use (started and not yet freed). */
  isCounted(): boolean {
    return this.observer !== null && this.observer !== RETIRED_OBSERVER;
  }
}

// No kind of its own: each class's first instance puts its kind on that class's prototype.
(Operation.prototype as { kind: number }).kind = -1;

/**
 * A concrete operation class: constructible without arguments. Allocators
 * are keyed by it.
 *
 * @example
 * ```ts
 * const pools = new Map<OpClass, Operation[]>();
 * function take<T extends Operation>(type: OpClass<T>): T {
 *   return (pools.get(type)?.pop() as T | undefined) ?? new type();
 * }
 * const op = take(ReadSomeOp);
 * ```
 *
 * @category Operations (advanced)
 */
export type OpClass<T extends Operation = Operation> = new () => T;
