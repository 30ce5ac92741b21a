import { IoContext, TrackingAllocator, post } from '../src/index.js';

describe('IoContext handler exceptions', () => {
  test('a throwing handler rejects run(); the next run() goes on without restart()', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const boom = new Error('boom');
    const order: string[] = [];
    post(ctx, () => order.push('a'));
    post(ctx, () => {
      order.push('b');
      throw boom;
    });
    post(ctx, () => order.push('c'));
    post(ctx, () => order.push('d'));
    await expect(ctx.run()).rejects.toBe(boom);
    expect(order).toEqual(['a', 'b']);
    expect(ctx.stopped()).toBe(false);
    expect(ctx.outstandingWork()).toBe(2);
    expect(await ctx.run()).toBe(2);
    expect(order).toEqual(['a', 'b', 'c', 'd']);
    expect(ctx.stopped()).toBe(true);
    expect(tracking.live).toBe(0);
  });

  test('a throwing last handler rejects run() and leaves no work counted', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    post(ctx, () => {
      throw new RangeError('last');
    });
    await expect(ctx.run()).rejects.toThrow(RangeError);
    expect(ctx.outstandingWork()).toBe(0);
    expect(await ctx.run()).toBe(0);
    expect(ctx.stopped()).toBe(true);
    expect(tracking.live).toBe(0);
  });

  test('an exception from a handler propagates out of poll(); the next poll goes on', () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let calls = 0;
    post(ctx, () => {
      throw new Error('poll boom');
    });
    post(ctx, () => calls++);
    expect(() => ctx.poll()).toThrow('poll boom');
    expect(calls).toBe(0);
    expect(ctx.outstandingWork()).toBe(1);
    expect(ctx.poll()).toBe(1);
    expect(calls).toBe(1);
    expect(tracking.live).toBe(0);
  });

  test('a throwing handler in a later drain pass (after a yield) still rejects run()', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let calls = 0;
    const step = (): void => {
      calls++;
      if (calls === 5000) throw new Error('deep');
      post(ctx, step);
    };
    post(ctx, step);
    await expect(ctx.run()).rejects.toThrow('deep');
    expect(calls).toBe(5000);
    expect(ctx.outstandingWork()).toBe(0);
    expect(tracking.live).toBe(0);
  });
});
