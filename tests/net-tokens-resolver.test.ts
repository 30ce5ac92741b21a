import { IoError, Resolver, TcpSocket, asTuple, detached, usePromise } from '../src/index.js';
import { acceptOne, localAcceptor, nodeClient, trackedContext } from './support/net-helpers.js';

describe('tokens and the resolver', () => {
  test('usePromise, asTuple(usePromise) and detached on socket operations', async () => {
    const { ctx, tracking } = trackedContext();
    const { acceptor, port } = localAcceptor(ctx);
    const peerPromise = nodeClient(port);
    const flow = (async () => {
      const sock = await acceptor.asyncAccept(usePromise);
      acceptor.close();
      const peer = await peerPromise;
      peer.write('hi');
      const buf = Buffer.alloc(8);
      const n = await sock.asyncReadSome(buf, usePromise);
      sock.asyncWriteSome(Buffer.from('ok'), detached);
      peer.end();
      const [err, m] = await sock.asyncReadSome(buf, asTuple(usePromise));
      let rejected: unknown;
      sock.close();
      try {
        await sock.asyncReadSome(buf, usePromise);
      } catch (error) {
        rejected = error;
      }
      peer.destroy();
      return { n, text: buf.subarray(0, 2).toString(), code: err?.code, m, rejected };
    })();
    await ctx.run();
    const r = await flow;
    expect(r.n).toBe(2);
    expect(r.text).toBe('hi');
    expect(r.code).toBe('eof');
    expect(r.m).toBe(0);
    expect(r.rejected).toBeInstanceOf(IoError);
    expect((r.rejected as IoError).code).toBe('bad_descriptor');
    expect(tracking.live).toBe(0);
  });

  test('bad arguments throw TypeError at initiation', () => {
    const { ctx } = trackedContext();
    const sock = new TcpSocket(ctx);
    expect(() => { sock.asyncReadSome('x' as unknown as Buffer, () => undefined); }).toThrow(TypeError);
    expect(() => { sock.asyncWriteSome([1] as unknown as Buffer[], () => undefined); }).toThrow(TypeError);
    expect(() => { sock.asyncConnect({ host: '127.0.0.1', port: -1 }, () => undefined); }).toThrow(TypeError);
    expect(() => { sock.asyncReadSome(Buffer.alloc(1), 42 as unknown as () => void); }).toThrow(TypeError);
    expect(() => { new Resolver(ctx).asyncResolve('localhost', 'no-such-service', () => undefined); }).toThrow(TypeError);
    expect(ctx.outstandingWork()).toBe(0);
  });

  test('resolve then connect to the endpoint; an unknown host is host_not_found', async () => {
    const { ctx, tracking } = trackedContext();
    const { acceptor, port } = localAcceptor(ctx);
    const accepted = acceptOne(acceptor);
    const resolver = new Resolver(ctx);
    const results: string[] = [];
    resolver.asyncResolve('127.0.0.1', String(port), (err, endpoints) => {
      expect(err).toBeNull();
      results.push(JSON.stringify(endpoints));
      const sock = new TcpSocket(ctx);
      sock.asyncConnect(endpoints[0]!, (e) => {
        results.push(`connect:${e?.code ?? 'ok'}`);
        sock.close();
      });
    });
    resolver.asyncResolve('no-such-host.invalid', 80, (err, endpoints) => {
      results.push(`${err?.code}:${endpoints.length}`);
    });
    await ctx.run();
    (await accepted).close();
    acceptor.close();
    expect(results).toContain(JSON.stringify([{ address: '127.0.0.1', port, family: 'IPv4' }]));
    expect(results).toContain('connect:ok');
    expect(results).toContain('host_not_found:0');
    expect(tracking.live).toBe(0);
  });

  test('cancel() aborts a pending lookup', async () => {
    const { ctx, tracking } = trackedContext();
    const resolver = new Resolver(ctx);
    let code = '';
    resolver.asyncResolve('localhost', 'http', (err) => (code = String(err?.code)));
    resolver.cancel();
    await ctx.run();
    expect(code).toBe('operation_aborted');
    expect(tracking.live).toBe(0);
  });
});
