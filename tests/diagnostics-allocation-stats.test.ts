import diagnosticsChannel from 'node:diagnostics_channel';
import {
  CHANNELS,
  HandlerAllocator,
  IoContext,
  NewAllocator,
  OPERATION_KINDS,
  RecyclingAllocator,
  SteadyTimer,
  TcpSocket,
  TrackingAllocator,
  asyncRead,
  asyncWrite,
  formatAllocationStats,
  makeCustomAllocHandler,
  post,
  transferExactly,
  type AllocationStatsMessage,
  type IoError,
} from '../src/index.js';
import { EchoSession, echoSessions } from './support/echo-sessions.js';

/**
 * A client chain on `ctx`: connect, then `trips` × (asyncWrite 64 bytes,
 * asyncRead the 64-byte echo), every handler bound to `memory`.
 */
function client(ctx: IoContext, port: number, trips: number, memory: HandlerAllocator | null, done: () => void): void {
  const socket = new TcpSocket(ctx);
  const out = Buffer.alloc(64, 7);
  const back = Buffer.alloc(64);
  let left = trips;
  const bind = <H extends (...args: never[]) => void>(h: H): H => (memory === null ? h : makeCustomAllocHandler(memory, h));
  const onRead = bind((err: IoError | null): void => {
    expect(err).toBeNull();
    if (--left === 0) {
      socket.close();
      done();
      return;
    }
    asyncWrite(socket, out, onWrite);
  });
  const onWrite = bind((err: IoError | null): void => {
    expect(err).toBeNull();
    asyncRead(socket, back, transferExactly(64), onRead);
  });
  socket.asyncConnect(
    { host: '127.0.0.1', port },
    bind((err: IoError | null): void => {
      expect(err).toBeNull();
      asyncWrite(socket, out, onWrite);
    }),
  );
}

