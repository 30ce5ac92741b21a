import { IoContext, TrackingAllocator, makeWorkGuard, post } from '../src/index.js';

describe('IoContext.runFor and runUntil', () => {
  test('runFor runs ready handlers and returns after the time with work still pending', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const guard = makeWorkGuard(ctx);
    let calls = 0;
    post(ctx, () => calls++);
    post(ctx, () => calls++);
    expect(await ctx.runFor(50)).toBe(2);
    expect(calls).toBe(2);
    expect(ctx.stopped()).toBe(false);
    expect(ctx.outstandingWork()).toBe(1);
    post(ctx, () => calls++);
    expect(await ctx.runFor(50)).toBe(1);
    expect(calls).toBe(3);
    guard.reset();
    expect(await ctx.run()).toBe(0);
    expect(ctx.stopped()).toBe(true);
    expect(tracking.live).toBe(0);
  });

  test('runFor resolves early when the work runs out', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let calls = 0;
    post(ctx, () => calls++);
    expect(await ctx.runFor(60_000)).toBe(1);
    expect(ctx.stopped()).toBe(true);
    expect(tracking.live).toBe(0);
  });

  test('runUntil returns at the deadline with work pending; a past deadline runs nothing', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const guard = makeWorkGuard(ctx);
    let calls = 0;
    post(ctx, () => calls++);
    expect(await ctx.runUntil(ctx.clock.now() + 50)).toBe(1);
    expect(ctx.stopped()).toBe(false);
    post(ctx, () => calls++);
    expect(await ctx.runUntil(ctx.clock.now() - 1)).toBe(0);
    expect(calls).toBe(1);
    expect(ctx.outstandingWork()).toBe(2);
    guard.reset();
    expect(await ctx.run()).toBe(1);
    expect(calls).toBe(2);
    expect(tracking.live).toBe(0);
  });

  test('bad durations throw TypeError', () => {
    const ctx = new IoContext();
    expect(() => ctx.runFor(-1)).toThrow(TypeError);
    expect(() => ctx.runFor(Number.NaN)).toThrow(TypeError);
    expect(() => ctx.runUntil('soon' as unknown as number)).toThrow(TypeError);
  });
});
