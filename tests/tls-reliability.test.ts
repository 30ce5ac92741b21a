import * as tls from 'node:tls';
import { trackedContext } from './support/net-helpers.js';
import { testCerts, tlsEchoServer } from './support/tls-helpers.js';

beforeAll(() => {
  testCerts();
});

describe('SslStream under load', () => {
  test('300 concurrent handshakes against one server all complete and echo; zero live ops after', async () => {
    const { ctx, tracking } = trackedContext();
    const server = tlsEchoServer(ctx);
    const running = ctx.run();
    const ca = testCerts().ca;
    const one = (i: number): Promise<string> =>
      new Promise((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: server.port, ca }, () => {
          s.write(`client ${String(i)}`);
        });
        let got = '';
        s.setEncoding('utf8');
        s.on('data', (d: string) => {
          got += d;
          if (got.length >= `client ${String(i)}`.length) s.end();
        });
        s.on('close', () => {
          resolve(got);
        });
        s.on('error', reject);
      });
    const n = 300;
    const replies = await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
    await new Promise((r) => setTimeout(r, 100));
    server.stop();
    await running;
    expect(replies).toEqual(Array.from({ length: n }, (_, i) => `client ${String(i)}`));
    expect(server.stats.handshakes).toBe(n);
    expect(server.stats.failures).toEqual([]);
    expect(tracking.live).toBe(0);
  }, 60_000);

  test('16 MiB each way with a slow reader: every byte back, in order', async () => {
    const { ctx, tracking } = trackedContext();
    const server = tlsEchoServer(ctx);
    const running = ctx.run();
    const total = 16 << 20;
    const chunk = Buffer.alloc(1 << 16);
    let sent = 0;
    let received = 0;
    let wrongAt = -1;
    await new Promise<void>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: server.port, ca: testCerts().ca }, () => {
        const pump = (): void => {
          while (sent < total) {
            for (let i = 0; i < chunk.length; i++) chunk[i] = (sent + i) & 0xff;
            sent += chunk.length;
            if (!s.write(Buffer.from(chunk))) {
              s.once('drain', pump);
              return;
            }
          }
        };
        pump();
      });
      s.on('data', (d: Buffer) => {
        for (let i = 0; i < d.length; i++) if (wrongAt < 0 && d[i] !== ((received + i) & 0xff)) wrongAt = received + i;
        received += d.length;
        s.pause(); // a slow reader: 2 ms between chunks
        setTimeout(() => s.resume(), 2);
        if (received >= total) s.end();
      });
      s.on('close', () => {
        resolve();
      });
      s.on('error', reject);
    });
    server.stop();
    await running;
    expect(received).toBe(total);
    expect(wrongAt).toBe(-1);
    expect(tracking.live).toBe(0);
  }, 120_000);
});
