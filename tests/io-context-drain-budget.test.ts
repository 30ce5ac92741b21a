import { DRAIN_BUDGET, IoContext, TrackingAllocator, post, usePromise } from '../src/index.js';

describe('the drain budget', () => {
  test('a chain of 10 × DRAIN_BUDGET posts lets an earlier setImmediate run in between', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const total = 10 * DRAIN_BUDGET;
    let done = 0;
    let seenByImmediate = -1;
    let immediates = 0;
    const step = (): void => {
      if (++done < total) post(ctx, step);
    };
    setImmediate(() => {
      seenByImmediate = done;
    });
    const countTurns = (): void => {
      immediates++;
      if (done < total) setImmediate(countTurns);
    };
    setImmediate(countTurns);
    post(ctx, step);
    expect(await ctx.run()).toBe(total);
    expect(done).toBe(total);
    expect(seenByImmediate).toBeGreaterThan(0);
    expect(seenByImmediate).toBeLessThanOrEqual(DRAIN_BUDGET);
    // The chain yielded to the event loop about once per budget.
    expect(immediates).toBeGreaterThanOrEqual(9);
    expect(tracking.live).toBe(0);
  });

  test('handlers queued from outside a drain (an await loop) do not starve setImmediate either', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const total = 10 * DRAIN_BUDGET;
    let done = 0;
    let seenByImmediate = -1;
    const task = (async () => {
      for (let i = 0; i < total; i++) {
        await post(ctx, usePromise);
        done++;
      }
    })();
    setImmediate(() => {
      seenByImmediate = done;
    });
    expect(await ctx.run()).toBe(total);
    await task;
    expect(done).toBe(total);
    expect(seenByImmediate).toBeGreaterThanOrEqual(0);
    expect(seenByImmediate).toBeLessThan(total);
    expect(tracking.live).toBe(0);
  });

  test('an I/O-style completion arriving while run() waits is drained in that same callback', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let ranInsideCallback = false;
    let handlerRan = false;
    const { PostOp } = await import('../src/index.js');
    ctx.workStarted();
    setTimeout(() => {
      const op = tracking.allocate(PostOp).init(() => {
        handlerRan = true;
      }, tracking);
      ctx.completeFromIo(op);
      ranInsideCallback = handlerRan;
    }, 1);
    expect(await ctx.run()).toBe(1);
    expect(ranInsideCallback).toBe(true);
    expect(tracking.live).toBe(0);
  });
});
