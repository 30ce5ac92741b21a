import type { Alarm, Clock } from '../io-context/clock.js';
import { describeValue } from '../errors/describe-value.js';

/** One alarm on a `ManualClock`. */
class ManualAlarm implements Alarm {
  time = Infinity;
  seq = 0;
  readonly #clock: ManualClock;
  readonly callback: () => void;

  constructor(clock: ManualClock, callback: () => void) {
    this.#clock = clock;
    this.callback = callback;
  }

  set(time: number): void {
    if (typeof time !== 'number' || Number.isNaN(time)) throw new TypeError(`Alarm.set: time must be a number, got ${describeValue(time)}`);
    this.#clock.arm(this, time);
  }

  clear(): void {
    this.#clock.disarm(this);
  }
}

/**
 * A clock that moves only when told to, for deterministic timer tests (like
 * tokio's paused clock): `new IoContext({ clock: new ManualClock() })`.
 *
 * `advance(ms)` and `set(t)` move time forward in steps: every alarm due by
 * the target rings in order of its time (then of arming), with `now()`
 * reading that alarm's time while it rings. Timers of a context on this
 * clock therefore fire in deadline order, each at its own instant, their
 * handlers running synchronously inside `advance` when a `run()` is active
 * (or queued for the next `poll()` otherwise). Nothing depends on real time,
 * so the same scenario always produces the same trace.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const ctx = new IoContext({ clock });
 * const timer = new SteadyTimer(ctx);
 * timer.expiresAfter(1000);
 * timer.asyncWait((err) => console.log('fired at', clock.now())); // 1000
 * const done = ctx.run();
 * clock.advance(1000);
 * await done;
 * ```
 *
 * @category Timers
 */
export class ManualClock implements Clock {
  // A number from the start, so V8 stores each new time in place (see SteadyTimer's expiry).
  #now = Number.NaN;
  #seq = 0;
  readonly #armed = new Set<ManualAlarm>();

  /** @param start the initial reading of `now()` (default 0). */
  constructor(start = 0) {
    if (typeof start !== 'number' || !Number.isFinite(start)) throw new TypeError(`ManualClock: start must be a finite number, got ${describeValue(start)}`);
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /**
   * Moves time forward by `ms` (≥ 0), ringing every alarm due on the way, in order.
   *
   * @example
   * ```ts
   * const clock = new ManualClock();
   * const ctx = new IoContext({ clock });
   * const timer = new SteadyTimer(ctx, 500);
   * timer.asyncWait(() => console.log('at', clock.now())); // at 500
   * const running = ctx.run();
   * clock.advance(1000);
   * await running;
   * ```
   */
  advance(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new TypeError(`ManualClock.advance: ms must be a finite non-negative number, got ${describeValue(ms)}`);
    this.#stepTo(this.#now + ms);
  }

  /**
   * Moves time forward to `time` (≥ `now()`: the clock is monotonic), ringing alarms on the way.
   *
   * @example
   * ```ts
   * const clock = new ManualClock(1000);
   * clock.set(2500); // now() === 2500
   * ```
   */
  set(time: number): void {
    if (typeof time !== 'number' || !Number.isFinite(time) || time < this.#now) {
      throw new TypeError(`ManualClock.set: time must be a finite number not before now() (${this.#now}), got ${describeValue(time)}`);
    }
    this.#stepTo(time);
  }

  /**
   * The time the next alarm will ring at, or `Infinity` when none is armed.
   *
   * @example
   * ```ts
   * // Step straight to each timer of a test, as long as any is armed:
   * while (clock.nextAlarm() !== Infinity) clock.set(clock.nextAlarm());
   * ```
   */
  nextAlarm(): number {
    let next = Infinity;
    for (const alarm of this.#armed) if (alarm.time < next) next = alarm.time;
    return next;
  }

  createAlarm(callback: () => void): Alarm {
    if (typeof callback !== 'function') throw new TypeError(`ManualClock.createAlarm: the callback must be a function, got ${describeValue(callback)}`);
    return new ManualAlarm(this, callback);
  }

  /** @internal */
  arm(alarm: ManualAlarm, time: number): void {
    alarm.time = time;
    alarm.seq = ++this.#seq;
    this.#armed.add(alarm);
  }

  /** @internal */
  disarm(alarm: ManualAlarm): void {
    alarm.time = Infinity;
    this.#armed.delete(alarm);
  }

  #stepTo(target: number): void {
    for (;;) {
      let next: ManualAlarm | null = null;
      for (const alarm of this.#armed) {
        if (alarm.time > target) continue;
        if (next === null || alarm.time < next.time || (alarm.time === next.time && alarm.seq < next.seq)) next = alarm;
      }
      if (next === null) break;
      if (next.time > this.#now) this.#now = next.time;
      this.disarm(next);
      next.callback();
    }
    // A nested advance (from a handler) may already have gone further.
    if (target > this.#now) this.#now = target;
  }
}
