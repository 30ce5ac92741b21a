import { IoContext, TrackingAllocator, makeWorkGuard, post } from '../src/index.js';

describe('IoContext stop and restart', () => {
  test('stop() from a handler ends run(); queued handlers stay for after restart()', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const order: string[] = [];
    post(ctx, () => {
      order.push('a');
      ctx.stop();
    });
    post(ctx, () => order.push('b'));
    post(ctx, () => order.push('c'));
    expect(await ctx.run()).toBe(1);
    expect(order).toEqual(['a']);
    expect(ctx.stopped()).toBe(true);
    expect(ctx.outstandingWork()).toBe(2);
    expect(tracking.live).toBe(2);

    expect(await ctx.run()).toBe(0);
    expect(ctx.poll()).toBe(0);
    expect(order).toEqual(['a']);

    ctx.restart();
    expect(ctx.stopped()).toBe(false);
    expect(await ctx.run()).toBe(2);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(tracking.live).toBe(0);
  });

  test('stop() from outside ends a run that is waiting on a work guard', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const guard = makeWorkGuard(ctx);
    let calls = 0;
    post(ctx, () => calls++);
    setTimeout(() => { ctx.stop(); }, 1);
    expect(await ctx.run()).toBe(1);
    expect(ctx.stopped()).toBe(true);
    expect(guard.ownsWork()).toBe(true);
    guard.reset();
    ctx.restart();
    expect(await ctx.run()).toBe(0);
    expect(calls).toBe(1);
    expect(tracking.live).toBe(0);
  });

  test('stop() inside poll ends the poll', () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let calls = 0;
    post(ctx, () => {
      calls++;
      ctx.stop();
    });
    post(ctx, () => calls++);
    expect(ctx.poll()).toBe(1);
    expect(calls).toBe(1);
    ctx.restart();
    expect(ctx.poll()).toBe(1);
    expect(calls).toBe(2);
    expect(tracking.live).toBe(0);
  });
});
