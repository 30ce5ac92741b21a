import {
  DynamicBuffer,
  HandlerAllocator,
  TrackingAllocator,
  asyncRead,
  asyncReadUntil,
  asyncWrite,
  bindAllocator,
  transferAtLeast,
  transferExactly,
  type IoError,
} from '../src/index.js';
import { STREAM_KINDS, streamPair, trackedContext } from './support/net-helpers.js';

describe.each(STREAM_KINDS)('on a %s stream', (kind) => {
  describe('composed operations', () => {
    test('transferExactly(n) reads exactly n bytes across several arrivals, leaving the rest', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      const buf = Buffer.alloc(100);
      const rest = Buffer.alloc(100);
      let first = -1;
      let second = -1;
      asyncRead(sock, buf, transferExactly(10), (err, n) => {
        expect(err).toBeNull();
        first = n;
        sock.asyncReadSome(rest, (e, m) => {
          second = m;
          sock.close();
        });
      });
      peer.write('0123');
      setTimeout(() => peer.write('456789ABCD'), 20);
      await ctx.run();
      peer.destroy();
      expect(first).toBe(10);
      expect(buf.subarray(0, 10).toString()).toBe('0123456789');
      expect(rest.subarray(0, second).toString()).toBe('ABCD');
      expect(tracking.live).toBe(0);
    });

    test('transferAtLeast(n) completes once n bytes have arrived; eof first gives (eof, partial)', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      const buf = Buffer.alloc(100);
      const results: string[] = [];
      asyncRead(sock, buf, transferAtLeast(5), (err, n) => {
        results.push(`${err?.code ?? 'ok'}:${n >= 5 && n <= 8}`);
        asyncRead(sock, buf, transferAtLeast(50), (e2, n2) => {
          results.push(`${e2?.code ?? 'ok'}:${n2}`);
          sock.close();
        });
        peer.end('xyz');
      });
      peer.write('abc');
      setTimeout(() => peer.write('defgh'), 20);
      await ctx.run();
      expect(results).toEqual(['ok:true', 'eof:3']);
      expect(tracking.live).toBe(0);
    });

    test('asyncRead with the default transferAll fills the buffer', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      const buf = Buffer.alloc(6);
      let got = '';
      asyncRead(sock, buf, (err, n) => {
        expect(err).toBeNull();
        got = buf.subarray(0, n).toString();
        sock.close();
      });
      peer.write('ab');
      setTimeout(() => peer.write('cdefgh'), 10);
      await ctx.run();
      peer.destroy();
      expect(got).toBe('abcdef');
      expect(tracking.live).toBe(0);
    });

    test('readUntil lines: n includes the delimiter, the rest stays in the buffer', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      const dynbuf = new DynamicBuffer(1024);
      const lines: string[] = [];
      const onLine = (err: IoError | null, n: number): void => {
        if (err !== null) {
          lines.push(`<${err.code}:${n}:${Buffer.from(dynbuf.data()).toString()}>`);
          sock.close();
          return;
        }
        lines.push(Buffer.from(dynbuf.data().subarray(0, n)).toString());
        dynbuf.consume(n);
        asyncReadUntil(sock, dynbuf, '\n', onLine);
      };
      asyncReadUntil(sock, dynbuf, '\n', onLine);
      peer.write('first\nsec');
      setTimeout(() => peer.write('ond\nthird\nparti'), 10);
      setTimeout(() => peer.end('al'), 20);
      await ctx.run();
      expect(lines).toEqual(['first\n', 'second\n', 'third\n', '<eof:0:partial>']);
      expect(tracking.live).toBe(0);
    });

    test('readUntil with bytes and RegExp delimiters, and the delimiter already buffered', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      const dynbuf = new DynamicBuffer();
      const results: string[] = [];
      asyncReadUntil(sock, dynbuf, Buffer.from('\r\n\r\n'), (err, n) => {
        results.push(`${err?.code ?? 'ok'}:${n}`);
        dynbuf.consume(n);
        let inline = true;
        asyncReadUntil(sock, dynbuf, /;+/g, (e2, n2) => {
          results.push(`${e2?.code ?? 'ok'}:${n2}:${String(inline)}`);
          sock.close();
        });
        inline = false;
      });
      peer.write('GET / HTTP/1.1\r\nHost: x\r\n\r\nab;;c');
      await ctx.run();
      peer.destroy();
      expect(results).toEqual(['ok:27', 'ok:4:false']);
      expect(Buffer.from(dynbuf.data()).toString()).toBe('ab;;c');
      expect(tracking.live).toBe(0);
    });

    test('readUntil with a full buffer and no delimiter is not_found', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      const dynbuf = new DynamicBuffer(16);
      let result = '';
      asyncReadUntil(sock, dynbuf, '\n', (err, n) => {
        result = `${err?.code}:${n}:${dynbuf.size}`;
        sock.close();
      });
      peer.write('0123456789abcdefXYZ\n');
      await ctx.run();
      peer.destroy();
      expect(result).toBe('not_found:0:16');
      expect(tracking.live).toBe(0);
    });

    test('gathered asyncWrite sends every buffer in order and completes with the total', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      const chunks: Buffer[] = [];
      peer.on('data', (c: Buffer) => chunks.push(c));
      const ended = new Promise<void>((resolve) => peer.on('end', resolve));
      let total = -1;
      asyncWrite(sock, [Buffer.from('alpha '), Buffer.from('beta '), Buffer.from('gamma')], (err, n) => {
        expect(err).toBeNull();
        total = n;
        sock.shutdown('send');
      });
      await ctx.run();
      await ended;
      sock.close();
      peer.destroy();
      expect(total).toBe(16);
      expect(Buffer.concat(chunks).toString()).toBe('alpha beta gamma');
      expect(tracking.live).toBe(0);
    });

    test('intermediate operations use the final handler allocator, one live at a time', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      const memory = new TrackingAllocator(new HandlerAllocator(), { log: true });
      const contextAllocationsBefore = tracking.allocations;
      const dynbuf = new DynamicBuffer();
      let liveInHandler = -1;
      asyncReadUntil(
        sock,
        dynbuf,
        '\n',
        bindAllocator(memory, (err: IoError | null, n: number) => {
          memory.record('invoke');
          liveInHandler = memory.live;
          expect(err).toBeNull();
          expect(n).toBe(4);
          sock.close();
        }),
      );
      // Each piece is sent once the read before it has completed, so three reads take them, however loaded the machine.
      const readsDone = (): number => memory.events.filter((e) => e === 'deallocate:ReadSomeOp').length;
      const sendAfter = (reads: number, piece: string): void => {
        const poll = (): void => {
          if (readsDone() >= reads) peer.write(piece);
          else setTimeout(poll, 2);
        };
        poll();
      };
      peer.write('a');
      sendAfter(1, 'b');
      sendAfter(2, 'c\n');
      await ctx.run();
      peer.destroy();
      expect(liveInHandler).toBe(0);
      expect(tracking.allocations).toBe(contextAllocationsBefore);
      // The composed op, then one read at a time: never two reads live together.
      let live = 0;
      let maxLive = 0;
      for (const e of memory.events) {
        if (e.startsWith('allocate')) live++;
        if (e.startsWith('deallocate')) live--;
        maxLive = Math.max(maxLive, live);
      }
      expect(maxLive).toBe(2);
      expect(memory.events.filter((e) => e === 'allocate:ReadSomeOp').length).toBe(3);
      expect(memory.events.slice(-2)).toEqual(['deallocate:ReadUntilOp', 'invoke']);
      expect(memory.live).toBe(0);
      expect(tracking.live).toBe(0);
    });

    test('ctx.shutdown() with a composed operation pending frees both it and its read', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      let called = 0;
      asyncRead(sock, Buffer.alloc(10), () => called++);
      expect(tracking.live).toBe(2);
      ctx.shutdown();
      expect(tracking.live).toBe(0);
      expect(called).toBe(0);
      peer.destroy();
    });

    test('bad arguments throw TypeError at initiation', () => {
      const { ctx } = trackedContext();
      const fake = { asyncReadSome: () => undefined, asyncWriteSome: () => undefined };
      expect(() => { asyncRead({} as typeof fake, Buffer.alloc(1), () => undefined); }).toThrow(TypeError);
      expect(() => { asyncRead(fake, 'x' as unknown as Buffer, () => undefined); }).toThrow(TypeError);
      expect(() => { asyncWrite(fake, [Buffer.alloc(1), 'x' as unknown as Buffer], () => undefined); }).toThrow(TypeError);
      expect(() => { asyncReadUntil(fake, new DynamicBuffer(), '', () => undefined); }).toThrow(TypeError);
      expect(() => transferExactly(-1)).toThrow(TypeError);
      expect(() => new DynamicBuffer(0)).toThrow(TypeError);
      expect(ctx.outstandingWork()).toBe(0);
    });
  });
});
