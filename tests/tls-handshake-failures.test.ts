import * as net from 'node:net';
import { SslContext, SslStream, TcpSocket, asTuple, cancelAfter, usePromise, type IoError } from '../src/index.js';
import { trackedContext } from './support/net-helpers.js';
import { clientContext, nodeTlsServer, testCerts, tlsEchoOnce, tlsEchoServer } from './support/tls-helpers.js';

beforeAll(() => {
  testCerts();
});

/** A proactor client's handshake against a node:tls server with `key`/`cert`; resolves with its error. */
async function clientHandshake(key: Buffer, cert: Buffer, ssl: SslContext, options: { servername?: string; rejectUnauthorized?: boolean } = {}): Promise<IoError | null> {
  const server = await nodeTlsServer(key, cert, (s) => s.end());
  const { ctx, tracking } = trackedContext();
  const socket = new TcpSocket(ctx);
  const stream = new SslStream(socket, ssl, options);
  let result: IoError | null = null;
  socket.asyncConnect({ host: '127.0.0.1', port: server.port }, (err) => {
    expect(err).toBeNull();
    stream.asyncHandshake('client', (e) => {
      result = e;
      stream.close();
    });
  });
  await ctx.run();
  await server.close();
  expect(tracking.live).toBe(0);
  return result;
}

