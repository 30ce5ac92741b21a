import { IoContext, TrackingAllocator, post, usePromise } from '../src/index.js';

describe('IoContext post and run', () => {
  test('posted handlers run in FIFO order inside run(), never before', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const order: number[] = [];
    for (let i = 0; i < 5; i++) post(ctx, () => order.push(i));
    expect(order).toEqual([]);
    const ran = await ctx.run();
    expect(ran).toBe(5);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(ctx.stopped()).toBe(true);
    expect(tracking.live).toBe(0);
  });

  test('await post(ctx, usePromise) resumes from the run loop', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let resumed = 0;
    const task = (async () => {
      for (let i = 0; i < 3; i++) {
        await post(ctx, usePromise);
        resumed++;
      }
    })();
    const ran = await ctx.run();
    await task;
    expect(ran).toBe(3);
    expect(resumed).toBe(3);
    expect(tracking.live).toBe(0);
  });
});
