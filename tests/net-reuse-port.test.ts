import * as net from 'node:net';
import { IoContext, IoError, TcpAcceptor, TrackingAllocator, type TcpSocket } from '../src/index.js';
import { hasReusePort, thrownCode } from './support/multi-core.js';

/** Connects, sends one byte, resolves with the byte the server answered (its acceptor's mark). */
function ask(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => c.write('?'));
    c.once('data', (d: Buffer) => {
      resolve(d.toString());
      c.end();
    });
    c.on('error', reject);
  });
}

/** Serves on `acceptor` until closed: every connection gets `mark` back for its first byte. */
function answerWith(acceptor: TcpAcceptor, mark: string, served: { n: number }): void {
  const reply = Buffer.from(mark);
  const onAccept = (err: IoError | null, socket: TcpSocket): void => {
    if (err !== null) return;
    served.n++;
    const one = Buffer.alloc(1);
    socket.asyncReadSome(one, (e) => {
      if (e !== null) { socket.close(); return; }
      socket.asyncWriteSome(reply, () => { socket.close(); });
    });
    acceptor.asyncAccept(onAccept);
  };
  acceptor.asyncAccept(onAccept);
}

describe('TcpAcceptor reusePort', () => {
  (hasReusePort ? test : test.skip)('two contexts listen on one port and the kernel spreads 200 connections over both (Linux, libuv >= 1.49)', async () => {
    const tracking = new TrackingAllocator();
    const a = new IoContext({ allocator: tracking });
    const b = new IoContext({ allocator: tracking });
    const first = new TcpAcceptor(a, { host: '127.0.0.1', port: 0 }, { reusePort: true });
    const { port } = first.localEndpoint();
    const second = new TcpAcceptor(b, { host: '127.0.0.1', port }, { reusePort: true });
    expect(second.localEndpoint().port).toBe(port);
    const servedA = { n: 0 };
    const servedB = { n: 0 };
    answerWith(first, 'a', servedA);
    answerWith(second, 'b', servedB);
    const runs = Promise.all([a.run(), b.run()]);
    const answers: string[] = [];
    for (let i = 0; i < 200; i += 20) answers.push(...(await Promise.all(Array.from({ length: 20 }, () => ask(port)))));
    first.close();
    second.close();
    await runs;
    // Each connection was answered by exactly one acceptor, and both took part.
    expect(answers).toHaveLength(200);
    expect(answers.filter((x) => x === 'a')).toHaveLength(servedA.n);
    expect(answers.filter((x) => x === 'b')).toHaveLength(servedB.n);
    expect(servedA.n + servedB.n).toBe(200);
    expect(servedA.n).toBeGreaterThan(0);
    expect(servedB.n).toBeGreaterThan(0);
    expect(tracking.live).toBe(0);
  });

  (hasReusePort ? test : test.skip)('without reusePort on both, the second bind is address_in_use (Linux, libuv >= 1.49)', async () => {
    const ctx = new IoContext();
    const first = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 }, { reusePort: true });
    const { port } = first.localEndpoint();
    expect(thrownCode(() => new TcpAcceptor(ctx, { host: '127.0.0.1', port }))).toBe('address_in_use');
    first.close();
    await ctx.run();
  });

  (hasReusePort ? test.skip : test)('where libuv lacks UV_TCP_REUSEPORT (Node 20) the constructor throws operation_not_supported, naming what is needed', () => {
    const ctx = new IoContext();
    let thrown: unknown;
    try {
      new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 }, { reusePort: true });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(IoError);
    expect((thrown as IoError).code).toBe('operation_not_supported');
    expect((thrown as IoError).message).toMatch(/libuv 1\.49.*Node 22\.12/);
  });

  test('reusePort must be a boolean; false is the ordinary exclusive bind', async () => {
    const ctx = new IoContext();
    expect(() => new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 }, { reusePort: 'yes' as unknown as boolean })).toThrow(TypeError);
    const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 }, { reusePort: false });
    expect(thrownCode(() => new TcpAcceptor(ctx, { host: '127.0.0.1', port: acceptor.localEndpoint().port }))).toBe('address_in_use');
    // An acceptor that bound in its constructor already listens: the wait completes at once (queued).
    expect(acceptor.listening()).toBe(true);
    const waits: string[] = [];
    acceptor.asyncWaitListening((err) => waits.push(err?.code ?? 'ok'));
    expect(waits).toEqual([]);
    acceptor.close();
    acceptor.asyncWaitListening((err) => waits.push(String(err?.code)));
    await ctx.run();
    expect(waits).toEqual(['ok', 'bad_descriptor']);
  });
});
