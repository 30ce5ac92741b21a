import { IoContext, TrackingAllocator, makeWorkGuard, post } from '../src/index.js';

describe('IoContext.runOne', () => {
  test('runs one handler per call and stops the context when it ran the last work', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const order: number[] = [];
    post(ctx, () => order.push(1));
    post(ctx, () => order.push(2));
    expect(await ctx.runOne()).toBe(1);
    expect(order).toEqual([1]);
    expect(ctx.stopped()).toBe(false);
    expect(await ctx.runOne()).toBe(1);
    expect(order).toEqual([1, 2]);
    expect(ctx.stopped()).toBe(true);
    expect(await ctx.runOne()).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('waits for a handler when none is ready, and leaves the guarded context running', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const guard = makeWorkGuard(ctx);
    let calls = 0;
    setTimeout(() => { post(ctx, () => calls++); }, 1);
    expect(await ctx.runOne()).toBe(1);
    expect(calls).toBe(1);
    expect(ctx.stopped()).toBe(false);
    guard.reset();
    expect(await ctx.run()).toBe(0);
    expect(ctx.stopped()).toBe(true);
    expect(tracking.live).toBe(0);
  });

  test('with no work resolves 0 and stops', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    expect(await ctx.runOne()).toBe(0);
    expect(ctx.stopped()).toBe(true);
    expect(tracking.live).toBe(0);
  });
});
