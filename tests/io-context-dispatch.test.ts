import { IoContext, TrackingAllocator, defer, dispatch, post } from '../src/index.js';

describe('dispatch and defer', () => {
  test('dispatch from outside any handler posts: nothing runs inside the call', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let calls = 0;
    dispatch(ctx, () => calls++);
    expect(calls).toBe(0);
    expect(tracking.live).toBe(1);
    expect(await ctx.run()).toBe(1);
    expect(calls).toBe(1);
    expect(tracking.live).toBe(0);
  });

  test('dispatch from a handler running on the context runs inline, without an op', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const order: string[] = [];
    post(ctx, () => {
      order.push('outer:start');
      const allocationsBefore = tracking.allocations;
      dispatch(ctx, () => order.push('dispatched'));
      order.push(tracking.allocations === allocationsBefore ? 'no-op-allocated' : 'op-allocated');
      order.push('outer:end');
    });
    expect(await ctx.run()).toBe(1);
    expect(order).toEqual(['outer:start', 'dispatched', 'no-op-allocated', 'outer:end']);
    expect(tracking.live).toBe(0);
  });

  test('dispatch from a handler inside poll() runs inline', () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const order: string[] = [];
    post(ctx, () => {
      dispatch(ctx.getExecutor(), () => order.push('dispatched'));
      order.push('after');
    });
    expect(ctx.poll()).toBe(1);
    expect(order).toEqual(['dispatched', 'after']);
    expect(tracking.live).toBe(0);
  });

  test('dispatch to another context from a handler posts to that context', async () => {
    const tracking = new TrackingAllocator();
    const a = new IoContext({ allocator: tracking });
    const b = new IoContext({ allocator: tracking });
    const order: string[] = [];
    post(a, () => {
      dispatch(b, () => order.push('on b'));
      order.push('a done');
    });
    expect(await a.run()).toBe(1);
    expect(order).toEqual(['a done']);
    expect(await b.run()).toBe(1);
    expect(order).toEqual(['a done', 'on b']);
    expect(tracking.live).toBe(0);
  });

  test('defer from a handler queues behind what is already queued', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const order: string[] = [];
    post(ctx, () => {
      defer(ctx, () => order.push('deferred'));
      order.push('first:end');
    });
    post(ctx, () => order.push('second'));
    defer(ctx, () => order.push('third'));
    expect(order).toEqual([]);
    expect(await ctx.run()).toBe(4);
    expect(order).toEqual(['first:end', 'second', 'third', 'deferred']);
    expect(tracking.live).toBe(0);
  });

  test('the executor methods validate the handler', () => {
    const ctx = new IoContext();
    const ex = ctx.getExecutor();
    expect(() => { ex.post(42 as unknown as () => void); }).toThrow(TypeError);
    expect(() => { ex.dispatch('x' as unknown as () => void); }).toThrow(TypeError);
    expect(() => { ex.defer(null as unknown as () => void); }).toThrow(TypeError);
    expect(ctx.outstandingWork()).toBe(0);
    expect(() => { post({} as unknown as IoContext, () => undefined); }).toThrow(TypeError);
  });
});
