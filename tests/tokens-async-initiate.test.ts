import {
  IoContext,
  TrackingAllocator,
  asyncInitiate,
  post,
  usePromise,
  type CompletionToken,
  type NullaryToken,
  type Handler,
  type Initiation,
  type UsePromise,
  type WrappedToken,
} from '../src/index.js';

describe('asyncInitiate', () => {
  test('a plain callback goes straight to the initiation with its arguments', () => {
    const calls: unknown[][] = [];
    const callback: Handler<[number]> = () => undefined;
    asyncInitiate<[number], Handler<[number]>, string, number, boolean>(
      (handler, a, b, c) => {
        calls.push([handler, a, b, c]);
      },
      callback,
      'a',
      2,
      true,
    );
    expect(calls).toEqual([[callback, 'a', 2, true]]);
    expect(calls[0]![0]).toBe(callback);
  });

  test('a custom TokenAdapter decides the handler and what the async function returns', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const log: string[] = [];
    const logging: WrappedToken<UsePromise> = {
      kind: 'wrapped',
      inner: usePromise,
      launch<R extends unknown[], A, B, C>(initiation: Initiation<R, A, B, C>, a: A, b: B, c: C): unknown {
        log.push('launch');
        return usePromise.launch<R, A, B, C>(
          (handler, ia, ib, ic) => {
            initiation(
              ((err, ...results) => {
                log.push(`complete:${String(err)}`);
                handler(err, ...results);
              }),
              ia,
              ib,
              ic,
            );
          },
          a,
          b,
          c,
        );
      },
    };
    const asyncAnswer = <T extends CompletionToken<[number]>>(token: T) =>
      asyncInitiate<[number], T, IoContext>(
        (handler, c) => {
          post(c, () => {
            handler(null, 42);
          });
        },
        token,
        ctx,
      );
    const promise: Promise<number> = asyncAnswer(logging);
    expect(log).toEqual(['launch']);
    expect(await ctx.run()).toBe(1);
    expect(await promise).toBe(42);
    expect(log).toEqual(['launch', 'complete:null']);
    expect(tracking.live).toBe(0);
  });

  test('a bad token throws TypeError at initiation and starts nothing', () => {
    const ctx = new IoContext();
    let started = 0;
    const initiation = (): void => {
      started++;
    };
    for (const bad of [42, null, undefined, 'cb', {}, { launch: 1 }]) {
      expect(() => { asyncInitiate(initiation, bad as unknown as CompletionToken); }).toThrow(TypeError);
      expect(() => { post(ctx, bad as unknown as NullaryToken); }).toThrow(TypeError);
    }
    expect(started).toBe(0);
    expect(ctx.outstandingWork()).toBe(0);
  });
});
