import fc from 'fast-check';
import {
  CancellationSignal,
  CancellationType,
  DynamicBuffer,
  HandlerAllocator,
  IoContext,
  IoError,
  TrackingAllocator,
  asTuple,
  asyncRead,
  asyncReadUntil,
  asyncWrite,
  bindAllocator,
  bindCancellationSlot,
  transferAll,
  transferAtLeast,
  transferExactly,
  usePromise,
  type AsyncReadStream,
  type AsyncWriteStream,
  type CompletionCondition,
} from '../src/index.js';
import { scriptedStream, show, type ScriptedStream, type ScriptedStreamBuilder } from './support/scripted-stream.js';

/*
 * The composed operations driven through a scripted in-memory stream
 * (tests/support/scripted-stream.ts), so every chunk boundary of a message
 * is tried: every split into two chunks, and random splits into many.
 */

// The header block ends at HEAD.length; it holds a false start of its
// delimiter ('\r\n\r' then 'x') so a search that resumes in the wrong place
// shows. Then a ';'-terminated field, then a tail with no newline.
const HEAD = 'GET /\r\n\rx: 1\r\n\r\n';
const FIELD = 'body;';
const TAIL = 'tail!';
const MSG = Buffer.from(HEAD + FIELD + TAIL, 'latin1');
const L = MSG.length;
const END_HEAD = HEAD.length; // 16: n of the first asyncReadUntil
const END_FIELD = HEAD.length + FIELD.length; // 21: the end of the second

const code = (err: IoError | null): string => err?.code ?? 'ok';
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

function tracked(): { ctx: IoContext; tracking: TrackingAllocator } {
  const tracking = new TrackingAllocator();
  return { ctx: new IoContext({ allocator: tracking }), tracking };
}

/** `msg` as one chunk, then every split into two non-empty chunks. */
function twoChunkSplits(msg: Buffer): Buffer[][] {
  const out: Buffer[][] = [[msg]];
  for (let i = 1; i < msg.length; i++) out.push([msg.subarray(0, i), msg.subarray(i)]);
  return out;
}

/** `msg` cut at `cuts` (any order, duplicates and 0/length ignored): non-empty chunks. */
function chunksAt(msg: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts)].filter((c) => c > 0 && c < msg.length).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of [...points, msg.length]) {
    out.push(msg.subarray(at, p));
    at = p;
  }
  return out;
}

/** The chunk boundaries (cumulative lengths). */
function boundaries(chunks: readonly Uint8Array[]): number[] {
  let sum = 0;
  return chunks.map((c) => (sum += c.length));
}

/** How many bytes a reader that takes whole chunks has once it holds at least `need`: the first boundary at or past it. */
function deliveredFor(chunks: readonly Uint8Array[], need: number): number {
  return boundaries(chunks).find((b) => b >= need) ?? boundaries(chunks).at(-1) ?? 0;
}

/** How many chunks overlap the first `n` bytes. */
function chunksCovering(chunks: readonly Uint8Array[], n: number): number {
  return boundaries(chunks).filter((b, i) => b - chunks[i]!.length < n).length;
}

function reads(ctx: IoContext, chunks: readonly Uint8Array[], waits: readonly boolean[] = []): ScriptedStreamBuilder {
  const b = scriptedStream(ctx);
  chunks.forEach((c, i) => {
    if (waits[i] === true) b.wait(0);
    b.read(c);
  });
  return b;
}

const label = (chunks: readonly Uint8Array[]): string => chunks.map(show).join(' | ');

// Compile-time: the scripted stream is a stream every composed operation accepts.
const _asStreams = (s: ScriptedStream): [AsyncReadStream, AsyncWriteStream] => [s, s];

