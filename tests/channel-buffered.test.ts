import { Channel, IoContext, TrackingAllocator } from '../src/index.js';

function setup(): { ctx: IoContext; tracking: TrackingAllocator } {
  const tracking = new TrackingAllocator();
  return { ctx: new IoContext({ allocator: tracking }), tracking };
}

describe('Channel with a buffer', () => {
  test('sends complete at once (queued) while there is room; then they wait', () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<number>(ctx, 2);
    expect(channel.capacity()).toBe(2);
    const results: string[] = [];
    for (const v of [1, 2, 3, 4]) channel.asyncSend(v, (err) => results.push(`sent:${String(v)}:${err?.code ?? 'ok'}`));
    expect(results).toEqual([]); // not inside asyncSend, even with room
    expect(ctx.poll()).toBe(2);
    expect(results).toEqual(['sent:1:ok', 'sent:2:ok']);
    expect(ctx.outstandingWork()).toBe(2); // 3 and 4 wait for room
    // Taking a buffered value moves the oldest waiting sender's value into the buffer, and that send completes.
    channel.asyncReceive((err, v) => results.push(`received:${err?.code ?? String(v)}`));
    expect(ctx.poll()).toBe(2);
    expect(results.slice(2)).toEqual(['sent:3:ok', 'received:1']);
    expect(ctx.outstandingWork()).toBe(1);
    for (let i = 0; i < 3; i++) channel.asyncReceive((err, v) => results.push(`received:${err?.code ?? String(v)}`));
    expect(ctx.poll()).toBe(4);
    expect(results.slice(4)).toEqual(['sent:4:ok', 'received:2', 'received:3', 'received:4']);
    expect(tracking.live).toBe(0);
  });

  test('values come out in the order they went in, across the ring wrapping and growing', async () => {
    const { ctx, tracking } = setup();
    for (const capacity of [1, 3, 8, 100]) {
      const channel = new Channel<number>(ctx, capacity);
      const out: number[] = [];
      let sent = 0;
      // Fill part way, drain part way, many times, so the ring's head moves round and it grows with its head inside.
      for (let round = 0; round < 40; round++) {
        for (let i = 0; i < 5; i++) channel.asyncSend(sent++, () => undefined);
        for (let i = 0; i < 3; i++) channel.tryReceive((v) => out.push(v));
      }
      while (channel.tryReceive((v) => out.push(v)));
      ctx.restart();
      await ctx.run();
      expect(out).toEqual(Array.from({ length: sent }, (_, i) => i));
    }
    expect(tracking.live).toBe(0);
  });

  test('trySend: true while there is room or a receiver waits, false when full, nothing sent', () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<string>(ctx, 2);
    expect(channel.trySend('a')).toBe(true);
    expect(channel.trySend('b')).toBe(true);
    expect(channel.trySend('c')).toBe(false);
    const out: string[] = [];
    while (channel.tryReceive((v) => out.push(v)));
    expect(out).toEqual(['a', 'b']);
    const results: string[] = [];
    channel.asyncReceive((err, v) => results.push(`received:${err?.code ?? v}`));
    expect(channel.trySend('d')).toBe(true); // the waiting receiver takes it, queued
    expect(results).toEqual([]);
    expect(ctx.poll()).toBe(1);
    expect(results).toEqual(['received:d']);
    expect(channel.tryReceive(() => undefined)).toBe(false); // 'd' went to the receiver, not the buffer
    expect(tracking.live).toBe(0);
  });

  test('trySend on a rendezvous channel succeeds only with a receiver waiting', () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<string>(ctx);
    expect(channel.trySend('nobody')).toBe(false);
    const got: string[] = [];
    channel.asyncReceive((_err, v) => got.push(v));
    expect(channel.trySend('x')).toBe(true);
    expect(channel.trySend('y')).toBe(false);
    ctx.poll();
    expect(got).toEqual(['x']);
    expect(tracking.live).toBe(0);
  });

  test('tryReceive: calls fn synchronously with a buffered value or a waiting sender’s, else returns false', () => {
    const { ctx, tracking } = setup();
    const rendezvous = new Channel<string>(ctx);
    const calls: string[] = [];
    expect(rendezvous.tryReceive((v) => calls.push(v))).toBe(false);
    expect(calls).toEqual([]);
    rendezvous.asyncSend('from-sender', (err) => calls.push(`sent:${err?.code ?? 'ok'}`));
    expect(rendezvous.tryReceive((v) => calls.push(v))).toBe(true);
    expect(calls).toEqual(['from-sender']); // fn ran inside tryReceive, the send's handler did not
    expect(ctx.poll()).toBe(1);
    expect(calls).toEqual(['from-sender', 'sent:ok']);

    const buffered = new Channel<string>(ctx, 1);
    buffered.asyncSend('in-buffer', () => calls.push('sent:in-buffer'));
    buffered.asyncSend('waiting', () => calls.push('sent:waiting'));
    ctx.restart();
    expect(ctx.poll()).toBe(1);
    expect(buffered.tryReceive((v) => calls.push(v))).toBe(true);
    expect(calls.slice(2)).toEqual(['sent:in-buffer', 'in-buffer']);
    expect(ctx.poll()).toBe(1); // the waiting send moved into the buffer and completed
    expect(calls.slice(4)).toEqual(['sent:waiting']);
    expect(buffered.tryReceive((v) => calls.push(v))).toBe(true);
    expect(calls.slice(5)).toEqual(['waiting']);
    expect(tracking.live).toBe(0);
  });

  test('a buffered receive runs when a value is there, without waiting for a sender', async () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<number>(ctx, 4);
    channel.trySend(1);
    channel.trySend(2);
    const got: number[] = [];
    channel.asyncReceive((_e, v) => got.push(v));
    channel.asyncReceive((_e, v) => got.push(v));
    expect(await ctx.run()).toBe(2);
    expect(got).toEqual([1, 2]);
    expect(tracking.live).toBe(0);
  });
});
