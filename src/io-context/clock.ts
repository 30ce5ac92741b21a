/**
 * A monotonic clock in milliseconds. `IoContext` reads time only through its
 * clock, so a manual clock can drive timers and `runFor`/`runUntil` in tests.
 * `steadyClock` is the default; `ManualClock` is the one for tests.
 *
 * @example
 * ```ts
 * const ctx = new IoContext({ clock: new ManualClock() });
 * ```
 *
 * @category Timers
 */
export interface Clock {
  /** Milliseconds on a monotonic scale (not wall-clock time). */
  now(): number;
  /**
   * Optional: makes an alarm that calls `callback` once this clock reaches
   * the time it is set to. A clock without it gets a Node-timer alarm (see
   * `createAlarm`), which suits any clock that follows real time.
   */
  createAlarm?(callback: () => void): Alarm;
}

/**
 * One re-armable wake-up on a clock. A context keeps one for all its timers
 * and one for a run's deadline, whatever the number of armed timers.
 *
 * - `set(time)` arms (or re-arms) the alarm for `time` on its clock; the
 *   callback runs once, on a later event-loop turn or clock step, never
 *   inside `set`, and never before `clock.now() >= time`.
 * - `clear()` disarms it.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const alarm = clock.createAlarm(() => console.log('ring at', clock.now()));
 * alarm.set(100);
 * clock.advance(150); // ring at 100
 * ```
 *
 * @category Timers
 */
export interface Alarm {
  /** Arms (or re-arms) the alarm for `time` on its clock. */
  set(time: number): void;
  /** Disarms the alarm. */
  clear(): void;
}

/**
 * The default clock: `performance.now()`, monotonic, sub-millisecond.
 *
 * @example
 * ```ts
 * const start = steadyClock.now();
 * await ctx.run();
 * console.log(`ran for ${(steadyClock.now() - start).toFixed(1)} ms`);
 * ```
 *
 * @category Timers
 */
export const steadyClock: Clock = Object.freeze({
  now: (): number => performance.now(),
});

/** The last reading of `steadyClock` taken by `freshNow`; valid until the microtasks queued behind it run. */
let steadyNow = 0;
let steadyNowValid = false;
/** A microtask will expire the reading (it was taken outside a drain pass). */
let expiryQueued = false;

function expireSteadyNow(): void {
  steadyNowValid = false;
  expiryQueued = false;
}

/**
 * @internal The time timers count from on `clock`. On `steadyClock` it is
 * read at most once per stretch of synchronous code: the first call (or an
 * alarm ringing, through `freshNow`) reads `performance.now()`, and later
 * calls reuse that reading until the microtask queue next runs. Node's own
 * timers count from libuv's loop time, which is older still. On any other
 * clock it is `clock.now()`. Never later than `clock.now()`.
 */
export function turnNow(clock: Clock): number {
  return clock === steadyClock && steadyNowValid ? steadyNow : freshNow(clock);
}

/** @internal `clock.now()`; on `steadyClock` it also becomes the reading `turnNow` returns for the rest of the stretch. */
export function freshNow(clock: Clock): number {
  const now = clock.now();
  if (clock === steadyClock) {
    steadyNow = now;
    if (!steadyNowValid) {
      steadyNowValid = true;
      // Inside a drain pass `endTurn` expires the reading; Node's queueMicrotask makes an async resource and a bound function each call.
      if (turnDepth === 0 && !expiryQueued) {
        expiryQueued = true;
        queueMicrotask(expireSteadyNow);
      }
    }
  }
  return now;
}

/** How many drain passes are running (nested: a handler polling another context). */
let turnDepth = 0;

/** @internal A drain pass starts: a reading taken in it stays valid until the pass ends. */
export function beginTurn(): void {
  turnDepth++;
}

/** @internal A drain pass ended: the synchronous stretch it was part of may end with it. */
export function endTurn(): void {
  if (--turnDepth === 0 && !expiryQueued) steadyNowValid = false;
}

/**
 * An alarm on one Node timer. Node fires timers on a millisecond loop time
 * that can run slightly behind `clock.now()`, so an early call re-arms for
 * the remainder instead of ringing. The Node timer is unreferenced: an
 * active `run()` holds the process open, an armed alarm alone does not.
 */
class NodeTimerAlarm implements Alarm {
  readonly #clock: Clock;
  readonly #callback: () => void;
  #timeout: NodeJS.Timeout | null = null;
  #time = Infinity;

  readonly #onTimeout = (): void => {
    this.#timeout = null;
    const time = this.#time;
    if (time === Infinity) return;
    if (this.#clock.now() < time) {
      this.#arm(time);
      return;
    }
    this.#time = Infinity;
    this.#callback();
  };

  constructor(clock: Clock, callback: () => void) {
    this.#clock = clock;
    this.#callback = callback;
  }

  set(time: number): void {
    if (time === this.#time && this.#timeout !== null) return;
    if (this.#timeout !== null) clearTimeout(this.#timeout);
    this.#arm(time);
  }

  clear(): void {
    this.#time = Infinity;
    if (this.#timeout !== null) {
      clearTimeout(this.#timeout);
      this.#timeout = null;
    }
  }

  #arm(time: number): void {
    this.#time = time;
    const delay = Math.max(0, Math.ceil(time - this.#clock.now()));
    const timeout = setTimeout(this.#onTimeout, delay);
    timeout.unref();
    this.#timeout = timeout;
  }
}

/**
 * @internal The alarm a context uses on `clock`: the clock's own when it
 * provides `createAlarm`, else one backed by a single Node timer.
 */
export function createAlarm(clock: Clock, callback: () => void): Alarm {
  if (typeof clock.createAlarm === 'function') return clock.createAlarm(callback);
  return new NodeTimerAlarm(clock, callback);
}
