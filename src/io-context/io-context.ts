import { AllocationCounters } from '../allocation/allocation-counters.js';
import type { Allocator, AllocatorStats } from '../allocation/allocator.js';
import { RecyclingAllocator } from '../allocation/recycling-allocator.js';
import { allocationStatsChannel, type AllocationStatsMessage } from '../diagnostics/channels.js';
import { HandlerTracker, type HandlerTrackingSink } from '../diagnostics/handler-tracker.js';
import { describeValue } from '../errors/describe-value.js';
import { IoError } from '../errors/io-error.js';
import { getAssociatedAllocator } from '../associations/associate.js';
import { OpQueue } from '../ops/op-queue.js';
import { PostOp } from '../ops/post-op.js';
import type { Operation, OperationObserver } from '../ops/operation.js';
import { beginTurn, createAlarm, endTurn, steadyClock, type Alarm, type Clock } from './clock.js';
import { unwatchAtExit, watchAtExit, type ExitWarning, type ExitWarningSource } from './exit-warnings.js';
import { IoExecutor } from './io-executor.js';

/**
 * How many handlers a drain pass runs between two looks at the time. Once a
 * pass (or a stretch of passes in one event-loop turn) has run this many, it
 * goes on only while the turn is within its time slice (`drainTimeSlice`,
 * default `DRAIN_TIME_SLICE`), then yields to Node's event loop with
 * `setImmediate`. Reading the time every handler would cost more than many
 * handlers do; every `DRAIN_BUDGET` handlers it costs nothing measurable.
 *
 * @example
 * ```ts
 * // With no time slice a chain of 3000 posts runs in three drain passes, yielding to Node's event loop twice:
 * const ctx = new IoContext({ drainTimeSlice: 0 });
 * let left = 3000;
 * const step = (): void => {
 *   if (--left > 0) post(ctx, step);
 * };
 * post(ctx, step);
 * await ctx.run(); // Math.ceil(3000 / DRAIN_BUDGET) === 3 passes
 * ```
 *
 * @category Run loop
 */
export const DRAIN_BUDGET = 1024;

/**
 * The default `drainTimeSlice`: how many milliseconds of real time a busy
 * run may hold Node's event loop before it yields, once it has run
 * `DRAIN_BUDGET` handlers in that turn. Half a millisecond keeps sockets
 * and timers (whose resolution is a millisecond) from waiting noticeably,
 * while a yield (a `setImmediate` turn, a few microseconds and about 400
 * heap bytes) comes at most once per slice instead of once per
 * `DRAIN_BUDGET` handlers.
 *
 * @example
 * ```ts
 * // A context that yields at least every 0.1 ms (after DRAIN_BUDGET handlers):
 * const ctx = new IoContext({ drainTimeSlice: DRAIN_TIME_SLICE / 5 });
 * ```
 *
 * @category Run loop
 */
export const DRAIN_TIME_SLICE = 0.5;

/**
 * Options for `new IoContext(options)`.
 *
 * @example
 * ```ts
 * const ctx = new IoContext({
 *   allocator: new RecyclingAllocator(16),
 *   clock: new ManualClock(),
 *   handlerTracking: (line) => trace.push(line),
 * });
 * ```
 *
 * @category Run loop
 */
