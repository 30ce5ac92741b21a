import * as net from 'node:net';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { IoContext, TcpAcceptor, TcpSocket, asyncWrite, type IoError } from '../src/index.js';
import { nativeAddon } from '../src/net/native/native-addon.js';
import { collect, nodeClient, pattern, trackedContext } from './support/net-helpers.js';

/*
 * What only the native transport has: reads kept started between reads,
 * completions in batches (a batch whose later records belong to sockets an
 * earlier handler closed or cancelled), buffers held while libuv holds
 * them, and handles that libuv really closes. The rest of its behaviour is
 * the whole stream suite, which runs on it by default where it is built.
 */

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const addon = nativeAddon();
const describeNative = addon === null ? describe.skip : describe;

/** Native sockets and servers libuv has not finished closing. */
function openHandles(): number {
  return addon!.openHandles();
}

/** Waits a few event-loop turns, so libuv runs the close callbacks of closed handles. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}

function nativeAcceptor(ctx: IoContext): { acceptor: TcpAcceptor; port: number } {
  const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 }, { transport: 'native' });
  return { acceptor, port: acceptor.localEndpoint().port };
}

/** `count` accepted native sockets and their node:net peers; the acceptor is closed and the context restarted. */
async function nativePairs(ctx: IoContext, count: number): Promise<{ socks: TcpSocket[]; peers: net.Socket[] }> {
  const { acceptor, port } = nativeAcceptor(ctx);
  const socks: TcpSocket[] = [];
  const acceptNext = (): void => {
    acceptor.asyncAccept((err, s) => {
      expect(err).toBeNull();
      socks.push(s);
      if (socks.length < count) acceptNext();
      else acceptor.close();
    });
  };
  acceptNext();
  const running = ctx.run();
  const peers: net.Socket[] = [];
  for (let i = 0; i < count; i++) peers.push(await nodeClient(port));
  await running;
  ctx.restart();
  for (const p of peers) p.setNoDelay(true);
  return { socks, peers };
}

