import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import {
  READ_RETARGET_LIMIT,
  TcpSocket,
  asyncRead,
  asyncWrite,
  post,
  transferExactly,
  type IoContext,
  type IoError,
} from '../src/index.js';
import { bulk, connectedPair } from './support/cancellation-helpers.js';
import { nodeServer, pattern, trackedContext } from './support/net-helpers.js';

/** Writes `data` through `sock`, reads as many bytes back in `chunk`-byte reads, and closes. */
async function echoThrough(ctx: IoContext, sock: TcpSocket, data: Buffer, chunk: number): Promise<{ back: Buffer; eof: string }> {
  const back = Buffer.alloc(data.length);
  let eof = '';
  let offset = 0;
  const onRead = (err: IoError | null, n: number): void => {
    if (err !== null) {
      eof = `${err.code}:${n}`;
      sock.close();
      return;
    }
    offset += n;
    if (offset < data.length) {
      sock.asyncReadSome(back.subarray(offset, Math.min(offset + chunk, data.length)), onRead);
    } else {
      sock.shutdown('send'); // the echo peer ends in turn: the next read is eof
      sock.asyncReadSome(Buffer.alloc(16), onRead);
    }
  };
  asyncWrite(sock, data, (err) => {
    if (err !== null) throw err;
  });
  sock.asyncReadSome(back.subarray(0, chunk), onRead);
  await ctx.run();
  return { back, eof };
}

describe('TcpSocket.fromNetSocket (the copy path)', () => {
  test('a plain net.Socket: bytes exact through small reads, then (eof, 0)', async () => {
    const { ctx, tracking } = trackedContext();
    const server = await nodeServer((s) => {
      s.pipe(s);
    });
    const plain = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(server.port, '127.0.0.1', () => {
        resolve(s);
      });
      s.on('error', reject);
    });
    const sock = TcpSocket.fromNetSocket(ctx, plain);
    const data = pattern(300_000, 11);
    const { back, eof } = await echoThrough(ctx, sock, data, 1000);
    expect(back.equals(data)).toBe(true);
    expect(eof).toBe('eof:0');
    expect(tracking.live).toBe(0);
    await server.close();
  });

  const hasOpenssl = (() => {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  (hasOpenssl ? test : test.skip)(
    hasOpenssl ? 'a tls.TLSSocket: plaintext bytes exact through the copy path' : 'a tls.TLSSocket (skipped: openssl is not installed, so no test certificate can be made)',
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proactor-tls-'));
      try {
        const keyFile = path.join(dir, 'key.pem');
        const certFile = path.join(dir, 'cert.pem');
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-subj', '/CN=localhost', '-days', '1'], {
          stdio: 'ignore',
        });
        const server = tls.createServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) }, (s) => {
          s.on('error', () => undefined);
          s.pipe(s);
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const port = (server.address() as net.AddressInfo).port;
        const client = await new Promise<tls.TLSSocket>((resolve, reject) => {
          const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
            resolve(s);
          });
          s.on('error', reject);
        });
        const { ctx, tracking } = trackedContext();
        const sock = TcpSocket.fromNetSocket(ctx, client);
        const data = pattern(200_000, 12);
        const back = Buffer.alloc(data.length);
        let result = '';
        asyncWrite(sock, data, (err) => {
          if (err !== null) throw err;
        });
        asyncRead(sock, back, transferExactly(data.length), (err, n) => {
          result = `${err?.code ?? 'ok'}:${n}`;
          sock.close();
        });
        await ctx.run();
        expect(result).toBe(`ok:${data.length}`);
        expect(back.equals(data)).toBe(true);
        expect(tracking.live).toBe(0);
        await new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
        });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('READ_RETARGET_LIMIT', () => {
  test(`reads into more than ${READ_RETARGET_LIMIT} different buffers, each started outside a read handler: bytes exact`, async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    // Each read takes at most 64 KiB, so this needs at least 3 × READ_RETARGET_LIMIT reads.
    const data = bulk(3 * READ_RETARGET_LIMIT * 65536, 13);
    const got: Buffer[] = [];
    let total = 0;
    let count = 0;
    const next = (): void => {
      // A fresh buffer every time, never the previous one: each may need registering with the handle.
      const buf = Buffer.alloc(65536);
      sock.asyncReadSome(buf, (err, n) => {
        if (err !== null) throw err;
        got.push(buf.subarray(0, n));
        total += n;
        count++;
        if (total < data.length) post(ctx, next); // started from a posted handler, not from the read handler
        else sock.close();
      });
    };
    next();
    peer.write(data);
    await ctx.run();
    expect(count).toBeGreaterThanOrEqual(3 * READ_RETARGET_LIMIT);
    expect(Buffer.concat(got).equals(data)).toBe(true);
    peer.destroy();
    expect(tracking.live).toBe(0);
  });
});
