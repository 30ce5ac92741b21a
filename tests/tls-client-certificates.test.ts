import * as tls from 'node:tls';
import { SslContext, SslStream, TcpAcceptor, TcpSocket, asyncWrite, usePromise, type IoContext, type IoError } from '../src/index.js';
import { trackedContext } from './support/net-helpers.js';
import { nodeTlsClient, testCerts } from './support/tls-helpers.js';

/*
 * Servers that ask for client certificates (`requestCert` on the
 * SslContext): a client with a certificate from the trusted CA gets in and
 * is named by `peerCertificate()`; one with none, or with one from another
 * CA, fails the server's handshake with `certificate_verify_failed` and is
 * cut off, unless the stream lets it in (`rejectUnauthorized: false`) and
 * `peerVerifyError()` says why it did not verify.
 */

beforeAll(() => {
  testCerts();
});

interface Outcome {
  err: IoError | null;
  cn: string | null;
  verifyError: IoError | null;
}

/** A proactor TLS server asking for client certificates: records each handshake, echoes one message, closes. */
function certServer(ctx: IoContext, rejectUnauthorized = true): { port: number; outcomes: Outcome[]; stop(): void } {
  const certs = testCerts();
  const ssl = new SslContext({ key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true });
  const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 }, { transport: 'handle' });
  const outcomes: Outcome[] = [];
  const accept = (): void => {
    acceptor.asyncAccept((err, socket) => {
      if (err) return;
      accept();
      const stream = new SslStream(socket, ssl, { rejectUnauthorized });
      stream.asyncHandshake('server', (e) => {
        outcomes.push({ err: e, cn: String(stream.peerCertificate()?.subject.CN ?? '') || null, verifyError: stream.peerVerifyError() });
        if (e) {
          stream.close();
          return;
        }
        const buf = Buffer.alloc(64);
        stream.asyncReadSome(buf, (e2, n) => {
          if (e2) {
            stream.close();
            return;
          }
          asyncWrite(stream, buf.subarray(0, n), () => {
            stream.close();
          });
        });
      });
    });
  };
  accept();
  return { port: acceptor.localEndpoint().port, outcomes, stop: () => {
      acceptor.close();
    },
  };
}

/** A node:tls client with the given certificate (or none): what came back, or why it failed. */
async function clientSays(port: number, options: tls.ConnectionOptions): Promise<string> {
  try {
    const s = await nodeTlsClient(port, { servername: 'localhost', ...options });
    return await new Promise<string>((resolve) => {
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString()));
      s.on('error', (e: NodeJS.ErrnoException) => {
        resolve(`error ${String(e.code)}`);
      });
      s.on('close', () => {
        resolve(got === '' ? 'closed' : got);
      });
      s.write('who am i');
    });
  } catch (e) {
    return `error ${String((e as NodeJS.ErrnoException).code)}`;
  }
}

async function withServer(rejectUnauthorized: boolean, clients: tls.ConnectionOptions[]): Promise<{ said: string[]; outcomes: Outcome[] }> {
  const { ctx, tracking } = trackedContext();
  const server = certServer(ctx, rejectUnauthorized);
  const running = ctx.run();
  const said: string[] = [];
  for (const c of clients) said.push(await clientSays(server.port, c));
  await new Promise((r) => setTimeout(r, 20));
  server.stop();
  await running;
  expect(tracking.live).toBe(0);
  return { said, outcomes: server.outcomes };
}

describe('SslStream servers that ask for client certificates (requestCert)', () => {
  test('a client certificate from the trusted CA is accepted and named; none, or one from another CA, fails with certificate_verify_failed and the client is cut off', async () => {
    const certs = testCerts();
    const { said, outcomes } = await withServer(true, [
      { key: certs.clientKey, cert: certs.clientCert },
      {},
      { key: certs.otherClientKey, cert: certs.otherClientCert },
    ]);
    expect(said[0]).toBe('who am i');
    expect(said[1]).not.toBe('who am i');
    expect(said[2]).not.toBe('who am i');
    expect(outcomes).toHaveLength(3);
    expect(outcomes[0]).toEqual({ err: null, cn: 'proactor test client', verifyError: null });
    expect(outcomes[1]!.err?.code).toBe('certificate_verify_failed');
    expect(outcomes[1]!.err?.nodeCode).toBe('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
    expect(outcomes[2]!.err?.code).toBe('certificate_verify_failed');
    expect(outcomes[2]!.err?.nodeCode).toMatch(/^UNABLE_TO_(VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT_LOCALLY|GET_ISSUER_CERT)$/);
    expect(outcomes[2]!.err?.message).toContain(outcomes[2]!.err!.nodeCode!);
  });

  test('with rejectUnauthorized: false every client gets in, and peerVerifyError() tells a verified one from one that is not', async () => {
    const certs = testCerts();
    const { said, outcomes } = await withServer(false, [
      { key: certs.clientKey, cert: certs.clientCert },
      { key: certs.otherClientKey, cert: certs.otherClientCert },
    ]);
    expect(said).toEqual(['who am i', 'who am i']);
    expect(outcomes[0]).toEqual({ err: null, cn: 'proactor test client', verifyError: null });
    expect(outcomes[1]!.err).toBeNull();
    expect(outcomes[1]!.cn).toBe('client of another CA');
    expect(outcomes[1]!.verifyError?.code).toBe('certificate_verify_failed');
  });

  test('a proactor client presents its certificate from its SslContext (key and cert) to a proactor server', async () => {
    const certs = testCerts();
    const { ctx, tracking } = trackedContext();
    const server = certServer(ctx);
    const socket = new TcpSocket(ctx, { transport: 'handle' });
    const stream = new SslStream(socket, new SslContext({ ca: certs.ca, key: certs.clientKey, cert: certs.clientCert }), { servername: 'localhost' });
    const client = (async (): Promise<string> => {
      await socket.asyncConnect({ host: '127.0.0.1', port: server.port }, usePromise);
      await stream.asyncHandshake('client', usePromise);
      await asyncWrite(stream, Buffer.from('proactor client'), usePromise);
      const buf = Buffer.alloc(64);
      const n = await stream.asyncReadSome(buf, usePromise);
      stream.close();
      server.stop();
      return buf.subarray(0, n).toString();
    })();
    await ctx.run();
    expect(await client).toBe('proactor client');
    expect(server.outcomes).toEqual([{ err: null, cn: 'proactor test client', verifyError: null }]);
    expect(stream.peerVerifyError()).toBeNull();
    expect(tracking.live).toBe(0);
  });

  test('requestCert that is not a boolean is a TypeError', () => {
    expect(() => new SslContext({ requestCert: 'yes' as unknown as boolean })).toThrow(TypeError);
  });
});
