import { getEventListeners } from 'node:events';
import {
  CancellationSignal,
  CancellationSlot,
  CancellationType,
  IoContext,
  IoError,
  ManualClock,
  SteadyTimer,
  TrackingAllocator,
  asTuple,
  bindAbortSignal,
  bindCancellationSlot,
  usePromise,
  withAbortSignal,
} from '../src/index.js';

function setup(): { clock: ManualClock; ctx: IoContext; tracking: TrackingAllocator } {
  const clock = new ManualClock();
  const tracking = new TrackingAllocator();
  return { clock, ctx: new IoContext({ clock, allocator: tracking }), tracking };
}

describe('cancellation slots on timer waits', () => {
  test('CancellationType flags are asio bit flags', () => {
    expect(CancellationType.none).toBe(0);
    expect(CancellationType.terminal).toBe(1);
    expect(CancellationType.partial).toBe(2);
    expect(CancellationType.total).toBe(4);
    expect(CancellationType.all & CancellationType.terminal).toBe(1);
    expect(CancellationType.all & CancellationType.partial).toBe(2);
    expect(CancellationType.all & CancellationType.total).toBe(4);
  });

  test.each([
    ['terminal', CancellationType.terminal],
    ['partial', CancellationType.partial],
    ['total', CancellationType.total],
    ['all', CancellationType.all],
  ])('emit(%s) aborts only that wait, queued, not inside emit', async (_name, type) => {
    const { clock, ctx, tracking } = setup();
    const timer = new SteadyTimer(ctx, 100);
    const signal = new CancellationSignal();
    const results: string[] = [];
    timer.asyncWait((err) => results.push(`plain:${err?.code ?? 'ok'}`));
    timer.asyncWait(bindCancellationSlot(signal.slot(), (err: IoError | null) => results.push(`bound:${err?.code ?? 'ok'}`)));
    const other = new SteadyTimer(ctx, 100);
    other.asyncWait((err) => results.push(`other:${err?.code ?? 'ok'}`));
    expect(signal.slot().hasHandler()).toBe(true);
    signal.emit(type);
    expect(results).toEqual([]);
    expect(signal.slot().hasHandler()).toBe(false);
    expect(ctx.poll()).toBe(1);
    expect(results).toEqual(['bound:operation_aborted']);
    ctx.restart();
    const done = ctx.run();
    clock.advance(100);
    await done;
    expect(results).toEqual(['bound:operation_aborted', 'plain:ok', 'other:ok']);
    expect(tracking.live).toBe(0);
  });

  test('emit with none, before initiation, or after completion does nothing', async () => {
    const { clock, ctx, tracking } = setup();
    const signal = new CancellationSignal();
    signal.emit(CancellationType.terminal); // before initiation
    const timer = new SteadyTimer(ctx, 10);
    const results: string[] = [];
    const handler = bindCancellationSlot(signal.slot(), (err: IoError | null) => results.push(err?.code ?? 'ok'));
    timer.asyncWait(handler);
    signal.emit(CancellationType.none);
    expect(ctx.poll()).toBe(0);
    const done = ctx.run();
    clock.advance(10);
    await done;
    expect(results).toEqual(['ok']);
    signal.emit(CancellationType.all); // after completion
    expect(ctx.poll()).toBe(0);
    expect(results).toEqual(['ok']);
    expect(tracking.live).toBe(0);
  });

  test('emit after the wait fired but before its handler ran does nothing', () => {
    const { clock, ctx, tracking } = setup();
    const signal = new CancellationSignal();
    const timer = new SteadyTimer(ctx, 10);
    const results: string[] = [];
    timer.asyncWait(bindCancellationSlot(signal.slot(), (err: IoError | null) => results.push(err?.code ?? 'ok')));
    clock.advance(10); // fires; no run active, so queued
    signal.emit(CancellationType.terminal);
    expect(ctx.poll()).toBe(1);
    expect(results).toEqual(['ok']);
    expect(tracking.live).toBe(0);
  });

  test('a reused slot serves the newest operation', () => {
    const { clock, ctx, tracking } = setup();
    const signal = new CancellationSignal();
    const results: string[] = [];
    const first = new SteadyTimer(ctx, 10);
    const second = new SteadyTimer(ctx, 10);
    first.asyncWait(bindCancellationSlot(signal.slot(), (err: IoError | null) => results.push(`first:${err?.code ?? 'ok'}`)));
    second.asyncWait(bindCancellationSlot(signal.slot(), (err: IoError | null) => results.push(`second:${err?.code ?? 'ok'}`)));
    signal.emit(CancellationType.terminal);
    expect(ctx.poll()).toBe(1);
    expect(results).toEqual(['second:operation_aborted']);
    clock.advance(10);
    ctx.restart();
    expect(ctx.poll()).toBe(1);
    expect(results).toEqual(['second:operation_aborted', 'first:ok']);
    // The first wait completing did not disturb anything still installed.
    expect(signal.slot().hasHandler()).toBe(false);
    expect(tracking.live).toBe(0);
  });

  test('timer.cancel() uninstalls the slot handler of the waits it aborts', () => {
    const { ctx, tracking } = setup();
    const signal = new CancellationSignal();
    const timer = new SteadyTimer(ctx, 10);
    timer.asyncWait(bindCancellationSlot(signal.slot(), () => undefined));
    expect(signal.slot().hasHandler()).toBe(true);
    timer.cancel();
    expect(signal.slot().hasHandler()).toBe(false);
    expect(ctx.poll()).toBe(1);
    expect(tracking.live).toBe(0);
  });

  test('slot API: assign, clearIf, clear, isConnected; an unconnected slot keeps nothing', () => {
    const signal = new CancellationSignal();
    const slot = signal.slot();
    expect(slot).toBe(signal.slot());
    expect(slot.isConnected()).toBe(true);
    const seen: number[] = [];
    const fn = (type: number): void => {
      seen.push(type);
    };
    slot.assign(fn);
    signal.emit(CancellationType.partial);
    signal.emit(CancellationType.none);
    expect(seen).toEqual([CancellationType.partial]);
    expect(slot.clearIf(() => undefined)).toBe(false);
    expect(slot.clearIf(fn)).toBe(true);
    slot.assign({ onCancellation: fn });
    slot.clear();
    signal.emit(CancellationType.total);
    expect(seen).toEqual([CancellationType.partial]);
    const loose = new CancellationSlot();
    expect(loose.isConnected()).toBe(false);
    loose.assign(fn);
    expect(loose.hasHandler()).toBe(false);
    expect(() => { signal.emit(-1); }).toThrow(TypeError);
    expect(() => { slot.assign(null as unknown as () => void); }).toThrow(TypeError);
  });
});

