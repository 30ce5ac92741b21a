import { DRAIN_BUDGET, DRAIN_TIME_SLICE, IoContext, TrackingAllocator, post, usePromise } from '../src/index.js';

/** Keeps the CPU busy for `us` microseconds of real time: a handler heavy enough that the time slice, not the handler count, decides. */
function spin(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
}

describe('the drain budget and time slice', () => {
  test('with no time slice, a chain of 10 × DRAIN_BUDGET posts yields to the event loop every DRAIN_BUDGET handlers', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking, drainTimeSlice: 0 });
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
    const ctx = new IoContext({ allocator: tracking, drainTimeSlice: 0 });
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

  test('by default a busy chain yields once its turn has run for DRAIN_TIME_SLICE after the first DRAIN_BUDGET handlers', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const total = 4 * DRAIN_BUDGET;
    let done = 0;
    let seenByImmediate = -1;
    // Each DRAIN_BUDGET handlers take longer than the slice: the time read after the first DRAIN_BUDGET starts it, the next read finds it over.
    const perHandlerUs = (2 * DRAIN_TIME_SLICE * 1000) / DRAIN_BUDGET;
    const step = (): void => {
      spin(perHandlerUs);
      if (++done < total) post(ctx, step);
    };
    setImmediate(() => {
      seenByImmediate = done;
    });
    post(ctx, step);
    expect(await ctx.run()).toBe(total);
    expect(seenByImmediate).toBe(2 * DRAIN_BUDGET);
    expect(tracking.live).toBe(0);
  });

  test('a chain that ends well within its time slice never yields: cheap handlers pay for no event-loop turns', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking, drainTimeSlice: 60_000 });
    const total = 20 * DRAIN_BUDGET;
    let done = 0;
    let seenByImmediate = -1;
    const step = (): void => {
      if (++done < total) post(ctx, step);
    };
    setImmediate(() => {
      seenByImmediate = done;
    });
    post(ctx, step);
    expect(await ctx.run()).toBe(total);
    expect(seenByImmediate).toBe(total);
    expect(tracking.live).toBe(0);
  });

  test('drainTimeSlice must be a finite non-negative number of milliseconds', () => {
    for (const bad of [-1, Number.NaN, Infinity, '1']) {
      expect(() => new IoContext({ drainTimeSlice: bad as number })).toThrow(TypeError);
    }
    expect(() => new IoContext({ drainTimeSlice: 0 })).not.toThrow();
    expect(DRAIN_TIME_SLICE).toBe(0.5);
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
