import type { IoContext } from './io-context.js';

/**
 * Something that runs nullary handlers on an `IoContext`: the context's own
 * executor (`ctx.getExecutor()`), or a `Strand`.
 *
 * - `post(h)` queues `h`; it never runs inside the call.
 * - `dispatch(h)` runs `h` inline when the caller is already running on this
 *   executor, else queues it.
 * - `defer(h)` queues `h` as a continuation of the current handler.
 *
 * @example
 * ```ts
 * function later(ex: Executor, fn: () => void): void {
 *   ex.post(fn); // works the same for ctx.getExecutor() and a Strand
 * }
 * later(ctx.getExecutor(), () => console.log('on the context'));
 * later(new Strand(ctx), () => console.log('on a strand'));
 * ```
 *
 * @category Run loop
 */
export interface Executor {
  /** The context the handlers run on. */
  readonly context: IoContext;
  /** Queues `handler`; it never runs inside this call. Completion signature: `() => void`. */
  post(handler: () => void): void;
  /**
   * Runs `handler` inline when called from a handler of this executor, else
   * queues it. Completion signature: `() => void`.
   */
  dispatch(handler: () => void): void;
  /** Queues `handler` as a continuation of the current handler. Completion signature: `() => void`. */
  defer(handler: () => void): void;
  /** True while a handler of this executor is running. */
  runningInThisThread(): boolean;
  /** Counts one unit of outstanding work: `run()` does not return while any is counted. */
  onWorkStarted(): void;
  /** Ends one unit of outstanding work. */
  onWorkFinished(): void;
}
