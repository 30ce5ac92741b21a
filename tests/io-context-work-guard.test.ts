import { IoContext, TrackingAllocator, WorkGuard, makeWorkGuard, post } from '../src/index.js';

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('makeWorkGuard', () => {
  test('keeps run() alive with nothing queued until reset()', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const guard = makeWorkGuard(ctx);
    expect(guard).toBeInstanceOf(WorkGuard);
    expect(guard.ownsWork()).toBe(true);
    expect(ctx.outstandingWork()).toBe(1);
    let calls = 0;
    post(ctx, () => calls++);
    let settled = false;
    const running = ctx.run().then((n) => {
      settled = true;
      return n;
    });
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(calls).toBe(1);
    expect(settled).toBe(false);
    expect(ctx.stopped()).toBe(false);
    guard.reset();
    expect(guard.ownsWork()).toBe(false);
    expect(await running).toBe(1);
    expect(ctx.stopped()).toBe(true);
    expect(tracking.live).toBe(0);
  });

  test('reset() twice releases the work once', async () => {
    const ctx = new IoContext();
    const a = makeWorkGuard(ctx.getExecutor());
    const b = makeWorkGuard(ctx);
    expect(ctx.outstandingWork()).toBe(2);
    a.reset();
    a.reset();
    expect(ctx.outstandingWork()).toBe(1);
    expect(b.getExecutor()).toBe(ctx.getExecutor());
    b.reset();
    expect(ctx.outstandingWork()).toBe(0);
    expect(await ctx.run()).toBe(0);
  });

  test('reset() from a handler lets run() finish after the queue drains', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const guard = makeWorkGuard(ctx);
    const order: string[] = [];
    post(ctx, () => {
      order.push('reset');
      guard.reset();
      post(ctx, () => order.push('after reset'));
    });
    expect(await ctx.run()).toBe(2);
    expect(order).toEqual(['reset', 'after reset']);
    expect(ctx.outstandingWork()).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('makeWorkGuard rejects what is not a context or an executor', () => {
    expect(() => makeWorkGuard({} as unknown as IoContext)).toThrow(TypeError);
  });
});
