import { IoContext, ManualClock, SteadyTimer, steadyClock } from '../src/index.js';
import { freshNow, turnNow } from '../src/io-context/clock.js';

/** Spins for `ms` of real time, so a cached reading of the clock falls behind. */
function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

describe('the time timers count from (turnNow)', () => {
  test('on steadyClock it is read once per synchronous stretch and renewed once microtasks have run', async () => {
    const first = turnNow(steadyClock);
    expect(first).toBeLessThanOrEqual(performance.now());
    busyWait(3);
    expect(turnNow(steadyClock)).toBe(first);
    await Promise.resolve();
    const next = turnNow(steadyClock);
    expect(next).toBeGreaterThanOrEqual(first + 3);
    expect(next).toBeLessThanOrEqual(performance.now());
  });

  test('freshNow reads steadyClock afresh and renews the reading turnNow gives', () => {
    const cached = turnNow(steadyClock);
    busyWait(2);
    const fresh = freshNow(steadyClock);
    expect(fresh).toBeGreaterThanOrEqual(cached + 2);
    expect(turnNow(steadyClock)).toBe(fresh);
  });

  test('on any other clock it is clock.now(), however often time moves within a stretch', () => {
    const clock = new ManualClock(10);
    expect(turnNow(clock)).toBe(10);
    clock.advance(5);
    expect(turnNow(clock)).toBe(15);
    expect(freshNow(clock)).toBe(15);
    let reads = 0;
    const counting = { now: (): number => ++reads };
    expect(turnNow(counting)).toBe(1);
    expect(turnNow(counting)).toBe(2);
  });
});

describe('SteadyTimer on the default clock', () => {
  test('expiresAfter counts from the stretch reading: equal delays armed together get equal expiries and fire in arming order', async () => {
    const ctx = new IoContext();
    const order: number[] = [];
    const timers = Array.from({ length: 5 }, (_, i) => {
      const timer = new SteadyTimer(ctx);
      timer.expiresAfter(5);
      timer.asyncWait((err) => {
        expect(err).toBeNull();
        order.push(i);
      });
      busyWait(1);
      return timer;
    });
    const expiry = timers[0]!.expiry();
    for (const timer of timers) expect(timer.expiry()).toBe(expiry);
    expect(expiry).toBeLessThanOrEqual(performance.now() + 5);
    expect(await ctx.run()).toBe(5);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(performance.now()).toBeGreaterThanOrEqual(expiry);
  });

  test('a new timer expires at the stretch reading, so a wait on it completes on the next poll', () => {
    const ctx = new IoContext();
    busyWait(1);
    const timer = new SteadyTimer(ctx);
    expect(timer.expiry()).toBeLessThanOrEqual(performance.now());
    let completed = 0;
    timer.asyncWait(() => completed++);
    expect(completed).toBe(0);
    expect(ctx.poll()).toBe(1);
    expect(completed).toBe(1);
  });

  test('a wait on an expiry set from a fresh reading, later than the stretch reading, still completes on the next poll', () => {
    const ctx = new IoContext();
    const stale = new SteadyTimer(ctx).expiry(); // takes the stretch reading
    busyWait(5);
    const timer = new SteadyTimer(ctx);
    timer.expiresAt(ctx.clock.now()); // performance.now(), at least 5 ms after that reading
    expect(timer.expiry()).toBeGreaterThanOrEqual(stale + 5);
    let err: unknown = 'pending';
    timer.asyncWait((e) => (err = e));
    expect(ctx.poll()).toBe(1);
    expect(err).toBeNull();
  });

  test('a timer armed after the alarm is set and not yet due still fires on time', async () => {
    const ctx = new IoContext();
    const fired: string[] = [];
    const first = new SteadyTimer(ctx);
    first.expiresAfter(5);
    first.asyncWait(() => fired.push('first'));
    const second = new SteadyTimer(ctx);
    second.expiresAfter(15);
    second.asyncWait(() => fired.push(`second@${String(performance.now() >= second.expiry())}`));
    expect(await ctx.run()).toBe(2);
    expect(fired).toEqual(['first', 'second@true']);
  });
});
