import { IoContext, ManualClock, SteadyTimer, TrackingAllocator } from '../src/index.js';
import { TimerHeap } from '../src/timer/timer-heap.js';
import { MAX_TIMER_RUNS, TimerSet } from '../src/timer/timer-set.js';
import { TimerQueue } from '../src/timer/timer-queue.js';

interface Slot {
  expiry: number;
  seq: number;
  token: number;
}

/** A deterministic pseudo-random sequence (no Math.random in tests). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

function byKey(a: Slot, b: Slot): number {
  return a.expiry !== b.expiry ? a.expiry - b.expiry : a.seq - b.seq;
}

function drain(set: TimerSet<Slot> | TimerHeap<Slot>): Slot[] {
  const out: Slot[] = [];
  while (set.length > 0) {
    const item = set.topItem();
    expect(set.topExpiry()).toBe(item.expiry);
    expect(set.topToken()).toBe(item.token);
    out.push(item);
    set.pop();
  }
  expect(set.topExpiry()).toBe(Infinity);
  return out;
}

function slots(expiries: readonly number[]): Slot[] {
  return expiries.map((expiry, i) => ({ expiry, seq: i + 1, token: i + 1 }));
}

const patterns: [string, number[]][] = [
  ['increasing', Array.from({ length: 3000 }, (_, i) => i)],
  ['decreasing (more runs than allowed)', Array.from({ length: 3000 }, (_, i) => 3000 - i)],
  ['ten interleaved streams', Array.from({ length: 3000 }, (_, i) => Math.floor(i / 10) + (i % 10) * 7)],
  ['equal expiries', Array.from({ length: 3000 }, (_, i) => i % 3)],
  ['random', Array.from({ length: 3000 }, lcg(7)).map((r) => Math.floor(r * 500))],
  ['with Infinity', Array.from({ length: 300 }, (_, i) => (i % 4 === 0 ? Infinity : i % 50))],
];

describe.each([
  ['TimerSet', (): TimerSet<Slot> | TimerHeap<Slot> => new TimerSet<Slot>()],
  ['TimerHeap', (): TimerSet<Slot> | TimerHeap<Slot> => new TimerHeap<Slot>()],
])('%s', (_name, make) => {
  test.each(patterns)('pops in (expiry, seq) order: %s', (_pattern, expiries) => {
    const set = make();
    const input = slots(expiries);
    for (const s of input) set.push(s, s.expiry, s.seq, s.token);
    expect(set.length).toBe(input.length);
    expect(drain(set)).toEqual([...input].sort(byKey));
  });

  test('pushes between pops keep the order', () => {
    const set = make();
    const random = lcg(11);
    const reference: Slot[] = [];
    let seq = 0;
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 20; i++) {
        const s = { expiry: round + Math.floor(random() * 40), seq: ++seq, token: seq };
        set.push(s, s.expiry, s.seq, s.token);
        reference.push(s);
      }
      reference.sort(byKey);
      for (let i = 0; i < 10; i++) {
        expect(set.topItem()).toBe(reference.shift());
        set.pop();
      }
    }
    expect(drain(set)).toEqual(reference);
  });

  test('retain keeps the wanted slots in order and clear empties', () => {
    const set = make();
    const input = slots(Array.from({ length: 2000 }, lcg(3)).map((r) => Math.floor(r * 100)));
    for (const s of input) set.push(s, s.expiry, s.seq, s.token);
    for (let i = 0; i < 500; i++) set.pop();
    set.retain((item, token) => item.token === token && item.seq % 3 !== 0);
    const expected = [...input].sort(byKey).slice(500).filter((s) => s.seq % 3 !== 0);
    expect(set.length).toBe(expected.length);
    expect(drain(set)).toEqual(expected);
    for (const s of input) set.push(s, s.expiry, s.seq, s.token);
    set.clear();
    expect(set.length).toBe(0);
    expect(set.topExpiry()).toBe(Infinity);
  });
});

describe('TimerSet.popDue', () => {
  test.each(patterns)('takes every slot not after the limit, in order, and leaves the rest in order: %s', (_pattern, expiries) => {
    const set = new TimerSet<Slot>();
    const input = slots(expiries);
    for (const s of input) set.push(s, s.expiry, s.seq, s.token);
    const sorted = [...input].sort(byKey);
    const limit = sorted[sorted.length >> 1]!.expiry;
    const taken: Slot[] = [];
    set.popDue(limit, (item, token) => {
      expect(token).toBe(item.token);
      taken.push(item);
    });
    expect(taken).toEqual(sorted.filter((s) => s.expiry <= limit));
    expect(set.length).toBe(input.length - taken.length);
    expect(drain(set)).toEqual(sorted.filter((s) => s.expiry > limit));
  });

  test('matches pop one by one with pushes in between, runs and heap alike', () => {
    const set = new TimerSet<Slot>();
    const random = lcg(5);
    const reference: Slot[] = [];
    let seq = 0;
    for (let round = 0; round < 300; round++) {
      // Streams of a few delays plus stragglers, so runs fill, empty and overflow into the heap.
      for (let i = 0; i < 25; i++) {
        const expiry = random() < 0.8 ? round + 10 * (i % 5) : round + Math.floor(random() * 60);
        const s = { expiry, seq: ++seq, token: seq };
        set.push(s, s.expiry, s.seq, s.token);
        reference.push(s);
      }
      reference.sort(byKey);
      const limit = round + 5;
      const expected: Slot[] = [];
      while (reference.length > 0 && reference[0]!.expiry <= limit) expected.push(reference.shift()!);
      const taken: Slot[] = [];
      set.popDue(limit, (item) => taken.push(item));
      expect(taken).toEqual(expected);
      expect(set.length).toBe(reference.length);
      expect(set.topExpiry()).toBe(reference[0]?.expiry ?? Infinity);
    }
    expect(drain(set)).toEqual(reference);
  });

  test('an empty set or a limit before the top takes nothing', () => {
    const set = new TimerSet<Slot>();
    const visit = jest.fn();
    set.popDue(100, visit);
    const input = slots([50, 60, 70]);
    for (const s of input) set.push(s, s.expiry, s.seq, s.token);
    set.popDue(49, visit);
    expect(visit).not.toHaveBeenCalled();
    expect(set.length).toBe(3);
  });
});

test('a TimerSet keeps at most MAX_TIMER_RUNS runs and overflows into its heap in order', () => {
  const set = new TimerSet<Slot>();
  // Each stream of expiries is increasing; twice as many streams as runs.
  const input = slots(Array.from({ length: 4 * MAX_TIMER_RUNS * 10 }, (_, i) => Math.floor(i / (2 * MAX_TIMER_RUNS)) - (i % (2 * MAX_TIMER_RUNS)) * 3));
  for (const s of input) set.push(s, s.expiry, s.seq, s.token);
  expect(drain(set)).toEqual([...input].sort(byKey));
});

describe('TimerQueue lazy deletion', () => {
  test('cancelled slots stay at most as many as live ones, and all go with the last', () => {
    const ctx = new IoContext({ clock: new ManualClock() });
    const queue = TimerQueue.of(ctx);
    const timers = Array.from({ length: 1000 }, (_, i) => new SteadyTimer(ctx, 1000 + i));
    for (const t of timers) t.asyncWait(() => undefined);
    expect(queue.size).toBe(1000);
    for (let i = 0; i < 999; i++) {
      timers[i]!.cancel();
      expect(queue.slots).toBeLessThanOrEqual(2 * queue.size + 1);
    }
    expect(queue.size).toBe(1);
    timers[999]!.cancel();
    expect(queue.size).toBe(0);
    expect(queue.slots).toBe(0);
    expect(ctx.poll()).toBe(1000);
  });

  test('re-arming one timer many times does not grow the heap, and it fires once, on time', async () => {
    const clock = new ManualClock();
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ clock, allocator: tracking });
    const queue = TimerQueue.of(ctx);
    const others = Array.from({ length: 10 }, (_, i) => new SteadyTimer(ctx, 5000 + i));
    const trace: string[] = [];
    for (const t of others) t.asyncWait((err) => trace.push(err === null ? `other@${clock.now()}` : 'other aborted'));
    const idle = new SteadyTimer(ctx);
    let aborted = 0;
    const onIdle = (err: unknown): void => {
      if (err === null) trace.push(`idle@${clock.now()}`);
      else aborted++;
    };
    for (let i = 0; i < 10_000; i++) {
      idle.expiresAfter(100 + (i % 7));
      idle.asyncWait(onIdle);
      expect(queue.slots).toBeLessThanOrEqual(2 * queue.size + 1);
    }
    expect(ctx.poll()).toBe(9_999); // the aborted waits, before time moves
    expect(aborted).toBe(9_999);
    ctx.restart();
    const done = ctx.run();
    clock.advance(6000);
    await done;
    expect(trace).toEqual([`idle@${100 + (9_999 % 7)}`, ...others.map((_, i) => `other@${5000 + i}`)]);
    expect(queue.slots).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('a cancelled earliest timer only moves the alarm when it rings, and later timers still fire in order', async () => {
    const clock = new ManualClock();
    const ctx = new IoContext({ clock });
    const order: string[] = [];
    const early = new SteadyTimer(ctx, 10);
    early.asyncWait((err) => order.push(err === null ? 'early' : 'early aborted'));
    const a = new SteadyTimer(ctx, 20);
    const b = new SteadyTimer(ctx, 20);
    b.asyncWait(() => order.push('b'));
    a.asyncWait(() => order.push('a'));
    expect(early.cancel()).toBe(1);
    expect(clock.nextAlarm()).toBe(10);
    const done = ctx.run();
    clock.advance(10);
    expect(order).toEqual(['early aborted']);
    expect(clock.nextAlarm()).toBe(20);
    clock.advance(10);
    await done;
    expect(order).toEqual(['early aborted', 'a', 'b']);
  });
});
