import fc from 'fast-check';
import * as net from 'node:net';
import { DynamicBuffer, IoContext, TcpAcceptor, TrackingAllocator, asyncRead, asyncReadUntil, transferExactly, type IoError, type TcpSocket } from '../src/index.js';

/*
 * Random data is written by a node:net peer in random chunks with random
 * pauses, read back through proactor on a real socket, and compared with a
 * simple reference that knows nothing about chunks.
 */

const RUNS = 25;

/** Bytes from a small alphabet so random delimiters actually occur. */
const bytesArb = fc.uint8Array({ minLength: 0, maxLength: 3000 }).map((a) => Uint8Array.from(a, (b) => 97 + (b % 4)));
const delimArb = fc.uint8Array({ minLength: 1, maxLength: 3 }).map((a) => Uint8Array.from(a, (b) => 97 + (b % 4)));
/** Cut points (fractions of the data length) and whether to pause after each chunk. */
const cutsArb = fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean()), { maxLength: 12 });

function chunksOf(data: Uint8Array, cuts: readonly (readonly [number, boolean])[]): { chunk: Uint8Array; pause: boolean }[] {
  const points = [...new Set(cuts.map(([f]) => Math.floor(f * data.length)))].sort((a, b) => a - b);
  const out: { chunk: Uint8Array; pause: boolean }[] = [];
  let at = 0;
  points.forEach((p, i) => {
    if (p > at) {
      out.push({ chunk: data.subarray(at, p), pause: cuts[i]?.[1] ?? false });
      at = p;
    }
  });
  if (at < data.length) out.push({ chunk: data.subarray(at), pause: false });
  return out;
}

/**
 * Runs `serve` on a socket accepted from a node:net peer that writes
 * `chunks` (pausing where asked) and then half-closes.
 */
async function withPeer(chunks: { chunk: Uint8Array; pause: boolean }[], serve: (s: TcpSocket, done: () => void) => void): Promise<number> {
  const tracking = new TrackingAllocator();
  const ctx = new IoContext({ allocator: tracking });
  const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
  acceptor.asyncAccept((err, socket) => {
    expect(err).toBeNull();
    acceptor.close();
    serve(socket, () => {
      socket.close();
    });
  });
  const peer = net.connect(acceptor.localEndpoint().port, '127.0.0.1');
  peer.on('error', () => undefined);
  const writer = (async (): Promise<void> => {
    await new Promise((r) => peer.once('connect', r));
    for (const { chunk, pause } of chunks) {
      peer.write(chunk);
      if (pause) await new Promise((r) => setTimeout(r, 1));
    }
    peer.end();
  })();
  await ctx.run();
  await writer;
  peer.destroy();
  return tracking.live;
}

/** The reference for repeated asyncReadUntil over a stream that ends. */
function referenceRecords(data: Uint8Array, delim: Uint8Array, maxSize: number): { records: Buffer[]; last: string; left: number } {
  const buf = Buffer.from(data);
  const records: Buffer[] = [];
  let at = 0;
  for (;;) {
    const i = buf.indexOf(Buffer.from(delim), at);
    if (i >= 0 && i + delim.length - at <= maxSize) {
      records.push(buf.subarray(at, i + delim.length));
      at = i + delim.length;
    } else if (buf.length - at >= maxSize) {
      return { records, last: 'not_found', left: maxSize };
    } else {
      return { records, last: 'eof', left: buf.length - at };
    }
  }
}

