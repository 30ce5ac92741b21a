import { IoContext, IoError, TrackingAllocator, asyncInitiate, detached, post, type CompletionToken } from '../src/index.js';

describe('detached', () => {
  test('the operation runs and its result, even an error, is dropped', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let started = 0;
    const asyncFail = <T extends CompletionToken>(token: T) =>
      asyncInitiate<[], T, IoContext>(
        (handler, c) => {
          started++;
          post(c, () => {
            handler(new IoError('operation_aborted'));
          });
        },
        token,
        ctx,
      );
    asyncFail(detached);
    post(ctx, detached);
    expect(started).toBe(1);
    expect(await ctx.run()).toBe(2);
    expect(tracking.live).toBe(0);
  });
});
