import { IoContext, TrackingAllocator, makeWorkGuard, post } from '../src/index.js';

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('IoContext.run', () => {
  test('run with no work resolves 0 and stops the context', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    expect(ctx.stopped()).toBe(false);
    expect(await ctx.run()).toBe(0);
    expect(ctx.stopped()).toBe(true);
    expect(ctx.outstandingWork()).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('nothing runs before run() is called, however many turns pass', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let calls = 0;
    post(ctx, () => calls++);
    post(ctx, () => calls++);
    await nextTurn();
    await new Promise((resolve) => setTimeout(resolve, 1));
    await nextTurn();
    expect(calls).toBe(0);
    expect(ctx.outstandingWork()).toBe(2);
    expect(tracking.live).toBe(2);
    expect(await ctx.run()).toBe(2);
    expect(calls).toBe(2);
    expect(tracking.live).toBe(0);
  });

  test('posts run in FIFO order, including posts made by handlers', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const order: string[] = [];
    post(ctx, () => {
      order.push('a');
      post(ctx, () => order.push('a1'));
      post(ctx, () => order.push('a2'));
    });
    post(ctx, () => {
      order.push('b');
      post(ctx, () => order.push('b1'));
    });
    post(ctx, () => order.push('c'));
    expect(await ctx.run()).toBe(6);
    expect(order).toEqual(['a', 'b', 'c', 'a1', 'a2', 'b1']);
    expect(ctx.stopped()).toBe(true);
    expect(tracking.live).toBe(0);
  });

  test('run resolves only when the last handler, posted late from outside, has run', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const guard = makeWorkGuard(ctx);
    let calls = 0;
    setTimeout(() => {
      post(ctx, () => calls++);
      guard.reset();
    }, 1);
    expect(await ctx.run()).toBe(1);
    expect(calls).toBe(1);
    expect(ctx.stopped()).toBe(true);
    expect(tracking.live).toBe(0);
  });

  test('a stopped context resolves run() with 0 without running queued handlers', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let calls = 0;
    ctx.stop();
    post(ctx, () => calls++);
    expect(await ctx.run()).toBe(0);
    expect(calls).toBe(0);
    ctx.restart();
    expect(await ctx.run()).toBe(1);
    expect(calls).toBe(1);
    expect(tracking.live).toBe(0);
  });

  test('run while a run is active rejects with IoError already_started', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const guard = makeWorkGuard(ctx);
    const first = ctx.run();
    await expect(ctx.run()).rejects.toMatchObject({ name: 'IoError', code: 'already_started' });
    await expect(ctx.runOne()).rejects.toMatchObject({ code: 'already_started' });
    expect(() => { ctx.restart(); }).toThrow(expect.objectContaining({ code: 'already_started' }) as Error);
    guard.reset();
    expect(await first).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('run called from a handler rejects with already_started and the outer run goes on', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const inner: Promise<unknown>[] = [];
    let after = 0;
    post(ctx, () => {
      const nested = ctx.run().then(
        () => null,
        (error: unknown) => error,
      );
      inner.push(nested);
      post(ctx, () => after++);
    });
    expect(await ctx.run()).toBe(2);
    expect(after).toBe(1);
    expect(inner).toHaveLength(1);
    expect(await inner[0]).toMatchObject({ name: 'IoError', code: 'already_started' });
    expect(tracking.live).toBe(0);
  });
});
