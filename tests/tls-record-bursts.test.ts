import type * as tls from 'node:tls';
import { SslStream, SteadyTimer, TcpSocket, usePromise, type IoContext, type IoError } from '../src/index.js';
import { pattern, trackedContext } from './support/net-helpers.js';
import { clientContext, nodeTlsServer, testCerts } from './support/tls-helpers.js';

/*
 * Node hands an SslStream decrypted bytes one TLS record (at most 16 KiB)
 * at a time. A read with room for more than one record takes every record
 * that arrived together (one read, then one write for an echo, where it
 * used to be one read per record and a copy kept for each later one), and
 * still completes in the same loop turn when the burst ends on a full
 * record, and before an end of stream that follows it.
 */

const RECORD = 16384;

beforeAll(() => {
  testCerts();
});

/**
 * A proactor TLS client (native route) of a node:tls server that answers
 * each `g` from the client with `script(socket)`.
 */
async function clientOf(script: (s: tls.TLSSocket) => void): Promise<{ ctx: IoContext; tracking: ReturnType<typeof trackedContext>['tracking']; stream: SslStream; close: () => Promise<void> }> {
  const certs = testCerts();
  const server = await nodeTlsServer(certs.serverKey, certs.serverCert, (s) => {
    s.setNoDelay(true);
    s.on('data', () => {
      script(s);
    });
  });
  const { ctx, tracking } = trackedContext();
  const socket = new TcpSocket(ctx, { transport: 'handle' });
  const stream = new SslStream(socket, clientContext(), { servername: 'localhost' });
  const ready = (async (): Promise<void> => {
    await socket.asyncConnect({ host: '127.0.0.1', port: server.port }, usePromise);
    await stream.asyncHandshake('client', usePromise);
  })();
  await ctx.run();
  await ready;
  ctx.restart();
  expect(stream.route).toBe('native');
  return { ctx, tracking, stream, close: () => server.close() };
}

/** Reads into `buf` from a timer (outside any read handler), then asks the server for its next burst. */
function readFromTimer(ctx: IoContext, stream: SslStream, buf: Buffer, onRead: (err: IoError | null, n: number) => void): void {
  const timer = new SteadyTimer(ctx);
  timer.expiresAfter(1);
  timer.asyncWait(() => {
    stream.asyncReadSome(buf, onRead);
    stream.asyncWriteSome(Buffer.from('g'), (err) => {
      if (err !== null) expect(err.code).toBe('operation_aborted'); // the last one, when the reader closes first
    });
  });
}

describe('SslStream reads take a burst of TLS records at once', () => {
  test('64 KiB written at once arrives in one read of a 64 KiB buffer (more than one record), each byte copied once', async () => {
    const sent = pattern(4 * RECORD, 3);
    const { ctx, tracking, stream, close } = await clientOf((s) => s.write(sent));
    const buf = Buffer.alloc(4 * RECORD);
    const got: Buffer[] = [];
    const sizes: number[] = [];
    const onRead = (err: IoError | null, n: number): void => {
      expect(err).toBeNull();
      sizes.push(n);
      got.push(Buffer.from(buf.subarray(0, n)));
      if (got.reduce((a, b) => a + b.length, 0) < sent.length) stream.asyncReadSome(buf, onRead);
      else stream.close();
    };
    readFromTimer(ctx, stream, buf, onRead);
    await ctx.run();
    await close();
    expect(Buffer.concat(got).equals(sent)).toBe(true);
    expect(sizes[0]).toBeGreaterThan(RECORD);
    expect(stream.transportStats().bytesCopied).toBeLessThanOrEqual(sent.length + RECORD); // not a second copy of each later record
    expect(tracking.live).toBe(0);
  });

  test('a burst that ends on one full record completes in the same loop turn, with no wait for more', async () => {
    let round = 0;
    const { ctx, tracking, stream, close } = await clientOf((s) => s.write(pattern(RECORD, ++round)));
    const buf = Buffer.alloc(4 * RECORD);
    const sizes: number[] = [];
    const checks: boolean[] = [];
    const next = (): void => {
      readFromTimer(ctx, stream, buf, (err, n) => {
        expect(err).toBeNull();
        sizes.push(n);
        checks.push(buf.subarray(0, n).equals(pattern(RECORD, sizes.length)));
        if (sizes.length < 5) next();
        else stream.close();
      });
    };
    next();
    await ctx.run();
    await close();
    expect(sizes).toEqual([RECORD, RECORD, RECORD, RECORD, RECORD]);
    expect(checks).toEqual([true, true, true, true, true]);
    expect(tracking.live).toBe(0);
  });

  test('a full record followed by the end of the stream: the record is read first, then eof', async () => {
    const sent = pattern(RECORD, 9);
    const { ctx, tracking, stream, close } = await clientOf((s) => {
      s.write(sent);
      s.end();
    });
    const buf = Buffer.alloc(4 * RECORD);
    const results: string[] = [];
    let data = Buffer.alloc(0);
    const onRead = (err: IoError | null, n: number): void => {
      results.push(err === null ? `${n}` : err.code);
      if (err !== null) {
        stream.close();
        return;
      }
      data = Buffer.concat([data, buf.subarray(0, n)]);
      stream.asyncReadSome(buf, onRead);
    };
    readFromTimer(ctx, stream, buf, onRead);
    await ctx.run();
    await close();
    expect(results).toEqual([`${RECORD}`, 'eof']);
    expect(data.equals(sent)).toBe(true);
    expect(tracking.live).toBe(0);
  });

  test('mixed full and short records into a buffer that is not a multiple of a record: every byte, in order, reads started in and out of read handlers', async () => {
    const sizes = [RECORD, RECORD, 100, RECORD, RECORD, RECORD, 5000, RECORD, 1, RECORD, RECORD, RECORD, RECORD, RECORD, 12345];
    const total = sizes.reduce((a, b) => a + b, 0);
    const sent = pattern(total, 21);
    let asked = 0;
    const { ctx, tracking, stream, close } = await clientOf((s) => {
      if (asked++ > 0) return;
      let at = 0;
      for (const n of sizes) {
        s.write(sent.subarray(at, at + n));
        at += n;
      }
    });
    const buf = Buffer.alloc(40_000);
    const got: Buffer[] = [];
    let have = 0;
    let reads = 0;
    const timer = new SteadyTimer(ctx);
    const onRead = (err: IoError | null, n: number): void => {
      expect(err).toBeNull();
      got.push(Buffer.from(buf.subarray(0, n)));
      have += n;
      if (have >= total) {
        stream.close();
        return;
      }
      if (++reads % 2 === 0) {
        stream.asyncReadSome(buf, onRead);
        return;
      }
      timer.expiresAfter(1);
      timer.asyncWait(() => {
        stream.asyncReadSome(buf, onRead);
      });
    };
    readFromTimer(ctx, stream, buf, onRead);
    await ctx.run();
    await close();
    expect(have).toBe(total);
    expect(Buffer.concat(got).equals(sent)).toBe(true);
    expect(tracking.live).toBe(0);
  });
});
