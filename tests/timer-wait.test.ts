import { CancellationSignal, CancellationType, IoContext, IoError, ManualClock, SteadyTimer, TrackingAllocator, bindAllocator, bindCancellationSlot, HandlerAllocator, post, usePromise } from '../src/index.js';

function manualContext(log = false): { clock: ManualClock; ctx: IoContext; tracking: TrackingAllocator } {
  const clock = new ManualClock();
  const tracking = new TrackingAllocator(undefined, { log });
  const ctx = new IoContext({ clock, allocator: tracking });
  return { clock, ctx, tracking };
}

describe('SteadyTimer waits', () => {
  test('a wait completes at its expiry, and run() does not return before it fires (manual clock)', async () => {
    const { clock, ctx, tracking } = manualContext();
    const timer = new SteadyTimer(ctx);
    timer.expiresAfter(1000);
    const fired: number[] = [];
    timer.asyncWait((err) => {
      expect(err).toBeNull();
      fired.push(clock.now());
    });
    let resolved = false;
    const done = ctx.run().then((n) => {
      resolved = true;
      return n;
    });
    clock.advance(999);
    await new Promise((r) => setImmediate(r));
    expect(fired).toEqual([]);
    expect(resolved).toBe(false);
    clock.advance(1);
    expect(fired).toEqual([1000]);
    expect(await done).toBe(1);
    expect(tracking.live).toBe(0);
  });

  test('a wait on the real clock fires after its delay and keeps run() alive', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const timer = new SteadyTimer(ctx);
    const start = performance.now();
    timer.expiresAfter(30);
    let firedAt = -1;
    timer.asyncWait((err) => {
      expect(err).toBeNull();
      firedAt = performance.now();
    });
    expect(await ctx.run()).toBe(1);
    expect(firedAt - start).toBeGreaterThanOrEqual(29);
    expect(timer.expiry()).toBeLessThanOrEqual(firedAt);
    expect(tracking.live).toBe(0);
  });

  test('equal deadlines fire in the order the expiries were set, waits on one timer in wait order', async () => {
    const { clock, ctx, tracking } = manualContext();
    const a = new SteadyTimer(ctx);
    const b = new SteadyTimer(ctx);
    const c = new SteadyTimer(ctx);
    a.expiresAt(100);
    b.expiresAt(100);
    c.expiresAt(100);
    const order: string[] = [];
    c.asyncWait(() => order.push('c'));
    b.asyncWait(() => order.push('b1'));
    a.asyncWait(() => order.push('a'));
    b.asyncWait(() => order.push('b2'));
    const early = new SteadyTimer(ctx, 50);
    early.asyncWait(() => order.push('early'));
    const done = ctx.run();
    clock.advance(100);
    await done;
    expect(order).toEqual(['early', 'a', 'b1', 'b2', 'c']);
    expect(tracking.live).toBe(0);
  });

  test('a wait started after the newest one was aborted through its slot still completes after the older waits', async () => {
    const { clock, ctx, tracking } = manualContext();
    const timer = new SteadyTimer(ctx, 100);
    const order: string[] = [];
    const signal = new CancellationSignal();
    timer.asyncWait(() => order.push('first'));
    timer.asyncWait(() => order.push('second'));
    timer.asyncWait(bindCancellationSlot(signal.slot(), (err: IoError | null) => order.push(`third:${err?.code ?? 'fired'}`)));
    signal.emit(CancellationType.terminal); // the newest wait goes; the list must end at 'second' again
    timer.asyncWait(() => order.push('fourth'));
    timer.cancelOne(); // the oldest, 'first'
    timer.asyncWait(() => order.push('fifth'));
    const done = ctx.run();
    clock.advance(100);
    await done;
    expect(order).toEqual(['third:operation_aborted', 'first', 'second', 'fourth', 'fifth']);
    expect(tracking.live).toBe(0);
  });

  test('handlers of timers due together run before what they post (one batch, as asio)', async () => {
    const { clock, ctx, tracking } = manualContext();
    const order: string[] = [];
    for (const name of ['t1', 't2']) {
      const t = new SteadyTimer(ctx, 10);
      t.asyncWait(() => {
        order.push(name);
        post(ctx, () => order.push(`${name}-posted`));
      });
    }
    const done = ctx.run();
    clock.advance(10);
    await done;
    expect(order).toEqual(['t1', 't2', 't1-posted', 't2-posted']);
    expect(tracking.live).toBe(0);
  });

  test('cancelOne aborts the oldest wait first and keeps the expiry', async () => {
    const { clock, ctx, tracking } = manualContext();
    const timer = new SteadyTimer(ctx, 100);
    const results: string[] = [];
    for (const name of ['w1', 'w2', 'w3']) timer.asyncWait((err) => results.push(`${name}:${err?.code ?? 'ok'}`));
    expect(timer.cancelOne()).toBe(1);
    expect(results).toEqual([]); // queued, never inside cancelOne
    expect(timer.expiry()).toBe(100);
    const done = ctx.run();
    await new Promise((r) => setImmediate(r));
    expect(results).toEqual(['w1:operation_aborted']);
    clock.advance(100);
    await done;
    expect(results).toEqual(['w1:operation_aborted', 'w2:ok', 'w3:ok']);
    expect(timer.cancelOne()).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('cancel aborts every pending wait, returns the count and keeps the expiry', () => {
    const { ctx, tracking } = manualContext();
    const timer = new SteadyTimer(ctx, 500);
    const errors: (IoError | null)[] = [];
    timer.asyncWait((err) => errors.push(err));
    timer.asyncWait((err) => errors.push(err));
    expect(timer.cancel()).toBe(2);
    expect(errors).toEqual([]);
    expect(timer.expiry()).toBe(500);
    expect(ctx.poll()).toBe(2);
    expect(errors.map((e) => e?.code)).toEqual(['operation_aborted', 'operation_aborted']);
    expect(errors[0]).toBeInstanceOf(IoError);
    expect(timer.cancel()).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('expiresAfter and expiresAt cancel pending waits and return how many', () => {
    const { clock, ctx, tracking } = manualContext();
    const timer = new SteadyTimer(ctx);
    expect(timer.expiresAfter(100)).toBe(0);
    const codes: string[] = [];
    timer.asyncWait((err) => codes.push(err?.code ?? 'ok'));
    timer.asyncWait((err) => codes.push(err?.code ?? 'ok'));
    expect(timer.expiresAfter(200)).toBe(2);
    expect(timer.expiry()).toBe(200);
    timer.asyncWait((err) => codes.push(err?.code ?? 'ok'));
    expect(timer.expiresAt(300)).toBe(1);
    expect(timer.expiry()).toBe(300);
    expect(ctx.poll()).toBe(3);
    expect(codes).toEqual(['operation_aborted', 'operation_aborted', 'operation_aborted']);
    timer.asyncWait((err) => codes.push(err?.code ?? 'ok'));
    clock.advance(300);
    ctx.restart();
    expect(ctx.poll()).toBe(1);
    expect(codes[3]).toBe('ok');
    expect(tracking.live).toBe(0);
  });

  test('re-arming inside the handler makes a periodic timer with no drift', async () => {
    const { clock, ctx, tracking } = manualContext();
    const timer = new SteadyTimer(ctx);
    const ticks: number[] = [];
    const onTick = (err: IoError | null): void => {
      expect(err).toBeNull();
      ticks.push(clock.now());
      if (ticks.length === 5) return;
      timer.expiresAt(timer.expiry() + 100);
      timer.asyncWait(onTick);
    };
    timer.expiresAfter(100);
    timer.asyncWait(onTick);
    const done = ctx.run();
    clock.advance(1000);
    expect(await done).toBe(5);
    expect(ticks).toEqual([100, 200, 300, 400, 500]);
    expect(tracking.live).toBe(0);
  });

  test('a wait on an expired timer never completes inside asyncWait, even from a handler', async () => {
    const { ctx, tracking } = manualContext();
    const timer = new SteadyTimer(ctx); // expires now
    let completed = 0;
    timer.asyncWait(() => completed++);
    expect(completed).toBe(0);
    let insideHandler = -1;
    post(ctx, () => {
      timer.asyncWait(() => completed++);
      insideHandler = completed;
    });
    expect(await ctx.run()).toBe(3);
    expect(insideHandler).toBe(1);
    expect(completed).toBe(2);
    expect(tracking.live).toBe(0);
  });

  test('a wait on an expired timer completes on the next poll', () => {
    const { clock, ctx, tracking } = manualContext();
    clock.advance(50);
    const timer = new SteadyTimer(ctx, 10);
    let completed = 0;
    timer.asyncWait((err) => {
      expect(err).toBeNull();
      completed++;
    });
    expect(completed).toBe(0);
    expect(ctx.poll()).toBe(1);
    expect(completed).toBe(1);
    expect(tracking.live).toBe(0);
  });

  test('the wait op is freed before its handler is invoked', async () => {
    const { clock, ctx, tracking } = manualContext(true);
    const timer = new SteadyTimer(ctx, 10);
    timer.asyncWait(() => { tracking.record('invoke:wait'); });
    const done = ctx.run();
    clock.advance(10);
    await done;
    expect(tracking.events).toEqual(['allocate:WaitOp', 'deallocate:WaitOp', 'invoke:wait']);
    expect(tracking.live).toBe(0);
  });

  test('an aborted wait op is freed before its handler is invoked too', () => {
    const { ctx, tracking } = manualContext(true);
    const timer = new SteadyTimer(ctx, 10);
    timer.asyncWait((err) => { tracking.record(`invoke:${err?.code ?? 'ok'}`); });
    timer.cancel();
    ctx.poll();
    expect(tracking.events).toEqual(['allocate:WaitOp', 'deallocate:WaitOp', 'invoke:operation_aborted']);
  });

  test('a re-arming chain bound to a HandlerAllocator reuses one WaitOp', async () => {
    const { clock, ctx, tracking } = manualContext();
    const memory = new HandlerAllocator();
    const timer = new SteadyTimer(ctx, 1);
    let n = 0;
    const onTick = bindAllocator(memory, () => {
      if (++n === 100) return;
      timer.expiresAt(timer.expiry() + 1);
      timer.asyncWait(onTick);
    });
    timer.asyncWait(onTick);
    const done = ctx.run();
    clock.advance(100);
    await done;
    expect(n).toBe(100);
    const stats = memory.stats();
    expect(stats.live).toBe(0);
    expect(stats.fallbacks).toBe(1);
    expect(stats.hits).toBe(99);
    expect(tracking.live).toBe(0);
  });

  test('asyncWait with usePromise resolves at expiry and rejects when cancelled', async () => {
    const { clock, ctx, tracking } = manualContext();
    const timer = new SteadyTimer(ctx, 20);
    const other = new SteadyTimer(ctx, 1000);
    const waited = timer.asyncWait(usePromise);
    const cancelled = other.asyncWait(usePromise);
    const done = ctx.run();
    other.cancel();
    clock.advance(20);
    await expect(waited).resolves.toBeUndefined();
    await expect(cancelled).rejects.toMatchObject({ code: 'operation_aborted' });
    await done;
    expect(tracking.live).toBe(0);
  });

  test('shutdown destroys pending waits without invoking them', () => {
    const { ctx, tracking } = manualContext();
    const timers = [new SteadyTimer(ctx, 100), new SteadyTimer(ctx, 200)];
    let invoked = 0;
    for (const t of timers) t.asyncWait(() => invoked++);
    expect(tracking.live).toBe(2);
    ctx.shutdown();
    expect(invoked).toBe(0);
    expect(tracking.live).toBe(0);
    timers[0]!.asyncWait(() => invoked++);
    expect(invoked).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('bad arguments are TypeErrors', () => {
    const { ctx } = manualContext();
    expect(() => new SteadyTimer(Object.create(null) as IoContext)).toThrow(TypeError);
    const timer = new SteadyTimer(ctx);
    expect(() => timer.expiresAfter(Number.NaN)).toThrow(TypeError);
    expect(() => timer.expiresAt('soon' as unknown as number)).toThrow(TypeError);
    expect(() => { timer.asyncWait(42 as unknown as () => void); }).toThrow(TypeError);
  });
});
