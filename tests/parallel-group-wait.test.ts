import {
  CancellationType,
  IoContext,
  IoError,
  ManualClock,
  SteadyTimer,
  TrackingAllocator,
  asTuple,
  asyncInitiate,
  bindAllocator,
  cancelAfter,
  deferred,
  makeParallelGroup,
  usePromise,
  waitForAll,
  waitForOne,
  waitForOneError,
  waitForOneSuccess,
  type CompletionToken,
  type DeferredOperation,
} from '../src/index.js';
import { connectedPair } from './support/net-helpers.js';

function setup(): { clock: ManualClock; ctx: IoContext; tracking: TrackingAllocator } {
  const clock = new ManualClock();
  const tracking = new TrackingAllocator();
  return { clock, ctx: new IoContext({ clock, allocator: tracking }), tracking };
}

/** A deferred wait of `ms` on the context clock, optionally with its own deadline. */
function wait(ctx: IoContext, ms: number, deadline?: number): DeferredOperation<[]> {
  const timer = new SteadyTimer(ctx);
  timer.expiresAfter(ms);
  const op = timer.asyncWait(deferred);
  if (deadline === undefined) return op;
  return <T extends CompletionToken>(token: T) => op(cancelAfter(deadline, token) as unknown as T);
}

describe('deferred', () => {
  test('packages an operation without starting it; each call starts it anew', async () => {
    const { clock, ctx, tracking } = setup();
    const timer = new SteadyTimer(ctx);
    timer.expiresAfter(10);
    const op = timer.asyncWait(deferred);
    expect(typeof op).toBe('function');
    expect(ctx.outstandingWork()).toBe(0);
    expect(await ctx.run()).toBe(0);
    ctx.restart();
    let calls = 0;
    op(() => calls++);
    const promised = op(usePromise);
    const tupled = op(asTuple(usePromise));
    expect(ctx.outstandingWork()).toBe(3);
    const done = ctx.run();
    clock.advance(10);
    expect(await done).toBe(3);
    expect(calls).toBe(1);
    await expect(promised).resolves.toBeUndefined();
    expect(await tupled).toEqual([null]);
    expect(tracking.live).toBe(0);
  });

  test('arguments are checked when the operation is packaged', async () => {
    const { sock, peer, ctx, tracking } = await connectedPair();
    expect(() => sock.asyncReadSome('nope' as unknown as Uint8Array, deferred)).toThrow(TypeError);
    sock.close();
    peer.destroy();
    await ctx.run();
    expect(tracking.live).toBe(0);
  });
});

