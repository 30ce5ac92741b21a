import { getEventListeners } from 'node:events';
import {
  CancellationSignal,
  CancellationType,
  DynamicBuffer,
  asTuple,
  asyncRead,
  asyncReadUntil,
  asyncWrite,
  bindCancellationSlot,
  transferAll,
  transferExactly,
  usePromise,
  withAbortSignal,
  type IoError,
} from '../src/index.js';
import { ChunkingStream, STUCK_WRITE_SIZE, WatchingStream, bulk, received, until } from './support/cancellation-helpers.js';
import { STREAM_KINDS, streamPair } from './support/net-helpers.js';

const code = (err: IoError | null): string => err?.code ?? 'ok';

const HONOURED = [
  ['terminal', CancellationType.terminal],
  ['partial', CancellationType.partial],
] as const;

describe.each(STREAM_KINDS)('on a %s stream', (kind) => {
  describe('cancellation of asyncRead', () => {
    test.each(HONOURED)('emit(%s) while a step is pending: (operation_aborted, bytes so far), the socket stays usable', async (_name, type) => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      const signal = new CancellationSignal();
      const buf = Buffer.alloc(16);
      const events: string[] = [];
      // Emit as soon as the read for the bytes after 'hello' is pending.
      const stream = new WatchingStream(sock, buf, (offset) => {
        if (offset >= 5) signal.emit(type);
      });
      asyncRead(
        stream,
        buf,
        transferAll(),
        bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => {
          events.push(`read:${code(err)}:${n}:${buf.subarray(0, n).toString()}`);
          const next = Buffer.alloc(16);
          sock.asyncReadSome(next, (e, m) => {
            events.push(`next:${code(e)}:${next.subarray(0, m).toString()}`);
            sock.close();
          });
          peer.write('world');
        }),
      );
      peer.write('hello');
      await ctx.run();
      expect(events).toEqual(['read:operation_aborted:5:hello', 'next:ok:world']);
      expect(signal.slot().hasHandler()).toBe(false);
      peer.destroy();
      expect(tracking.live).toBe(0);
    });

    test('emit(terminal) between steps (from the completion condition): stops before the next read', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      const signal = new CancellationSignal();
      const buf = Buffer.alloc(16);
      let result = '';
      const condition = (err: IoError | null, transferred: number): number => {
        if (transferred >= 3) signal.emit(CancellationType.terminal);
        return err === null ? 16 - transferred : 0;
      };
      asyncRead(
        sock,
        buf,
        condition,
        bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => {
          result = `${code(err)}:${n}:${buf.subarray(0, n).toString()}`;
          sock.close();
        }),
      );
      peer.write('abc');
      await ctx.run();
      expect(result).toBe('operation_aborted:3:abc');
      peer.destroy();
      expect(tracking.live).toBe(0);
    });

    test('emit(total) is not honoured: the read runs to completion', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      const signal = new CancellationSignal();
      const buf = Buffer.alloc(10);
      let result = '';
      const stream = new WatchingStream(sock, buf, (offset) => {
        if (offset === 4) {
          signal.emit(CancellationType.total);
          peer.write('efghij');
        }
      });
      asyncRead(
        stream,
        buf,
        transferExactly(10),
        bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => {
          result = `${code(err)}:${n}:${buf.subarray(0, n).toString()}`;
          sock.close();
        }),
      );
      peer.write('abcd');
      await ctx.run();
      expect(result).toBe('ok:10:abcdefghij');
      peer.destroy();
      expect(tracking.live).toBe(0);
    });

    test('withAbortSignal + asTuple(usePromise): resolves [operation_aborted, bytes so far]', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      const ac = new AbortController();
      const buf = Buffer.alloc(32);
      const stream = new WatchingStream(sock, buf, (offset) => {
        if (offset >= 4) ac.abort();
      });
      const task = asyncRead(stream, buf, withAbortSignal(ac.signal, asTuple(usePromise)));
      peer.write('1234');
      await ctx.run();
      const [err, n] = await task;
      expect([err?.code, n, buf.subarray(0, n).toString()]).toEqual(['operation_aborted', 4, '1234']);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
      sock.close();
      peer.destroy();
      expect(tracking.live).toBe(0);
    });
  });

  describe('cancellation of asyncWrite', () => {
    // Each step is too big for the kernel to take while the peer reads nothing, so it stays in progress.
    const CHUNK = STUCK_WRITE_SIZE;

    test('emit(partial) during a step Node already holds: that step finishes, then (operation_aborted, bytes written)', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      peer.pause();
      const signal = new CancellationSignal();
      const data = bulk(2 * CHUNK, 7);
      const stream = new ChunkingStream(sock, CHUNK, (step) => {
        if (step === 1) signal.emit(CancellationType.partial);
      });
      let result = '';
      asyncWrite(
        stream,
        data,
        bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => {
          result = `${code(err)}:${n}`;
        }),
      );
      const got = received(peer);
      await ctx.run();
      expect(result).toBe(`operation_aborted:${CHUNK}`);
      expect(stream.steps).toBe(1);
      await until(() => got.bytes().length >= CHUNK, 'the peer to receive the bytes');
      sock.close();
      await until(() => peer.readableEnded || peer.destroyed, 'the peer to see the close');
      expect(got.bytes().equals(data.subarray(0, CHUNK))).toBe(true); // exactly what was reported
      peer.destroy();
      expect(tracking.live).toBe(0);
    });

    test('emit(terminal) during a step Node already holds: that step is abandoned; (operation_aborted, bytes before it)', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      peer.pause();
      const signal = new CancellationSignal();
      const data = bulk(2 * CHUNK, 8);
      const stream = new ChunkingStream(sock, CHUNK, (step) => {
        if (step === 1) signal.emit(CancellationType.terminal);
      });
      let result = '';
      asyncWrite(
        stream,
        data,
        bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => {
          result = `${code(err)}:${n}`;
        }),
      );
      const got = received(peer);
      await ctx.run();
      expect(result).toBe('operation_aborted:0');
      expect(stream.steps).toBe(1);
      // The abandoned step's bytes were already Node's: they still go out (see asyncWriteSome).
      await until(() => got.bytes().length >= CHUNK, 'the peer to receive the bytes');
      sock.close();
      await until(() => peer.readableEnded || peer.destroyed, 'the peer to see the close');
      expect(got.bytes().equals(data.subarray(0, CHUNK))).toBe(true);
      peer.destroy();
      expect(tracking.live).toBe(0);
    });

    test('emit(total) is not honoured: every byte is written', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      peer.pause();
      const signal = new CancellationSignal();
      const data = bulk(2 * CHUNK, 9);
      const stream = new ChunkingStream(sock, CHUNK, (step) => {
        if (step === 1) signal.emit(CancellationType.total);
      });
      let result = '';
      asyncWrite(
        stream,
        data,
        bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => {
          result = `${code(err)}:${n}`;
        }),
      );
      const got = received(peer);
      await ctx.run();
      expect(result).toBe(`ok:${data.length}`);
      await until(() => got.bytes().length >= data.length, 'the peer to receive the bytes');
      expect(got.bytes().equals(data)).toBe(true);
      sock.close();
      peer.destroy();
      expect(tracking.live).toBe(0);
    });

    test.each(HONOURED)('emit(%s) on an asyncWrite waiting behind another write: (operation_aborted, 0), nothing of it sent', async (_name, type) => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      peer.pause(); // the first write stays in progress until the peer reads
      const signal = new CancellationSignal();
      const events: string[] = [];
      const first = bulk(STUCK_WRITE_SIZE, 10);
      asyncWrite(sock, first, (err, n) => events.push(`first:${code(err)}:${n}`));
      asyncWrite(
        sock,
        [Buffer.from('sec'), Buffer.from('ond;')],
        bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => events.push(`second:${code(err)}:${n}`)),
      );
      asyncWrite(sock, Buffer.from('third;'), (err, n) => events.push(`third:${code(err)}:${n}`));
      signal.emit(type);
      expect(events).toEqual([]);
      const got = received(peer);
      await ctx.run();
      expect(events).toEqual(['second:operation_aborted:0', `first:ok:${first.length}`, 'third:ok:6']);
      await until(() => got.bytes().length >= first.length + 6, 'the peer to receive the bytes');
      sock.close();
      await until(() => peer.readableEnded || peer.destroyed, 'the peer to see the close');
      expect(got.bytes().equals(Buffer.concat([first, Buffer.from('third;')]))).toBe(true);
      peer.destroy();
      expect(tracking.live).toBe(0);
    });
  });

  describe('cancellation of asyncReadUntil', () => {
    test.each(HONOURED)('emit(%s) before the delimiter: (operation_aborted, 0), the bytes so far kept in the buffer', async (_name, type) => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      const signal = new CancellationSignal();
      const dynbuf = new DynamicBuffer();
      const events: string[] = [];
      asyncReadUntil(
        sock,
        dynbuf,
        '\n',
        bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => {
          events.push(`until:${code(err)}:${n}:${Buffer.from(dynbuf.data()).toString()}`);
          // The socket and the buffer are usable: the line completes with the next call.
          asyncReadUntil(sock, dynbuf, '\n', (e, m) => {
            events.push(`line:${code(e)}:${m}:${Buffer.from(dynbuf.data().subarray(0, m)).toString()}`);
            sock.close();
          });
          peer.write(' line\n');
        }),
      );
      const done = ctx.run();
      peer.write('half a');
      await until(() => dynbuf.size === 6, 'the first bytes to arrive');
      signal.emit(type);
      await done;
      expect(events).toEqual(['until:operation_aborted:0:half a', 'line:ok:12:half a line\n']);
      peer.destroy();
      expect(tracking.live).toBe(0);
    });

    test('emit(total) is not honoured: the line completes', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      const signal = new CancellationSignal();
      const dynbuf = new DynamicBuffer();
      let result = '';
      asyncReadUntil(
        sock,
        dynbuf,
        '\n',
        bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => {
          result = `${code(err)}:${n}`;
          sock.close();
        }),
      );
      const done = ctx.run();
      peer.write('abc');
      await until(() => dynbuf.size === 3, 'the first bytes to arrive');
      signal.emit(CancellationType.total);
      peer.write('def\n');
      await done;
      expect(result).toBe('ok:7');
      peer.destroy();
      expect(tracking.live).toBe(0);
    });

    test('a delimiter already in the buffer wins over a cancellation emitted before the handler runs', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      const signal = new CancellationSignal();
      const dynbuf = new DynamicBuffer();
      dynbuf.prepare(4).set(Buffer.from('ok\nx'));
      dynbuf.commit(4);
      let result = '';
      asyncReadUntil(
        sock,
        dynbuf,
        '\n',
        bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => {
          result = `${code(err)}:${n}`;
        }),
      );
      signal.emit(CancellationType.terminal);
      await ctx.run();
      expect(result).toBe('ok:3');
      sock.close();
      peer.destroy();
      expect(tracking.live).toBe(0);
    });
  });

  describe('composed operations and the slot contract', () => {
    test('emit before initiation, with none, and after completion does nothing', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      const signal = new CancellationSignal();
      const buf = Buffer.alloc(4);
      const events: string[] = [];
      signal.emit(CancellationType.terminal);
      asyncRead(
        sock,
        buf,
        bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => events.push(`${code(err)}:${n}`)),
      );
      signal.emit(CancellationType.none);
      peer.write('wxyz');
      await ctx.run();
      expect(events).toEqual(['ok:4']);
      expect(signal.slot().hasHandler()).toBe(false);
      signal.emit(CancellationType.all);
      ctx.restart();
      expect(ctx.poll()).toBe(0);
      sock.close();
      peer.destroy();
      expect(tracking.live).toBe(0);
    });

    test('a reused slot serves the newest composed operation', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      const { sock: sock2, peer: peer2 } = await streamPair(kind, { ctx, tracking });
      const signal = new CancellationSignal();
      const events: string[] = [];
      const a = Buffer.alloc(3);
      asyncRead(
        sock,
        a,
        bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => {
          events.push(`first:${code(err)}:${a.subarray(0, n).toString()}`);
          sock.close();
        }),
      );
      const dynbuf = new DynamicBuffer();
      asyncReadUntil(
        sock2,
        dynbuf,
        '\n',
        bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => {
          events.push(`second:${code(err)}:${n}`);
          sock2.close();
        }),
      );
      signal.emit(CancellationType.terminal);
      peer.write('abc');
      await ctx.run();
      expect(events).toEqual(['second:operation_aborted:0', 'first:ok:abc']);
      peer.destroy();
      peer2.destroy();
      expect(tracking.live).toBe(0);
    });

    test('an already-aborted AbortSignal: asyncRead completes at once, queued, with (operation_aborted, 0)', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      let result = 'not run';
      asyncRead(sock, Buffer.alloc(8), withAbortSignal(AbortSignal.abort(), (err: IoError | null, n: number) => (result = `${code(err)}:${n}`)));
      expect(result).toBe('not run');
      await ctx.run();
      expect(result).toBe('operation_aborted:0');
      sock.close();
      peer.destroy();
      expect(tracking.live).toBe(0);
    });

    test('usePromise + AbortSignal.timeout on asyncReadUntil: rejects with operation_aborted', async () => {
      const { ctx, tracking, sock, peer } = await streamPair(kind);
      const dynbuf = new DynamicBuffer();
      const task = asyncReadUntil(sock, dynbuf, '\n', withAbortSignal(AbortSignal.timeout(20), usePromise)).then(
        () => 'resolved',
        (e: unknown) => (e as IoError).code,
      );
      await ctx.run();
      expect(await task).toBe('operation_aborted');
      sock.close();
      peer.destroy();
      expect(tracking.live).toBe(0);
    });
  });
});
