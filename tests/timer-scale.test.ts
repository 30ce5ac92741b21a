import { IoContext, ManualClock, SteadyTimer, TrackingAllocator } from '../src/index.js';
import { TimerQueue } from '../src/timer/timer-queue.js';

describe('SteadyTimer at scale', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  test('100,000 armed timers cost one Node timer, and arm+cancel never touches it', () => {
    const setSpy = jest.spyOn(global, 'setTimeout');
    const clearSpy = jest.spyOn(global, 'clearTimeout');
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const timers: SteadyTimer[] = [];
    let aborted = 0;
    const onWait = (err: unknown): void => {
      if (err !== null) aborted++;
    };
    for (let i = 0; i < 100_000; i++) {
      const t = new SteadyTimer(ctx);
      t.expiresAfter(60_000 + i);
      t.asyncWait(onWait);
      timers.push(t);
    }
    expect(setSpy).toHaveBeenCalledTimes(1);
    expect(TimerQueue.of(ctx).size).toBe(100_000);
    expect(tracking.live).toBe(100_000);
    let cancelled = 0;
    for (const t of timers) cancelled += t.cancel();
    expect(cancelled).toBe(100_000);
    expect(setSpy).toHaveBeenCalledTimes(1);
    expect(clearSpy).not.toHaveBeenCalled();
    expect(TimerQueue.of(ctx).size).toBe(0);
    expect(ctx.poll()).toBe(100_000);
    expect(aborted).toBe(100_000);
    expect(tracking.live).toBe(0);
    ctx.shutdown(); // clears the one (unreferenced) Node timer
    expect(clearSpy).toHaveBeenCalledTimes(1);
  });

  test('an earlier timer re-arms the single Node timer; at most one is ever pending', () => {
    const active = new Set<unknown>();
    const realSet = global.setTimeout;
    const realClear = global.clearTimeout;
    jest.spyOn(global, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      const handle = realSet(fn, ms);
      active.add(handle);
      return handle;
    }));
    jest.spyOn(global, 'clearTimeout').mockImplementation(((handle: NodeJS.Timeout) => {
      active.delete(handle);
      realClear(handle);
    }) as typeof clearTimeout);
    const ctx = new IoContext();
    let maxActive = 0;
    for (let i = 0; i < 1000; i++) {
      const t = new SteadyTimer(ctx);
      t.expiresAfter(100_000 - i * 10); // each one earlier than the last
      t.asyncWait(() => undefined);
      maxActive = Math.max(maxActive, active.size);
    }
    expect(maxActive).toBe(1);
    ctx.shutdown();
    expect(active.size).toBe(0);
  });

  test('100,000 timers fire in deadline order on a manual clock, with zero live ops after', async () => {
    const clock = new ManualClock();
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ clock, allocator: tracking });
    const fired: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const deadline = (i * 7919) % 100_000; // a permutation of 0..99,999
      const t = new SteadyTimer(ctx, deadline + 1);
      t.asyncWait(() => fired.push(deadline));
    }
    const done = ctx.run();
    clock.advance(100_001);
    expect(await done).toBe(100_000);
    expect(fired.length).toBe(100_000);
    for (let i = 0; i < fired.length; i++) if (fired[i] !== i) throw new Error(`out of order at ${i}: ${fired[i]}`);
    expect(tracking.live).toBe(0);
  });
});
