import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { IDLE_READ_LIMIT } from '../src/net/handle-transport.js';
import { nativeWritesReady } from '../src/net/handle-write.js';
import { SteadyTimer, TcpSocket, asyncWrite, type IoError } from '../src/index.js';
import { acceptOne, collect, localAcceptor, nodeClient, nodeServer, pattern, trackedContext } from './support/net-helpers.js';

/*
 * The data path: reads that keep the handle reading while no read is
 * pending (bytes arriving then are kept, in order, and reading stops after a
 * bounded amount), and writes issued on the handle (completing through the
 * run loop, errors mapped to IoError codes).
 */

const root = resolve(__dirname, '..');

function runChild(args: readonly string[], script: string): Promise<{ stdout: string; stderr: string }> {
  const program = `require(${JSON.stringify(resolve(root, 'tests/support/ts-require.cjs'))});
const lib = require(${JSON.stringify(resolve(root, 'src/index.ts'))});
const nativeWrite = require(${JSON.stringify(resolve(root, 'src/net/handle-write.ts'))});
${script}`;
  return new Promise((ok, fail) => {
    execFile(process.execPath, [...args, '-e', program], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) fail(new Error(`${err.message}\n${stderr}`));
      else ok({ stdout: stdout.trim(), stderr: stderr.trim() });
    });
  });
}

/** Sizes cycling through small, odd and larger-than-IDLE_READ_LIMIT values. */
const SIZES = [1, 7, 64, 1000, 4096, IDLE_READ_LIMIT - 1, IDLE_READ_LIMIT + 5, 65536, 3];