export interface IoContextOptions {
  /** The allocator for handlers that have none associated (default: a new `RecyclingAllocator`). */
  readonly allocator?: Allocator;
  /** The clock for timers and `runFor`/`runUntil` (default: `steadyClock`). */
  readonly clock?: Clock;
  /**
   * Boost.Asio's handler tracking: `true` writes its lines to stderr, a
   * function receives each line instead, `false` turns it off. Default: on
   * (stderr) when the environment variable `PROACTOR_HANDLER_TRACKING` is
   * `1`, otherwise off. See `docs/diagnostics.md`.
   */
  readonly handlerTracking?: boolean | HandlerTrackingSink;
  /**
   * Whether the context warns, once, when the process exits normally and
   * handlers it was given never ran because nobody ran it (default: `true`).
   * Nothing runs by itself, as in asio; the warning only ends the silence:
   *
   * - `PROACTOR_CONTEXT_NEVER_RUN`: the context has outstanding work (queued
   *   handlers, pending operations, work guards) and no `run()`, `runOne()`,
   *   `runFor()`, `runUntil()`, `poll()` or `pollOne()` was ever called.
   * - `PROACTOR_CONTEXT_STOPPED_WITH_WORK`: work was added after the
   *   context stopped (by `stop()` or by running out of work) and it was
   *   not `restart()`ed, so a later `run()` returned 0 at once or never came.
   *
   * A context that was `shutdown()`, one still running (the process exited
   * from a handler) and one whose leftover work was already queued when it
   * stopped never warn; neither does a process exiting with a non-zero code.
   * The warning is a Node process warning of type `ProactorWarning`: it goes
   * to stderr unless `--no-warnings` is given, and
   * `process.on('warning', …)` sees it. Watching costs nothing per
   * operation: a context registers itself once, when it first gets work
   * while not running.
   *
   * @example
   * ```ts
   * // A context you hand to a framework that runs it, or drop on purpose:
   * const ctx = new IoContext({ exitWarnings: false });
   * ```
   */
  readonly exitWarnings?: boolean;
  /**
   * How many milliseconds of real time a run may keep Node's event loop
   * busy before it yields with `setImmediate` (default `DRAIN_TIME_SLICE`,
   * 0.5). The time is read every `DRAIN_BUDGET` handlers, so a yield comes
   * after at least that many handlers in a turn; `0` yields after every
   * `DRAIN_BUDGET` handlers. It is real time whatever the context's clock.
   *
   * @example
   * ```ts
   * const ctx = new IoContext({ drainTimeSlice: 0 }); // yield every DRAIN_BUDGET handlers
   * ```
   */
  readonly drainTimeSlice?: number;
}

/** The tracker an `IoContext` gets for its `handlerTracking` option, or `null` when tracking is off. */
function makeTracker(option: boolean | HandlerTrackingSink | undefined): HandlerTracker | null {
  if (typeof option === 'function') return new HandlerTracker(option);
  if (option === undefined) return process.env['PROACTOR_HANDLER_TRACKING'] === '1' ? new HandlerTracker(null) : null;
  if (typeof option !== 'boolean') throw new TypeError(`IoContext: handlerTracking must be a boolean or a function, got ${describeValue(option)}`);
  return option ? new HandlerTracker(null) : null;
}

/**
 * @internal Something that owns pending operations on a context (a socket,
 * an acceptor, a timer queue): `shutdown()` must destroy them without
 * invoking their handlers.
 */
export interface IoService {
  shutdown(): void;
}

/** Out of line so the per-post path stays small enough for V8 to inline whole. */
function throwNotAHandler(how: string, handler: unknown): never {
  throw new TypeError(`${how}: the handler must be a function, got ${describeValue(handler)}`);
}

const KEEP_ALIVE_MS = 2 ** 31 - 1;

function keepAlive(): void {
  // The interval exists only to hold Node's loop open while run() waits for work.
}

/**
 * `#sliceStart` before a slice began: a number that is not a small integer, so the field holds a
 * double from the start. Starting at -1 (a small integer), the field's first clock reading changed
 * its representation, which gives every context a new map and leaves the maps of contexts made
 * before it (the one `keepShape` holds among them) out of date.
 */
const NO_SLICE = -Infinity;

/**
 * The proactor: owns the completion queue and runs completion handlers.
 *
 * Work is counted as in asio: queued handlers, pending operations and work
 * guards. `run()` resolves with the number of handlers it executed once the
 * outstanding work reaches zero (the context is then stopped) or `stop()` is
 * called.
 *
 * How a run proceeds on Node's event loop:
 * 1. `run()` drains the queue synchronously before it returns its promise.
 * 2. A drain pass runs handlers in FIFO order, including ones they post.
 *    Every `DRAIN_BUDGET` handlers it reads the time: once the event-loop
 *    turn has run for its `drainTimeSlice` (0.5 ms by default) it yields
 *    with `setImmediate` if more remain, so libuv's I/O and timer phases are
 *    never starved.
 * 3. A completion arriving from libuv (socket data, accept, timer) is queued
 *    and drained in that same callback, with no extra tick.
 * 4. A handler queued from outside a drain (a promise continuation, a Node
 *    callback) schedules a drain as a microtask, or with `setImmediate` once
 *    the turn is past its time slice (read, again, every `DRAIN_BUDGET`
 *    handlers).
 * 5. When outstanding work reaches zero, pending microtasks (promise
 *    continuations) get one `setImmediate` turn to start more; if none did,
 *    the context stops and `run()` resolves. While work remains an idle
 *    `run()` holds the process open.
 * 6. A `runFor`/`runUntil` deadline is an alarm on the context's clock (a
 *    Node timer, or a `ManualClock` step). When it rings, the timers due by
 *    then complete first (and run, in the same callback), then the run ends;
 *    a deadline reached while a handler runs ends the run when it returns.
 *
 * Nothing runs before `run`/`runOne`/`runFor`/`runUntil`/`poll`/`pollOne`.
 * A context left with work it never ran (never run, or given work after it
 * stopped) says so with one process warning at exit; see
 * `IoContextOptions.exitWarnings`.
 *
 * @example
 * ```ts
 * const ctx = new IoContext();
 * post(ctx, () => console.log('hello from the run loop'));
 * const handlersRun = await ctx.run(); // 1
 * ```
 *
 * @category Run loop
 */