describe('property: reads over random chunk boundaries match a reference', () => {
  test('asyncReadUntil with random delimiters and max sizes', async () => {
    await fc.assert(
      fc.asyncProperty(bytesArb, delimArb, fc.integer({ min: 1, max: 700 }), cutsArb, async (data, delim, maxSize, cuts) => {
        const expected = referenceRecords(data, delim, maxSize);
        const records: Buffer[] = [];
        let last = '';
        let left = -1;
        let maxSeen = 0;
        const live = await withPeer(chunksOf(data, cuts), (socket, done) => {
          const dynbuf = new DynamicBuffer(maxSize);
          const next = (): void => {
            asyncReadUntil(socket, dynbuf, delim, (err: IoError | null, n: number) => {
              maxSeen = Math.max(maxSeen, dynbuf.size, dynbuf.capacity);
              if (err !== null) {
                last = err.code;
                left = dynbuf.size;
                done();
                return;
              }
              records.push(Buffer.from(dynbuf.data().subarray(0, n)));
              dynbuf.consume(n);
              next();
            });
          };
          next();
        });
        expect(records).toEqual(expected.records);
        expect(last).toBe(expected.last);
        expect(left).toBe(expected.left);
        expect(maxSeen).toBeLessThanOrEqual(maxSize);
        expect(live).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  test('a stream without the delimiter never grows the buffer past maxSize', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 5001, max: 40000 }), cutsArb, async (maxSize, length, cuts) => {
        const data = new Uint8Array(length).fill(0x61);
        let code = '';
        let size = -1;
        let capacity = -1;
        const live = await withPeer(chunksOf(data, cuts), (socket, done) => {
          const dynbuf = new DynamicBuffer(maxSize);
          asyncReadUntil(socket, dynbuf, '\n', (err) => {
            code = err?.code ?? 'none';
            size = dynbuf.size;
            capacity = dynbuf.capacity;
            done();
          });
        });
        expect(code).toBe('not_found');
        expect(size).toBe(maxSize);
        expect(capacity).toBeLessThanOrEqual(maxSize);
        expect(live).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  test('asyncRead with random buffer sizes returns exactly the stream, then eof', async () => {
    await fc.assert(
      fc.asyncProperty(bytesArb, fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 8 }), cutsArb, async (data, sizes, cuts) => {
        const got: Buffer[] = [];
        const results: string[] = [];
        const live = await withPeer(chunksOf(data, cuts), (socket, done) => {
          let i = 0;
          const next = (): void => {
            const size = sizes[i++ % sizes.length]!;
            const buf = Buffer.alloc(size);
            const exact = i % 2 === 0;
            const handler = (err: IoError | null, n: number): void => {
              got.push(buf.subarray(0, n));
              results.push(`${err?.code ?? 'ok'}:${n}:${size}`);
              if (err !== null) done();
              else next();
            };
            if (exact) asyncRead(socket, buf, transferExactly(size), handler);
            else asyncRead(socket, buf, handler);
          };
          next();
        });
        // Reference: full buffers until the data runs out, then the rest with eof.
        const expected: string[] = [];
        let left = data.length;
        for (let i = 0; ; i++) {
          const size = sizes[i % sizes.length]!;
          if (left >= size) {
            expected.push(`ok:${size}:${size}`);
            left -= size;
          } else {
            expected.push(`eof:${left}:${size}`);
            break;
          }
        }
        expect(results).toEqual(expected);
        expect(Buffer.concat(got).equals(Buffer.from(data))).toBe(true);
        expect(live).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  test('DynamicBuffer prepare/commit/consume matches a byte-array model and never exceeds maxSize', () => {
    const opArb = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), bytes: fc.uint8Array({ maxLength: 300 }), commit: fc.double({ min: 0, max: 1.2, noNaN: true }) }),
      fc.record({ kind: fc.constant('consume' as const), n: fc.integer({ min: 0, max: 400 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1024 }), fc.array(opArb, { maxLength: 60 }), (maxSize, ops) => {
        const d = new DynamicBuffer(maxSize);
        let model: number[] = [];
        for (const op of ops) {
          if (op.kind === 'consume') {
            d.consume(op.n);
            model = model.slice(op.n);
          } else if (model.length + op.bytes.length > maxSize) {
            expect(() => d.prepare(op.bytes.length)).toThrow(RangeError);
          } else {
            const space = d.prepare(op.bytes.length);
            expect(space.length).toBe(op.bytes.length);
            space.set(op.bytes);
            const n = Math.min(op.bytes.length, Math.floor(op.commit * op.bytes.length));
            d.commit(n);
            model.push(...op.bytes.subarray(0, n));
          }
          expect(d.size).toBe(model.length);
          expect(Array.from(d.data())).toEqual(model);
          expect(d.capacity).toBeLessThanOrEqual(maxSize);
        }
      }),
      { numRuns: 200 },
    );
  });
});
