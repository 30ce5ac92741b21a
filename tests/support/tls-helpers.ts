import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { SslContext, SslStream, TcpAcceptor, asyncWrite, type IoContext, type IoError, type SslNextLayer, type TcpSocket } from '../../src/index.js';
import { examplesDir } from './example-process.js';
import { echoOver } from './net-helpers.js';

/** The test-only certificates `examples/make-tls-certs.ts` writes (PEM contents). */
export interface TestCerts {
  readonly dir: string;
  readonly ca: Buffer;
  readonly serverKey: Buffer;
  readonly serverCert: Buffer;
  readonly expiredKey: Buffer;
  readonly expiredCert: Buffer;
  readonly otherKey: Buffer;
  readonly otherCert: Buffer;
  readonly clientKey: Buffer;
  readonly clientCert: Buffer;
  readonly otherClientKey: Buffer;
  readonly otherClientCert: Buffer;
}

let made: TestCerts | null = null;

/** Makes the certificates once per test file, in a temporary folder, with the project's own generator (the openssl CLI). */
export function testCerts(): TestCerts {
  if (made !== null) return made;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proactor-tls-'));
  execFileSync(process.execPath, [path.join(examplesDir, 'make-tls-certs.js'), dir], { stdio: 'ignore' });
  const read = (f: string): Buffer => fs.readFileSync(path.join(dir, f));
  made = {
    dir,
    ca: read('ca.crt'),
    serverKey: read('server.key'),
    serverCert: read('server.crt'),
    expiredKey: read('expired.key'),
    expiredCert: read('expired.crt'),
    otherKey: read('other.key'),
    otherCert: read('other.crt'),
    clientKey: read('client.key'),
    clientCert: read('client.crt'),
    otherClientKey: read('other-client.key'),
    otherClientCert: read('other-client.crt'),
  };
  return made;
}

/** A node:tls server on 127.0.0.1 (port 0) with `key`/`cert`, calling `onSocket` for each secure connection. */
export async function nodeTlsServer(
  key: Buffer,
  cert: Buffer,
  onSocket: (s: tls.TLSSocket) => void,
  extra: tls.TlsOptions = {},
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({ key, cert, ...extra }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onSocket(s);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A node:tls client of 127.0.0.1:port trusting the test CA; resolves once secure. */
export function nodeTlsClient(port: number, options: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  const certs = testCerts();
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: certs.ca, ...options }, () => {
      resolve(s);
    });
    s.on('error', reject);
  });
}

/** Server statistics of `tlsEchoServer`. */
export interface EchoServerStats {
  handshakes: number;
  failures: IoError[];
  sessions: number;
}

/**
 * A proactor TLS echo server on `ctx`: every accepted connection gets an
 * SslStream, a server handshake, and an echo loop until eof; the acceptor
 * stays open until `stop()`.
 */
export function tlsEchoServer(ctx: IoContext, ssl: SslContext = serverContext()): { port: number; stats: EchoServerStats; streams: SslStream[]; stop(): void } {
  // The handle transport: node:tls takes its sockets over (the native route); an addon socket would be bridged.
  const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 }, { transport: 'handle' });
  const stats: EchoServerStats = { handshakes: 0, failures: [], sessions: 0 };
  const streams: SslStream[] = [];
  const accept = (): void => {
    acceptor.asyncAccept((err, socket) => {
      if (err) return;
      accept();
      const stream = new SslStream(socket, ssl);
      streams.push(stream);
      stream.asyncHandshake('server', (e) => {
        if (e) {
          stats.failures.push(e);
          stream.close();
          return;
        }
        stats.handshakes++;
        const buf = Buffer.alloc(16384);
        const read = (): void => {
          stream.asyncReadSome(buf, (e2, n) => {
            if (e2) {
              stats.sessions++;
              stream.close();
              return;
            }
            asyncWrite(stream, buf.subarray(0, n), (e3) => {
              if (e3) stream.close();
              else read();
            });
          });
        };
        read();
      });
    });
  };
  accept();
  return {
    port: acceptor.localEndpoint().port,
    stats,
    streams,
    stop: () => {
      acceptor.close();
      for (const s of streams) s.close();
    },
  };
}

/** The SslContext of a server with the test certificate. */
export function serverContext(): SslContext {
  const certs = testCerts();
  return new SslContext({ key: certs.serverKey, cert: certs.serverCert });
}

/** The SslContext of a client that trusts the test CA only. */
export function clientContext(): SslContext {
  return new SslContext({ ca: testCerts().ca });
}

/** Sends `data` over a node:tls client and resolves with what came back (data.length bytes). */
export async function tlsEchoOnce(port: number, data: Buffer): Promise<Buffer> {
  return echoOver(await nodeTlsClient(port), data);
}

/** A next layer over `socket` that is not a Node socket, so TLS over it takes the bridge route on every transport. */
export function bridgeNextLayer(socket: TcpSocket): SslNextLayer {
  return {
    asyncReadSome: (buf: Uint8Array, h: (err: IoError | null, n: number) => void): void => {
      socket.asyncReadSome(buf, h);
    },
    asyncWriteSome: (bufs: Uint8Array | readonly Uint8Array[], h: (err: IoError | null, n: number) => void): void => {
      socket.asyncWriteSome(bufs, h);
    },
    close: (): void => {
      socket.close();
    },
    context: socket.context,
  };
}
