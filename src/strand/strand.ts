import { getAssociatedAllocator } from '../associations/associate.js';
import type { Executor } from '../io-context/executor.js';
import type { IoContext, IoService } from '../io-context/io-context.js';
import { toExecutor, type ExecutionContextLike } from '../io-context/to-executor.js';
import { OpQueue } from '../ops/op-queue.js';
import { PostOp } from '../ops/post-op.js';
import { describeValue } from '../errors/describe-value.js';

/**
 * An executor that runs its handlers one at a time, in FIFO order, on an
 * inner executor (asio's `strand`). On one thread this is about ordering:
 * a strand keeps a chain of handlers from interleaving with another
 * strand's, even when each handler posts the next.
 *
 * - `post(h)` / `defer(h)` queue `h` on the strand; it never runs inside the call.
 * - `dispatch(h)` runs `h` inline when called from a handler of this strand,
 *   or when the strand is idle and the caller is a handler running on the
 *   strand's context; otherwise it queues `h`.
 * - Queued handlers are `PostOp`s allocated from each handler's associated
 *   allocator (the context's allocator when it has none). The strand posts
 *   one invoker to the inner executor, which runs the handlers queued when
 *   it starts, then re-posts itself if more arrived: one unit of work for
 *   the whole queue.
 * - A strand dropped with queued handlers is safe: the posted invoker keeps
 *   it alive until they ran, and `ctx.shutdown()` destroys them unrun.
 *
 * Accepted wherever an executor is: `post(strand, h)`, `dispatch(strand, h)`,
 * `bindExecutor(strand, h)`.
 *
 * @example
 * ```ts
 * const strand = new Strand(ctx);
 * post(strand, () => console.log('first'));
 * post(strand, () => console.log('second, never interleaved'));
 * ```
 *
 * @category Strands
 */
export class Strand implements Executor {
  /** The context the handlers run on. */
  readonly context: IoContext;
  readonly #inner: Executor;
  readonly #queue = new OpQueue();
  /** An invoker is posted, or a handler of the strand is running. */
  #locked = false;
  /** A handler of this strand is running now. */
  #running = false;
  #registered = false;

  readonly #invoke = (): void => {
    this.#runQueued();
  };
  readonly #service: IoService = {
    shutdown: (): void => {
      this.#registered = false;
      this.#locked = false;
      for (let op = this.#queue.shift(); op !== null; op = this.#queue.shift()) op.destroy();
    },
  };

  /** @param ex where the strand's handlers run: an `IoContext` or another executor. */
  constructor(ex: ExecutionContextLike) {
    this.#inner = toExecutor(ex, 'Strand');
    this.context = this.#inner.context;
  }

  /**
   * The executor the strand runs its handlers on.
   *
   * @example
   * ```ts
   * const strand = new Strand(ctx);
   * strand.innerExecutor() === ctx.getExecutor(); // true
   * ```
   */
  innerExecutor(): Executor {
    return this.#inner;
  }

  /**
   * Queues `handler` on the strand, behind the handlers already queued
   * there; it never runs inside this call. Completion signature: `() => void`.
   *
   * @example
   * ```ts
   * const strand = new Strand(ctx);
   * strand.post(() => console.log('1'));
   * strand.post(() => console.log('2: after 1, never interleaved with another strand'));
   * ```
   */
  post(handler: () => void): void {
    this.#enqueue(handler, 'post');
  }

  /**
   * Queues `handler` on the strand like `post` (on one thread a continuation
   * orders the same way). Completion signature: `() => void`.
   *
   * @example
   * ```ts
   * strand.post(() => {
   *   strand.defer(() => console.log('after the current handler returns'));
   * });
   * ```
   */
  defer(handler: () => void): void {
    this.#enqueue(handler, 'defer');
  }

  /**
   * Runs `handler` inline when called from a handler of this strand, or when
   * the strand is idle and the caller is a handler running on the strand's
   * context; otherwise queues it like `post`. Completion signature: `() => void`.
   *
   * @example
   * ```ts
   * strand.post(() => {
   *   strand.dispatch(() => console.log('1: inline, already inside the strand'));
   *   console.log('2');
   * });
   * ```
   */
  dispatch(handler: () => void): void {
    if (typeof handler !== 'function') throw new TypeError(`Strand.dispatch: the handler must be a function, got ${describeValue(handler)}`);
    if (this.#running) {
      handler();
      return;
    }
    if (!this.#locked && this.#inner.runningInThisThread()) {
      this.#locked = true;
      this.#running = true;
      try {
        handler();
      } finally {
        this.#running = false;
        this.#release();
      }
      return;
    }
    this.#enqueue(handler, 'dispatch');
  }

  /**
   * True while a handler of this strand is running.
   *
   * @example
   * ```ts
   * strand.post(() => console.log(strand.runningInThisThread())); // true
   * post(ctx, () => console.log(strand.runningInThisThread()));    // false
   * ```
   */
  runningInThisThread(): boolean {
    return this.#running;
  }

  onWorkStarted(): void {
    this.#inner.onWorkStarted();
  }

  onWorkFinished(): void {
    this.#inner.onWorkFinished();
  }

  #enqueue(handler: () => void, how: 'post' | 'dispatch' | 'defer'): void {
    if (typeof handler !== 'function') throw new TypeError(`Strand.${how}: the handler must be a function, got ${describeValue(handler)}`);
    const ctx = this.context;
    if (ctx.isShutDown()) return;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(PostOp).init(handler, allocator);
    ctx.operationStarted(op, 'strand', this, how);
    this.#queue.push(op);
    if (!this.#registered) {
      this.#registered = true;
      ctx.addService(this.#service);
    }
    if (!this.#locked) {
      this.#locked = true;
      this.#inner.post(this.#invoke);
    }
  }

  /** Runs the handlers queued when it starts; see the class documentation. */
  #runQueued(): void {
    const queue = this.#queue;
    let count = queue.length;
    const tracker = this.context.tracker;
    this.#running = true;
    try {
      while (count-- > 0) {
        const op = queue.shift();
        if (op === null) break;
        if (tracker === null) op.complete();
        else tracker.invoke(op);
      }
    } finally {
      this.#running = false;
      this.#release();
    }
  }

  /** After a handler or a batch: hand the strand back, or post the invoker again for what is queued. */
  #release(): void {
    if (this.#queue.isEmpty()) {
      this.#locked = false;
      if (this.#registered) {
        this.#registered = false;
        this.context.removeService(this.#service);
      }
    } else {
      this.#inner.post(this.#invoke);
    }
  }
}
