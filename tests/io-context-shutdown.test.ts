import { IoContext, PostOp, TrackingAllocator, post, type Allocator, type IoService } from '../src/index.js';

/** A minimal I/O object: one pending operation that completes only when told to. */
class PendingService implements IoService {
  op: PostOp | null;
  readonly #ctx: IoContext;

  constructor(ctx: IoContext, allocator: Allocator, handler: () => void) {
    this.#ctx = ctx;
    this.op = allocator.allocate(PostOp).init(handler, allocator);
    ctx.workStarted();
    ctx.addService(this);
  }

  complete(): void {
    const op = this.op!;
    this.op = null;
    this.#ctx.completeFromIo(op);
  }

  shutdown(): void {
    const op = this.op;
    this.op = null;
    op?.destroy();
  }
}

describe('IoContext.shutdown', () => {
  test('destroys queued and pending operations without invoking them and frees their memory', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let invoked = 0;
    post(ctx, () => invoked++);
    post(ctx, () => invoked++);
    const service = new PendingService(ctx, tracking, () => invoked++);
    expect(tracking.live).toBe(3);
    expect(ctx.outstandingWork()).toBe(3);

    ctx.shutdown();
    expect(invoked).toBe(0);
    expect(service.op).toBeNull();
    expect(tracking.live).toBe(0);
    expect(tracking.deallocations).toBe(3);
    expect(ctx.outstandingWork()).toBe(0);
    expect(ctx.stopped()).toBe(true);
    expect(ctx.isShutDown()).toBe(true);

    expect(await ctx.run()).toBe(0);
    expect(ctx.poll()).toBe(0);
    expect(invoked).toBe(0);
  });

  test('a pending operation that completes normally is invoked once (the service is real)', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let invoked = 0;
    const service = new PendingService(ctx, tracking, () => invoked++);
    setTimeout(() => { service.complete(); }, 1);
    expect(await ctx.run()).toBe(1);
    expect(invoked).toBe(1);
    expect(tracking.live).toBe(0);
    ctx.removeService(service);
  });

  test('shutdown during a run resolves it; later posts are destroyed at once', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let invoked = 0;
    new PendingService(ctx, tracking, () => invoked++);
    const running = ctx.run();
    setTimeout(() => { ctx.shutdown(); }, 1);
    expect(await running).toBe(0);
    post(ctx, () => invoked++);
    expect(tracking.live).toBe(0);
    ctx.restart();
    expect(ctx.stopped()).toBe(true);
    expect(await ctx.run()).toBe(0);
    expect(invoked).toBe(0);
    expect(ctx.outstandingWork()).toBe(0);
  });

  test('shutdown from inside a handler destroys the rest and leaves no work counted', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const order: string[] = [];
    new PendingService(ctx, tracking, () => order.push('pending'));
    post(ctx, () => {
      order.push('first');
      ctx.shutdown();
      post(ctx, () => order.push('posted after shutdown'));
    });
    post(ctx, () => order.push('second'));
    expect(await ctx.run()).toBe(1);
    expect(order).toEqual(['first']);
    expect(ctx.outstandingWork()).toBe(0);
    expect(ctx.stopped()).toBe(true);
    expect(tracking.live).toBe(0);
  });

  test('shutdown from inside poll leaves no work counted', () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let calls = 0;
    post(ctx, () => {
      calls++;
      ctx.shutdown();
    });
    post(ctx, () => calls++);
    expect(ctx.poll()).toBe(1);
    expect(calls).toBe(1);
    expect(ctx.outstandingWork()).toBe(0);
    expect(tracking.live).toBe(0);
  });
});
