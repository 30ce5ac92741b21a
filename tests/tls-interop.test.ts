import { spawn } from 'node:child_process';
import * as tls from 'node:tls';
import {
  HandlerAllocator,
  SslContext,
  SslStream,
  TcpSocket,
  asyncReadUntil,
  asyncWrite,
  bindAllocator,
  DynamicBuffer,
  usePromise,
  type IoError,
} from '../src/index.js';
import { trackedContext } from './support/net-helpers.js';
import { bridgeNextLayer, clientContext, nodeTlsServer, serverContext, testCerts, tlsEchoOnce, tlsEchoServer } from './support/tls-helpers.js';

beforeAll(() => {
  testCerts();
});

describe('SslStream interoperates with node:tls and OpenSSL', () => {
  test('server side: node:tls clients get every byte echoed, on the native route, with zero live ops at the end', async () => {
    const { ctx, tracking } = trackedContext();
    const server = tlsEchoServer(ctx);
    const running = ctx.run();
    const small = await tlsEchoOnce(server.port, Buffer.from('hello over tls'));
    const big = Buffer.alloc(300_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
    const back = await tlsEchoOnce(server.port, big);
    await new Promise((r) => setTimeout(r, 50));
    server.stop();
    await running;
    expect(small.toString()).toBe('hello over tls');
    expect(back.equals(big)).toBe(true);
    expect(server.stats.handshakes).toBe(2);
    expect(server.stats.failures).toEqual([]);
    expect(server.streams[0]!.route).toBe('native');
    expect(ctx.allocationStats().byKind.handshake?.allocations).toBe(2);
    expect(tracking.live).toBe(0);
  });

  test('client side: verifies a node:tls server by CA and name, negotiates ALPN, reads a line with asyncReadUntil, shuts down with close_notify', async () => {
    const certs = testCerts();
    let serverSawEnd = 0;
    const server = await nodeTlsServer(
      certs.serverKey,
      certs.serverCert,
      (s) => {
        s.write('welcome\n');
        s.on('data', (d: Buffer) => s.write(d));
        s.on('end', () => {
          serverSawEnd++;
          s.end();
        });
      },
      { ALPNProtocols: ['x-test', 'http/1.1'] },
    );
    const { ctx, tracking } = trackedContext();
    const socket = new TcpSocket(ctx, { transport: 'handle' });
    const stream = new SslStream(socket, new SslContext({ ca: certs.ca, ALPNProtocols: ['x-test'] }), { servername: 'localhost' });
    const alloc = new HandlerAllocator();
    const lines = new DynamicBuffer();
    const events: string[] = [];
    let eofCode = '';
    const done = (async (): Promise<void> => {
      await socket.asyncConnect({ host: '127.0.0.1', port: server.port }, usePromise);
      await stream.asyncHandshake('client', usePromise);
      events.push(`alpn ${String(stream.alpnProtocol())}`, `cn ${String(stream.peerCertificate()?.subject.CN)}`);
      const n = await asyncReadUntil(stream, lines, '\n', usePromise);
      events.push(Buffer.from(lines.data().subarray(0, n)).toString());
      lines.consume(n);
      await asyncWrite(stream, Buffer.from('ping\n'), usePromise);
      const m = await asyncReadUntil(stream, lines, '\n', usePromise);
      events.push(Buffer.from(lines.data().subarray(0, m)).toString());
      await stream.asyncShutdown(usePromise);
      const buf = Buffer.alloc(16);
      await new Promise<void>((resolve) => {
        stream.asyncReadSome(
          buf,
          bindAllocator(alloc, (err: IoError | null) => {
            eofCode = err?.code ?? 'none';
            resolve();
          }),
        );
      });
      stream.close();
    })();
    await ctx.run();
    await done;
    await server.close();
    expect(events).toEqual(['alpn x-test', 'cn localhost', 'welcome\n', 'ping\n']);
    expect(serverSawEnd).toBe(1);
    expect(eofCode).toBe('eof');
    expect(stream.route).toBe('native');
    expect(socket.isOpen()).toBe(false);
    expect(tracking.live).toBe(0);
  });

  test('the bridge route: TLS over a stream that is not a Node socket (a wrapper of a TcpSocket), both ends proactor', async () => {
    const { ctx, tracking } = trackedContext();
    const server = tlsEchoServer(ctx);
    const socket = new TcpSocket(ctx);
    const stream = new SslStream(bridgeNextLayer(socket), clientContext(), { servername: 'localhost' });
    const payload = Buffer.alloc(100_000, 'b');
    const got = Buffer.alloc(payload.length);
    const done = (async (): Promise<number> => {
      await socket.asyncConnect({ host: '127.0.0.1', port: server.port }, usePromise);
      await stream.asyncHandshake('client', usePromise);
      await asyncWrite(stream, payload, usePromise);
      let have = 0;
      while (have < got.length) have += await stream.asyncReadSome(got.subarray(have), usePromise);
      stream.close();
      server.stop();
      return have;
    })();
    await ctx.run();
    expect(await done).toBe(payload.length);
    expect(got.equals(payload)).toBe(true);
    expect(stream.route).toBe('bridge');
    expect(tracking.live).toBe(0);
  });

  test('openssl s_client talks to the proactor server', async () => {
    const { ctx, tracking } = trackedContext();
    const server = tlsEchoServer(ctx);
    const running = ctx.run();
    const certs = testCerts();
    const out = await new Promise<string>((resolve) => {
      const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${String(server.port)}`, '-CAfile', `${certs.dir}/ca.crt`, '-verify_return_error', '-quiet', '-no_ign_eof'], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let text = '';
      const timer = setTimeout(() => child.kill(), 10_000);
      child.on('exit', () => {
        clearTimeout(timer);
      });
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('from openssl')) child.stdin.end();
      });
      child.on('close', () => {
        resolve(text);
      });
      child.stdin.write('from openssl\n');
    });
    await new Promise((r) => setTimeout(r, 50));
    server.stop();
    await running;
    expect(out).toContain('from openssl');
    expect(server.stats.handshakes).toBe(1);
    expect(tracking.live).toBe(0);
  });

  test('node:tls and proactor agree on the cipher both sides see', async () => {
    const { ctx } = trackedContext();
    const server = tlsEchoServer(ctx);
    const running = ctx.run();
    const s = await new Promise<tls.TLSSocket>((resolve) => {
      const c = tls.connect({ host: '127.0.0.1', port: server.port, ca: testCerts().ca, maxVersion: 'TLSv1.2' }, () => {
        resolve(c);
      });
    });
    const protocol = s.getProtocol();
    s.end();
    await new Promise((r) => setTimeout(r, 50));
    server.stop();
    await running;
    expect(protocol).toBe('TLSv1.2');
  });
});

/** Whether this process loads the native transport's addon (asking for it elsewhere is an IoError). */
function nativeTransportLoads(): boolean {
  const { ctx } = trackedContext();
  try {
    new TcpSocket(ctx, { transport: 'native' }).close();
    return true;
  } catch {
    return false;
  }
}

(nativeTransportLoads() ? test : test.skip)('over a socket on the native transport (no Node socket to hand node:tls) SslStream takes the bridge route', async () => {
  const { ctx, tracking } = trackedContext();
  const server = tlsEchoServer(ctx);
  const socket = new TcpSocket(ctx, { transport: 'native' });
  const stream = new SslStream(socket, clientContext(), { servername: 'localhost' });
  const lines = new DynamicBuffer();
  let echoed = '';
  const done = (async (): Promise<void> => {
    await socket.asyncConnect({ host: '127.0.0.1', port: server.port }, usePromise);
    await stream.asyncHandshake('client', usePromise);
    await asyncWrite(stream, Buffer.from('over the addon\n'), usePromise);
    const n = await asyncReadUntil(stream, lines, '\n', usePromise);
    echoed = Buffer.from(lines.data().subarray(0, n)).toString();
    stream.close();
    server.stop();
  })();
  await ctx.run();
  await done;
  expect(socket.transport).toBe('native');
  expect(stream.route).toBe('bridge');
  expect(echoed).toBe('over the addon\n');
  expect(tracking.live).toBe(0);
});

test('serverContext is reusable across streams', () => {
  expect(serverContext()).toBeInstanceOf(SslContext);
});
