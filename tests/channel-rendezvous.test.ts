import {
  Channel,
  HandlerAllocator,
  IoContext,
  IoError,
  TrackingAllocator,
  asTuple,
  bindAllocator,
  detached,
  usePromise,
} from '../src/index.js';

function setup(): { ctx: IoContext; tracking: TrackingAllocator } {
  const tracking = new TrackingAllocator();
  return { ctx: new IoContext({ allocator: tracking }), tracking };
}

describe('Channel with capacity 0 (rendezvous)', () => {
  test('a send completes only when a receiver takes its value; the waiting sender runs first', async () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<string>(ctx);
    const results: string[] = [];
    channel.asyncSend('a', (err) => results.push(`sent:${err?.code ?? 'ok'}`));
    expect(ctx.poll()).toBe(0); // nobody has taken 'a'
    expect(results).toEqual([]);
    expect(ctx.outstandingWork()).toBe(1);
    channel.asyncReceive((err, value) => results.push(`received:${err?.code ?? value}`));
    expect(results).toEqual([]); // never inside the initiating call
    expect(await ctx.run()).toBe(2);
    expect(results).toEqual(['sent:ok', 'received:a']);
    expect(tracking.live).toBe(0);
  });

  test('a receive waits for a sender; the waiting receiver runs first', async () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<number>(ctx);
    const results: string[] = [];
    channel.asyncReceive((err, value) => results.push(`received:${err?.code ?? value}`));
    expect(ctx.poll()).toBe(0);
    channel.asyncSend(7, (err) => results.push(`sent:${err?.code ?? 'ok'}`));
    expect(results).toEqual([]);
    expect(await ctx.run()).toBe(2);
    expect(results).toEqual(['received:7', 'sent:ok']);
    expect(tracking.live).toBe(0);
  });

  test('waiting senders are served in the order they started', async () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<string>(ctx);
    const results: string[] = [];
    for (const v of ['a', 'b', 'c']) channel.asyncSend(v, (err) => results.push(`sent:${v}:${err?.code ?? 'ok'}`));
    expect(ctx.poll()).toBe(0);
    for (let i = 0; i < 3; i++) channel.asyncReceive((err, value) => results.push(`received:${err?.code ?? value}`));
    expect(await ctx.run()).toBe(6);
    expect(results.filter((r) => r.startsWith('received'))).toEqual(['received:a', 'received:b', 'received:c']);
    expect(results.filter((r) => r.startsWith('sent'))).toEqual(['sent:a:ok', 'sent:b:ok', 'sent:c:ok']);
    expect(tracking.live).toBe(0);
  });

  test('waiting receivers are served in the order they started', async () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<string>(ctx);
    const results: string[] = [];
    for (const name of ['r1', 'r2', 'r3']) channel.asyncReceive((err, value) => results.push(`${name}:${err?.code ?? value}`));
    expect(ctx.poll()).toBe(0);
    for (const v of ['a', 'b', 'c']) channel.asyncSend(v, () => undefined);
    expect(await ctx.run()).toBe(6);
    expect(results).toEqual(['r1:a', 'r2:b', 'r3:c']);
    expect(tracking.live).toBe(0);
  });

  test('handlers are never invoked inside the call that completes them', () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<number>(ctx);
    let ran = 0;
    channel.asyncReceive(() => ran++);
    expect(channel.trySend(1)).toBe(true); // completes the waiting receive, queued
    channel.asyncSend(2, () => ran++);
    expect(channel.tryReceive(() => undefined)).toBe(true); // completes the waiting send, queued
    channel.asyncReceive(() => ran++);
    channel.asyncSend(3, () => ran++); // both complete, queued
    expect(ran).toBe(0);
    expect(ctx.poll()).toBe(4);
    expect(ran).toBe(4);
    expect(tracking.live).toBe(0);
  });

  test('each op is freed before its handler runs', async () => {
    const tracking = new TrackingAllocator(undefined, { log: true });
    const ctx = new IoContext({ allocator: tracking });
    const channel = new Channel<string>(ctx);
    channel.asyncSend('x', () => { tracking.record(`invoke:send live=${String(tracking.live)}`); });
    channel.asyncReceive((_err, v) => { tracking.record(`invoke:receive:${v} live=${String(tracking.live)}`); });
    await ctx.run();
    expect(tracking.events).toEqual([
      'allocate:ChannelSendOp',
      'allocate:ChannelReceiveOp',
      'deallocate:ChannelSendOp',
      'invoke:send live=1',
      'deallocate:ChannelReceiveOp',
      'invoke:receive:x live=0',
    ]);
    expect(tracking.live).toBe(0);
  });

  test('a producer chain and a consumer chain pass 1000 values in order, on two HandlerAllocators after warm-up', async () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<number>(ctx);
    const sendMemory = new HandlerAllocator();
    const receiveMemory = new HandlerAllocator();
    const got: number[] = [];
    let next = 0;
    const onSent = bindAllocator(sendMemory, (err: IoError | null): void => {
      expect(err).toBeNull();
      if (++next < 1000) channel.asyncSend(next, onSent);
    });
    const onReceived = bindAllocator(receiveMemory, (err: IoError | null, n: number): void => {
      expect(err).toBeNull();
      got.push(n);
      if (got.length < 1000) channel.asyncReceive(onReceived);
    });
    channel.asyncSend(0, onSent);
    channel.asyncReceive(onReceived);
    expect(await ctx.run()).toBe(2000);
    expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const sendStats = sendMemory.stats().byKind.channelSend;
    const receiveStats = receiveMemory.stats().byKind.channelReceive;
    expect(sendStats).toMatchObject({ allocations: 1000, fallbacks: 1, live: 0 });
    expect(receiveStats).toMatchObject({ allocations: 1000, fallbacks: 1, live: 0 });
    expect(ctx.allocationStats().byKind.channelSend).toMatchObject({ allocations: 1000, live: 0 });
    expect(tracking.live).toBe(0); // none came from the context's allocator
    expect(tracking.allocations).toBe(0);
  });

  test('promise tokens: usePromise resolves the value, asTuple the [err, value], detached drops the result', async () => {
    const { ctx, tracking } = setup();
    const channel = new Channel<string>(ctx);
    const received: unknown[] = [];
    const sent: unknown[] = [];
    const consumer = (async () => {
      const one: string = await channel.asyncReceive(usePromise);
      received.push(one);
      received.push(await channel.asyncReceive(asTuple(usePromise)));
      received.push(await channel.asyncReceive(usePromise));
    })();
    const producer = (async () => {
      await channel.asyncSend('one', usePromise); // resolves void
      sent.push('one');
      const [err] = await channel.asyncSend('two', asTuple(usePromise));
      sent.push(err);
      channel.asyncSend('three', detached);
    })();
    await ctx.run();
    await Promise.all([consumer, producer]);
    expect(received).toEqual(['one', [null, 'two'], 'three']);
    expect(sent).toEqual(['one', null]);
    channel.close();
    ctx.restart();
    const rejected = channel.asyncReceive(usePromise).catch((e: unknown) => e);
    const sendRejected = channel.asyncSend('late', usePromise).catch((e: unknown) => e);
    const tuple = channel.asyncReceive(asTuple(usePromise));
    await ctx.run();
    expect(await rejected).toBeInstanceOf(IoError);
    expect(await rejected).toMatchObject({ code: 'channel_closed' });
    expect(await sendRejected).toMatchObject({ code: 'channel_closed' });
    const [err, value] = await tuple;
    expect(err?.code).toBe('channel_closed');
    expect(value).toBeUndefined();
    expect(tracking.live).toBe(0);
  });
});