describe('allocation statistics', () => {
  test('by kind over a real echo: the context counts every op whatever allocator served it, and agrees with the allocators', async () => {
    const contextAllocator = new TrackingAllocator(new RecyclingAllocator());
    const ctx = new IoContext({ allocator: contextAllocator });
    const serverMemories: HandlerAllocator[] = [];
    EchoSession.onStart = (session) => serverMemories.push(session.allocator);
    const { port, stats: server } = echoSessions(ctx, 2);
    const memories = [new HandlerAllocator(), new HandlerAllocator()];
    let finished = 0;
    for (const memory of memories) client(ctx, port, 50, memory, () => finished++);
    await ctx.run().finally(() => (EchoSession.onStart = null));
    expect(finished).toBe(2);
    expect(server.accepted).toBe(2);

    const stats = ctx.allocationStats();
    // 2 clients × 50 trips: one write and one read composed op each, one connect.
    expect(stats.byKind.connect).toMatchObject({ allocations: 2, live: 0 });
    expect(stats.byKind.write).toMatchObject({ allocations: 100, live: 0 });
    expect(stats.byKind.read).toMatchObject({ allocations: 100, live: 0 });
    expect(stats.byKind.accept).toMatchObject({ allocations: 2, live: 0 });
    // Each client's chain is half duplex: its HandlerAllocator reuses one op per kind.
    for (const memory of memories) {
      const own = memory.stats();
      expect(own.byKind.write).toMatchObject({ allocations: 50, fallbacks: 1, hits: 49, live: 0 });
      expect(own.byKind.read).toMatchObject({ allocations: 50, fallbacks: 1, hits: 49, live: 0 });
    }
    expect(stats.live).toBe(0);
    expect(stats.deallocations).toBe(stats.allocations);
    // Every op came from exactly one of these allocators, so their counts add up to the context's, kind by kind.
    const everyAllocator = [...memories, ...serverMemories, contextAllocator].map((m) => m.stats());
    for (const kind of OPERATION_KINDS) {
      const added = { allocations: 0, deallocations: 0, hits: 0, fallbacks: 0, live: 0 };
      for (const one of everyAllocator) {
        const counts = one.byKind[kind];
        if (counts === undefined) continue;
        added.allocations += counts.allocations;
        added.deallocations += counts.deallocations;
        added.hits += counts.hits;
        added.fallbacks += counts.fallbacks;
        added.live += counts.live;
      }
      expect([kind, stats.byKind[kind] ?? { allocations: 0, deallocations: 0, hits: 0, fallbacks: 0, live: 0 }]).toEqual([kind, added]);
    }
  });

  test('with only the context allocator, the context and the allocator report the same numbers', async () => {
    const recycling = new RecyclingAllocator();
    const ctx = new IoContext({ allocator: recycling });
    const timer = new SteadyTimer(ctx);
    let chain = 0;
    const next = (): void => {
      if (++chain < 100) post(ctx, next);
    };
    post(ctx, next);
    timer.expiresAfter(1);
    timer.asyncWait(() => undefined);
    await ctx.run();
    const fromContext = ctx.allocationStats();
    expect(fromContext).toEqual(recycling.stats());
    expect(fromContext.byKind.post).toEqual({ allocations: 100, deallocations: 100, hits: 99, fallbacks: 1, live: 0 });
    expect(fromContext.byKind.wait).toEqual({ allocations: 1, deallocations: 1, hits: 0, fallbacks: 1, live: 0 });
    expect(Object.keys(fromContext.byKind).sort()).toEqual(['post', 'wait']);
  });

  test('live counts pending operations by kind; NewAllocator falls back to new every time', async () => {
    const fresh = new NewAllocator();
    const ctx = new IoContext({ allocator: fresh });
    const timer = new SteadyTimer(ctx);
    timer.expiresAfter(60_000);
    timer.asyncWait(() => undefined);
    timer.asyncWait(() => undefined);
    post(ctx, () => undefined);
    expect(ctx.allocationStats().byKind).toEqual({
      post: { allocations: 1, deallocations: 0, hits: 0, fallbacks: 1, live: 1 },
      wait: { allocations: 2, deallocations: 0, hits: 0, fallbacks: 2, live: 2 },
    });
    timer.cancel();
    await ctx.run();
    expect(ctx.allocationStats()).toMatchObject({ allocations: 3, hits: 0, fallbacks: 3, live: 0 });
    expect(fresh.stats()).toMatchObject({ allocations: 3, hits: 0, fallbacks: 3, live: 0 });
  });

  test('shutdown frees what was pending: live drops to zero', () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const timer = new SteadyTimer(ctx);
    timer.expiresAfter(60_000);
    timer.asyncWait(() => undefined);
    post(ctx, () => undefined);
    expect(ctx.allocationStats().live).toBe(2);
    ctx.shutdown();
    expect(ctx.allocationStats()).toMatchObject({ allocations: 2, deallocations: 2, live: 0 });
    expect(tracking.stats()).toMatchObject({ allocations: 2, deallocations: 2, live: 0 });
    expect(tracking.live).toBe(0);
  });

  test('TrackingAllocator counts a reused op object as recycled, by kind', async () => {
    const tracking = new TrackingAllocator(new RecyclingAllocator());
    const ctx = new IoContext({ allocator: tracking });
    post(ctx, () => {
      post(ctx, () => undefined);
    });
    await ctx.run();
    expect(tracking.stats().byKind.post).toEqual({ allocations: 2, deallocations: 2, hits: 1, fallbacks: 1, live: 0 });
  });

  test('published on proactor:allocation-stats when a run ends and on demand', async () => {
    const messages: AllocationStatsMessage[] = [];
    const listener = (message: unknown): void => {
      messages.push(message as AllocationStatsMessage);
    };
    diagnosticsChannel.subscribe(CHANNELS.allocationStats, listener);
    try {
      const ctx = new IoContext();
      post(ctx, () => undefined);
      await ctx.run();
      const ours = messages.filter((m) => m.context === ctx);
      expect(ours).toHaveLength(1);
      expect(ours[0]!.stats.byKind.post).toMatchObject({ allocations: 1, live: 0 });
      ctx.publishAllocationStats();
      expect(messages.filter((m) => m.context === ctx)).toHaveLength(2);
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.allocationStats, listener);
    }
  });

  test('formatAllocationStats renders one row per kind allocated and a total', async () => {
    const ctx = new IoContext();
    post(ctx, () => {
      post(ctx, () => undefined);
    });
    await ctx.run();
    const text = formatAllocationStats(ctx.allocationStats());
    const rows = text.split('\n').map((line) => line.trim().split(/\s+/));
    expect(rows).toEqual([
      ['kind', 'allocated', 'recycled', 'new', 'live'],
      ['post', '2', '1', '1', '0'],
      ['total', '2', '1', '1', '0'],
    ]);
  });
});