describe('TcpSocket data path', () => {
  test('reads started late, early or in between get every byte in order, whatever their sizes', async () => {
    const { ctx, tracking } = trackedContext();
    const { acceptor, port } = localAcceptor(ctx);
    const data = pattern(3 * 1024 * 1024 + 17, 11);
    const got = Buffer.alloc(data.length);
    let filled = 0;
    let reads = 0;
    let eof: IoError | null = null;
    const timer = new SteadyTimer(ctx);
    acceptor.asyncAccept((err, s) => {
      expect(err).toBeNull();
      acceptor.close();
      const readNext = (): void => {
        const size = SIZES[reads % SIZES.length]!;
        const buf = Buffer.alloc(size);
        s.asyncReadSome(buf, (e, n) => {
          if (e !== null) {
            eof = e;
            s.close();
            return;
          }
          buf.copy(got, filled, 0, n);
          filled += n;
          reads++;
          // Start the next read from this handler, from a later timer, or after a zero-delay wait.
          if (reads % 3 === 0) readNext();
          else {
            timer.expiresAfter(reads % 3 === 1 ? 0 : 2);
            timer.asyncWait(readNext);
          }
        });
      };
      readNext();
    });
    const client = await nodeClient(port);
    // Write in pieces, some back to back and some after a pause, so bytes arrive both while a read is pending and while none is.
    let offset = 0;
    const writeMore = (): void => {
      let burst = 0;
      while (offset < data.length && burst < 5) {
        const size = SIZES[(offset + burst) % SIZES.length]! * 3;
        client.write(data.subarray(offset, Math.min(offset + size, data.length)));
        offset = Math.min(offset + size, data.length);
        burst++;
      }
      if (offset < data.length) setTimeout(writeMore, 1);
      else client.end();
    };
    writeMore();
    await ctx.run();
    expect(filled).toBe(data.length);
    expect(got.equals(data)).toBe(true);
    expect((eof as IoError | null)?.code).toBe('eof');
    expect(tracking.live).toBe(0);
  });

  test('a socket nobody reads stops taking bytes from the kernel, and loses none of them', async () => {
    const { ctx, tracking } = trackedContext();
    const { acceptor, port } = localAcceptor(ctx);
    // Far more than loopback socket buffers hold, so the sender backs up if the reader stops.
    const data = pattern(48 * 1024 * 1024, 5);
    const first = Buffer.alloc(64);
    let server: TcpSocket | null = null;
    acceptor.asyncAccept((err, s) => {
      expect(err).toBeNull();
      acceptor.close();
      server = s;
      // One small read, then none: the handle keeps reading for a while, then must stop.
      s.asyncReadSome(first, (e, n) => {
        expect(e).toBeNull();
        expect(n).toBe(64);
      });
    });
    const client = await nodeClient(port);
    const running = ctx.run();
    client.write(data.subarray(0, 64));
    await new Promise((r) => setTimeout(r, 100));
    let drained = false;
    client.write(data.subarray(64), () => {
      drained = true;
    });
    client.end();
    await new Promise((r) => setTimeout(r, 400));
    // Had the socket kept reading without a read pending, the whole write would be in the runtime by now.
    expect(drained).toBe(false);
    expect(client.writableLength).toBeGreaterThan(0);
    // The run ended when its last operation did; now read everything: not a byte lost or reordered.
    await running;
    ctx.restart();
    const got = Buffer.alloc(data.length);
    data.copy(got, 0, 0, 64);
    let filled = 64;
    const buf = Buffer.alloc(65536);
    const s = server as TcpSocket | null;
    expect(s).not.toBeNull();
    const onRead = (e: IoError | null, n: number): void => {
      if (e !== null) {
        expect(e.code).toBe('eof');
        s!.close();
        return;
      }
      buf.copy(got, filled, 0, n);
      filled += n;
      s!.asyncReadSome(buf, onRead);
    };
    s!.asyncReadSome(buf, onRead);
    await ctx.run();
    expect(filled).toBe(data.length);
    expect(got.equals(data)).toBe(true);
    expect(tracking.live).toBe(0);
  });

  test('writes go straight to the handle after the first one, and complete on the run loop, never inside the call', async () => {
    const { ctx, tracking } = trackedContext();
    const server = await nodeServer((s) => s.pipe(s));
    const sock = new TcpSocket(ctx, { transport: 'handle' });
    const msg = pattern(100, 2);
    const buf = Buffer.alloc(100);
    let round = 0;
    let insideCall = false;
    let completedInside = 0;
    const onRead = (e: IoError | null, n: number): void => {
      expect(e).toBeNull();
      expect(buf.subarray(0, n).equals(msg.subarray(0, n))).toBe(true);
      if (++round === 20) {
        sock.close();
        return;
      }
      insideCall = true;
      // A gathered write with an empty piece, then the rest as one buffer.
      sock.asyncWriteSome([msg.subarray(0, 10), msg.subarray(10, 10), msg.subarray(10, 40)], (e2, n2) => {
        if (insideCall) completedInside++;
        expect(e2).toBeNull();
        expect(n2).toBe(40);
        sock.asyncWriteSome(msg.subarray(40), (e3, n3) => {
          expect(e3).toBeNull();
          expect(n3).toBe(60);
          readAll(0);
        });
      });
      insideCall = false;
    };
    const readAll = (have: number): void => {
      sock.asyncReadSome(buf.subarray(have), (e, n) => {
        expect(e).toBeNull();
        if (have + n < 100) readAll(have + n);
        else onRead(null, 100);
      });
    };
    sock.asyncConnect({ host: '127.0.0.1', port: server.port }, (err) => {
      expect(err).toBeNull();
      insideCall = true;
      sock.asyncWriteSome(msg, (e, n) => {
        if (insideCall) completedInside++;
        expect(e).toBeNull();
        expect(n).toBe(100);
        readAll(0);
      });
      insideCall = false;
    });
    await ctx.run();
    await server.close();
    expect(round).toBe(20);
    expect(completedInside).toBe(0);
    expect(nativeWritesReady()).toBe(true);
    expect(tracking.live).toBe(0);
  });

  test('writing to a peer that reset the connection fails with connection_reset or broken_pipe', async () => {
    const { ctx, tracking } = trackedContext();
    const { acceptor, port } = localAcceptor(ctx);
    const accepted = acceptOne(acceptor);
    const clientPromise = nodeClient(port);
    await ctx.runOne();
    const s = await accepted;
    const client = await clientPromise;
    acceptor.close();
    await ctx.run();
    ctx.restart();
    client.resetAndDestroy();
    await new Promise((r) => setTimeout(r, 50));
    const chunk = Buffer.alloc(65536, 1);
    let writes = 0;
    let failure: IoError | null = null;
    const writeMore = (): void => {
      s.asyncWriteSome(chunk, (e) => {
        if (e !== null) {
          failure = e;
          s.close();
          return;
        }
        if (++writes < 1000) writeMore();
        else s.close();
      });
    };
    writeMore();
    await ctx.run();
    expect(['connection_reset', 'broken_pipe']).toContain((failure as IoError | null)?.code);
    expect(tracking.live).toBe(0);
  });

  test('a 16 MiB write to a slow reader completes only once every byte is handed over', async () => {
    const { ctx, tracking } = trackedContext();
    const { acceptor, port } = localAcceptor(ctx);
    const data = pattern(16 * 1024 * 1024, 9);
    let written = -1;
    acceptor.asyncAccept((err, s) => {
      expect(err).toBeNull();
      acceptor.close();
      asyncWrite(s, [data.subarray(0, 5), data.subarray(5)], (e, n) => {
        expect(e).toBeNull();
        written = n;
        s.shutdown('send');
        s.close();
      });
    });
    const client = await nodeClient(port);
    client.pause();
    const received = collect(client);
    const running = ctx.run();
    await new Promise((r) => setTimeout(r, 200));
    expect(written).toBe(-1); // the kernel cannot hold 16 MiB for a reader that reads nothing
    client.resume();
    await running;
    const bytes = await received;
    expect(written).toBe(data.length);
    expect(bytes.equals(data)).toBe(true);
    expect(tracking.live).toBe(0);
  });

  test('an echo exchange prints no deprecation warning, even under --pending-deprecation', async () => {
    const { stdout, stderr } = await runChild(
      ['--pending-deprecation', '--throw-deprecation'],
      `
const net = require('node:net');
const server = net.createServer((c) => c.pipe(c)).listen(0, '127.0.0.1', () => {
  const ctx = new lib.IoContext();
  const sock = new lib.TcpSocket(ctx, { transport: 'handle' });
  const buf = Buffer.alloc(5);
  let rounds = 0;
  const again = () => {
    sock.asyncWriteSome(Buffer.from('hello'), (e) => {
      if (e) throw e;
      sock.asyncReadSome(buf, (e2) => {
        if (e2) throw e2;
        if (++rounds < 5) again(); else { sock.close(); server.close(); }
      });
    });
  };
  sock.asyncConnect({ host: '127.0.0.1', port: server.address().port }, (e) => { if (e) throw e; again(); });
  ctx.run().then(() => console.log('rounds ' + rounds + ' native ' + nativeWrite.nativeWritesReady()));
});
`,
    );
    expect(stderr).toBe('');
    expect(stdout).toBe('rounds 5 native true');
  });
});
