import {
  CancellationSignal,
  DynamicBuffer,
  IoContext,
  TrackingAllocator,
  asyncRead,
  asyncReadUntil,
  asyncWrite,
  bindCancellationSlot,
  post,
  type Handler,
} from '../src/index.js';

/*
 * A stream whose asyncReadSome/asyncWriteSome throws instead of completing
 * (a user-written stream, a wrapper): the composed operation is freed, its
 * handler is never invoked, its slot is left, and the exception reaches the
 * caller (at initiation) or run() (at a later step).
 */

function throwingStream(ctx: IoContext, okSteps: number): { context: IoContext; asyncReadSome(buf: Uint8Array, h: Handler<[number]>): void; asyncWriteSome(b: Uint8Array | readonly Uint8Array[], h: Handler<[number]>): void } {
  let steps = 0;
  const step = (h: Handler<[number]>, n: number): void => {
    if (steps++ >= okSteps) throw new TypeError('boom');
    post(ctx, () => {
      h(null, n);
    });
  };
  return {
    context: ctx,
    asyncReadSome: (buf, h) => {
      buf.fill(0x61, 0, 1);
      step(h, 1);
    },
    asyncWriteSome: (_bufs, h) => {
      step(h, 1);
    },
  };
}

describe('composed operations on a stream that throws', () => {
  test.each([
    ['asyncRead', (s: ReturnType<typeof throwingStream>, h: Handler<[number]>) => { asyncRead(s, Buffer.alloc(8), h); }],
    ['asyncWrite', (s: ReturnType<typeof throwingStream>, h: Handler<[number]>) => { asyncWrite(s, Buffer.alloc(8), h); }],
    ['asyncReadUntil', (s: ReturnType<typeof throwingStream>, h: Handler<[number]>) => { asyncReadUntil(s, new DynamicBuffer(64), '\n', h); }],
  ])('%s: a throw at initiation frees the operation and leaves its slot', (_name, start) => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const signal = new CancellationSignal();
    let called = 0;
    expect(() => {
      start(throwingStream(ctx, 0), bindCancellationSlot(signal.slot(), () => called++));
    }).toThrow('boom');
    expect(tracking.live).toBe(0);
    expect(ctx.allocationStats().live).toBe(0);
    expect(signal.slot().hasHandler()).toBe(false);
    expect(called).toBe(0);
  });

  test.each([
    ['asyncRead', (s: ReturnType<typeof throwingStream>, h: Handler<[number]>) => { asyncRead(s, Buffer.alloc(8), h); }],
    ['asyncWrite', (s: ReturnType<typeof throwingStream>, h: Handler<[number]>) => { asyncWrite(s, Buffer.alloc(8), h); }],
    ['asyncReadUntil', (s: ReturnType<typeof throwingStream>, h: Handler<[number]>) => { asyncReadUntil(s, new DynamicBuffer(64), '\n', h); }],
  ])('%s: a throw at a later step rejects run() and leaves nothing live', async (_name, start) => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let called = 0;
    start(throwingStream(ctx, 2), () => called++);
    await expect(ctx.run()).rejects.toThrow('boom');
    expect(tracking.live).toBe(0);
    expect(ctx.allocationStats().live).toBe(0);
    expect(called).toBe(0);
  });
});