describe('SslStream handshake failures', () => {
  test('a verifying client refuses an expired certificate, with the reason and Node code', async () => {
    const certs = testCerts();
    const err = await clientHandshake(certs.expiredKey, certs.expiredCert, clientContext(), { servername: 'localhost' });
    expect(err?.code).toBe('certificate_verify_failed');
    expect(err?.nodeCode).toBe('CERT_HAS_EXPIRED');
    expect(err?.message).toMatch(/certificate has expired/);
  });

  test('a verifying client refuses a certificate from a CA it does not trust', async () => {
    const certs = testCerts();
    const err = await clientHandshake(certs.otherKey, certs.otherCert, clientContext(), { servername: 'localhost' });
    expect(err?.code).toBe('certificate_verify_failed');
    expect(err?.nodeCode).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(err?.message).toMatch(/unable to verify the first certificate/);
  });

  test('verification is on by default: a context with no CA refuses the test server (Node roots do not include it)', async () => {
    const certs = testCerts();
    const err = await clientHandshake(certs.serverKey, certs.serverCert, new SslContext());
    expect(err?.code).toBe('certificate_verify_failed');
  });

  test('a name the certificate does not carry is refused; rejectUnauthorized: false turns verification off', async () => {
    const certs = testCerts();
    const wrongName = await clientHandshake(certs.serverKey, certs.serverCert, clientContext(), { servername: 'example.com' });
    expect(wrongName?.code).toBe('certificate_verify_failed');
    expect(wrongName?.nodeCode).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    const unverified = await clientHandshake(certs.otherKey, certs.otherCert, clientContext(), { rejectUnauthorized: false });
    expect(unverified).toBeNull();
  });

  test('without servername the name checked is the host the socket connected to (127.0.0.1, in the certificate)', async () => {
    const certs = testCerts();
    expect(await clientHandshake(certs.serverKey, certs.serverCert, clientContext())).toBeNull();
  });

  test('clients sending plain text, garbage, vanishing or resetting mid-handshake fail with handshake_failed; the server goes on serving', async () => {
    const { ctx, tracking } = trackedContext();
    const server = tlsEchoServer(ctx);
    const running = ctx.run();
    const misbehave = (send: Buffer, how: 'end' | 'destroy' | 'reset'): Promise<void> =>
      new Promise((resolve) => {
        const s = net.connect(server.port, '127.0.0.1', () => {
          s.write(send, () => {
            if (how === 'end') s.end();
            else if (how === 'reset') s.resetAndDestroy();
            else s.destroy();
          });
        });
        s.on('error', () => undefined);
        s.on('close', () => {
          resolve();
        });
        s.resume();
      });
    await misbehave(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'end');
    await misbehave(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0xff, 0xfe, 0x00, 0x00, 0x00]), 'end');
    await misbehave(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01]), 'destroy'); // half a ClientHello, then gone
    await misbehave(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01]), 'reset');
    const back = await tlsEchoOnce(server.port, Buffer.from('still serving'));
    await new Promise((r) => setTimeout(r, 100));
    server.stop();
    await running;
    expect(back.toString()).toBe('still serving');
    expect(server.stats.failures.map((e) => e.code)).toEqual(['handshake_failed', 'handshake_failed', 'handshake_failed', 'handshake_failed']);
    expect(server.stats.failures[0]!.message).toMatch(/wrong version number|http request/i);
    expect(server.stats.handshakes).toBe(1);
    expect(tracking.live).toBe(0);
  });

  test('a client that stalls mid-handshake is cut off by cancelAfter: operation_aborted, the stream closed', async () => {
    const { ctx, tracking } = trackedContext();
    const acceptorSide = tlsEchoServer(ctx); // only for its port: the stalled client below never completes
    acceptorSide.stop();
    const stallServer = net.createServer((s) => s.resume()); // accepts and never answers
    await new Promise<void>((r) => stallServer.listen(0, '127.0.0.1', r));
    const port = (stallServer.address() as net.AddressInfo).port;
    const socket = new TcpSocket(ctx);
    const stream = new SslStream(socket, clientContext());
    const done = (async (): Promise<IoError | null> => {
      await socket.asyncConnect({ host: '127.0.0.1', port }, usePromise);
      const [err] = await stream.asyncHandshake('client', cancelAfter(200, asTuple(usePromise)));
      return err;
    })();
    await ctx.run();
    const err = await done;
    await new Promise<void>((r) => stallServer.close(() => { r(); }));
    expect(err?.code).toBe('operation_aborted');
    expect(stream.isOpen()).toBe(false);
    expect(socket.isOpen()).toBe(false);
    expect(tracking.live).toBe(0);
  });

  test('close() with a pending handshake and read completes both with operation_aborted; ctx.shutdown() destroys them uninvoked', async () => {
    const stallServer = net.createServer((s) => s.resume());
    await new Promise<void>((r) => stallServer.listen(0, '127.0.0.1', r));
    const port = (stallServer.address() as net.AddressInfo).port;
    const codes: string[] = [];
    {
      const { ctx, tracking } = trackedContext();
      const socket = new TcpSocket(ctx);
      const stream = new SslStream(socket, clientContext());
      socket.asyncConnect({ host: '127.0.0.1', port }, () => {
        stream.asyncHandshake('client', (e) => codes.push(`handshake ${String(e?.code)}`));
        stream.asyncReadSome(Buffer.alloc(10), (e) => codes.push(`read ${String(e?.code)}`));
        setTimeout(() => {
          stream.close();
        }, 50);
      });
      await ctx.run();
      expect(tracking.live).toBe(0);
    }
    let invoked = 0;
    {
      const { ctx, tracking } = trackedContext();
      const socket = new TcpSocket(ctx);
      const stream = new SslStream(socket, clientContext());
      socket.asyncConnect({ host: '127.0.0.1', port }, () => {
        stream.asyncHandshake('client', () => invoked++);
        stream.asyncReadSome(Buffer.alloc(10), () => invoked++);
        stream.asyncWriteSome(Buffer.from('x'), () => invoked++);
        setTimeout(() => {
          ctx.stop();
        }, 50);
      });
      await ctx.run();
      ctx.shutdown();
      expect(tracking.live).toBe(0);
    }
    await new Promise<void>((r) => stallServer.close(() => { r(); }));
    expect(codes.sort()).toEqual(['handshake operation_aborted', 'read operation_aborted']);
    expect(invoked).toBe(0);
  });
});
