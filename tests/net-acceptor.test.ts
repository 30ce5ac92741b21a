import { IoError, TcpAcceptor, TcpSocket, type IoContext } from '../src/index.js';
import { localAcceptor, nodeClient, trackedContext } from './support/net-helpers.js';

describe('TcpAcceptor', () => {
  test('a port in use throws IoError address_in_use from the constructor', async () => {
    const { ctx, tracking } = trackedContext();
    const { acceptor, port } = localAcceptor(ctx);
    let thrown: unknown;
    try {
      new TcpAcceptor(ctx, { host: '127.0.0.1', port });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(IoError);
    expect((thrown as IoError).code).toBe('address_in_use');
    acceptor.close();
    await ctx.run();
    expect(tracking.live).toBe(0);
  });

  test('bad arguments throw TypeError', () => {
    const { ctx } = trackedContext();
    expect(() => new TcpAcceptor(ctx, { host: 'localhost', port: 0 })).toThrow(TypeError);
    expect(() => new TcpAcceptor(ctx, { host: '127.0.0.1', port: 70000 })).toThrow(TypeError);
    expect(() => new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 }, { backlog: 0 })).toThrow(TypeError);
    expect(() => new TcpAcceptor(JSON.parse('{}') as IoContext, { host: '127.0.0.1', port: 0 })).toThrow(TypeError);
  });

  test('close() aborts a pending accept; accepting on a closed acceptor is bad_descriptor', async () => {
    const { ctx, tracking } = trackedContext();
    const { acceptor } = localAcceptor(ctx);
    const codes: string[] = [];
    acceptor.asyncAccept((err, s) => {
      codes.push(String(err?.code));
      expect(s).toBeNull();
      acceptor.asyncAccept((e2) => codes.push(String(e2?.code)));
    });
    acceptor.close();
    acceptor.close();
    expect(acceptor.isOpen()).toBe(false);
    expect(() => acceptor.localEndpoint()).toThrow(IoError);
    await ctx.run();
    expect(codes).toEqual(['operation_aborted', 'bad_descriptor']);
    expect(tracking.live).toBe(0);
  });

  test('connections arriving with no accept pending wait, then are accepted in order', async () => {
    const { ctx, tracking } = trackedContext();
    const { acceptor, port } = localAcceptor(ctx);
    const a = await nodeClient(port);
    const b = await nodeClient(port);
    a.write('A');
    b.write('B');
    await new Promise((resolve) => setTimeout(resolve, 30));
    const got: string[] = [];
    let accepted = 0;
    const onAccept = (err: IoError | null, s: TcpSocket): void => {
      expect(err).toBeNull();
      accepted++;
      const buf = Buffer.alloc(4);
      s.asyncReadSome(buf, (e, n) => {
        got.push(buf.subarray(0, n).toString());
        s.close();
      });
      if (accepted < 2) acceptor.asyncAccept(onAccept);
      else acceptor.close();
    };
    acceptor.asyncAccept(onAccept);
    await ctx.run();
    a.destroy();
    b.destroy();
    expect(got.sort()).toEqual(['A', 'B']);
    expect(tracking.live).toBe(0);
  });

  test('accept racing close: a connection queued at close is dropped and the client sees the end', async () => {
    const { ctx, tracking } = trackedContext();
    const { acceptor, port } = localAcceptor(ctx);
    const client = await nodeClient(port);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const closed = new Promise<void>((resolve) => client.on('close', () => { resolve(); }));
    client.on('error', () => undefined);
    client.resume();
    acceptor.close();
    let code = '';
    acceptor.asyncAccept((err) => (code = String(err?.code)));
    await ctx.run();
    await closed;
    expect(code).toBe('bad_descriptor');
    expect(tracking.live).toBe(0);
  });

  test('many clients accepted and served concurrently', async () => {
    const { ctx, tracking } = trackedContext();
    const { acceptor, port } = localAcceptor(ctx);
    const count = 20;
    let accepted = 0;
    const onAccept = (err: IoError | null, s: TcpSocket): void => {
      if (err !== null) return;
      accepted++;
      const buf = Buffer.alloc(16);
      s.asyncReadSome(buf, (e, n) => {
        s.asyncWriteSome(buf.subarray(0, n), () => { s.close(); });
      });
      if (accepted < count) acceptor.asyncAccept(onAccept);
      else acceptor.close();
    };
    acceptor.asyncAccept(onAccept);
    const replies = Array.from({ length: count }, async (_, i) => {
      const c = await nodeClient(port);
      c.write(`m${i}`);
      const data = await new Promise<string>((resolve) => c.once('data', (d: Buffer) => { resolve(d.toString()); }));
      c.destroy();
      return data;
    });
    const [, answers] = await Promise.all([ctx.run(), Promise.all(replies)]);
    expect(answers).toEqual(Array.from({ length: count }, (_, i) => `m${i}`));
    expect(tracking.live).toBe(0);
  });

  test('ctx.shutdown() destroys a pending accept and closes the acceptor', () => {
    const { ctx, tracking } = trackedContext();
    const { acceptor } = localAcceptor(ctx);
    let called = 0;
    acceptor.asyncAccept(() => called++);
    expect(tracking.live).toBe(1);
    ctx.shutdown();
    expect(tracking.live).toBe(0);
    expect(acceptor.isOpen()).toBe(false);
    expect(called).toBe(0);
  });
});

