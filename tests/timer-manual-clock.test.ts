import { IoContext, ManualClock, SteadyTimer, TrackingAllocator, makeWorkGuard, post } from '../src/index.js';

/** A small deterministic generator, so the scenario is the same on every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function scenario(): Promise<string[]> {
  const clock = new ManualClock();
  const tracking = new TrackingAllocator();
  const ctx = new IoContext({ clock, allocator: tracking });
  const random = lcg(42);
  const trace: string[] = [];
  const timers: SteadyTimer[] = [];
  for (let i = 0; i < 50; i++) {
    const t = new SteadyTimer(ctx);
    t.expiresAfter(Math.floor(random() * 100));
    timers.push(t);
    const wait = (err: unknown): void => {
      trace.push(`${clock.now()}:t${i}:${err === null ? 'fired' : 'aborted'}`);
      if (err === null && random() < 0.5) {
        t.expiresAfter(Math.floor(random() * 50));
        t.asyncWait(wait);
      }
      if (random() < 0.2) {
        const victim = timers[Math.floor(random() * timers.length)]!;
        trace.push(`${clock.now()}:cancel:${victim.cancel()}`);
      }
    };
    t.asyncWait(wait);
  }
  const done = ctx.run();
  for (let step = 0; step < 40; step++) clock.advance(Math.floor(random() * 20));
  for (const t of timers) t.cancel();
  trace.push(`handlers:${await done}`);
  expect(tracking.live).toBe(0);
  return trace;
}

describe('ManualClock', () => {
  test('the same timer scenario twice gives the same trace', async () => {
    const first = await scenario();
    const second = await scenario();
    expect(first.length).toBeGreaterThan(50);
    expect(second).toEqual(first);
  });

  test('advance rings each timer at its own instant, in order', async () => {
    const clock = new ManualClock(1000);
    const ctx = new IoContext({ clock });
    const seen: string[] = [];
    for (const [name, at] of [['b', 1300], ['a', 1100], ['c', 1200]] as const) {
      const t = new SteadyTimer(ctx, at);
      t.asyncWait(() => seen.push(`${name}@${clock.now()}`));
    }
    const done = ctx.run();
    clock.advance(500);
    await done;
    expect(seen).toEqual(['a@1100', 'c@1200', 'b@1300']);
    expect(clock.now()).toBe(1500);
  });

  test('set() refuses to go backwards; advance() refuses negative steps', () => {
    const clock = new ManualClock(10);
    expect(() => { clock.set(5); }).toThrow(TypeError);
    expect(() => { clock.advance(-1); }).toThrow(TypeError);
    clock.set(20);
    expect(clock.now()).toBe(20);
  });

  test('runFor is exact with timers pending: timers due by the deadline run, later ones do not', async () => {
    const clock = new ManualClock();
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ clock, allocator: tracking });
    const fired: number[] = [];
    for (const at of [50, 100, 150]) {
      const t = new SteadyTimer(ctx, at);
      t.asyncWait(() => fired.push(at));
    }
    const done = ctx.runFor(100);
    const ranAt: number[] = [];
    clock.advance(200);
    ranAt.push(...fired);
    expect(await done).toBe(2);
    expect(ranAt).toEqual([50, 100]);
    expect(ctx.stopped()).toBe(false);
    // The 150 ms timer fired during the advance but its handler waits for the next run.
    expect(ctx.poll()).toBe(1);
    expect(fired).toEqual([50, 100, 150]);
    expect(tracking.live).toBe(0);
  });

  test('runUntil ends at its time with a timer due at that same time included', async () => {
    const clock = new ManualClock();
    const ctx = new IoContext({ clock });
    const t = new SteadyTimer(ctx, 300);
    let fired = 0;
    t.asyncWait(() => fired++);
    const later = new SteadyTimer(ctx, 301);
    later.asyncWait(() => fired++);
    let resolved = false;
    const done = ctx.runUntil(300).then((n) => {
      resolved = true;
      return n;
    });
    clock.advance(299);
    await new Promise((r) => setImmediate(r));
    expect(resolved).toBe(false);
    clock.advance(1);
    expect(await done).toBe(1);
    expect(fired).toBe(1);
    expect(later.cancel()).toBe(1);
    ctx.poll();
  });

  test('runFor with only a work guard ends exactly when the clock reaches the deadline', async () => {
    const clock = new ManualClock();
    const ctx = new IoContext({ clock });
    const guard = makeWorkGuard(ctx);
    let resolved = false;
    const done = ctx.runFor(100).then((n) => {
      resolved = true;
      return n;
    });
    post(ctx, () => undefined);
    clock.advance(99.5);
    await new Promise((r) => setImmediate(r));
    expect(resolved).toBe(false);
    clock.advance(0.5);
    expect(await done).toBe(1);
    guard.reset();
  });

  test('a deadline reached by a handler advancing the clock ends the run after that handler', async () => {
    const clock = new ManualClock();
    const ctx = new IoContext({ clock });
    const guard = makeWorkGuard(ctx);
    const ran: string[] = [];
    post(ctx, () => {
      ran.push('first');
      clock.advance(100);
    });
    post(ctx, () => ran.push('second'));
    expect(await ctx.runFor(50)).toBe(1);
    expect(ran).toEqual(['first']);
    guard.reset();
    expect(ctx.poll()).toBe(1);
  });
});
