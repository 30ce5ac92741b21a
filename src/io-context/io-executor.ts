import type { Executor } from './executor.js';
import type { IoContext } from './io-context.js';
import { describeValue } from '../errors/describe-value.js';

/**
 * The executor of an `IoContext` (`ctx.getExecutor()`). Posting allocates a
 * `PostOp` from the handler's associated allocator (the context's allocator
 * when it has none), so posting a bound handler allocates nothing once warm.
 *
 * @example
 * ```ts
 * const ex = ctx.getExecutor();
 * ex.post(() => console.log('queued'));
 * post(ex, usePromise).then(() => console.log('the free function takes executors too'));
 * ```
 *
 * @category Run loop
 */
export class IoExecutor implements Executor {
  readonly context: IoContext;

  constructor(context: IoContext) {
    this.context = context;
  }

  post(handler: () => void): void {
    this.#queue(handler, 'post');
  }

  dispatch(handler: () => void): void {
    if (this.context.runningInThisThread()) {
      if (typeof handler !== 'function') throw new TypeError(`dispatch: the handler must be a function, got ${describeValue(handler)}`);
      handler();
    } else {
      this.#queue(handler, 'dispatch');
    }
  }

  defer(handler: () => void): void {
    this.#queue(handler, 'defer');
  }

  /** Queues `handler` in a `PostOp` on the context; `how` names the call in errors and handler tracking. */
  #queue(handler: () => void, how: 'post' | 'dispatch' | 'defer'): void {
    this.context.postHandler(handler, how);
  }

  runningInThisThread(): boolean {
    return this.context.runningInThisThread();
  }

  onWorkStarted(): void {
    this.context.workStarted();
  }

  onWorkFinished(): void {
    this.context.workFinished();
  }
}
