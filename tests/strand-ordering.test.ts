import { IoContext, IoError, ManualClock, SteadyTimer, Strand, TrackingAllocator, bindAllocator, bindExecutor, HandlerAllocator, defer, dispatch, post } from '../src/index.js';

describe('Strand', () => {
  test('posted handlers run one at a time in FIFO order, never inside post', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const strand = new Strand(ctx);
    const order: number[] = [];
    for (let i = 0; i < 5; i++) post(strand, () => order.push(i));
    expect(order).toEqual([]);
    await ctx.run();
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(tracking.live).toBe(0);
  });

  test('two strands interleave with each other but each keeps its own order', async () => {
    const ctx = new IoContext();
    const a = new Strand(ctx);
    const b = new Strand(ctx);
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      post(a, () => order.push(`a${i}`));
      post(b, () => order.push(`b${i}`));
    }
    await ctx.run();
    expect(order.filter((x) => x.startsWith('a'))).toEqual(['a0', 'a1', 'a2']);
    expect(order.filter((x) => x.startsWith('b'))).toEqual(['b0', 'b1', 'b2']);
  });

  test('nested dispatch inside a strand handler runs inline; post from inside queues behind', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const strand = new Strand(ctx);
    const order: string[] = [];
    post(strand, () => {
      order.push('outer-start');
      expect(strand.runningInThisThread()).toBe(true);
      post(strand, () => order.push('posted'));
      dispatch(strand, () => {
        order.push('dispatched');
        dispatch(strand, () => order.push('nested-dispatched'));
      });
      order.push('outer-end');
    });
    post(strand, () => order.push('second'));
    await ctx.run();
    expect(order).toEqual(['outer-start', 'dispatched', 'nested-dispatched', 'outer-end', 'second', 'posted']);
    expect(strand.runningInThisThread()).toBe(false);
    expect(tracking.live).toBe(0);
  });

  test('dispatch to an idle strand from a context handler runs inline; to a busy one it queues', async () => {
    const ctx = new IoContext();
    const strand = new Strand(ctx);
    const order: string[] = [];
    post(ctx, () => {
      dispatch(strand, () => {
        order.push('inline');
        expect(strand.runningInThisThread()).toBe(true);
      });
      order.push('after-inline');
      post(strand, () => order.push('queued-first'));
      dispatch(strand, () => order.push('queued-second')); // strand now busy: queues
      order.push('after-dispatch');
    });
    await ctx.run();
    expect(order).toEqual(['inline', 'after-inline', 'after-dispatch', 'queued-first', 'queued-second']);
  });

  test('dispatch from outside any handler queues', async () => {
    const ctx = new IoContext();
    const strand = new Strand(ctx);
    let ran = false;
    strand.dispatch(() => {
      ran = true;
    });
    expect(ran).toBe(false);
    await ctx.run();
    expect(ran).toBe(true);
  });

  test('defer queues like post; free functions accept a strand', async () => {
    const ctx = new IoContext();
    const strand = new Strand(ctx);
    const order: string[] = [];
    post(strand, () => {
      defer(strand, () => order.push('deferred'));
      order.push('first');
    });
    await ctx.run();
    expect(order).toEqual(['first', 'deferred']);
  });

  test('queued handlers are PostOps from the handler allocator', async () => {
    const tracking = new TrackingAllocator(undefined, { log: true });
    const ctx = new IoContext();
    const strand = new Strand(ctx);
    post(strand, bindAllocator(tracking, () => { tracking.record('invoke'); }));
    await ctx.run();
    expect(tracking.events).toEqual(['allocate:PostOp', 'deallocate:PostOp', 'invoke']);
    expect(tracking.live).toBe(0);
  });

  test('bindExecutor makes a timer completion run inside the strand, after the strand is free', async () => {
    const clock = new ManualClock();
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ clock, allocator: tracking });
    const strand = new Strand(ctx);
    const order: string[] = [];
    const busy = new SteadyTimer(ctx, 10);
    busy.asyncWait(() => {
      // Due first (its expiry was set first): occupies the strand, so the
      // bound completion below must queue behind this handler's post.
      post(strand, () => order.push('strand-work'));
    });
    const timer = new SteadyTimer(ctx, 10);
    timer.asyncWait(
      bindExecutor(strand, (err: IoError | null) => {
        expect(err).toBeNull();
        expect(strand.runningInThisThread()).toBe(true);
        order.push('timer');
      }),
    );
    const idle = new SteadyTimer(ctx, 20);
    idle.asyncWait(
      bindExecutor(strand, () => {
        // The strand is idle now: dispatched inline from the timer completion.
        order.push(`inline:${String(strand.runningInThisThread())}`);
      }),
    );
    const done = ctx.run();
    clock.advance(20);
    await done;
    expect(order).toEqual(['strand-work', 'timer', 'inline:true']);
    expect(tracking.live).toBe(0);
  });

  test('bindExecutor carries the handler allocator over to the queued call', async () => {
    const ctx = new IoContext();
    const strand = new Strand(ctx);
    const memory = new HandlerAllocator();
    const bound = bindExecutor(strand, bindAllocator(memory, (x: number) => seen.push(x)));
    const seen: number[] = [];
    bound(1); // called from outside a handler: queued on the strand
    expect(seen).toEqual([]);
    await ctx.run();
    expect(seen).toEqual([1]);
    expect(memory.stats().allocations).toBe(1);
  });

  test('a strand dropped with queued handlers still runs them, and shutdown frees them unrun', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let ran = 0;
    ((): void => {
      const strand = new Strand(ctx);
      for (let i = 0; i < 3; i++) post(strand, () => ran++);
    })();
    (globalThis as { gc?: () => void }).gc?.();
    await ctx.run();
    expect(ran).toBe(3);

    const ctx2 = new IoContext({ allocator: tracking });
    ((): void => {
      const strand = new Strand(ctx2);
      for (let i = 0; i < 3; i++) post(strand, () => ran++);
    })();
    expect(tracking.live).toBe(4); // three queued handlers and the strand's invoker
    ctx2.shutdown();
    expect(ran).toBe(3);
    expect(tracking.live).toBe(0);
  });

  test('a throwing strand handler rejects run(); the strand continues on the next run', async () => {
    const ctx = new IoContext();
    const strand = new Strand(ctx);
    const order: string[] = [];
    post(strand, () => {
      throw new Error('boom');
    });
    post(strand, () => order.push('after'));
    await expect(ctx.run()).rejects.toThrow('boom');
    ctx.restart();
    await ctx.run();
    expect(order).toEqual(['after']);
    expect(strand.runningInThisThread()).toBe(false);
  });
});