describe('AbortSignal interop on timer waits', () => {
  test('withAbortSignal with a callback: abort() cancels, queued; the listener is removed', () => {
    const { ctx, tracking } = setup();
    const timer = new SteadyTimer(ctx, 1000);
    const ac = new AbortController();
    const results: string[] = [];
    timer.asyncWait(withAbortSignal(ac.signal, (err) => results.push(err?.code ?? 'ok')));
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    ac.abort();
    expect(results).toEqual([]);
    expect(ctx.poll()).toBe(1);
    expect(results).toEqual(['operation_aborted']);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    expect(tracking.live).toBe(0);
  });

  test('withAbortSignal with usePromise rejects with operation_aborted; asTuple resolves it', async () => {
    const { ctx, tracking } = setup();
    const timer = new SteadyTimer(ctx, 1000);
    const ac = new AbortController();
    const rejected = timer.asyncWait(withAbortSignal(ac.signal, usePromise));
    const tupled = timer.asyncWait(withAbortSignal(ac.signal, asTuple(usePromise)));
    const done = ctx.run();
    ac.abort();
    await expect(rejected).rejects.toMatchObject({ name: 'IoError', code: 'operation_aborted' });
    const [err] = await tupled;
    expect(err?.code).toBe('operation_aborted');
    await done;
    expect(tracking.live).toBe(0);
  });

  test('an already-aborted signal aborts at initiation, queued, not inline', () => {
    const { ctx, tracking } = setup();
    const timer = new SteadyTimer(ctx, 1000);
    const results: string[] = [];
    timer.asyncWait(withAbortSignal(AbortSignal.abort(), (err) => results.push(err?.code ?? 'ok')));
    expect(results).toEqual([]);
    expect(ctx.poll()).toBe(1);
    expect(results).toEqual(['operation_aborted']);
    expect(tracking.live).toBe(0);
  });

  test('a completed operation is not affected by a later abort', async () => {
    const { clock, ctx, tracking } = setup();
    const timer = new SteadyTimer(ctx, 5);
    const ac = new AbortController();
    const results: string[] = [];
    timer.asyncWait(withAbortSignal(ac.signal, (err) => results.push(err?.code ?? 'ok')));
    const done = ctx.run();
    clock.advance(5);
    await done;
    ac.abort();
    expect(ctx.poll()).toBe(0);
    expect(results).toEqual(['ok']);
    expect(tracking.live).toBe(0);
  });

  test('bindAbortSignal binds once for a re-arming loop; abort stops the loop', async () => {
    const { clock, ctx, tracking } = setup();
    const timer = new SteadyTimer(ctx);
    const ac = new AbortController();
    const ticks: string[] = [];
    const onTick = bindAbortSignal(ac.signal, (err: { code: string } | null) => {
      ticks.push(err === null ? `tick@${clock.now()}` : err.code);
      if (err !== null) return;
      if (ticks.length === 3) ac.abort();
      timer.expiresAfter(10);
      timer.asyncWait(onTick);
    });
    timer.expiresAfter(10);
    timer.asyncWait(onTick);
    const done = ctx.run();
    clock.advance(100);
    expect(await done).toBe(4);
    expect(ticks).toEqual(['tick@10', 'tick@20', 'tick@30', 'operation_aborted']);
    // Once aborted, every later operation with the binding aborts at
    // initiation, even a wait on an already-expired timer.
    expect(timer.expiry()).toBeLessThan(clock.now());
    timer.asyncWait(onTick);
    ctx.restart();
    expect(ctx.poll()).toBe(1);
    expect(ticks[4]).toBe('operation_aborted');
    expect(tracking.live).toBe(0);
  });

  test('bad arguments are TypeErrors', () => {
    expect(() => withAbortSignal({} as AbortSignal, usePromise)).toThrow(TypeError);
    expect(() => bindAbortSignal(new AbortController().signal, 5 as unknown as () => void)).toThrow(TypeError);
    expect(() => bindCancellationSlot(Object.create(null) as CancellationSlot, () => undefined)).toThrow(TypeError);
  });
});
