import { DRAIN_BUDGET, IoContext, ManualClock, OpQueue, PostOp, SteadyTimer, TrackingAllocator, makeWorkGuard, type Operation } from '../src/index.js';

/**
 * When the alarm rings, every due wait joins the run queue in one step and
 * one drain runs them: in deadline order, at most DRAIN_BUDGET handlers per
 * pass, the rest after the event loop had its turn (as for posts).
 */

function ops(count: number): PostOp[] {
  const made: PostOp[] = [];
  for (let i = 0; i < count; i++) made.push(new PostOp());
  return made;
}

function drainAll(queue: OpQueue): Operation[] {
  const out: Operation[] = [];
  for (let op = queue.shift(); op !== null; op = queue.shift()) out.push(op);
  return out;
}

const guards: { reset(): void }[] = [];
afterEach(() => {
  // A failed test must not leave its run active (its keep-alive would hold jest open).
  for (const guard of guards.splice(0)) guard.reset();
});

describe('due timers complete in one batch', () => {
  test('OpQueue.append moves every op of the other queue to the back, in order, and empties it', () => {
    const [a, b, c, d, e] = ops(5) as [PostOp, PostOp, PostOp, PostOp, PostOp];
    const target = new OpQueue();
    const other = new OpQueue();
    target.append(other); // both empty: nothing happens
    expect(target.isEmpty()).toBe(true);
    other.push(a);
    other.push(b);
    target.append(other); // into an empty queue
    expect(other.isEmpty()).toBe(true);
    expect(other.length).toBe(0);
    expect(target.length).toBe(2);
    other.push(c);
    other.push(d);
    other.push(e);
    target.append(other); // behind what is there
    target.append(new OpQueue());
    expect(target.length).toBe(5);
    expect(other.front()).toBeNull();
    other.push(new PostOp()); // the emptied queue takes new ops
    expect(other.length).toBe(1);
    expect(drainAll(target)).toEqual([a, b, c, d, e]);
    expect(e.next).toBeNull();
  });

  test('3 x DRAIN_BUDGET waits due at once run in arming order, DRAIN_BUDGET per pass with no time slice, yielding to the event loop between passes', async () => {
    const clock = new ManualClock();
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ clock, allocator: tracking, drainTimeSlice: 0 });
    const guard = makeWorkGuard(ctx);
    guards.push(guard);
    const running = ctx.run();
    const total = 3 * DRAIN_BUDGET;
    const order: number[] = [];
    for (let i = 0; i < total; i++) {
      const timer = new SteadyTimer(ctx);
      timer.expiresAt(100);
      timer.asyncWait((err) => {
        expect(err).toBeNull();
        order.push(i);
      });
    }
    let seenByImmediate = -1;
    setImmediate(() => {
      seenByImmediate = order.length;
    });
    clock.advance(100);
    // The alarm's own callback ran the first pass.
    expect(order.length).toBe(DRAIN_BUDGET);
    await new Promise((resolve) => setImmediate(resolve));
    // The immediate queued before the alarm rang ran right after that pass, not after a second one.
    expect(seenByImmediate).toBe(DRAIN_BUDGET);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual(Array.from({ length: total }, (_, i) => i));
    guard.reset();
    await running;
    expect(tracking.live).toBe(0);
  });

  test('equal deadlines of one batch run in arming order, and a wait a handler of the batch finds due runs after the batch', async () => {
    const clock = new ManualClock();
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ clock, allocator: tracking });
    const trace: string[] = [];
    const late = new SteadyTimer(ctx);
    for (const name of ['c', 'a', 'd', 'b']) {
      const timer = new SteadyTimer(ctx, 10);
      timer.asyncWait(() => {
        trace.push(name);
        if (name === 'a') {
          late.expiresAt(5); // already due: queued behind the rest of this batch
          late.asyncWait(() => trace.push('late'));
        }
      });
    }
    const running = ctx.run();
    clock.advance(50);
    await running;
    expect(trace).toEqual(['c', 'a', 'd', 'b', 'late']);
    expect(tracking.live).toBe(0);
  });

  test('a shutdown from a handler of the batch destroys the rest of it uninvoked', async () => {
    const clock = new ManualClock();
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ clock, allocator: tracking });
    let invoked = 0;
    for (let i = 0; i < 10; i++) {
      const timer = new SteadyTimer(ctx, 10);
      timer.asyncWait(() => {
        invoked++;
        if (invoked === 3) ctx.shutdown();
      });
    }
    const running = ctx.run();
    clock.advance(10);
    await running;
    expect(invoked).toBe(3);
    expect(tracking.live).toBe(0);
  });
});