export class IoContext implements OperationObserver, ExitWarningSource {
  /** The allocator used for handlers without an associated one. */
  readonly allocator: Allocator;
  /** The monotonic clock timers and deadlines use. */
  readonly clock: Clock;
  /** @internal The handler tracker, or `null` when handler tracking is off. */
  readonly tracker: HandlerTracker | null;

  readonly #queue = new OpQueue();
  readonly #executor: IoExecutor;
  readonly #services = new Set<IoService>();
  readonly #allocations = new AllocationCounters();
  // The arrays of #allocations, held here so counting an op is one increment inline (see AllocationCounters).
  readonly #hits = this.#allocations.hits;
  readonly #fallbacks = this.#allocations.fallbacks;
  readonly #deallocations = this.#allocations.deallocations;
  #outstanding = 0;
  #stopped = false;
  #shutDown = false;
  #draining = false;
  #drainScheduled = false;
  #idleCheckScheduled = false;
  /** Handlers run since the time slice was last looked at (or the last yield): at `DRAIN_BUDGET` the next pass, or scheduling of one, reads the time. */
  #handlersSinceCheck = 0;
  readonly #timeSlice: number;
  /** `performance.now()` when this event-loop turn's time slice began, read at its first `DRAIN_BUDGET` handlers (not at every callback: a read costs more than a handler); `NO_SLICE` until then. */
  #sliceStart = NO_SLICE;

  #running = false;
  #runCount = 0;
  #runLimit = Infinity;
  #resolveRun: ((count: number) => void) | null = null;
  #rejectRun: ((error: unknown) => void) | null = null;
  #deadlineAlarm: Alarm | null = null;
  #deadlineReached = false;
  #beforeDeadline: (() => void) | null = null;
  #keepAliveTimer: NodeJS.Timeout | null = null;

  // The exit warning (see IoContextOptions.exitWarnings): whether it is on,
  // whether a run or poll was ever started, whether work was added while the
  // context was stopped, and the registration with the exit check.
  readonly #exitWarnings: boolean;
  #everRun = false;
  #workAddedWhileStopped = false;
  #exitWatch: WeakRef<ExitWarningSource> | null = null;

