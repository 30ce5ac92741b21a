import type { Executor } from './executor.js';
import { toExecutor, type ExecutionContextLike } from './to-executor.js';

/**
 * Counts one unit of work on an executor until `reset()`, so `run()` keeps
 * running (and holds the process open) while there is nothing else to do.
 * Made with `makeWorkGuard`.
 *
 * @example
 * ```ts
 * const guard = makeWorkGuard(ctx);
 * process.stdin.once('data', (line) => {
 *   post(ctx, () => console.log(`got ${line.length} bytes`));
 *   guard.reset(); // run() may now finish once the post has run
 * });
 * await ctx.run();
 * ```
 *
 * @category Run loop
 */
export class WorkGuard {
  readonly #executor: Executor;
  #owns: boolean;

  constructor(executor: Executor) {
    this.#executor = executor;
    this.#owns = true;
    executor.onWorkStarted();
  }

  /**
   * The executor whose work this guard counts.
   *
   * @example
   * ```ts
   * const guard = makeWorkGuard(ctx);
   * guard.getExecutor() === ctx.getExecutor(); // true
   * ```
   */
  getExecutor(): Executor {
    return this.#executor;
  }

  /**
   * Whether the guard still counts its unit of work.
   *
   * @example
   * ```ts
   * const guard = makeWorkGuard(ctx);
   * guard.ownsWork(); // true
   * guard.reset();
   * guard.ownsWork(); // false
   * ```
   */
  ownsWork(): boolean {
    return this.#owns;
  }

  /**
   * Releases the work (once; later calls do nothing).
   *
   * @example
   * ```ts
   * const guard = makeWorkGuard(ctx);
   * process.once('SIGTERM', () => guard.reset()); // let run() finish once the rest is done
   * await ctx.run();
   * ```
   */
  reset(): void {
    if (!this.#owns) return;
    this.#owns = false;
    this.#executor.onWorkFinished();
  }
}

/**
 * Makes a `WorkGuard` for a context or executor: `run()` does not return
 * until the guard's `reset()`, even with no operation pending.
 *
 * @example
 * ```ts
 * const guard = makeWorkGuard(ctx);
 * setTimeout(() => guard.reset(), 1000); // work from outside the context
 * await ctx.run(); // returns after about a second
 * ```
 *
 * @category Run loop
 */
export function makeWorkGuard(ex: ExecutionContextLike): WorkGuard {
  return new WorkGuard(toExecutor(ex, 'makeWorkGuard'));
}
