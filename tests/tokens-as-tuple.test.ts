import { IoContext, IoError, TrackingAllocator, asTuple, asyncInitiate, post, usePromise, type CompletionToken, type UsePromise } from '../src/index.js';

function asyncProduce<T extends CompletionToken<[number]>>(ctx: IoContext, err: IoError | null, value: number, token: T) {
  return asyncInitiate<[number], T, IoContext>(
    (handler, c) => {
      post(c, () => {
        handler(err, value);
      });
    },
    token,
    ctx,
  );
}

describe('asTuple(usePromise)', () => {
  test('resolves [null, ...results] on success and [err, ...results] on failure, never rejecting', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const ok = asyncProduce(ctx, null, 5, asTuple(usePromise));
    const failed = asyncProduce(ctx, new IoError('connection_reset'), 0, asTuple(usePromise));
    const posted = post(ctx, asTuple(usePromise));
    expect(await ctx.run()).toBe(3);
    const [okErr, n] = await ok;
    expect(okErr).toBeNull();
    expect(n).toBe(5);
    const [err] = await failed;
    expect(err).toBeInstanceOf(IoError);
    expect(err?.code).toBe('connection_reset');
    expect(await posted).toEqual([null]);
    expect(tracking.live).toBe(0);
  });

  test('anything but a completion token is a TypeError', () => {
    expect(() => asTuple({ kind: 'promise' } as unknown as UsePromise)).toThrow(/expected a completion token such as usePromise, got object/);
    expect(() => asTuple(null as unknown as UsePromise)).toThrow(/got null/);
  });

  test('asTuple() adapts usePromise by default', async () => {
    const ctx = new IoContext();
    const p = asyncProduce(ctx, null, 7, asTuple());
    await ctx.run();
    expect(await p).toEqual([null, 7]);
  });
});
