import * as net from 'node:net';
import * as tls from 'node:tls';
import { asyncWrite, SslStream, SteadyTimer, TcpAcceptor, TcpSocket, usePromise, type IoContext, type IoError } from '../src/index.js';
import { trackedContext } from './support/net-helpers.js';
import { bridgeNextLayer, clientContext, serverContext, testCerts } from './support/tls-helpers.js';

beforeAll(() => {
  testCerts();
});

/** What a server stream read before and at its end: the bytes, the error that ended them, and the error of one more read. */
interface ReadEnd {
  bytes: number;
  end: string;
  again: string;
  route: string | null;
}

/**
 * Accepts one connection on `ctx`, runs a TLS server over it (bridged
 * unless `route` is 'native') and reads until an error; resolves with what
 * it read. The client (`talk`) runs against the port.
 */
async function serveOnce(ctx: IoContext, route: 'bridge' | 'native', talk: (port: number) => Promise<void>, readAfterMs = 0): Promise<ReadEnd> {
  const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 }, { transport: 'handle' });
  const served = new Promise<ReadEnd>((resolve, reject) => {
    acceptor.asyncAccept((err, socket) => {
      acceptor.close();
      if (err) {
        reject(err);
        return;
      }
      const stream = new SslStream(route === 'native' ? socket : bridgeNextLayer(socket), serverContext());
      stream.asyncHandshake('server', (e) => {
        if (e) {
          reject(e);
          return;
        }
        const buf = Buffer.alloc(4096);
        let bytes = 0;
        const read = (): void => {
          stream.asyncReadSome(buf, (e2, n) => {
            bytes += n;
            if (e2 === null) {
              read();
              return;
            }
            stream.asyncReadSome(buf, (e3) => {
              stream.close();
              resolve({ bytes, end: e2.code, again: e3?.code ?? 'none', route: stream.route });
            });
          });
        };
        if (readAfterMs === 0) {
          read();
          return;
        }
        const later = new SteadyTimer(ctx);
        later.expiresAfter(readAfterMs);
        later.asyncWait(read);
      });
    });
  });
  const running = ctx.run();
  await talk(acceptor.localEndpoint().port);
  const result = await served;
  await running;
  return result;
}

/** A node:tls client over its own net socket: writes `data`, then ends as `how` says. */
function client(port: number, data: Buffer, how: 'close_notify' | 'fin' | 'reset'): Promise<void> {
  return new Promise((resolve) => {
    const raw = net.connect(port, '127.0.0.1', () => {
      const c = tls.connect({ socket: raw, ca: testCerts().ca, servername: 'localhost' }, () => {
        c.resume(); // take in the server's session tickets, so a close is a FIN, not a reset
        c.write(data, () => {
          if (how === 'close_notify') c.end();
          else if (how === 'fin') raw.end(); // the TCP end alone, no close_notify
          else raw.resetAndDestroy();
        });
      });
      c.on('error', () => undefined);
      c.on('close', () => {
        resolve();
      });
    });
    raw.on('error', () => undefined);
  });
}

const payload = Buffer.alloc(70_000, 'p');

describe('SslStream: a peer that ends without close_notify', () => {
  test('bridge route: after close_notify the reads end with eof, every byte read first', async () => {
    const { ctx, tracking } = trackedContext();
    const r = await serveOnce(ctx, 'bridge', (port) => client(port, payload, 'close_notify'));
    expect(r).toEqual({ bytes: payload.length, end: 'eof', again: 'eof', route: 'bridge' });
    expect(tracking.live).toBe(0);
  });

  test('bridge route: after close_notify the reads end with eof even when the reading starts after the connection has ended', async () => {
    for (const size of [5, 1 << 20]) {
      const { ctx, tracking } = trackedContext();
      const data = Buffer.alloc(size, 'q');
      const r = await serveOnce(ctx, 'bridge', (port) => client(port, data, 'close_notify'), 300);
      expect(r).toEqual({ bytes: size, end: 'eof', again: 'eof', route: 'bridge' });
      expect(tracking.live).toBe(0);
    }
  });

  test('bridge route: a TCP end without close_notify ends the reads with stream_truncated (sticky), every byte read first', async () => {
    const { ctx, tracking } = trackedContext();
    const r = await serveOnce(ctx, 'bridge', (port) => client(port, payload, 'fin'));
    expect(r).toEqual({ bytes: payload.length, end: 'stream_truncated', again: 'stream_truncated', route: 'bridge' });
    expect(tracking.live).toBe(0);
  });

  test('bridge route: a reset of the connection under TLS ends the reads with connection_reset, not eof', async () => {
    const { ctx, tracking } = trackedContext();
    const r = await serveOnce(ctx, 'bridge', (port) => client(port, Buffer.from('short'), 'reset'));
    expect(r.end).toBe('connection_reset');
    expect(r.again).toBe('connection_reset');
    expect(tracking.live).toBe(0);
  });

  test('bridge route, client side: a node:tls server that cuts its TCP end after its last bytes gives stream_truncated; one that ends with close_notify gives eof', async () => {
    const certs = testCerts();
    const ends: string[] = [];
    for (const how of ['fin', 'close_notify'] as const) {
      // The server answers the client's first bytes: a TLS 1.3 server that ends before it has sent its
      // session tickets sends no close_notify at all, so ending at once would not test the clean end.
      const server = net.createServer((raw) => {
        raw.on('error', () => undefined);
        const s = new tls.TLSSocket(raw, { isServer: true, key: certs.serverKey, cert: certs.serverCert });
        s.on('error', () => undefined);
        s.once('data', () => {
          s.write('last words', () => {
            if (how === 'fin') raw.end();
            else s.end();
          });
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { ctx, tracking } = trackedContext();
      const socket = new TcpSocket(ctx);
      const stream = new SslStream(bridgeNextLayer(socket), clientContext(), { servername: 'localhost' });
      const got = Buffer.alloc(64);
      const done = (async (): Promise<string> => {
        await socket.asyncConnect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port }, usePromise);
        await stream.asyncHandshake('client', usePromise);
        await asyncWrite(stream, Buffer.from('hello'), usePromise);
        let have = 0;
        for (;;) {
          try {
            have += await stream.asyncReadSome(got.subarray(have), usePromise);
          } catch (err) {
            stream.close();
            return `${got.subarray(0, have).toString()} then ${(err as IoError).code}`;
          }
        }
      })();
      await ctx.run();
      ends.push(await done);
      expect(tracking.live).toBe(0);
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    }
    expect(ends).toEqual(['last words then stream_truncated', 'last words then eof']);
  });

  test('native route: Node reports both ends alike, so a TCP end without close_notify reads as eof (docs/tls.md)', async () => {
    const { ctx, tracking } = trackedContext();
    const r = await serveOnce(ctx, 'native', (port) => client(port, payload, 'fin'));
    expect(r).toEqual({ bytes: payload.length, end: 'eof', again: 'eof', route: 'native' });
    expect(tracking.live).toBe(0);
  });
});
