/**
 * A monotonic clock in milliseconds. `IoContext` reads time only through its
 * clock, so a manual clock can drive timers and `runFor`/`runUntil` in tests.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale (not wall-clock time). */
  now(): number;
}

/** The default clock: `performance.now()`, monotonic, sub-millisecond. */
export const steadyClock: Clock = Object.freeze({
  now: (): number => performance.now(),
});
