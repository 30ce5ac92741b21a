import { Channel, IoContext, IoError, TrackingAllocator } from '../src/index.js';
import { asioErrorCode } from '../src/diagnostics/asio-error-code.js';

function setup(): { ctx: IoContext; tracking: TrackingAllocator } {
  const tracking = new TrackingAllocator();
  return { ctx: new IoContext({ allocator: tracking }), tracking };
}

const code = (err: IoError | null): string => err?.code ?? 'ok';

describe('Channel close and cancel', () => {
  test('close with senders waiting: they fail channel_closed; receivers drain the buffer, then channel_closed', async () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<string>(ctx, 1);
    const results: string[] = [];
    for (const v of ['a', 'b', 'c']) channel.asyncSend(v, (err) => results.push(`sent:${v}:${code(err)}`));
    expect(ctx.poll()).toBe(1); // 'a' is buffered; 'b' and 'c' wait
    channel.close();
    expect(channel.isOpen()).toBe(false);
    expect(results).toEqual(['sent:a:ok']); // completions are queued, not run inside close()
    for (let i = 0; i < 2; i++) channel.asyncReceive((err, v) => results.push(`received:${err === null ? v : err.code}`));
    channel.asyncSend('late', (err) => results.push(`sent:late:${code(err)}`));
    expect(channel.trySend('try')).toBe(false);
    await ctx.run();
    expect(results).toEqual([
      'sent:a:ok',
      'sent:b:channel_closed',
      'sent:c:channel_closed',
      'received:a', // drained from the buffer after close
      'received:channel_closed',
      'sent:late:channel_closed',
    ]);
    expect(tracking.live).toBe(0);
  });

  test('close with receivers waiting: every one gets channel_closed, value undefined, queued', async () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<number>(ctx, 4);
    const results: string[] = [];
    for (let i = 0; i < 3; i++) channel.asyncReceive((err, v) => results.push(`${String(i)}:${code(err)}:${String(v)}`));
    channel.close();
    expect(results).toEqual([]);
    await ctx.run();
    expect(results).toEqual(['0:channel_closed:undefined', '1:channel_closed:undefined', '2:channel_closed:undefined']);
    expect(tracking.live).toBe(0);
  });

  test('close, then drain every buffered value (async and try), then channel_closed', async () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<number>(ctx, 3);
    for (const v of [1, 2, 3]) expect(channel.trySend(v)).toBe(true);
    channel.close();
    channel.close(); // idempotent
    const got: string[] = [];
    expect(channel.tryReceive((v) => got.push(`try:${String(v)}`))).toBe(true);
    channel.asyncReceive((err, v) => got.push(err === null ? `async:${String(v)}` : err.code));
    channel.asyncReceive((err, v) => got.push(err === null ? `async:${String(v)}` : err.code));
    channel.asyncReceive((err, v) => got.push(err === null ? `async:${String(v)}` : err.code));
    expect(channel.tryReceive(() => got.push('never'))).toBe(false);
    await ctx.run();
    expect(got).toEqual(['try:1', 'async:2', 'async:3', 'channel_closed']);
    expect(tracking.live).toBe(0);
  });

  test('cancel with senders waiting: channel_cancelled; the buffer stays and the channel stays open', async () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<string>(ctx, 2);
    const results: string[] = [];
    for (const v of ['a', 'b', 'c', 'd']) channel.asyncSend(v, (err) => results.push(`sent:${v}:${code(err)}`));
    expect(channel.cancel()).toBe(2);
    expect(channel.isOpen()).toBe(true);
    await ctx.run();
    expect(results).toEqual(['sent:a:ok', 'sent:b:ok', 'sent:c:channel_cancelled', 'sent:d:channel_cancelled']);
    const got: string[] = [];
    while (channel.tryReceive((v) => got.push(v)));
    expect(got).toEqual(['a', 'b']);
    // Still usable.
    channel.asyncSend('e', () => undefined);
    channel.asyncReceive((_err, v) => got.push(v));
    ctx.restart();
    await ctx.run();
    expect(got).toEqual(['a', 'b', 'e']);
    expect(tracking.live).toBe(0);
  });

  test('cancel with receivers waiting: channel_cancelled, queued; cancel with nothing pending returns 0', async () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<number>(ctx);
    expect(channel.cancel()).toBe(0);
    const results: string[] = [];
    for (let i = 0; i < 2; i++) channel.asyncReceive((err) => results.push(`${String(i)}:${code(err)}`));
    expect(channel.cancel()).toBe(2);
    expect(results).toEqual([]);
    await ctx.run();
    expect(results).toEqual(['0:channel_cancelled', '1:channel_cancelled']);
    expect(tracking.live).toBe(0);
  });

  test('[Symbol.dispose]() closes the channel', async () => {
    const { ctx, tracking } = setup();
    const results: string[] = [];
    {
      using channel = new Channel<number>(ctx);
      channel.asyncReceive((err) => results.push(code(err)));
    }
    await ctx.run();
    expect(results).toEqual(['channel_closed']);
    expect(tracking.live).toBe(0);
  });

  test('ctx.shutdown() destroys pending operations without invoking them; close() afterwards is harmless', () => {
    const { ctx, tracking } = setup();
    const senders = new Channel<string>(ctx, 1);
    const receivers = new Channel<string>(ctx);
    let invoked = 0;
    senders.asyncSend('buffered', () => invoked++); // completes at once: queued
    senders.asyncSend('waiting', () => invoked++);
    receivers.asyncReceive(() => invoked++);
    receivers.asyncReceive(() => invoked++);
    expect(tracking.live).toBe(4);
    ctx.shutdown();
    expect(tracking.live).toBe(0);
    expect(invoked).toBe(0);
    expect(senders.isOpen()).toBe(false);
    expect(senders.tryReceive(() => invoked++)).toBe(false); // the buffered value was dropped
    senders.close();
    receivers.close();
    expect(receivers.cancel()).toBe(0);
    // Operations started after shutdown are destroyed too.
    receivers.asyncReceive(() => invoked++);
    const late = new Channel<number>(ctx, 1);
    late.asyncSend(1, () => invoked++);
    late.asyncSend(2, () => invoked++);
    expect(late.trySend(3)).toBe(false);
    expect(ctx.poll()).toBe(0);
    expect(invoked).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('bad arguments throw a TypeError naming what was given', () => {
    const { ctx, tracking } = setup();
    expect(() => new Channel({} as unknown as IoContext)).toThrow(/^Channel: the first argument must be an IoContext, got object$/);
    expect(() => new Channel(undefined as unknown as IoContext)).toThrow(/got undefined/);
    for (const [bad, got] of [
      [-1, 'got number -1'],
      [1.5, 'got number 1.5'],
      [Number.NaN, 'got number NaN'],
      [Infinity, 'got number Infinity'],
      ['4', 'got string "4"'],
      [null, 'got null'],
    ] as const) {
      expect(() => new Channel(ctx, bad as unknown as number)).toThrow(new TypeError(`Channel: capacity must be a non-negative integer, ${got}`));
    }
    const channel = new Channel<number>(ctx, 1);
    expect(() => channel.tryReceive(42 as unknown as () => void)).toThrow(new TypeError('Channel.tryReceive: fn must be a function, got number 42'));
    expect(() => { channel.asyncSend(1, 'callback' as unknown as () => void); }).toThrow(TypeError);
    expect(() => { channel.asyncReceive(null as unknown as () => void); }).toThrow(TypeError);
    expect(channel.tryReceive(() => undefined)).toBe(false); // nothing was sent by the failed calls
    expect(ctx.outstandingWork()).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('the errors map to asio.channel:1 and :2, and handler tracking names the channel and its operations', async () => {
    expect(asioErrorCode(new IoError('channel_closed'))).toBe('asio.channel:1');
    expect(asioErrorCode(new IoError('channel_cancelled'))).toBe('asio.channel:2');
    expect(new IoError('channel_closed').message).toBe('Channel closed');
    const lines: string[] = [];
    const ctx = new IoContext({ handlerTracking: (line) => lines.push(line) });
    const channel = new Channel<number>(ctx);
    channel.asyncSend(1, () => undefined);
    channel.asyncReceive(() => undefined);
    channel.asyncReceive(() => undefined);
    channel.cancel();
    channel.close();
    await ctx.run();
    const descriptions = lines.map((l) => l.split('|').slice(2).join('|'));
    expect(descriptions.filter((d) => /channel@/.test(d)).map((d) => d.replace(/channel@[^.]+/, 'channel@X'))).toEqual([
      expect.stringMatching(/^0\*\d+\|channel@X\.async_send$/),
      expect.stringMatching(/^0\*\d+\|channel@X\.async_receive$/),
      expect.stringMatching(/^0\*\d+\|channel@X\.async_receive$/),
      '0|channel@X.cancel',
      '0|channel@X.close',
    ]);
    expect(descriptions.filter((d) => d.startsWith('>'))).toEqual([
      expect.stringMatching(/^>\d+\|ec=asio\.system:0$/),
      expect.stringMatching(/^>\d+\|ec=asio\.system:0$/),
      expect.stringMatching(/^>\d+\|ec=asio\.channel:2$/),
    ]);
  });
});