describe('the scripted stream', () => {
  test('a read takes up to buf.length of the current chunk, the rest stays; then eof; freed before the handler, never inline', async () => {
    const memory = new TrackingAllocator(undefined, { log: true });
    const { ctx, tracking } = tracked();
    const stream = scriptedStream(ctx).read('abcdef').read('gh').build();
    const buf = Buffer.alloc(4);
    const results: string[] = [];
    const onRead = bindAllocator(memory, (err: IoError | null, n: number): void => {
      memory.record('invoke');
      results.push(`${code(err)}:${n}:${text(buf.subarray(0, n))}`);
      if (err === null) stream.asyncReadSome(buf, onRead);
    });
    stream.asyncReadSome(buf, onRead);
    expect(results).toEqual([]); // not inside the initiating call
    expect(memory.live).toBe(1);
    await ctx.run();
    expect(results).toEqual(['ok:4:abcd', 'ok:2:ef', 'ok:2:gh', 'eof:0:']);
    expect(memory.events.slice(0, 3)).toEqual(['allocate:ReadSomeOp', 'deallocate:ReadSomeOp', 'invoke']);
    expect(memory.allocations).toBe(4);
    expect(tracking.allocations).toBe(0); // every op came from the handler's allocator
    expect(ctx.allocationStats().byKind.readSome?.allocations).toBe(4);
    stream.assertDone();
    expect(memory.live).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('every completion token works: usePromise, asTuple(usePromise), and a zero-length read consumes nothing', async () => {
    const { ctx, tracking } = tracked();
    const stream = scriptedStream(ctx).read('xy').write('ok', { max: 1 }).build();
    const buf = Buffer.alloc(8);
    const zero = stream.asyncReadSome(Buffer.alloc(0), usePromise);
    const first = stream.asyncReadSome(buf, usePromise);
    const written = stream.asyncWriteSome(Buffer.from('ok'), asTuple(usePromise));
    await ctx.run();
    expect(await zero).toBe(0);
    expect(await first).toBe(2);
    expect(await written).toEqual([null, 1]);
    expect(stream.remaining()).toEqual(['write("k", 1 of 2 bytes already written, { max: 1 })']);
    expect(() => { stream.assertDone(); }).toThrow(/unconsumed script actions: write\("k"/);
    ctx.restart();
    const rest = stream.asyncWriteSome([Buffer.alloc(0), Buffer.from('k')], usePromise);
    const end = stream.asyncReadSome(buf, asTuple(usePromise));
    await ctx.run();
    expect(await rest).toBe(1);
    const [err, n] = await end;
    expect([code(err), n]).toEqual(['eof', 0]);
    stream.assertDone();
    expect(tracking.live).toBe(0);
  });

  test('a write of other bytes fails with invalid_argument, and assertDone reports where it differs', async () => {
    const { ctx, tracking } = tracked();
    const stream = scriptedStream(ctx).write('hello world').build();
    let result = '';
    asyncWrite(stream, Buffer.from('hello wOrld'), (err, n) => {
      result = `${code(err)}:${n}`;
    });
    await ctx.run();
    expect(result).toBe('invalid_argument:0'); // the mismatched write takes nothing
    expect(() => { stream.assertDone(); }).toThrow(/write mismatch at byte 7 of write\("hello world"\): expected "orld", got "Orld"/);
    expect(tracking.live).toBe(0);
  });

  test('a write after the end of the script, and a read waiting for a write that never comes, are failures', async () => {
    const { ctx, tracking } = tracked();
    const stream = scriptedStream(ctx).write('ping').read('pong').build({ stallMs: 20 });
    const results: string[] = [];
    stream.asyncReadSome(Buffer.alloc(8), (err, n) => results.push(`read:${code(err)}:${n}`));
    await ctx.run();
    expect(results).toEqual(['read:timed_out:0']);
    expect(() => { stream.assertDone(); }).toThrow(/a read waited 20 ms while the script expects write\("ping"\)/);

    const ended = scriptedStream(ctx).build();
    ctx.restart();
    ended.asyncWriteSome(Buffer.from('?'), (err, n) => results.push(`write:${code(err)}:${n}`));
    await ctx.run();
    expect(results).toEqual(['read:timed_out:0', 'write:broken_pipe:0']);
    expect(() => { ended.assertDone(); }).toThrow(/unexpected write of "\?": the script has ended/);
    expect(tracking.live).toBe(0);
  });

  test('an operation that keeps asking for nothing fails after spinLimit zero-length operations instead of hanging the run', async () => {
    const { ctx, tracking } = tracked();
    const stream = scriptedStream(ctx).build({ spinLimit: 10 });
    let calls = 0;
    let last = '';
    const again = (err: IoError | null): void => {
      calls++;
      if (err === null) stream.asyncReadSome(Buffer.alloc(0), again);
      else last = code(err);
    };
    stream.asyncReadSome(Buffer.alloc(0), again);
    await ctx.run();
    expect([calls, last]).toEqual([11, 'invalid_argument']);
    expect(() => { stream.assertDone(); }).toThrow(/more than 10 zero-length operations in a row \(the last a read\)/);
    expect(tracking.live).toBe(0);
  });

  test('the script is one order: a read started before the write it follows waits for it', async () => {
    const { ctx, tracking } = tracked();
    const stream = scriptedStream(ctx).write('ping').read('pong').build();
    const buf = Buffer.alloc(8);
    const events: string[] = [];
    stream.asyncReadSome(buf, (err, n) => events.push(`read:${code(err)}:${text(buf.subarray(0, n))}`));
    stream.asyncWriteSome([Buffer.from('pi'), Buffer.from('ng')], (err, n) => events.push(`write:${code(err)}:${n}`));
    await ctx.run();
    expect(events).toEqual(['write:ok:4', 'read:ok:pong']);
    expect(stream.written().toString()).toBe('ping');
    stream.assertDone();
    expect(tracking.live).toBe(0);
  });

  test('wait(ms): the next action completes from a timer; a waiting read can be cancelled and consumes nothing', async () => {
    const { ctx, tracking } = tracked();
    const stream = scriptedStream(ctx).wait(5).read('late').build();
    const signal = new CancellationSignal();
    const buf = Buffer.alloc(8);
    const events: string[] = [];
    stream.asyncReadSome(
      buf,
      bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => {
        events.push(`first:${code(err)}:${n}:${stream.remaining().join(' ')}`); // the wait is still running
        stream.asyncReadSome(buf, (e, m) => {
          events.push(`second:${code(e)}:${text(buf.subarray(0, m))}`);
        });
      }),
    );
    signal.emit(CancellationType.total);
    expect(events).toEqual([]); // queued, not invoked inside emit
    await ctx.run();
    expect(events).toEqual(['first:operation_aborted:0:wait(5) read("late")', 'second:ok:late']);
    stream.assertDone();
    expect(tracking.live).toBe(0);
  });

  test('ctx.shutdown() destroys an operation waiting in the script without invoking it; close() aborts, then bad_descriptor', async () => {
    const { ctx, tracking } = tracked();
    const stream = scriptedStream(ctx).wait(1000).read('never').build();
    let called = 0;
    asyncRead(stream, Buffer.alloc(8), () => called++);
    expect(tracking.live).toBe(2); // the ReadOp and its ReadSomeOp
    ctx.shutdown();
    expect(tracking.live).toBe(0);
    expect(called).toBe(0);

    const ctx2 = tracked();
    const closing = scriptedStream(ctx2.ctx).wait(1000).read('never').build();
    const events: string[] = [];
    closing.asyncReadSome(Buffer.alloc(8), (err) => {
      events.push(code(err));
      closing.asyncWriteSome(Buffer.from('x'), (e) => events.push(code(e)));
    });
    closing.close();
    await ctx2.ctx.run();
    expect(events).toEqual(['operation_aborted', 'bad_descriptor']);
    expect(ctx2.tracking.live).toBe(0);
  });
});

type Delims = readonly [string, string | Uint8Array | RegExp, string | Uint8Array | RegExp, string | Uint8Array | RegExp];
const DELIMITERS: readonly Delims[] = [
  ['string', '\r\n\r\n', ';', '\n'],
  ['Uint8Array', Buffer.from('\r\n\r\n'), Uint8Array.of(0x3b), Uint8Array.of(0x0a)],
  ['RegExp', /: \d+\r\n\r\n/, /[a-z]+;/g, /\n/],
];

/**
 * Three asyncReadUntil in a row over `chunks` of MSG: the header block, the
 * field, then a delimiter that never comes (eof). Checks each result, the
 * bytes left in the buffer after each, the number of reads, and that every
 * chunk was consumed. Returns nothing; fails through expect.
 */
async function readUntilChain(chunks: readonly Buffer[], delims: Delims, waits: readonly boolean[] = []): Promise<void> {
  const { ctx, tracking } = tracked();
  const stream = reads(ctx, chunks, waits).build();
  const dynbuf = new DynamicBuffer();
  const events: string[] = [];
  const [, head, field, never] = delims;
  asyncReadUntil(stream, dynbuf, head, (err, n) => {
    events.push(`${code(err)}:${n}:${text(dynbuf.data().subarray(0, n))}:${dynbuf.size}`);
    dynbuf.consume(n);
    asyncReadUntil(stream, dynbuf, field, (err2, n2) => {
      events.push(`${code(err2)}:${n2}:${text(dynbuf.data().subarray(0, n2))}:${dynbuf.size}`);
      dynbuf.consume(n2);
      asyncReadUntil(stream, dynbuf, never, (err3, n3) => {
        events.push(`${code(err3)}:${n3}:${text(dynbuf.data())}`);
      });
    });
  });
  await ctx.run();
  // The model: each read takes a whole chunk (they are far smaller than a
  // DynamicBuffer's first prepare); an operation whose delimiter is already
  // buffered makes one zero-length read.
  const afterHead = deliveredFor(chunks, END_HEAD);
  const fieldBuffered = afterHead >= END_FIELD;
  const afterField = fieldBuffered ? afterHead : deliveredFor(chunks, END_FIELD);
  expect([label(chunks), ...events]).toEqual([
    label(chunks),
    `ok:${END_HEAD}:${HEAD}:${afterHead}`,
    `ok:${FIELD.length}:${FIELD}:${afterField - END_HEAD}`,
    `eof:0:${TAIL}`,
  ]);
  expect(stream.calls.reads).toBe(chunks.length + 1 + (fieldBuffered ? 1 : 0));
  stream.assertDone();
  expect(tracking.live).toBe(0);
}

describe('asyncReadUntil at every chunk boundary', () => {
  test.each(DELIMITERS)('%s delimiters, every split into two chunks (the delimiter spanning the boundary included)', async (...delims) => {
    for (const chunks of twoChunkSplits(MSG)) await readUntilChain(chunks, delims);
  });

  test.each(DELIMITERS)('%s delimiters, one byte per chunk', async (...delims) => {
    await readUntilChain(chunksAt(MSG, [...MSG.keys()]), delims);
  });

  test('random splits into many chunks, with random waits between them (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: L - 1 }), { maxLength: L }),
        fc.array(fc.boolean(), { maxLength: L }),
        fc.constantFrom(...DELIMITERS),
        async (cuts, waits, delims) => {
          await readUntilChain(chunksAt(MSG, cuts), delims, waits);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('an error before the delimiter: (err, 0), the bytes so far stay in the buffer; after it, the delimiter wins', async () => {
    for (let i = 1; i < L; i++) {
      const { ctx, tracking } = tracked();
      const stream = scriptedStream(ctx).read(MSG.subarray(0, i)).readError(new IoError('connection_reset')).read(MSG.subarray(i)).build();
      const dynbuf = new DynamicBuffer();
      const events: string[] = [];
      asyncReadUntil(stream, dynbuf, '\r\n\r\n', (err, n) => {
        events.push(`${code(err)}:${n}:${dynbuf.size}`);
        // Whatever the first op stopped at, the rest of the stream is intact.
        asyncRead(stream, Buffer.alloc(64), (e2, n2) => events.push(`${code(e2)}:${n2}`));
      });
      await ctx.run();
      const expected =
        i < END_HEAD
          ? [`connection_reset:0:${i}`, `eof:${L - i}`]
          : [`ok:${END_HEAD}:${i}`, `connection_reset:0`]; // the error was not reached by the first op
      expect([i, ...events]).toEqual([i, ...expected]);
      if (i >= END_HEAD) {
        // The error only fails that one read; the script then gives the rest.
        ctx.restart();
        asyncRead(stream, Buffer.alloc(64), (e3, n3) => events.push(`${code(e3)}:${n3}`));
        await ctx.run();
        expect(events.at(-1)).toBe(`eof:${L - i}`);
      }
      stream.assertDone();
      expect(tracking.live).toBe(0);
    }
  });

  test('eof before the delimiter: (eof, 0) with every byte in the buffer, at every split', async () => {
    const partial = MSG.subarray(0, END_HEAD - 1); // the header block without its last '\n'
    for (const chunks of twoChunkSplits(partial)) {
      const { ctx, tracking } = tracked();
      const stream = reads(ctx, chunks).build();
      const dynbuf = new DynamicBuffer();
      let result = '';
      asyncReadUntil(stream, dynbuf, '\r\n\r\n', (err, n) => {
        result = `${code(err)}:${n}:${text(dynbuf.data())}`;
      });
      await ctx.run();
      expect([label(chunks), result]).toEqual([label(chunks), `eof:0:${text(partial)}`]);
      stream.assertDone();
      expect(tracking.live).toBe(0);
    }
  });
});

describe('DynamicBuffer maxSize with asyncReadUntil', () => {
  const MAX_SIZES = [1, 5, END_HEAD - 2, END_HEAD - 1, END_HEAD, END_HEAD + 1, L, L + 1];

  test.each(MAX_SIZES)('maxSize %i: found if the delimiter fits, else (not_found, 0) with exactly maxSize bytes; no byte lost', async (maxSize) => {
    for (const chunks of twoChunkSplits(MSG)) {
      const { ctx, tracking } = tracked();
      const stream = reads(ctx, chunks).build();
      const dynbuf = new DynamicBuffer(maxSize);
      const events: string[] = [];
      let kept = Buffer.alloc(0);
      const rest = Buffer.alloc(64);
      asyncReadUntil(stream, dynbuf, '\r\n\r\n', (err, n) => {
        events.push(`${code(err)}:${n}:${dynbuf.size <= maxSize}`);
        if (err !== null) events.push(`size:${dynbuf.size}`);
        kept = Buffer.from(dynbuf.data());
        // Full and still no delimiter: the same again fails at once, reading nothing.
        const readsBefore = stream.calls.reads;
        asyncReadUntil(stream, dynbuf, '\r\n\r\n', (err2, n2) => {
          events.push(`again:${code(err2)}:${n2}:${stream.calls.reads - readsBefore}`);
          asyncRead(stream, rest, (e3, n3) => {
            events.push(`rest:${code(e3)}:${n3}`);
            expect(text(Buffer.concat([kept, rest.subarray(0, n3)]))).toBe(text(MSG));
          });
        });
      });
      await ctx.run();
      const found = maxSize >= END_HEAD;
      const held = found ? Math.min(deliveredFor(chunks, END_HEAD), maxSize) : maxSize;
      // A buffer that holds its delimiter completes again at once (the zero-length read path).
      const again = found ? `again:ok:${END_HEAD}:1` : 'again:not_found:0:1';
      const expected = found
        ? [`ok:${END_HEAD}:true`, again, `rest:eof:${L - held}`]
        : ['not_found:0:true', `size:${maxSize}`, again, `rest:eof:${L - held}`];
      expect([label(chunks), ...events]).toEqual([label(chunks), ...expected]);
      stream.assertDone();
      expect(tracking.live).toBe(0);
    }
  });
});

describe('asyncRead with completion conditions at every chunk boundary', () => {
  /** asyncRead(cond) into a 64-byte buffer, then the rest with transferAll to eof. */
  async function readThenRest(chunks: readonly Buffer[], condition: CompletionCondition): Promise<{ first: string; rest: string; reads: number }> {
    const { ctx, tracking } = tracked();
    const stream = reads(ctx, chunks).build();
    const buf = Buffer.alloc(64);
    const rest = Buffer.alloc(64);
    let first = '';
    let second = '';
    let firstReads = -1;
    asyncRead(stream, buf, condition, (err, n) => {
      first = `${code(err)}:${n}:${text(buf.subarray(0, n))}`;
      firstReads = stream.calls.reads;
      asyncRead(stream, rest, transferAll(), (e2, n2) => {
        second = `${code(e2)}:${n2}:${text(rest.subarray(0, n2))}`;
      });
    });
    await ctx.run();
    stream.assertDone();
    expect(tracking.live).toBe(0);
    return { first, rest: second, reads: firstReads };
  }

  test('transferExactly(n), every n and every split: exactly n bytes, never one more, in as few reads as the chunks allow', async () => {
    for (let n = 0; n <= L; n++) {
      for (const chunks of twoChunkSplits(MSG)) {
        const got = await readThenRest(chunks, transferExactly(n));
        expect([n, label(chunks), got]).toEqual([
          n,
          label(chunks),
          { first: `ok:${n}:${text(MSG.subarray(0, n))}`, rest: `eof:${L - n}:${text(MSG.subarray(n))}`, reads: n === 0 ? 1 : chunksCovering(chunks, n) },
        ]);
      }
    }
  });

  test('transferAtLeast(n), every n and every split: completes at the first chunk boundary at or past n', async () => {
    for (let n = 0; n <= L; n++) {
      for (const chunks of twoChunkSplits(MSG)) {
        const got = await readThenRest(chunks, transferAtLeast(n));
        const m = n === 0 ? 0 : deliveredFor(chunks, n);
        expect([n, label(chunks), got]).toEqual([
          n,
          label(chunks),
          { first: `ok:${m}:${text(MSG.subarray(0, m))}`, rest: `eof:${L - m}:${text(MSG.subarray(m))}`, reads: n === 0 ? 1 : chunksCovering(chunks, m) },
        ]);
      }
    }
  });

  test('eof in the middle of transferExactly / transferAtLeast / transferAll: (eof, the bytes read before it)', async () => {
    for (const chunks of twoChunkSplits(MSG)) {
      for (const condition of [transferExactly(L + 5), transferAtLeast(L + 1), transferAll()]) {
        const got = await readThenRest(chunks, condition);
        expect([label(chunks), got.first, got.rest]).toEqual([label(chunks), `eof:${L}:${text(MSG)}`, 'eof:0:']);
      }
    }
  });

  test('transferAll() with a buffer of exactly L bytes, fewer, and more', async () => {
    for (const chunks of twoChunkSplits(MSG)) {
      for (const size of [L - 5, L, L + 8]) {
        const { ctx, tracking } = tracked();
        const stream = reads(ctx, chunks).build();
        const buf = Buffer.alloc(size);
        const events: string[] = [];
        asyncRead(stream, buf, (err, n) => {
          events.push(`${code(err)}:${n}:${text(buf.subarray(0, n))}`);
          if (size < L) asyncRead(stream, Buffer.alloc(64), transferAll(), (e2, n2) => events.push(`${code(e2)}:${n2}`));
        });
        await ctx.run();
        const expected =
          size < L ? [`ok:${size}:${text(MSG.subarray(0, size))}`, `eof:${L - size}`] : size === L ? [`ok:${L}:${text(MSG)}`] : [`eof:${L}:${text(MSG)}`];
        expect([label(chunks), size, ...events]).toEqual([label(chunks), size, ...expected]);
        if (size === L) expect(stream.calls.reads).toBe(chunks.length); // a full buffer does not wait for eof
        stream.assertDone();
        expect(tracking.live).toBe(0);
      }
    }
  });

  test('an error mid-stream at every boundary: (err, the bytes so far); the rest of the stream is intact', async () => {
    for (let i = 1; i < L; i++) {
      for (const condition of [transferAll(), transferExactly(L), transferAtLeast(L)]) {
        const { ctx, tracking } = tracked();
        const stream = scriptedStream(ctx).read(MSG.subarray(0, i)).readError(new IoError('connection_reset')).read(MSG.subarray(i)).build();
        const buf = Buffer.alloc(64);
        const events: string[] = [];
        asyncRead(stream, buf, condition, (err, n) => {
          events.push(`${code(err)}:${n}:${text(buf.subarray(0, n))}`);
          asyncRead(stream, buf, transferAll(), (e2, n2) => events.push(`${code(e2)}:${n2}:${text(buf.subarray(0, n2))}`));
        });
        await ctx.run();
        expect([i, ...events]).toEqual([i, `connection_reset:${i}:${text(MSG.subarray(0, i))}`, `eof:${L - i}:${text(MSG.subarray(i))}`]);
        stream.assertDone();
        expect(tracking.live).toBe(0);
      }
    }
  });

  test('random splits, random waits: readUntil, transferExactly and transferAll in a row agree with the unsplit message (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: L - 1 }), { maxLength: L }),
        fc.array(fc.boolean(), { maxLength: L }),
        fc.integer({ min: 0, max: L - END_HEAD }),
        async (cuts, waits, exactly) => {
          const chunks = chunksAt(MSG, cuts);
          const { ctx, tracking } = tracked();
          const stream = reads(ctx, chunks, waits).build();
          const dynbuf = new DynamicBuffer();
          const events: string[] = [];
          asyncReadUntil(stream, dynbuf, '\r\n\r\n', (err, n) => {
            events.push(`${code(err)}:${n}`);
            const body = Buffer.from(dynbuf.data().subarray(n)); // read past the delimiter
            dynbuf.consume(dynbuf.size);
            const buf = Buffer.alloc(64);
            buf.set(body);
            const need = Math.max(exactly, body.length);
            asyncRead(stream, buf.subarray(body.length), transferExactly(need - body.length), (e2, n2) => {
              events.push(`${code(e2)}:${text(buf.subarray(0, body.length + n2))}`);
              const rest = Buffer.alloc(64);
              asyncRead(stream, rest, transferAll(), (e3, n3) => events.push(`${code(e3)}:${text(rest.subarray(0, n3))}`));
            });
          });
          await ctx.run();
          const need = Math.max(exactly, deliveredFor(chunks, END_HEAD) - END_HEAD);
          const body = MSG.subarray(END_HEAD);
          expect([label(chunks), ...events]).toEqual([label(chunks), `ok:${END_HEAD}`, `ok:${text(body.subarray(0, need))}`, `eof:${text(body.subarray(need))}`]);
          stream.assertDone();
          expect(tracking.live).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('asyncWrite against a stream that takes at most k bytes per write', () => {
  test('one buffer, every k: every byte in order, in ceil(L / k) writes', async () => {
    for (let k = 1; k <= L + 1; k++) {
      const { ctx, tracking } = tracked();
      const stream = scriptedStream(ctx).write(MSG, { max: k }).build();
      let result = '';
      asyncWrite(stream, MSG, (err, n) => {
        result = `${code(err)}:${n}`;
      });
      await ctx.run();
      expect([k, result, stream.calls.writes]).toEqual([k, `ok:${L}`, Math.ceil(L / k)]);
      expect(text(stream.written())).toBe(text(MSG));
      stream.assertDone();
      expect(tracking.live).toBe(0);
    }
  });

  test('a buffer array, every split into two buffers (empty ones included) and an empty buffer between, every k', async () => {
    for (let i = 0; i <= L; i++) {
      for (let k = 1; k <= L + 1; k++) {
        const { ctx, tracking } = tracked();
        const stream = scriptedStream(ctx).write(MSG, { max: k }).build();
        const bufs = [MSG.subarray(0, i), Buffer.alloc(0), MSG.subarray(i)];
        let result = '';
        asyncWrite(stream, bufs, (err, n) => {
          result = `${code(err)}:${n}`;
        });
        await ctx.run();
        expect([i, k, result, text(stream.written())]).toEqual([i, k, `ok:${L}`, text(MSG)]);
        // Each write takes k bytes or finishes a buffer.
        expect(stream.calls.writes).toBeGreaterThanOrEqual(Math.ceil(L / k));
        expect(stream.calls.writes).toBeLessThanOrEqual(Math.ceil(L / k) + bufs.length - 1);
        stream.assertDone();
        expect(tracking.live).toBe(0);
      }
    }
  });

  test('random buffer arrays against random write boundaries and limits (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: L }), { maxLength: 8 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: L - 1 }), fc.integer({ min: 1, max: L })), { maxLength: 6 }),
        fc.boolean(),
        async (bufCuts, scriptCuts, waits) => {
          // The buffers: MSG cut anywhere, empty buffers allowed.
          const points = [...bufCuts].sort((a, b) => a - b);
          const bufs: Buffer[] = [];
          let at = 0;
          for (const p of [...points, L]) {
            bufs.push(MSG.subarray(at, p));
            at = p;
          }
          // The script: MSG cut into write actions, each with its own limit.
          const { ctx, tracking } = tracked();
          const builder = scriptedStream(ctx);
          const actions = chunksAt(
            MSG,
            scriptCuts.map(([c]) => c),
          );
          actions.forEach((bytes, j) => {
            if (waits) builder.wait(0);
            builder.write(bytes, { max: scriptCuts[j]?.[1] ?? L });
          });
          const stream = builder.build();
          let result = '';
          asyncWrite(stream, bufs, (err, n) => {
            result = `${code(err)}:${n}`;
          });
          await ctx.run();
          expect([result, text(stream.written())]).toEqual([`ok:${L}`, text(MSG)]);
          stream.assertDone();
          expect(tracking.live).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('a write error mid-stream at every boundary: (err, the bytes written before it)', async () => {
    for (let i = 1; i < L; i++) {
      for (const bufs of [MSG, [MSG.subarray(0, 7), MSG.subarray(7)]]) {
        const { ctx, tracking } = tracked();
        const stream = scriptedStream(ctx).write(MSG.subarray(0, i), { max: 3 }).writeError(new IoError('broken_pipe')).build();
        let result = '';
        asyncWrite(stream, bufs, (err, n) => {
          result = `${code(err)}:${n}`;
        });
        await ctx.run();
        expect([i, result, text(stream.written())]).toEqual([i, `broken_pipe:${i}`, text(MSG.subarray(0, i))]);
        stream.assertDone();
        expect(tracking.live).toBe(0);
      }
    }
  });

  test('the intermediate writes use the final handler allocator, one live at a time, freed before the handler', async () => {
    const { ctx, tracking } = tracked();
    const memory = new TrackingAllocator(new HandlerAllocator(), { log: true });
    const stream = scriptedStream(ctx).write(MSG, { max: 4 }).build();
    asyncWrite(
      stream,
      [MSG.subarray(0, 10), MSG.subarray(10)],
      bindAllocator(memory, (err: IoError | null, n: number) => {
        memory.record(`invoke:${code(err)}:${n}`);
      }),
    );
    await ctx.run();
    let live = 0;
    let maxLive = 0;
    for (const e of memory.events) {
      if (e.startsWith('allocate')) live++;
      if (e.startsWith('deallocate')) live--;
      maxLive = Math.max(maxLive, live);
    }
    expect(maxLive).toBe(2);
    expect(memory.events.filter((e) => e === 'allocate:WriteSomeOp').length).toBe(stream.calls.writes);
    expect(memory.events.slice(-2)).toEqual(['deallocate:WriteOp', `invoke:ok:${L}`]);
    expect(tracking.allocations).toBe(0);
    stream.assertDone();
    expect(memory.live).toBe(0);
    expect(tracking.live).toBe(0);
  });
});
