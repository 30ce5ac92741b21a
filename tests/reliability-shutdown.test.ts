import type * as net from 'node:net';
import {
  DynamicBuffer,
  HandlerAllocator,
  IoContext,
  SteadyTimer,
  TcpAcceptor,
  TcpSocket,
  TrackingAllocator,
  asyncRead,
  asyncReadUntil,
  asyncWrite,
  makeCustomAllocHandler,
  makeWorkGuard,
  transferExactly,
} from '../src/index.js';
import { nodeServer } from './support/net-helpers.js';

test('shutdown() with thousands of pending reads, writes, accepts and waits invokes nothing and frees every op', async () => {
  const tracking = new TrackingAllocator();
  const ctx = new IoContext({ allocator: tracking });
  const PAIRS = 40;
  const PER_SOCKET = 30;
  const ACCEPTS = 1500;
  const TIMERS = 2000;
  let invoked = 0;
  const onAny = (): void => {
    invoked++;
  };

  // Set-up under a running context: PAIRS connected proactor sockets on each side.
  const peers = new Set<net.Socket>();
  const sink = await nodeServer((s) => {
    peers.add(s);
    s.pause(); // never reads: writes towards it back up
  });
  const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
  const guard = makeWorkGuard(ctx);
  const running = ctx.run();
  const writers: TcpSocket[] = [];
  const readers: TcpSocket[] = [];
  await Promise.all(
    Array.from({ length: PAIRS }, async () => {
      const w = new TcpSocket(ctx);
      await new Promise<void>((resolve, reject) => {
        w.asyncConnect({ host: '127.0.0.1', port: sink.port }, (err) => {
          if (err) reject(err);
          else resolve();
        });
      });
      writers.push(w);
    }),
  );
  const dialers: TcpSocket[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const d = new TcpSocket(ctx);
    const connected = new Promise<void>((resolve, reject) => {
      d.asyncConnect({ host: '127.0.0.1', port: acceptor.localEndpoint().port }, (err) => {
          if (err) reject(err);
          else resolve();
        });
    });
    const accepted = new Promise<TcpSocket>((resolve, reject) => {
      acceptor.asyncAccept((err, s) => {
        if (err) reject(err);
        else resolve(s);
      });
    });
    await connected;
    readers.push(await accepted);
    dialers.push(d);
  }
  guard.reset();
  ctx.stop();
  await running;

  // Now start everything while no run is active: completions only queue.
  const sessionAllocators: HandlerAllocator[] = [];
  const big = Buffer.alloc(256 * 1024, 7);
  for (let i = 0; i < PAIRS; i++) {
    const a = new HandlerAllocator();
    sessionAllocators.push(a);
    const r = readers[i]!;
    r.asyncReadSome(Buffer.alloc(1024), makeCustomAllocHandler(a, onAny));
    for (let k = 1; k < PER_SOCKET; k++) {
      if (k % 3 === 0) asyncRead(r, Buffer.alloc(4096), transferExactly(4096), onAny);
      else if (k % 3 === 1) asyncReadUntil(r, new DynamicBuffer(1 << 16), '\r\n', onAny);
      else r.asyncReadSome(Buffer.alloc(512), onAny);
    }
    const w = writers[i]!;
    w.asyncWriteSome(big, makeCustomAllocHandler(a, onAny));
    for (let k = 1; k < PER_SOCKET; k++) {
      if (k % 2 === 0) asyncWrite(w, [big, big], onAny);
      else w.asyncWriteSome(big, onAny);
    }
    // Data that arrives for the dialers' peers completes reads into the queue (not run).
    dialers[i]!.asyncWriteSome(Buffer.from('some bytes, no delimiter'), onAny);
  }
  for (let i = 0; i < ACCEPTS; i++) acceptor.asyncAccept(onAny);
  const timers: SteadyTimer[] = [];
  for (let i = 0; i < TIMERS; i++) {
    const t = new SteadyTimer(ctx);
    t.expiresAfter(i % 2 === 0 ? 60_000 : 0); // half are already due: queued, not run
    t.asyncWait(onAny);
    timers.push(t);
  }
  await new Promise((r) => setTimeout(r, 100)); // let I/O complete into the queue
  expect(tracking.live).toBeGreaterThanOrEqual(PAIRS * PER_SOCKET * 2 + ACCEPTS + TIMERS);
  expect(ctx.outstandingWork()).toBeGreaterThan(0);

  ctx.shutdown();
  expect(invoked).toBe(0);
  expect(tracking.live).toBe(0);
  for (const a of sessionAllocators) expect(a.stats().live).toBe(0);
  expect(acceptor.isOpen()).toBe(false);
  for (const s of [...readers, ...writers, ...dialers]) expect(s.isOpen()).toBe(false);
  // Nothing runs later either: a new run finds a stopped context.
  expect(await ctx.run()).toBe(0);
  await new Promise((r) => setTimeout(r, 50));
  expect(invoked).toBe(0);
  expect(tracking.live).toBe(0);
  for (const p of peers) p.destroy();
  await sink.close();
});
