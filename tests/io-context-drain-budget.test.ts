import { DRAIN_BUDGET, DRAIN_TIME_SLICE, IoContext, TrackingAllocator, post, usePromise, type IoContextOptions } from '../src/index.js';

/** Keeps the CPU busy for `us` microseconds of real time: a handler heavy enough that the time slice, not the handler count, decides. */
function spin(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
}

/**
 * Runs a chain of `total` posts, each calling `work` first, on a new context
 * made with `options`. Reports what a `setImmediate` queued before the chain
 * saw (how many handlers had run), how many event-loop turns went by while
 * the chain ran, and the live operations at the end.
 */
async function runChain(options: IoContextOptions, total: number, work: () => void = () => undefined): Promise<{ ran: number; done: number; seenByImmediate: number; turns: number; live: number }> {
  const tracking = new TrackingAllocator();
  const ctx = new IoContext({ ...options, allocator: tracking });
  let done = 0;
  let seenByImmediate = -1;
  let turns = 0;
  const step = (): void => {
    work();
    if (++done < total) post(ctx, step);
  };
  setImmediate(() => {
    seenByImmediate = done;
  });
  const countTurns = (): void => {
    turns++;
    if (done < total) setImmediate(countTurns);
  };
  setImmediate(countTurns);
  post(ctx, step);
  const ran = await ctx.run();
  return { ran, done, seenByImmediate, turns, live: tracking.live };
}

describe('the drain budget and time slice', () => {
  test('with no time slice, a chain of 10 × DRAIN_BUDGET posts yields to the event loop every DRAIN_BUDGET handlers', async () => {
    const total = 10 * DRAIN_BUDGET;
    const r = await runChain({ drainTimeSlice: 0 }, total);
    expect(r.ran).toBe(total);
    expect(r.done).toBe(total);
    expect(r.seenByImmediate).toBeGreaterThan(0);
    expect(r.seenByImmediate).toBeLessThanOrEqual(DRAIN_BUDGET);
    // The chain yielded to the event loop about once per budget.
    expect(r.turns).toBeGreaterThanOrEqual(9);
    expect(r.live).toBe(0);
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
    const total = 4 * DRAIN_BUDGET;
    // Each DRAIN_BUDGET handlers take longer than the slice: the time read after the first DRAIN_BUDGET starts it, the next read finds it over.
    const perHandlerUs = (2 * DRAIN_TIME_SLICE * 1000) / DRAIN_BUDGET;
    const r = await runChain({}, total, () => {
      spin(perHandlerUs);
    });
    expect(r.ran).toBe(total);
    expect(r.seenByImmediate).toBe(2 * DRAIN_BUDGET);
    expect(r.live).toBe(0);
  });

  test('a chain that ends well within its time slice never yields: cheap handlers pay for no event-loop turns', async () => {
    const total = 20 * DRAIN_BUDGET;
    const r = await runChain({ drainTimeSlice: 60_000 }, total);
    expect(r.ran).toBe(total);
    expect(r.seenByImmediate).toBe(total);
    expect(r.live).toBe(0);
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
