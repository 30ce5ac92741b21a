import { IoContext, ManualClock, SteadyTimer, TrackingAllocator, makeWorkGuard } from '../src/index.js';
import { TimerQueue } from '../src/timer/timer-queue.js';

/** A deterministic pseudo-random sequence (no Math.random in tests). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** Lets queued handlers (aborted waits) run: their drain is a microtask away. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const guards: { reset(): void }[] = [];
afterEach(() => {
  // A failed test must not leave its run active.
  for (const guard of guards.splice(0)) guard.reset();
});

/** A context on a manual clock with a run active (kept alive by a guard), and a trace of fired waits. */
function setup(): { clock: ManualClock; ctx: IoContext; trace: string[]; finish: () => Promise<number> } {
  const clock = new ManualClock();
  const ctx = new IoContext({ clock, allocator: new TrackingAllocator() });
  const guard = makeWorkGuard(ctx);
  guards.push(guard);
  const running = ctx.run();
  return {
    clock,
    ctx,
    trace: [],
    finish: () => {
      guard.reset();
      return running;
    },
  };
}

describe('lazy re-arming: a later expiry leaves the slot in place', () => {
  test('re-arming one waiting timer later, over and over, keeps one slot in the heap', () => {
    const ctx = new IoContext({ clock: new ManualClock() });
    const queue = TimerQueue.of(ctx);
    const timer = new SteadyTimer(ctx);
    let aborted = 0;
    const onWait = (err: unknown): void => {
      if (err !== null) aborted++;
    };
    for (let i = 0; i < 1000; i++) {
      timer.expiresAt(100 + i);
      timer.asyncWait(onWait);
      expect(queue.slots).toBe(1);
      expect(queue.size).toBe(1);
    }
    expect(ctx.poll()).toBe(999);
    expect(aborted).toBe(999);
    timer.cancel();
    expect(queue.slots).toBe(0);
    expect(ctx.poll()).toBe(1);
  });

  test('the early slot moves when it comes due: the timer fires at its own expiry, once', async () => {
    const { clock, ctx, trace, finish } = setup();
    const idle = new SteadyTimer(ctx, 100);
    idle.asyncWait((err) => trace.push(`idle:${err === null ? 'fired' : 'aborted'}@${clock.now()}`));
    idle.expiresAt(300);
    idle.asyncWait((err) => trace.push(`idle:${err === null ? 'fired' : 'aborted'}@${clock.now()}`));
    const other = new SteadyTimer(ctx, 200);
    other.asyncWait(() => trace.push(`other@${clock.now()}`));
    await flush();
    clock.advance(150); // the early slot (100) comes due: nothing fires
    expect(trace).toEqual(['idle:aborted@0']);
    clock.advance(1000);
    expect(trace).toEqual(['idle:aborted@0', 'other@200', 'idle:fired@300']);
    expect(clock.nextAlarm()).toBe(Infinity);
    await finish();
  });

  test('equal deadlines follow the order the expiries were set, not where the early slot was', async () => {
    const { clock, ctx, trace, finish } = setup();
    const before = new SteadyTimer(ctx, 250); // set before a's re-arm: fires first
    const a = new SteadyTimer(ctx, 100);
    const c = new SteadyTimer(ctx, 150);
    // Waits first, so both have slots (at 100 and 150) that the re-arms leave early.
    a.asyncWait(() => undefined);
    c.asyncWait(() => undefined);
    a.expiresAt(250);
    c.expiresAt(250); // re-armed after a: fires after it
    const after = new SteadyTimer(ctx, 250);
    const b = new SteadyTimer(ctx, 200);
    for (const [name, t] of [['after', after], ['c', c], ['b', b], ['a', a], ['before', before]] as const) {
      t.asyncWait((err) => trace.push(`${name}:${err === null ? 'fired' : 'aborted'}@${clock.now()}`));
    }
    expect(TimerQueue.of(ctx).slots).toBe(5);
    await flush();
    clock.advance(1000);
    expect(trace).toEqual(['b:fired@200', 'before:fired@250', 'a:fired@250', 'c:fired@250', 'after:fired@250']);
    await finish();
  });

  test('re-arming earlier takes a new slot: the timer fires at the earlier expiry', async () => {
    const { clock, ctx, trace, finish } = setup();
    const timer = new SteadyTimer(ctx, 500);
    timer.asyncWait(() => trace.push(`first@${clock.now()}`));
    timer.expiresAt(800); // later: the slot stays at 500
    timer.expiresAt(50); // earlier than the slot: a new one
    timer.asyncWait((err) => trace.push(`${err === null ? 'fired' : 'aborted'}@${clock.now()}`));
    // Set after the re-arm, at the same expiry: fires after it.
    const other = new SteadyTimer(ctx, 50);
    other.asyncWait(() => trace.push(`other@${clock.now()}`));
    expect(TimerQueue.of(ctx).size).toBe(2);
    await flush();
    clock.advance(1000);
    expect(trace).toEqual(['first@0', 'fired@50', 'other@50']);
    await finish();
  });

  test('cancelling a lazily re-armed timer aborts its wait and frees its slot; it never fires', async () => {
    const { clock, ctx, trace, finish } = setup();
    const queue = TimerQueue.of(ctx);
    const timer = new SteadyTimer(ctx, 100);
    timer.asyncWait(() => undefined);
    timer.expiresAt(400);
    timer.asyncWait((err) => trace.push(`${err === null ? 'fired' : 'aborted'}@${clock.now()}`));
    expect(timer.cancel()).toBe(1);
    expect(queue.size).toBe(0);
    expect(queue.slots).toBe(0);
    await flush();
    clock.advance(1000);
    expect(trace).toEqual(['aborted@0']);
    await finish();
  });

  test('an early slot that comes due with no wait pending is dropped; a later wait gets a slot of its own', async () => {
    const { clock, ctx, trace, finish } = setup();
    const queue = TimerQueue.of(ctx);
    const timer = new SteadyTimer(ctx, 100);
    timer.asyncWait(() => undefined);
    timer.expiresAt(500); // the aborted wait leaves a slot at 100 with nothing waiting
    clock.advance(150);
    expect(queue.size).toBe(0);
    expect(queue.slots).toBe(0);
    timer.asyncWait((err) => trace.push(`${err === null ? 'fired' : 'aborted'}@${clock.now()}`));
    expect(queue.size).toBe(1);
    clock.advance(1000);
    expect(trace).toEqual(['fired@500']);
    await finish();
  });

  test('a random mix of re-arms, waits and cancels fires exactly as a naive model says', async () => {
    const random = lcg(7);
    const { clock, ctx, trace, finish } = setup();
    interface Model {
      expiry: number;
      seq: number;
      waits: number;
    }
    const count = 40;
    const timers: SteadyTimer[] = [];
    const models: Model[] = [];
    let seq = 0;
    const expected: string[] = [];
    for (let i = 0; i < count; i++) {
      const t = new SteadyTimer(ctx, 1 + Math.floor(random() * 200));
      timers.push(t);
      models.push({ expiry: t.expiry(), seq: ++seq, waits: 0 });
    }
    const wait = (i: number): void => {
      timers[i]!.asyncWait((err) => {
        if (err === null) trace.push(`${clock.now()}:t${i}`);
      });
      models[i]!.waits++;
    };
    /** The model's advance: every waiting timer due by `target`, in (expiry, seq) order. */
    const modelAdvance = (target: number): void => {
      for (;;) {
        let next: Model | null = null;
        let index = -1;
        models.forEach((m, i) => {
          if (m.waits === 0 || m.expiry > target) return;
          if (next === null || m.expiry < next.expiry || (m.expiry === next.expiry && m.seq < next.seq)) {
            next = m;
            index = i;
          }
        });
        if (next === null) break;
        const m: Model = next;
        for (let w = 0; w < m.waits; w++) expected.push(`${m.expiry}:t${index}`);
        m.waits = 0;
      }
    };
    for (let step = 0; step < 3000; step++) {
      const i = Math.floor(random() * count);
      const t = timers[i]!;
      const m = models[i]!;
      const r = random();
      if (r < 0.45) {
        // Mostly later (the idle-timeout pattern), sometimes earlier.
        const at = clock.now() + 1 + Math.floor(random() * 300);
        t.expiresAt(at);
        m.expiry = at;
        m.seq = ++seq;
        m.waits = 0;
        wait(i);
      } else if (r < 0.65) {
        if (m.expiry > clock.now()) wait(i);
      } else if (r < 0.75) {
        t.cancel();
        m.waits = 0;
      } else {
        const target = clock.now() + Math.floor(random() * 60);
        modelAdvance(target);
        clock.set(target);
      }
    }
    const end = clock.now() + 1000;
    modelAdvance(end);
    clock.set(end);
    expect(expected.length).toBeGreaterThan(300);
    expect(trace).toEqual(expected);
    expect(TimerQueue.of(ctx).size).toBe(0);
    await finish();
  });
});