describeNative('the native transport', () => {
  test('an echo chain keeps reading started: one read start, zero bytes copied, over 2,000 round trips', async () => {
    const { ctx, tracking } = trackedContext();
    const before = openHandles();
    const { socks, peers } = await nativePairs(ctx, 1);
    const sock = socks[0]!;
    const peer = peers[0]!;
    expect(sock.transport).toBe('native');
    const buf = Buffer.alloc(4096);
    let rounds = 0;
    const onRead = (err: IoError | null, n: number): void => {
      if (err) {
        sock.close();
        return;
      }
      asyncWrite(sock, buf.subarray(0, n), (e) => {
        if (e) {
          sock.close();
          return;
        }
        rounds++;
        sock.asyncReadSome(buf, onRead);
      });
    };
    sock.asyncReadSome(buf, onRead);
    const msg = pattern(64, 3);
    let back = 0;
    let sent = 0;
    peer.on('data', (d: Buffer) => {
      back += d.length;
      if (back % 64 !== 0) return;
      if (++sent < 2000) peer.write(msg);
      else peer.end();
    });
    peer.write(msg);
    await ctx.run();
    expect(rounds).toBe(2000);
    expect(back).toBe(2000 * 64);
    const stats = sock.transportStats();
    expect(stats).toEqual({ transport: 'native', bytesCopied: 0, readStarts: 1 });
    peer.destroy();
    await settle();
    expect(openHandles()).toBe(before);
    expect(tracking.live).toBe(0);
  });

  test('closing with a read and a large write in flight: both complete with operation_aborted, the handle is closed, no byte is lost before', async () => {
    const { ctx, tracking } = trackedContext();
    const before = openHandles();
    const { socks, peers } = await nativePairs(ctx, 1);
    const sock = socks[0]!;
    const peer = peers[0]!;
    peer.pause(); // the peer reads nothing: the write cannot finish
    const events: string[] = [];
    sock.asyncReadSome(Buffer.alloc(100), (err, n) => events.push(`read:${err?.code ?? 'ok'}:${n}`));
    sock.asyncWriteSome(pattern(32 * 1024 * 1024, 4), (err, n) => events.push(`write:${err?.code ?? 'ok'}:${n}`));
    const timer = setTimeout(() => {
      sock.close();
    }, 50);
    await ctx.run();
    clearTimeout(timer);
    expect(events.sort()).toEqual(['read:operation_aborted:0', 'write:operation_aborted:0']);
    peer.destroy();
    await settle();
    expect(openHandles()).toBe(before);
    expect(tracking.live).toBe(0);
  });

  test('a batch whose first handler shuts the context down: the later records are dropped, no handler runs, nothing leaks', async () => {
    const { ctx, tracking } = trackedContext();
    const before = openHandles();
    const { socks, peers } = await nativePairs(ctx, 4);
    // Data for every socket is in the kernel before the run: one poll pass reads it all, one batch delivers it.
    for (const p of peers) p.write('x');
    await new Promise((r) => setTimeout(r, 50));
    let handlers = 0;
    for (const s of socks) {
      s.asyncReadSome(Buffer.alloc(16), () => {
        handlers++;
        ctx.shutdown();
      });
    }
    await ctx.run();
    expect(handlers).toBe(1);
    for (const s of socks) expect(s.isOpen()).toBe(false);
    for (const p of peers) p.destroy();
    await settle();
    expect(openHandles()).toBe(before);
    expect(tracking.live).toBe(0);
  });

  test('a read cancelled after its bytes landed but before its batch ran keeps them for the next read', async () => {
    const { ctx, tracking } = trackedContext();
    const { socks, peers } = await nativePairs(ctx, 2);
    const [a, b] = socks as [TcpSocket, TcpSocket];
    peers[0]!.write('first');
    peers[1]!.write('second');
    await new Promise((r) => setTimeout(r, 50));
    const bufs = [Buffer.alloc(16), Buffer.alloc(16)];
    const results: string[] = [];
    let done = 0;
    // Both reads land in one poll pass; whichever handler runs first cancels the other socket's read.
    const start = (self: TcpSocket, other: TcpSocket, buf: Buffer): void => {
      self.asyncReadSome(buf, (err, n) => {
        if (err) {
          results.push(err.code);
          buf.fill(0); // the caller owns the buffer again: the landed bytes must not live only here
          self.asyncReadSome(buf, (e2, n2) => {
            results.push(`${e2?.code ?? 'ok'}:${buf.toString('latin1', 0, n2)}`);
            if (++done === 2) ctx.stop();
          });
          return;
        }
        results.push(`ok:${buf.toString('latin1', 0, n)}`);
        if (done === 0) other.cancel();
        if (++done === 2) ctx.stop();
      });
    };
    start(a, b, bufs[0]!);
    start(b, a, bufs[1]!);
    await ctx.run();
    expect(results).toHaveLength(3);
    expect(results[1]).toBe('operation_aborted');
    expect([results[0], results[2]].sort()).toEqual(['ok:first', 'ok:second']);
    a.close();
    b.close();
    for (const p of peers) p.destroy();
    expect(tracking.live).toBe(0);
  });

  test('buffers libuv holds stay alive without any other reference (gc between start and completion)', async () => {
    const { ctx, tracking } = trackedContext();
    const { socks, peers } = await nativePairs(ctx, 1);
    const sock = socks[0]!;
    const peer = peers[0]!;
    const size = 8 * 1024 * 1024;
    const refs: WeakRef<Buffer>[] = [];
    // A write the kernel cannot take at once (the peer is paused) and a read, their buffers referenced only by the addon.
    peer.pause();
    const received = collect(peer);
    let written = -1;
    let readN = -1;
    (() => {
      const out = pattern(size, 12);
      const into = Buffer.alloc(64);
      refs.push(new WeakRef(out), new WeakRef(into));
      sock.asyncWriteSome(out, (err, n) => {
        expect(err).toBeNull();
        written = n;
      });
      sock.asyncReadSome(into, (err, n) => {
        expect(err).toBeNull();
        readN = n;
      });
    })();
    const running = ctx.run();
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(refs.every((r) => r.deref() !== undefined)).toBe(true);
    peer.resume();
    peer.write('reply');
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (written >= 0 && readN >= 0) resolve();
        else setTimeout(check, 5);
      };
      check();
    });
    sock.shutdown('send');
    peer.end();
    sock.close();
    await running;
    expect(written).toBe(size);
    expect(readN).toBe(5);
    const bytes = await received;
    expect(bytes.equals(pattern(size, 12))).toBe(true);
    peer.destroy();
    expect(tracking.live).toBe(0);
  });

  test('an echo with full garbage collections inside batches: every byte back in order', async () => {
    const ctx = new IoContext();
    const { acceptor, port } = nativeAcceptor(ctx);
    const sessions = 4;
    let served = 0;
    let reads = 0;
    let collections = 0;
    const serve = (): void => {
      acceptor.asyncAccept((err, s) => {
        if (err) return;
        const onRead = (e: IoError | null, n: number, buf: Buffer): void => {
          if (e) {
            s.close();
            return;
          }
          // A fresh buffer per read, the last one dropped: only the addon holds the pending read's.
          if (++reads % 32 === 0 && collections < 12) {
            collections++;
            gc();
          }
          asyncWrite(s, buf.subarray(0, n), (e2) => {
            if (e2) s.close();
            else readNext();
          });
        };
        const readNext = (): void => {
          const buf = Buffer.alloc(1024);
          s.asyncReadSome(buf, (e, n) => {
            onRead(e, n, buf);
          });
        };
        readNext();
        if (++served < sessions) serve();
        else acceptor.close();
      });
    };
    serve();
    const running = ctx.run();
    const clients = await Promise.all(Array.from({ length: sessions }, () => nodeClient(port)));
    const results = await Promise.all(
      clients.map(async (c, i) => {
        const data = pattern(128 * 1024, 20 + i);
        const back = new Promise<Buffer>((resolve) => {
          const chunks: Buffer[] = [];
          let got = 0;
          c.on('data', (d: Buffer) => {
            chunks.push(d);
            got += d.length;
            if (got >= data.length) resolve(Buffer.concat(chunks));
          });
        });
        for (let off = 0; off < data.length; off += 4096) c.write(data.subarray(off, off + 4096));
        const got = await back;
        c.end();
        return got.equals(data);
      }),
    );
    await running;
    expect(results).toEqual([true, true, true, true]);
    expect(collections).toBe(12);
    for (const c of clients) c.destroy();
  });

  test('a write to a socket the peer reset fails with connection_reset or broken_pipe, from the run loop', async () => {
    const { ctx, tracking } = trackedContext();
    const { socks, peers } = await nativePairs(ctx, 1);
    const sock = socks[0]!;
    peers[0]!.resetAndDestroy();
    await new Promise((r) => setTimeout(r, 50));
    let failure: IoError | null = null;
    let inside = true;
    const chunk = Buffer.alloc(65536, 1);
    const more = (): void => {
      sock.asyncWriteSome(chunk, (err) => {
        expect(inside).toBe(false);
        if (err) {
          failure = err;
          sock.close();
        } else more();
      });
    };
    more();
    inside = false;
    await ctx.run();
    expect(['connection_reset', 'broken_pipe']).toContain((failure as IoError | null)?.code);
    expect(tracking.live).toBe(0);
  });
});