describe('makeParallelGroup(...).asyncWait', () => {
  test('waitForAll: completion order, and each result in its own place', async () => {
    const { clock, ctx, tracking } = setup();
    const result = makeParallelGroup(wait(ctx, 30), wait(ctx, 10), wait(ctx, 20)).asyncWait(waitForAll(), usePromise);
    const done = ctx.run();
    clock.advance(30);
    await done;
    const [order, a, b, c] = await result;
    expect(order).toEqual([1, 2, 0]);
    expect([a, b, c]).toEqual([[null], [null], [null]]);
    expect(tracking.live).toBe(0);
  });

  test('callback: (null, order, ...results)', async () => {
    const { clock, ctx, tracking } = setup();
    const seen: unknown[][] = [];
    makeParallelGroup(wait(ctx, 5), wait(ctx, 1)).asyncWait(waitForAll(), (err, order, r0, r1) => {
      seen.push([err, order, r0, r1]);
    });
    const done = ctx.run();
    clock.advance(5);
    await done;
    expect(seen).toEqual([[null, [1, 0], [null], [null]]]);
    expect(tracking.live).toBe(0);
  });

  test('waitForOne: the first completion cancels the rest, and the group waits for them', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const timer = new SteadyTimer(ctx);
    timer.expiresAfter(20);
    const buf = Buffer.alloc(8);
    const result = makeParallelGroup(sock.asyncReadSome(buf, deferred), timer.asyncWait(deferred)).asyncWait(waitForOne(), usePromise);
    const run = ctx.run();
    const [order, [readErr, n], [waitErr]] = await result;
    expect(order).toEqual([1, 0]);
    expect(waitErr).toBeNull();
    expect(readErr?.code).toBe('operation_aborted');
    expect(n).toBe(0);
    sock.close();
    peer.destroy();
    await run;
    expect(tracking.live).toBe(0);
  });

  test('waitForOneSuccess: an error does not stop the group, the first success does', async () => {
    const { clock, ctx, tracking } = setup();
    const result = makeParallelGroup(wait(ctx, 100, 5), wait(ctx, 10), wait(ctx, 1000)).asyncWait(waitForOneSuccess(), usePromise);
    const done = ctx.run();
    clock.advance(10);
    await done;
    expect(clock.now()).toBe(10);
    const [order, first, second, third] = await result;
    expect(order).toEqual([0, 1, 2]);
    expect(first[0]?.code).toBe('operation_aborted');
    expect(second[0]).toBeNull();
    expect(third[0]?.code).toBe('operation_aborted');
    expect(tracking.live).toBe(0);
  });

  test('waitForOneError: successes do not stop the group, the first error does', async () => {
    const { clock, ctx, tracking } = setup();
    const result = makeParallelGroup(wait(ctx, 10), wait(ctx, 100, 15), wait(ctx, 1000)).asyncWait(waitForOneError(), usePromise);
    const done = ctx.run();
    clock.advance(15);
    await done;
    const [order, first, second, third] = await result;
    expect(order).toEqual([0, 1, 2]);
    expect(first[0]).toBeNull();
    expect(second[0]?.code).toBe('operation_aborted');
    expect(third[0]?.code).toBe('operation_aborted');
    expect(tracking.live).toBe(0);
  });

  test('cancelling a member that has already completed leaves its result as it was', async () => {
    const { clock, ctx, tracking } = setup();
    // Both waits are due in the same pass: when the first handler runs the second has completed already.
    const result = makeParallelGroup(wait(ctx, 10), wait(ctx, 10)).asyncWait(waitForOne(), usePromise);
    const done = ctx.run();
    clock.advance(10);
    await done;
    expect(await result).toEqual([[0, 1], [null], [null]]);
    expect(tracking.live).toBe(0);
  });

  test('a custom condition gets each error and index; its cancellation type reaches the others', async () => {
    const { clock, ctx, tracking } = setup();
    const calls: string[] = [];
    const result = makeParallelGroup(wait(ctx, 10), wait(ctx, 20), wait(ctx, 500)).asyncWait((err, index) => {
      calls.push(`${String(index)}:${err?.code ?? 'ok'}`);
      return index === 1 ? CancellationType.total : CancellationType.none;
    }, asTuple(usePromise));
    const done = ctx.run();
    clock.advance(20);
    await done;
    const [err, order, , , third] = await result;
    expect(err).toBeNull();
    expect(order).toEqual([0, 1, 2]);
    expect(third?.[0]?.code).toBe('operation_aborted');
    // Once met, the condition is not asked again.
    expect(calls).toEqual(['0:ok', '1:ok']);
    expect(tracking.live).toBe(0);
  });

  test('cancelAfter on the group cancels every member still pending, on the members\' context', async () => {
    const { clock, ctx, tracking } = setup();
    const result = makeParallelGroup(wait(ctx, 1000), wait(ctx, 10), wait(ctx, 2000)).asyncWait(waitForAll(), cancelAfter(50, usePromise));
    const done = ctx.run();
    clock.advance(50);
    await done;
    const [order, a, b, c] = await result;
    expect(order).toEqual([1, 0, 2]);
    expect(b[0]).toBeNull();
    expect(a[0]?.code).toBe('operation_aborted');
    expect(c[0]?.code).toBe('operation_aborted');
    expect(tracking.live).toBe(0);
  });

  test('the group state comes from the handler allocator and is freed before the handler runs', async () => {
    const { clock, ctx, tracking } = setup();
    const memory = new TrackingAllocator(undefined, { log: true });
    makeParallelGroup(wait(ctx, 5)).asyncWait(
      waitForAll(),
      bindAllocator(memory, () => { memory.record('invoke'); }),
    );
    const done = ctx.run();
    clock.advance(5);
    await done;
    expect(memory.events).toEqual(['allocate:ParallelGroupOp', 'allocate:WaitOp', 'deallocate:WaitOp', 'deallocate:ParallelGroupOp', 'invoke']);
    expect(memory.live).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('shutdown with members pending destroys the group without invoking it', () => {
    const { ctx, tracking } = setup();
    const memory = new TrackingAllocator();
    let invoked = 0;
    makeParallelGroup(wait(ctx, 5), wait(ctx, 50)).asyncWait(waitForAll(), bindAllocator(memory, () => invoked++));
    expect(memory.live).toBe(3);
    ctx.shutdown();
    expect(invoked).toBe(0);
    expect(memory.live).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('a member whose start throws: the others are cancelled, nothing is left allocated, the error reaches the caller', async () => {
    const { ctx, tracking } = setup();
    const memory = new TrackingAllocator();
    const throwing = <T extends CompletionToken>(token: T) =>
      asyncInitiate<[], T>(() => {
        throw new RangeError('cannot start');
      }, token);
    let invoked = 0;
    expect(() => { makeParallelGroup(wait(ctx, 1000), throwing).asyncWait(waitForAll(), bindAllocator(memory, () => invoked++)); }).toThrow(RangeError);
    await ctx.run();
    expect(invoked).toBe(0);
    expect(memory.live).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('bad arguments are TypeErrors', () => {
    const { ctx } = setup();
    expect(() => makeParallelGroup()).toThrow(/at least one operation/);
    expect(() => makeParallelGroup(wait(ctx, 1), 5 as unknown as DeferredOperation<[]>)).toThrow(/operation 1 must be a deferred operation .*, got number/);
    expect(() => { makeParallelGroup(wait(ctx, 1)).asyncWait(null as unknown as ReturnType<typeof waitForAll>, () => undefined); }).toThrow(/condition must be a function/);
    expect(() => waitForOne(CancellationType.none)).toThrow(TypeError);
    expect(makeParallelGroup(wait(ctx, 1), wait(ctx, 2)).size).toBe(2);
    ctx.shutdown();
  });

  test('results keep each member\'s own values (a read reports its byte count)', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const buf = Buffer.alloc(8);
    peer.write('hey');
    const timer = new SteadyTimer(ctx);
    timer.expiresAfter(5000);
    const result = makeParallelGroup(sock.asyncReadSome(buf, deferred), timer.asyncWait(deferred)).asyncWait(waitForOne(), usePromise);
    const run = ctx.run();
    const [order, [readErr, n], [waitErr]] = await result;
    expect(order).toEqual([0, 1]);
    expect(readErr).toBeNull();
    expect(n).toBe(3);
    expect(buf.subarray(0, 3).toString()).toBe('hey');
    expect(waitErr).toBeInstanceOf(IoError);
    sock.close();
    peer.destroy();
    await run;
    expect(tracking.live).toBe(0);
  });
});
