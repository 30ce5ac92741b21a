import type { Executor } from './executor.js';
import { toExecutor, type ExecutionContextLike } from './to-executor.js';

/**
 * Counts one unit of work on an executor until `reset()`, so `run()` keeps
 * running (and holds the process open) while there is nothing else to do.
 */
export class WorkGuard {
  readonly #executor: Executor;
  #owns: boolean;

  constructor(executor: Executor) {
    this.#executor = executor;
    this.#owns = true;
    executor.onWorkStarted();
  }

  /** The executor whose work this guard counts. */
  getExecutor(): Executor {
    return this.#executor;
  }

  /** Whether the guard still counts its unit of work. */
  ownsWork(): boolean {
    return this.#owns;
  }

  /** Releases the work (once; later calls do nothing). */
  reset(): void {
    if (!this.#owns) return;
    this.#owns = false;
    this.#executor.onWorkFinished();
  }
}

/** Makes a `WorkGuard` for a context or executor. */
export function makeWorkGuard(ex: ExecutionContextLike): WorkGuard {
  return new WorkGuard(toExecutor(ex, 'makeWorkGuard'));
}
