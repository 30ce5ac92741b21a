import {
  CancellationSignal,
  CancellationType,
  DynamicBuffer,
  IoContext,
  Resolver,
  TcpSocket,
  TrackingAllocator,
  asyncRead,
  asyncReadUntil,
  asyncWrite,
  bindAllocator,
  bindCancellationSlot,
} from '../src/index.js';
import { WatchingStream, connectedPair } from './support/cancellation-helpers.js';
import { localAcceptor, nodeClient } from './support/net-helpers.js';

/**
 * Each op kind, started with a handler bound to a logging TrackingAllocator:
 * its memory must be back (deallocate logged, nothing live) before the
 * handler is invoked. For the composed ops the intermediate reads and writes
 * come from the same allocator, one at a time, and are freed too.
 */
function logging(): { tracking: TrackingAllocator } {
  return { tracking: new TrackingAllocator(undefined, { log: true }) };
}

function expectFreedFirst(tracking: TrackingAllocator, op: string, liveAtInvoke: number): void {
  const events = tracking.events;
  const invoke = events.indexOf('invoke');
  expect(invoke).toBeGreaterThan(0);
  expect(events[0]).toBe(`allocate:${op}`);
  expect(events[invoke - 1]).toBe(`deallocate:${op}`);
  expect(events.slice(invoke + 1)).toEqual([]);
  expect(liveAtInvoke).toBe(0);
  expect(tracking.live).toBe(0);
}

describe('socket operations free their memory before invoking the handler', () => {
  test('ReadSomeOp', async () => {
    const { ctx, sock, peer } = await connectedPair();
    const { tracking } = logging();
    let live = -1;
    sock.asyncReadSome(
      Buffer.alloc(8),
      bindAllocator(tracking, () => {
        live = tracking.live;
        tracking.record('invoke');
      }),
    );
    peer.write('x');
    await ctx.run();
    expectFreedFirst(tracking, 'ReadSomeOp', live);
    expect(tracking.events).toEqual(['allocate:ReadSomeOp', 'deallocate:ReadSomeOp', 'invoke']);
    sock.close();
    peer.destroy();
  });

  test('ReadSomeOp aborted through its cancellation slot', async () => {
    const { ctx, sock, peer } = await connectedPair();
    const { tracking } = logging();
    const signal = new CancellationSignal();
    let live = -1;
    sock.asyncReadSome(
      Buffer.alloc(8),
      bindCancellationSlot(
        signal.slot(),
        bindAllocator(tracking, () => {
          live = tracking.live;
          tracking.record('invoke');
        }),
      ),
    );
    signal.emit(CancellationType.terminal);
    await ctx.run();
    expect(tracking.events).toEqual(['allocate:ReadSomeOp', 'deallocate:ReadSomeOp', 'invoke']);
    expectFreedFirst(tracking, 'ReadSomeOp', live);
    sock.close();
    peer.destroy();
  });

  test('WriteSomeOp', async () => {
    const { ctx, sock, peer } = await connectedPair();
    const { tracking } = logging();
    let live = -1;
    sock.asyncWriteSome(
      Buffer.from('hello'),
      bindAllocator(tracking, () => {
        live = tracking.live;
        tracking.record('invoke');
      }),
    );
    await ctx.run();
    expect(tracking.events).toEqual(['allocate:WriteSomeOp', 'deallocate:WriteSomeOp', 'invoke']);
    expectFreedFirst(tracking, 'WriteSomeOp', live);
    sock.close();
    peer.destroy();
  });

  test('ConnectOp', async () => {
    const ctx = new IoContext();
    const { acceptor, port } = localAcceptor(ctx);
    const { tracking } = logging();
    const sock = new TcpSocket(ctx);
    let live = -1;
    sock.asyncConnect(
      { host: '127.0.0.1', port },
      bindAllocator(tracking, () => {
        live = tracking.live;
        tracking.record('invoke');
        sock.close();
        acceptor.close();
      }),
    );
    await ctx.run();
    expect(tracking.events).toEqual(['allocate:ConnectOp', 'deallocate:ConnectOp', 'invoke']);
    expectFreedFirst(tracking, 'ConnectOp', live);
  });

  test('AcceptOp', async () => {
    const ctx = new IoContext();
    const { acceptor, port } = localAcceptor(ctx);
    const { tracking } = logging();
    let live = -1;
    acceptor.asyncAccept(
      bindAllocator(tracking, (_err: unknown, s: TcpSocket) => {
        live = tracking.live;
        tracking.record('invoke');
        s.close();
        acceptor.close();
      }),
    );
    const client = await nodeClient(port);
    await ctx.run();
    expect(tracking.events).toEqual(['allocate:AcceptOp', 'deallocate:AcceptOp', 'invoke']);
    expectFreedFirst(tracking, 'AcceptOp', live);
    client.destroy();
  });

  test('ResolveOp', async () => {
    const ctx = new IoContext();
    const resolver = new Resolver(ctx);
    const { tracking } = logging();
    let live = -1;
    resolver.asyncResolve(
      '127.0.0.1',
      80,
      bindAllocator(tracking, () => {
        live = tracking.live;
        tracking.record('invoke');
      }),
    );
    await ctx.run();
    expect(tracking.events).toEqual(['allocate:ResolveOp', 'deallocate:ResolveOp', 'invoke']);
    expectFreedFirst(tracking, 'ResolveOp', live);
  });
});

