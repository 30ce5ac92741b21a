import { IoContext, TrackingAllocator, makeWorkGuard, post } from '../src/index.js';

describe('IoContext.poll and pollOne', () => {
  test('poll runs every ready handler, and the ones they post, synchronously', () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const order: number[] = [];
    post(ctx, () => {
      order.push(1);
      post(ctx, () => {
        order.push(3);
        post(ctx, () => order.push(4));
      });
    });
    post(ctx, () => order.push(2));
    expect(ctx.poll()).toBe(4);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(ctx.stopped()).toBe(true);
    expect(tracking.live).toBe(0);
  });

  test('poll with no work returns 0 and stops', () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    expect(ctx.poll()).toBe(0);
    expect(ctx.stopped()).toBe(true);
    expect(tracking.live).toBe(0);
  });

  test('poll does not wait for outstanding work and does not stop while it remains', () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const guard = makeWorkGuard(ctx);
    let calls = 0;
    post(ctx, () => calls++);
    expect(ctx.poll()).toBe(1);
    expect(ctx.poll()).toBe(0);
    expect(calls).toBe(1);
    expect(ctx.stopped()).toBe(false);
    guard.reset();
    expect(ctx.poll()).toBe(0);
    expect(ctx.stopped()).toBe(true);
    expect(tracking.live).toBe(0);
  });

  test('pollOne runs exactly one handler per call and stops after the last', () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const order: number[] = [];
    post(ctx, () => {
      order.push(1);
      post(ctx, () => order.push(3));
    });
    post(ctx, () => order.push(2));
    expect(ctx.pollOne()).toBe(1);
    expect(order).toEqual([1]);
    expect(ctx.stopped()).toBe(false);
    expect(ctx.pollOne()).toBe(1);
    expect(order).toEqual([1, 2]);
    expect(ctx.pollOne()).toBe(1);
    expect(order).toEqual([1, 2, 3]);
    expect(ctx.stopped()).toBe(true);
    expect(ctx.pollOne()).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('poll from a handler throws already_started and the handler goes on', () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let thrown: unknown = null;
    let nested = 0;
    post(ctx, () => {
      try {
        ctx.poll();
      } catch (error) {
        thrown = error;
      }
    });
    post(ctx, () => nested++);
    expect(ctx.poll()).toBe(2);
    expect(thrown).toMatchObject({ name: 'IoError', code: 'already_started' });
    expect(nested).toBe(1);
    expect(tracking.live).toBe(0);
  });
});
