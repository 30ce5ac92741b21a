import type { Allocator } from '../allocation/allocator.js';

/**
 * The base of every asynchronous operation: the state an operation keeps from
 * initiation until its handler runs, allocated through the handler's
 * associated allocator.
 *
 * Contract for subclasses (one per file, named `*-op.ts`):
 * - the constructor takes no arguments and sets every field, so all instances
 *   of a class keep one shape and an allocator can recycle them;
 * - `init(...)` fills every field for one use, including `allocator`;
 * - `reset()` clears every reference (handler, buffer, socket, allocator, `next`);
 * - `complete()` takes the handler and results into locals, calls `reset()`,
 *   returns the op to its allocator, and only then invokes the handler;
 * - `destroy()` returns the op to its allocator without invoking anything.
 *
 * The owning `IoContext` counts the work and handles exceptions around
 * `complete()`; an operation never calls back into the scheduler itself.
 */
export abstract class Operation {
  /** Intrusive link used by `OpQueue`; `null` whenever the op is not queued. */
  next: Operation | null = null;
  /** The allocator this op goes back to; set by `init`, cleared by `reset`. */
  allocator: Allocator | null = null;

  /** Frees this op, then invokes its handler with the results it holds. */
  abstract complete(): void;

  /** Clears every reference the op holds so a pooled op retains nothing. */
  abstract reset(): void;

  /** Frees this op without invoking its handler (shutdown, destruction). */
  destroy(): void {
    const allocator = this.allocator;
    this.reset();
    allocator?.deallocate(this);
  }
}

/** A concrete operation class: constructible without arguments. */
export type OpClass<T extends Operation = Operation> = new () => T;