describe('composed operations free their memory (and their steps) before invoking the handler', () => {
  test('ReadOp', async () => {
    const { ctx, sock, peer } = await connectedPair();
    const { tracking } = logging();
    let live = -1;
    const buf = Buffer.alloc(6);
    // The second half is sent only once the read for it is pending, so there are two steps.
    const stream = new WatchingStream(sock, buf, (offset) => {
      if (offset === 3) peer.write('def');
    });
    asyncRead(
      stream,
      buf,
      bindAllocator(tracking, () => {
        live = tracking.live;
        tracking.record('invoke');
      }),
    );
    peer.write('abc');
    await ctx.run();
    expect(buf.toString()).toBe('abcdef');
    // One intermediate read live at a time, each freed before the next starts.
    expect(tracking.events).toEqual([
      'allocate:ReadOp',
      'allocate:ReadSomeOp',
      'deallocate:ReadSomeOp',
      'allocate:ReadSomeOp',
      'deallocate:ReadSomeOp',
      'deallocate:ReadOp',
      'invoke',
    ]);
    expectFreedFirst(tracking, 'ReadOp', live);
    sock.close();
    peer.destroy();
  });

  test('WriteOp', async () => {
    const { ctx, sock, peer } = await connectedPair();
    const { tracking } = logging();
    let live = -1;
    asyncWrite(
      sock,
      [Buffer.from('ab'), Buffer.from('cd')],
      bindAllocator(tracking, () => {
        live = tracking.live;
        tracking.record('invoke');
      }),
    );
    await ctx.run();
    expect(tracking.events).toEqual(['allocate:WriteOp', 'allocate:WriteSomeOp', 'deallocate:WriteSomeOp', 'deallocate:WriteOp', 'invoke']);
    expectFreedFirst(tracking, 'WriteOp', live);
    sock.close();
    peer.destroy();
  });

  test('ReadUntilOp', async () => {
    const { ctx, sock, peer } = await connectedPair();
    const { tracking } = logging();
    let live = -1;
    asyncReadUntil(
      sock,
      new DynamicBuffer(),
      '\n',
      bindAllocator(tracking, () => {
        live = tracking.live;
        tracking.record('invoke');
      }),
    );
    peer.write('line\n');
    await ctx.run();
    expect(tracking.events).toEqual(['allocate:ReadUntilOp', 'allocate:ReadSomeOp', 'deallocate:ReadSomeOp', 'deallocate:ReadUntilOp', 'invoke']);
    expectFreedFirst(tracking, 'ReadUntilOp', live);
    sock.close();
    peer.destroy();
  });
});
