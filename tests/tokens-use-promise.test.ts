import { IoContext, IoError, TrackingAllocator, asyncInitiate, post, usePromise, type CompletionToken, type Handler } from '../src/index.js';

/** A tiny async operation: completes on `ctx` with `err`, or with `value` (and `extra` when given). */
function asyncProduce<T extends CompletionToken<[number]>>(ctx: IoContext, err: IoError | null, value: number, token: T) {
  return asyncInitiate<[number], T, IoContext>(
    (handler: Handler<[number]>, c: IoContext) => {
      post(c, () => {
        handler(err, value);
      });
    },
    token,
    ctx,
  );
}

function asyncPair<T extends CompletionToken<[number, string]>>(ctx: IoContext, token: T) {
  return asyncInitiate<[number, string], T, IoContext>(
    (handler, c) => {
      post(c, () => {
        handler(null, 7, 'seven');
      });
    },
    token,
    ctx,
  );
}

describe('usePromise', () => {
  test('await post(ctx, usePromise) in a loop resumes once per post', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let resumed = 0;
    const task = (async () => {
      for (let i = 0; i < 100; i++) {
        await post(ctx, usePromise);
        resumed++;
      }
    })();
    expect(resumed).toBe(0);
    expect(await ctx.run()).toBe(100);
    await task;
    expect(resumed).toBe(100);
    expect(tracking.live).toBe(0);
  });

  test('resolves with the one result, or the results as an array', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const one = asyncProduce(ctx, null, 42, usePromise);
    const pair = asyncPair(ctx, usePromise);
    expect(await ctx.run()).toBe(2);
    const n: number = await one;
    expect(n).toBe(42);
    expect(await pair).toEqual([7, 'seven']);
    expect(tracking.live).toBe(0);
  });

  test('rejects with the IoError', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const failing = asyncProduce(ctx, new IoError('eof'), 0, usePromise);
    const settled = failing.then(
      () => 'resolved',
      (err: unknown) => err,
    );
    expect(await ctx.run()).toBe(1);
    const err = await settled;
    expect(err).toBeInstanceOf(IoError);
    expect(err).toMatchObject({ code: 'eof' });
    expect(tracking.live).toBe(0);
  });
});
