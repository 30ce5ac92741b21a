import { IoContext, TrackingAllocator, asTuple, bindAllocator, dispatch, post, usePromise } from '../src/index.js';

describe('free before invoke', () => {
  test('PostOp returns its memory before the handler is invoked', async () => {
    const tracking = new TrackingAllocator(undefined, { log: true });
    const ctx = new IoContext({ allocator: tracking });
    post(ctx, () => {
      tracking.record('invoke');
      expect(tracking.live).toBe(0);
    });
    expect(await ctx.run()).toBe(1);
    expect(tracking.events).toEqual(['allocate:PostOp', 'deallocate:PostOp', 'invoke']);
    expect(tracking.live).toBe(0);
  });

  test('a queued dispatch and a defer free before invoking too', async () => {
    const tracking = new TrackingAllocator(undefined, { log: true });
    const ctx = new IoContext();
    dispatch(ctx, bindAllocator(tracking, () => { tracking.record('invoke:dispatch'); }));
    expect(await ctx.run()).toBe(1);
    expect(tracking.events).toEqual(['allocate:PostOp', 'deallocate:PostOp', 'invoke:dispatch']);
    expect(tracking.live).toBe(0);
  });

  test('a chain reuses the memory its own op just freed', async () => {
    const tracking = new TrackingAllocator(undefined, { log: true });
    const ctx = new IoContext({ allocator: tracking });
    let left = 2;
    const step = (): void => {
      tracking.record('invoke');
      if (--left > 0) post(ctx, step);
    };
    post(ctx, step);
    expect(await ctx.run()).toBe(2);
    expect(tracking.events).toEqual([
      'allocate:PostOp',
      'deallocate:PostOp',
      'invoke',
      'allocate:PostOp',
      'deallocate:PostOp',
      'invoke',
    ]);
    expect(tracking.live).toBe(0);
  });

  test('the promise paths release the op before the awaiting code resumes', async () => {
    const tracking = new TrackingAllocator(undefined, { log: true });
    const ctx = new IoContext({ allocator: tracking });
    const task = (async () => {
      await post(ctx, usePromise);
      tracking.record('resume:promise');
      const [err] = await post(ctx, asTuple(usePromise));
      tracking.record(`resume:tuple:${String(err)}`);
    })();
    expect(await ctx.run()).toBe(2);
    await task;
    expect(tracking.events).toEqual([
      'allocate:PostOp',
      'deallocate:PostOp',
      'resume:promise',
      'allocate:PostOp',
      'deallocate:PostOp',
      'resume:tuple:null',
    ]);
    expect(tracking.live).toBe(0);
  });
});
