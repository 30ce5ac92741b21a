import {
  CancellationSignal,
  CancellationType,
  Channel,
  IoContext,
  IoError,
  TrackingAllocator,
  bindAbortSignal,
  bindCancellationSlot,
  usePromise,
  withAbortSignal,
} from '../src/index.js';

function setup(): { ctx: IoContext; tracking: TrackingAllocator } {
  const tracking = new TrackingAllocator();
  return { ctx: new IoContext({ allocator: tracking }), tracking };
}

const code = (err: IoError | null): string => err?.code ?? 'ok';

describe('cancellation slots on channel operations', () => {
  test.each([
    ['terminal', CancellationType.terminal],
    ['partial', CancellationType.partial],
    ['total', CancellationType.total],
  ])('emit(%s) aborts only that pending receive, queued, not inside emit', async (_name, type) => {
    const { ctx, tracking } = setup();
    const channel = new Channel<string>(ctx);
    const signal = new CancellationSignal();
    const results: string[] = [];
    channel.asyncReceive((err, v) => results.push(`first:${err === null ? v : err.code}`));
    channel.asyncReceive(bindCancellationSlot(signal.slot(), (err: IoError | null, v: string) => results.push(`bound:${err === null ? v : err.code}`)));
    channel.asyncReceive((err, v) => results.push(`third:${err === null ? v : err.code}`));
    expect(signal.slot().hasHandler()).toBe(true);
    signal.emit(type);
    expect(results).toEqual([]);
    expect(signal.slot().hasHandler()).toBe(false);
    expect(ctx.poll()).toBe(1);
    expect(results).toEqual(['bound:operation_aborted']);
    channel.asyncSend('x', () => undefined);
    channel.asyncSend('y', () => undefined);
    await ctx.run();
    expect(results).toEqual(['bound:operation_aborted', 'first:x', 'third:y']);
    expect(tracking.live).toBe(0);
  });

  test.each([
    ['terminal', CancellationType.terminal],
    ['partial', CancellationType.partial],
    ['total', CancellationType.total],
  ])('emit(%s) aborts a waiting send: its value is never delivered', async (_name, type) => {
    const { ctx, tracking } = setup();
    const channel = new Channel<string>(ctx, 1);
    const signal = new CancellationSignal();
    const results: string[] = [];
    channel.asyncSend('buffered', (err) => results.push(`sent:buffered:${code(err)}`));
    channel.asyncSend('aborted', bindCancellationSlot(signal.slot(), (err: IoError | null) => results.push(`sent:aborted:${code(err)}`)));
    channel.asyncSend('after', (err) => results.push(`sent:after:${code(err)}`));
    signal.emit(type);
    expect(ctx.poll()).toBe(2);
    expect(results).toEqual(['sent:buffered:ok', 'sent:aborted:operation_aborted']);
    for (let i = 0; i < 2; i++) channel.asyncReceive((err, v) => results.push(`received:${err === null ? v : err.code}`));
    await ctx.run();
    expect(results.slice(2)).toEqual(['sent:after:ok', 'received:buffered', 'received:after']);
    expect(tracking.live).toBe(0);
  });

  test('an op that completed at once never installs its slot; one that was matched leaves it; later emits do nothing', async () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<number>(ctx, 1);
    const signal = new CancellationSignal();
    const results: string[] = [];
    channel.asyncSend(1, bindCancellationSlot(signal.slot(), (err: IoError | null) => results.push(`sent:${code(err)}`)));
    expect(signal.slot().hasHandler()).toBe(false); // buffered at once: not cancellable
    channel.asyncSend(2, bindCancellationSlot(signal.slot(), (err: IoError | null) => results.push(`sent2:${code(err)}`)));
    expect(signal.slot().hasHandler()).toBe(true);
    expect(channel.tryReceive(() => undefined)).toBe(true); // 2 moves into the buffer: the send completed
    expect(signal.slot().hasHandler()).toBe(false);
    signal.emit(CancellationType.terminal);
    await ctx.run();
    expect(results).toEqual(['sent:ok', 'sent2:ok']);
    expect(channel.tryReceive((v) => results.push(`got:${String(v)}`))).toBe(true);
    expect(results).toEqual(['sent:ok', 'sent2:ok', 'got:2']);
    expect(tracking.live).toBe(0);
  });

  test('cancel() and close() uninstall the slot handlers of the operations they complete', () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<number>(ctx);
    const a = new CancellationSignal();
    const b = new CancellationSignal();
    channel.asyncReceive(bindCancellationSlot(a.slot(), () => undefined));
    channel.cancel();
    expect(a.slot().hasHandler()).toBe(false);
    channel.asyncReceive(bindCancellationSlot(b.slot(), () => undefined));
    channel.close();
    expect(b.slot().hasHandler()).toBe(false);
    expect(ctx.poll()).toBe(2);
    expect(tracking.live).toBe(0);
  });

  test('withAbortSignal(…, usePromise) and bindAbortSignal: abort rejects / completes with operation_aborted; an aborted signal aborts at initiation', async () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<string>(ctx);
    const ac = new AbortController();
    const pending = channel.asyncReceive(withAbortSignal(ac.signal, usePromise)).catch((e: unknown) => e);
    ac.abort();
    const results: string[] = [];
    // No receiver waits now (the aborted one was withdrawn), so this send would wait: its slot fires at once.
    channel.asyncSend('kept', bindAbortSignal(AbortSignal.abort(), (err: IoError | null) => results.push(`send:${code(err)}`)));
    await ctx.run();
    const err = await pending;
    expect(IoError.is(err, 'operation_aborted')).toBe(true);
    expect(results).toEqual(['send:operation_aborted']);
    expect(channel.tryReceive(() => undefined)).toBe(false); // the aborted send delivered nothing
    // Not aborted: resolves with the value.
    ctx.restart();
    const value = channel.asyncReceive(withAbortSignal(new AbortController().signal, usePromise));
    channel.asyncSend('hello', () => undefined);
    await ctx.run();
    expect(await value).toBe('hello');
    expect(tracking.live).toBe(0);
  });
});