  readonly #onMicrotask = (): void => {
    this.#drainScheduled = false;
    this.#drain();
  };
  readonly #onImmediate = (): void => {
    this.#drainScheduled = false;
    this.#handlersSinceCheck = 0;
    this.#sliceStart = NO_SLICE;
    this.#drain();
  };
  readonly #onIdleCheck = (): void => {
    this.#idleCheckScheduled = false;
    if (!this.#running || this.#draining || this.#outstanding !== 0) return;
    this.#stopped = true;
    this.#finishRun(null, false);
  };
  readonly #onDeadline = (): void => {
    if (!this.#running) return;
    // Timers due by the deadline complete (and run, unless a handler is
    // running now) before the run ends: runUntil(t) includes timers at t.
    this.#beforeDeadline?.();
    if (!this.#running) return;
    this.#deadlineReached = true;
    if (this.#draining) return;
    if (this.#outstanding === 0) this.#stopped = true;
    this.#finishRun(null, false);
  };

  constructor(options: IoContextOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError(`IoContext options must be an object, got ${describeValue(options)}`);
    this.allocator = options.allocator ?? new RecyclingAllocator();
    this.clock = options.clock ?? steadyClock;
    this.tracker = makeTracker(options.handlerTracking);
    const exitWarnings = options.exitWarnings ?? true;
    if (typeof exitWarnings !== 'boolean') throw new TypeError(`IoContext: exitWarnings must be a boolean, got ${describeValue(exitWarnings)}`);
    this.#exitWarnings = exitWarnings;
    const timeSlice = options.drainTimeSlice ?? DRAIN_TIME_SLICE;
    if (typeof timeSlice !== 'number' || !(timeSlice >= 0) || timeSlice === Infinity) {
      throw new TypeError(`IoContext: drainTimeSlice must be a finite non-negative number of milliseconds, got ${describeValue(timeSlice)}`);
    }
    this.#timeSlice = timeSlice;
    this.#executor = new IoExecutor(this);
  }

  /**
   * What the operations of this context have allocated, whatever allocator
   * served them: totals and `byKind`. An op object used for the first time
   * counts as a fallback to `new`, a reused one as a hit (recycled); `live`
   * counts the operations started and not yet freed.
   *
   * @example
   * ```ts
   * await ctx.run();
   * const { allocations, hits, fallbacks, live, byKind } = ctx.allocationStats();
   * console.log(byKind.readSome); // { allocations, deallocations, hits, fallbacks, live }
   * ```
   */
  allocationStats(): AllocatorStats {
    return this.#allocations.snapshot();
  }

  /**
   * Publishes `allocationStats()` on the `proactor:allocation-stats`
   * diagnostics channel (see `CHANNELS`), if it has subscribers. The context
   * also does this itself when a run ends and when it shuts down.
   *
   * @example
   * ```ts
   * setInterval(() => ctx.publishAllocationStats(), 10_000).unref();
   * ```
   */
  publishAllocationStats(): void {
    if (!allocationStatsChannel.hasSubscribers) return;
    const message: AllocationStatsMessage = { context: this, stats: this.#allocations.snapshot() };
    allocationStatsChannel.publish(message);
  }

  /**
   * @internal Counts `op`, just allocated, in this context's statistics and,
   * with handler tracking on and `operation` given, writes its creation
   * line as `<objectType>@<object>.<operation>`. Every initiating function
   * calls it once per op it allocates.
   */
  operationStarted(op: Operation, objectType: string, object: object, operation: string | null): void {
    // A never-started op has no observer; a reused one has RETIRED_OBSERVER (or, started twice, a context).
    if (op.observer === null) this.#fallbacks[op.kind]!++;
    else this.#hits[op.kind]!++;
    op.observer = this;
    if (this.tracker !== null && operation !== null) this.#trackCreated(op, objectType, object, operation);
  }

  /** The creation line of `op` under handler tracking: out of line, so starting an op stays small enough to inline whole. */
  #trackCreated(op: Operation, objectType: string, object: object, operation: string): void {
    this.tracker?.created(op, objectType, object, operation);
  }

  /**
   * @internal The one start path of an operation an I/O object initiates
   * and this context will complete: `operationStarted` (statistics, handler
   * tracking), then `workStarted`. Returns `op`.
   */
  startOperation<T extends Operation>(op: T, objectType: string, object: object, operation: string): T {
    this.operationStarted(op, objectType, object, operation);
    this.workStarted();
    return op;
  }

  /** @internal See `OperationObserver`: counts the free, and a destruction under tracking. */
  operationFreed(op: Operation): void {
    this.#deallocations[op.kind]!++;
    if (this.tracker !== null) this.#trackFreed(op);
  }

  /** `op` is freed under handler tracking: its destruction line, if it was tracked and never invoked. */
  #trackFreed(op: Operation): void {
    this.tracker?.freed(op);
  }

  /**
   * The executor that posts to this context.
   *
   * @example
   * ```ts
   * const ex = ctx.getExecutor();
   * ex.post(() => console.log('queued on ctx'));
   * const strand = new Strand(ex);
   * ```
   */
  getExecutor(): IoExecutor {
    return this.#executor;
  }

  /**
   * Runs handlers until the outstanding work reaches zero or `stop()` is
   * called. Resolves with the number of handlers executed; rejects with the
   * exception of a handler that threw (the context stays valid: call `run()`
   * again to go on with the rest). A stopped context resolves 0 at once.
   *
   * @example
   * ```ts
   * const ctx = new IoContext();
   * const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 5555 });
   * acceptor.asyncAccept(onAccept);
   * const handlers = await ctx.run(); // resolves once nothing is pending, or on ctx.stop()
   * ```
   */
  run(): Promise<number> {
    return this.#startRun(Infinity, Infinity);
  }

  /**
   * Runs at most one handler, waiting for one if none is ready. Resolves 0 or 1.
   *
   * @example
   * ```ts
   * socket.asyncReadSome(buf, onRead);
   * await ctx.runOne(); // 1: onRead has run
   * ```
   */
  runOne(): Promise<number> {
    return this.#startRun(1, Infinity);
  }

  /**
   * Runs handlers for at most `ms` milliseconds of the context's clock.
   * Resolves with the number of handlers run.
   *
   * @example
   * ```ts
   * const timer = new SteadyTimer(ctx);
   * timer.expiresAfter(50);
   * timer.asyncWait(() => console.log('fired'));
   * await ctx.runFor(100); // 1: the timer fired within the 100 ms
   * ```
   */
  runFor(ms: number): Promise<number> {
    if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) throw new TypeError(`runFor: ms must be a non-negative number, got ${describeValue(ms)}`);
    return this.#startRun(Infinity, this.clock.now() + ms);
  }

  /**
   * Runs handlers until the context's clock reaches `time` (see
   * `clock.now()`). Resolves with the number of handlers run.
   *
   * @example
   * ```ts
   * const deadline = ctx.clock.now() + 5000;
   * await ctx.runUntil(deadline); // at most five seconds of work
   * ```
   */
  runUntil(time: number): Promise<number> {
    if (typeof time !== 'number' || Number.isNaN(time)) throw new TypeError(`runUntil: time must be a number, got ${describeValue(time)}`);
    return this.#startRun(Infinity, time);
  }

  /**
   * Runs every ready handler, including ones they post, without waiting. Returns how many ran.
   *
   * @example
   * ```ts
   * post(ctx, () => post(ctx, () => undefined));
   * ctx.poll(); // 2
   * ```
   */
  poll(): number {
    return this.#pollUpTo(Infinity);
  }

  /**
   * Runs at most one ready handler without waiting. Returns 0 or 1.
   *
   * @example
   * ```ts
   * post(ctx, () => console.log('a'));
   * post(ctx, () => console.log('b'));
   * ctx.pollOne(); // 1: prints 'a' only
   * ```
   */
  pollOne(): number {
    return this.#pollUpTo(1);
  }

  /**
   * Stops the context: an active `run()` resolves once the handler now
   * running returns; queued handlers stay queued for after `restart()`.
   *
   * @example
   * ```ts
   * const signals = new SignalSet(ctx, 'SIGINT');
   * signals.asyncWait(() => ctx.stop());
   * await ctx.run(); // returns after Ctrl-C, even with sockets still open
   * ```
   */
  stop(): void {
    this.#stopped = true;
    if (this.#running && !this.#draining) this.#finishRun(null, false);
  }

  /**
   * Whether the context is stopped (by `stop()` or by running out of work).
   *
   * @example
   * ```ts
   * await ctx.run();
   * ctx.stopped(); // true: call restart() before running it again
   * ```
   */
  stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Clears the stopped state so `run()` can be called again. Throws
   * `IoError` `already_started` while a run is active.
   *
   * @example
   * ```ts
   * await ctx.run();
   * ctx.restart();
   * post(ctx, () => console.log('second run'));
   * await ctx.run();
   * ```
   */
  restart(): void {
    if (this.#running) throw new IoError('already_started', 'IoContext.restart: a run is active');
    if (!this.#shutDown) this.#stopped = false;
    this.#workAddedWhileStopped = false;
  }

  /**
   * Destroys every queued and pending operation without invoking it,
   * returning its memory to its allocator, and closes every I/O object of
   * the context. An active `run()` resolves. The context stays stopped;
   * operations started afterwards are destroyed the same way.
   *
   * @example
   * ```ts
   * const tracking = new TrackingAllocator();
   * const ctx = new IoContext({ allocator: tracking });
   * new TcpSocket(ctx).asyncConnect({ host: '127.0.0.1', port: 5555 }, () => console.log('never runs'));
   * ctx.shutdown();
   * tracking.live; // 0: the pending ConnectOp was destroyed
   * ```
   */
  shutdown(): void {
    if (this.#shutDown) return;
    this.tracker?.operation('io_context', this, 'shutdown');
    this.#shutDown = true;
    this.#stopped = true;
    this.#unwatchExit();
    for (const service of [...this.#services]) service.shutdown();
    this.#services.clear();
    for (let op = this.#queue.shift(); op !== null; op = this.#queue.shift()) op.destroy();
    this.publishAllocationStats();
    // A handler running now (shutdown called from inside it) still holds its
    // unit of work; the drain or poll loop ends that unit when it returns.
    this.#outstanding = this.#draining ? 1 : 0;
    if (this.#running) this.#finishRun(null, false);
  }

  /**
   * Shuts the context down when a `using` declaration goes out of scope, so `using` works: `[Symbol.dispose]()` is `shutdown()`.
   *
   * @example
   * ```ts
   * using ctx = new IoContext(); // every pending operation destroyed, uninvoked, at the end of the block
   * ```
   */
  [Symbol.dispose](): void {
    this.shutdown();
  }

  /**
   * Whether `shutdown()` has been called.
   *
   * @example
   * ```ts
   * ctx.shutdown();
   * ctx.isShutDown(); // true, for good
   * ```
   */
  isShutDown(): boolean {
    return this.#shutDown;
  }

  /**
   * True while a handler of this context is running (inside `run` or `poll`).
   *
   * @example
   * ```ts
   * ctx.runningInThisThread(); // false
   * post(ctx, () => console.log(ctx.runningInThisThread())); // true
   * ```
   */
  runningInThisThread(): boolean {
    return this.#draining;
  }

  /**
   * Units of outstanding work: queued handlers, pending operations and work guards.
   *
   * @example
   * ```ts
   * post(ctx, () => undefined);
   * const guard = makeWorkGuard(ctx);
   * ctx.outstandingWork(); // 2
   * ```
   */
  outstandingWork(): number {
    return this.#outstanding;
  }

  /**
   * Counts one unit of outstanding work (an operation started, a guard made).
   *
   * @example
   * ```ts
   * // Keep run() going while work happens outside the context:
   * ctx.workStarted();
   * fs.readFile('config.json', (error, data) => {
   *   post(ctx, () => console.log(error ?? `${data.length} bytes`));
   *   ctx.workFinished();
   * });
   * ```
   */
  workStarted(): void {
    if (this.#shutDown) return;
    this.#outstanding++;
    // Two field reads per operation: work added inside a run (or poll) of a
    // context that is not stopped is the common case and goes no further.
    if (this.#stopped ? !this.#running && !this.#draining : !this.#everRun) this.#noteIdleWork();
  }

  /**
   * Ends one unit of outstanding work; at zero an active `run()` finishes and the context stops.
   *
   * @example
   * ```ts
   * ctx.workStarted();
   * setTimeout(() => ctx.workFinished(), 100); // run() resolves about 100 ms later
   * await ctx.run();
   * ```
   */
  workFinished(): void {
    if (this.#shutDown) return;
    if (--this.#outstanding === 0 && this.#running && !this.#draining) this.#scheduleIdleCheck();
  }

  /**
   * @internal The whole of `post`, `defer` and a queued `dispatch` on this
   * context, in one method so the per-post path is one call deep: allocate
   * a `PostOp` from the handler's associated allocator, count it (the
   * statistics, handler tracking), count its work and queue it. What
   * `startOperation` then `enqueue` do, without their repeated checks.
   */
  postHandler(handler: () => void, how: string): void {
    if (typeof handler !== 'function') throwNotAHandler(how, handler);
    const allocator = getAssociatedAllocator(handler, this.allocator);
    const op = allocator.allocate(PostOp).init(handler, allocator);
    // operationStarted's counting, written out here: the post path stays one call shallower.
    if (op.observer === null) this.#fallbacks[op.kind]!++;
    else this.#hits[op.kind]!++;
    op.observer = this;
    // A handler posting from a handler of a live run (or poll): the context is
    // running, not shut down, and drains this op in the current pass or the next.
    if (this.#draining && !this.#stopped && this.tracker === null) {
      this.#outstanding++;
      this.#queue.push(op);
      return;
    }
    this.#queuePost(op, how);
  }

  /** The rest of `postHandler`, out of line so a post from a running handler stays small enough to inline: tracking, shutdown, work added to an idle context, scheduling a drain. */
  #queuePost(op: PostOp, how: string): void {
    if (this.tracker !== null) this.#trackCreated(op, 'io_context', this, how);
    if (this.#shutDown) {
      op.destroy();
      return;
    }
    this.#outstanding++;
    if (this.#stopped ? !this.#running && !this.#draining : !this.#everRun) this.#noteIdleWork();
    this.#queue.push(op);
    if (this.#running && !this.#draining && !this.#drainScheduled) this.#scheduleDrain();
  }

  /**
   * @internal Queues a completed operation whose work is already counted.
   * Used for completions that happen without I/O (posts, immediate results):
   * the handler runs on a later drain, never inside the initiating call.
   */
  enqueue(op: Operation): void {
    if (this.#shutDown) {
      op.destroy();
      return;
    }
    this.#queue.push(op);
    if (this.#running && !this.#draining && !this.#drainScheduled) this.#scheduleDrain();
  }

  /**
   * @internal Queues an operation completed by I/O (a libuv callback) and,
   * when a run is active, drains the queue in that same callback.
   */
  completeFromIo(op: Operation): void {
    if (this.#shutDown) {
      op.destroy();
      return;
    }
    this.#queue.push(op);
    if (this.#running && !this.#draining) {
      this.#sliceStart = NO_SLICE;
      this.#drain();
    }
  }

  /**
   * @internal Moves every op of `ops` (completed, their work counted) to the
   * back of the queue at once, in their order; `fromIo` (a libuv callback)
   * then drains in that same callback, as `completeFromIo` does per op.
   */
  enqueueAll(ops: OpQueue, fromIo: boolean): void {
    if (this.#shutDown) {
      for (let op = ops.shift(); op !== null; op = ops.shift()) op.destroy();
      return;
    }
    this.#queue.append(ops);
    if (!this.#running || this.#draining) return;
    if (fromIo) {
      this.#sliceStart = NO_SLICE;
      this.#drain();
    } else if (!this.#drainScheduled) this.#scheduleDrain();
  }

  /**
   * @internal Removes a queued operation that has not run yet (used when an
   * I/O object discards a completion); returns whether it was queued.
   */
  dequeue(op: Operation): boolean {
    return this.#queue.remove(op);
  }

  /** @internal Registers an object whose pending operations `shutdown()` must destroy. */
  addService(service: IoService): void {
    if (!this.#shutDown) this.#services.add(service);
  }

  /** @internal Unregisters an object added with `addService`. */
  removeService(service: IoService): void {
    this.#services.delete(service);
  }

  /**
   * @internal Sets the function a run deadline calls before it ends the run
   * (the timer queue's, which completes the timers due by then).
   */
  setBeforeDeadline(hook: (() => void) | null): void {
    this.#beforeDeadline = hook;
  }

  /**
   * @internal The warning this context leaves at exit (see
   * `IoContextOptions.exitWarnings`), or `null`; asked by the exit check.
   */
  exitWarning(): ExitWarning | null {
    if (!this.#exitWarnings || this.#shutDown || this.#running || this.#draining || this.#outstanding === 0) return null;
    const work = this.#outstanding === 1 ? '1 unit of outstanding work' : `${this.#outstanding} units of outstanding work`;
    const silence = 'Pass { exitWarnings: false } to new IoContext() to silence this warning.';
    if (this.#stopped && this.#workAddedWhileStopped) {
      return {
        code: 'PROACTOR_CONTEXT_STOPPED_WITH_WORK',
        message:
          `The process is exiting with a stopped IoContext: ${work} added after its run ended never ran. A context ` +
          `stopped by stop() or by running out of work runs nothing (run() returns 0 at once) until it is restarted: ` +
          `call ctx.restart(), then ctx.run(). ${silence}`,
      };
    }
    if (!this.#everRun) {
      return {
        code: 'PROACTOR_CONTEXT_NEVER_RUN',
        message:
          `The process is exiting with an IoContext that was never run: ${work} (queued handlers, pending operations ` +
          `or work guards) never ran. Nothing runs by itself: call await ctx.run() after starting the first operations. ${silence}`,
      };
    }
    return null;
  }

  /** Work was added with no run to do it (never run, or stopped): watch for exit. Not on the per-operation path of a run. */
  #noteIdleWork(): void {
    if (!this.#exitWarnings) return;
    if (this.#stopped) this.#workAddedWhileStopped = true;
    this.#exitWatch ??= watchAtExit(this);
  }

  #unwatchExit(): void {
    if (this.#exitWatch === null) return;
    unwatchAtExit(this.#exitWatch);
    this.#exitWatch = null;
  }

  /** `deadline` is a time on the context's clock, or `Infinity` for none. */
  #startRun(limit: number, deadline: number): Promise<number> {
    if (this.#running) return Promise.reject(new IoError('already_started', 'IoContext: a run is already active'));
    if (this.#draining) return Promise.reject(new IoError('already_started', 'IoContext: run called from a handler running in poll'));
    this.#everRun = true;
    if (this.#stopped) return Promise.resolve(0);
    this.#unwatchExit();
    if (this.#outstanding === 0) {
      this.#stopped = true;
      return Promise.resolve(0);
    }
    this.#sliceStart = NO_SLICE;
    const promise = new Promise<number>((resolve, reject) => {
      this.#resolveRun = resolve;
      this.#rejectRun = reject;
    });
    this.#running = true;
    this.#runCount = 0;
    this.#runLimit = limit;
    this.#keepAliveTimer = setInterval(keepAlive, KEEP_ALIVE_MS);
    if (deadline !== Infinity) {
      const remaining = deadline - this.clock.now();
      if (remaining <= 0) {
        this.#finishRun(null, false);
        return promise;
      }
      this.#deadlineAlarm ??= createAlarm(this.clock, this.#onDeadline);
      this.#deadlineAlarm.set(deadline);
    }
    this.#drain();
    return promise;
  }

  /**
   * Out of work: stop once pending microtasks have run. A promise continuation
   * (`await op(…, usePromise)`) runs after the drain that settled it and may
   * start new work; the run ends only if none was started by then.
   */
  #scheduleIdleCheck(): void {
    if (this.#idleCheckScheduled) return;
    this.#idleCheckScheduled = true;
    setImmediate(this.#onIdleCheck);
  }

  #scheduleDrain(): void {
    this.#drainScheduled = true;
    if (this.#handlersSinceCheck >= DRAIN_BUDGET) {
      if (!this.#withinSlice()) {
        setImmediate(this.#onImmediate);
        return;
      }
      this.#handlersSinceCheck = 0;
    }
    queueMicrotask(this.#onMicrotask);
  }

  /** Whether this event-loop turn may go on running handlers: its time slice (begun at its first call) is not over. */
  #withinSlice(): boolean {
    if (this.#timeSlice === 0) return false;
    const now = performance.now();
    if (this.#sliceStart < 0) {
      this.#sliceStart = now;
      return true;
    }
    return now - this.#sliceStart < this.#timeSlice;
  }

  /** One drain pass: see the class documentation for the phase order. */
  #drain(): void {
    if (this.#draining || !this.#running) return;
    this.#draining = true;
    const queue = this.#queue;
    const limit = this.#runLimit;
    const tracker = this.tracker;
    let sinceCheck = this.#handlersSinceCheck;
    beginTurn();
    try {
      while (!this.#stopped && this.#runCount < limit && !this.#deadlineReached) {
        if (sinceCheck >= DRAIN_BUDGET) {
          if (!this.#withinSlice()) break;
          sinceCheck = 0;
        }
        const op = queue.shift();
        if (op === null) break;
        sinceCheck++;
        this.#runCount++;
        if (tracker === null) op.complete();
        else tracker.invoke(op);
        this.#outstanding--;
      }
    } catch (error) {
      endTurn();
      this.#outstanding--;
      this.#draining = false;
      this.#handlersSinceCheck = sinceCheck;
      if (this.#outstanding === 0) this.#stopped = true;
      this.#finishRun(error, true);
      return;
    }
    endTurn();
    this.#draining = false;
    this.#handlersSinceCheck = sinceCheck;
    if (!this.#running) return;
    if (this.#stopped || this.#runCount >= limit || this.#deadlineReached) {
      if (this.#outstanding === 0) this.#stopped = true;
      this.#finishRun(null, false);
    } else if (this.#outstanding === 0) {
      this.#scheduleIdleCheck();
    } else if (!queue.isEmpty()) {
      // The slice is over (the loop ends with handlers left for no other reason): the next pass waits for a turn of the event loop.
      this.#handlersSinceCheck = DRAIN_BUDGET;
      if (!this.#drainScheduled) this.#scheduleDrain();
    }
  }

  #pollUpTo(limit: number): number {
    if (this.#draining) throw new IoError('already_started', 'IoContext.poll cannot be called from a handler running on this context');
    this.#everRun = true;
    if (this.#stopped) return 0;
    this.#unwatchExit();
    if (this.#outstanding === 0) {
      this.#stopped = true;
      return 0;
    }
    const queue = this.#queue;
    const tracker = this.tracker;
    let count = 0;
    this.#draining = true;
    beginTurn();
    try {
      while (count < limit && !this.#stopped) {
        const op = queue.shift();
        if (op === null) break;
        count++;
        if (tracker === null) op.complete();
        else tracker.invoke(op);
        this.#outstanding--;
      }
    } catch (error) {
      this.#outstanding--;
      throw error;
    } finally {
      endTurn();
      this.#draining = false;
      if (this.#outstanding === 0) this.#stopped = true;
      if (this.#running && this.#stopped) this.#finishRun(null, false);
    }
    return count;
  }

  #finishRun(error: unknown, failed: boolean): void {
    const resolve = this.#resolveRun;
    const reject = this.#rejectRun;
    this.#running = false;
    this.#resolveRun = null;
    this.#rejectRun = null;
    this.#deadlineReached = false;
    this.#deadlineAlarm?.clear();
    if (this.#keepAliveTimer !== null) {
      clearInterval(this.#keepAliveTimer);
      this.#keepAliveTimer = null;
    }
    this.publishAllocationStats();
    if (failed) reject?.(error);
    else resolve?.(this.#runCount);
  }
}
