import {
  CancellationSignal,
  CancellationType,
  DynamicBuffer,
  HandlerAllocator,
  IoContext,
  ManualClock,
  SteadyTimer,
  Strand,
  TcpSocket,
  TrackingAllocator,
  asyncReadUntil,
  asyncWrite,
  bindAbortSignal,
  bindAllocator,
  bindCancellationSlot,
  bindExecutor,
  getAssociatedAllocator,
  getAssociatedCancellationSlot,
  getAssociatedExecutor,
  makeCustomAllocHandler,
  post,
  withAbortSignal,
  type Handler,
  type IoError,
} from '../src/index.js';
import { localAcceptor, trackedContext } from './support/net-helpers.js';

type IsAny<T> = 0 extends 1 & T ? true : false;

/**
 * `true` only when `A` and `B` are the same type. `any` and `never` match
 * nothing but themselves, so `const _: Exact<typeof x, number> = true` fails
 * the typecheck if inference ever gives `x` one of them.
 */
type Exact<A, B> =
  IsAny<A> extends true ? IsAny<B> : IsAny<B> extends true ? false : [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** The handler memory the tests bind: counts what operations take from it. */
function handlerMemory(): TrackingAllocator {
  return new TrackingAllocator(new HandlerAllocator());
}

describe('unannotated handlers take their parameter types through the binding helpers', () => {
  test('the result keeps the handler type, stays a bound function and carries the association', () => {
    const memory = handlerMemory();
    const ctx = new IoContext();
    const strand = new Strand(ctx);
    const cancel = new CancellationSignal();
    const seen: (IoError | null)[] = [];

    // A non-generic contextual type works too, nested or not.
    const onRead: Handler<[number]> = bindAllocator(memory, (err, n) => {
      const _err: Exact<typeof err, IoError | null> = true;
      const _n: Exact<typeof n, number> = true;
      // @ts-expect-error `n` is a number, neither `any` nor `never`
      const _s: string = n;
    });
    // withAbortSignal returns a token object, not a function; the callback inside is still typed by the operation.
    const readWithAbortSignal = (socket: TcpSocket): void => {
      socket.asyncReadSome(
        Buffer.alloc(1),
        withAbortSignal(new AbortController().signal, (err, n) => {
          const _err: Exact<typeof err, IoError | null> = true;
          const _n: Exact<typeof n, number> = true;
          if (err !== null || n < 0) socket.close();
        }),
      );
    };
    expect(typeof readWithAbortSignal).toBe('function');
    // post's completion signature is `() => void`: a handler expecting an error argument is refused.
    const postExpectingAnError = (): void => {
      // @ts-expect-error a post handler is called with no arguments
      post(ctx, (err: IoError | null) => seen.push(err));
      post(
        ctx,
        bindAllocator(memory, () => {
          seen.push(null);
        }),
      );
    };
    expect(typeof postExpectingAnError).toBe('function');
    const onWait: Handler = bindCancellationSlot(
      cancel.slot(),
      makeCustomAllocHandler(memory, (err) => {
        const _err: Exact<typeof err, IoError | null> = true;
        seen.push(err);
      }),
    );
    const onTick: Handler = bindExecutor(
      strand,
      bindAbortSignal(new AbortController().signal, (err) => {
        const _err: Exact<typeof err, IoError | null> = true;
        seen.push(err);
      }),
    );

    // An annotated handler keeps its exact type, return type included.
    const twice = bindAllocator(memory, (x: number) => x * 2);
    const _twice: Exact<typeof twice, (x: number) => number> = true;
    expect(twice(21)).toBe(42);

    // Bound functions, made once: no wrapper per call.
    expect(onRead.name.startsWith('bound ')).toBe(true);
    expect(onWait.name.startsWith('bound ')).toBe(true);
    expect(getAssociatedAllocator(onRead)).toBe(memory);
    expect(getAssociatedAllocator(onWait)).toBe(memory);
    expect(getAssociatedCancellationSlot(onWait)).toBe(cancel.slot());
    expect(getAssociatedExecutor(onTick)).toBe(strand);
    expect(getAssociatedCancellationSlot(onTick)).not.toBeNull();

    // Still only functions are accepted.
    // @ts-expect-error a handler must be a function
    expect(() => bindAllocator(memory, 42)).toThrow(TypeError);
    // @ts-expect-error a handler must be a function
    expect(() => bindExecutor(strand, { launch: () => undefined })).toThrow(TypeError);
  });

  test('post: zero-argument handlers through every helper', async () => {
    const { ctx, tracking } = trackedContext();
    const memory = handlerMemory();
    const strand = new Strand(ctx);
    const cancel = new CancellationSignal();
    const ac = new AbortController();
    const order: string[] = [];

    const bound = bindAllocator(memory, () => order.push('bindAllocator'));
    const _bound: Exact<typeof bound, () => number> = true;
    post(ctx, bound);
    post(ctx, makeCustomAllocHandler(memory, () => order.push('makeCustomAllocHandler')));
    post(ctx, bindCancellationSlot(cancel.slot(), () => order.push('bindCancellationSlot')));
    post(ctx, bindAbortSignal(ac.signal, () => order.push('bindAbortSignal')));
    post(ctx, withAbortSignal(ac.signal, () => order.push('withAbortSignal')));
    post(
      ctx,
      bindExecutor(
        strand,
        bindAllocator(memory, () => {
          expect(strand.runningInThisThread()).toBe(true);
          order.push('bindExecutor(bindAllocator)');
        }),
      ),
    );
    expect(order).toEqual([]);
    // The bound allocator served the two bindAllocator posts and makeCustomAllocHandler's.
    expect(memory.allocations).toBe(3);

    await ctx.run();
    expect(order).toEqual([
      'bindAllocator',
      'makeCustomAllocHandler',
      'bindCancellationSlot',
      'bindAbortSignal',
      'withAbortSignal',
      'bindExecutor(bindAllocator)',
    ]);
    expect(memory.live).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('SteadyTimer waits: `err` is IoError | null through every helper, and the associations act', async () => {
    const clock = new ManualClock();
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ clock, allocator: tracking });
    const memory = handlerMemory();
    const strand = new Strand(ctx);
    const cancel = new CancellationSignal();
    const timer = new SteadyTimer(ctx, 10);
    const results: string[] = [];
    const codeOf = (err: IoError | null): string => err?.code ?? 'ok';

    timer.asyncWait(
      bindAllocator(memory, (err) => {
        const _err: Exact<typeof err, IoError | null> = true;
        // @ts-expect-error `err` is IoError | null, neither `any` nor `never`
        const _n: number = err;
        results.push(`bindAllocator:${codeOf(err)}`);
      }),
    );
    timer.asyncWait(
      makeCustomAllocHandler(memory, (err) => {
        const _err: Exact<typeof err, IoError | null> = true;
        results.push(`makeCustomAllocHandler:${codeOf(err)}`);
      }),
    );
    timer.asyncWait(
      bindExecutor(
        strand,
        bindAllocator(memory, (err) => {
          const _err: Exact<typeof err, IoError | null> = true;
          expect(strand.runningInThisThread()).toBe(true);
          results.push(`bindExecutor(bindAllocator):${codeOf(err)}`);
        }),
      ),
    );
    timer.asyncWait(
      bindCancellationSlot(cancel.slot(), (err) => {
        const _err: Exact<typeof err, IoError | null> = true;
        results.push(`bindCancellationSlot:${codeOf(err)}`);
      }),
    );
    timer.asyncWait(
      bindAbortSignal(AbortSignal.abort(), (err) => {
        const _err: Exact<typeof err, IoError | null> = true;
        results.push(`bindAbortSignal:${codeOf(err)}`);
      }),
    );
    timer.asyncWait(
      withAbortSignal(new AbortController().signal, (err) => {
        const _err: Exact<typeof err, IoError | null> = true;
        results.push(`withAbortSignal:${codeOf(err)}`);
      }),
    );
    // Three waits took their WaitOp from the bound allocator.
    expect(memory.allocations).toBe(3);
    cancel.emit(CancellationType.terminal);

    const done = ctx.run();
    clock.advance(10);
    await done;
    expect(results.sort()).toEqual(
      [
        'bindAbortSignal:operation_aborted',
        'bindAllocator:ok',
        'bindCancellationSlot:operation_aborted',
        'bindExecutor(bindAllocator):ok',
        'makeCustomAllocHandler:ok',
        'withAbortSignal:ok',
      ].sort(),
    );
    expect(memory.live).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('TCP over 127.0.0.1: `(err, n)` is (IoError | null, number) for accept, reads and writes', async () => {
    const { ctx, tracking } = trackedContext();
    const memory = handlerMemory();
    const strand = new Strand(ctx);
    const cancel = new CancellationSignal();
    const ac = new AbortController();
    const { acceptor, port } = localAcceptor(ctx);
    const client = new TcpSocket(ctx);
    const serverLine = new DynamicBuffer();
    const clientLine = new DynamicBuffer();
    const events: string[] = [];

    // Server: accept, read a line, write it back, then read to eof and close.
    acceptor.asyncAccept(
      bindAllocator(memory, (err, peer) => {
        const _err: Exact<typeof err, IoError | null> = true;
        const _peer: Exact<typeof peer, TcpSocket> = true;
        expect(err).toBeNull();
        acceptor.close();
        asyncReadUntil(
          peer,
          serverLine,
          '\n',
          makeCustomAllocHandler(memory, (e, n) => {
            const _e: Exact<typeof e, IoError | null> = true;
            const _n: Exact<typeof n, number> = true;
            // @ts-expect-error `n` is a number, neither `any` nor `never`
            const _s: string = n;
            expect(e).toBeNull();
            events.push(`server read line:${n}`);
            asyncWrite(
              peer,
              serverLine.data().subarray(0, n),
              bindCancellationSlot(cancel.slot(), (e2, n2) => {
                const _e2: Exact<typeof e2, IoError | null> = true;
                const _n2: Exact<typeof n2, number> = true;
                expect(e2).toBeNull();
                events.push(`server wrote:${n2}`);
                peer.asyncReadSome(
                  Buffer.alloc(16),
                  bindAbortSignal(ac.signal, (e3, n3) => {
                    const _e3: Exact<typeof e3, IoError | null> = true;
                    const _n3: Exact<typeof n3, number> = true;
                    events.push(`server read:${e3?.code ?? 'ok'}:${n3}`);
                    peer.close();
                  }),
                );
              }),
            );
          }),
        );
      }),
    );

    // Client: connect, write a line, read the echo, shut down sending, read to eof.
    client.asyncConnect(
      { host: '127.0.0.1', port },
      bindExecutor(strand, (err) => {
        const _err: Exact<typeof err, IoError | null> = true;
        expect(err).toBeNull();
        asyncWrite(
          client,
          Buffer.from('hello\n'),
          bindExecutor(
            strand,
            bindAllocator(memory, (e, n) => {
              const _e: Exact<typeof e, IoError | null> = true;
              const _n: Exact<typeof n, number> = true;
              // @ts-expect-error `n` is a number, neither `any` nor `never`
              const _s: string = n;
              expect(e).toBeNull();
              expect(strand.runningInThisThread()).toBe(true);
              events.push(`client wrote:${n}`);
              asyncReadUntil(
                client,
                clientLine,
                '\n',
                bindCancellationSlot(
                  cancel.slot(),
                  bindAllocator(memory, (e2, n2) => {
                    const _e2: Exact<typeof e2, IoError | null> = true;
                    const _n2: Exact<typeof n2, number> = true;
                    expect(e2).toBeNull();
                    events.push(`client read line:${Buffer.from(clientLine.data().subarray(0, n2)).toString()}`);
                    client.shutdown('send');
                    client.asyncReadSome(
                      Buffer.alloc(16),
                      bindAbortSignal(ac.signal, (e3, n3) => {
                        const _e3: Exact<typeof e3, IoError | null> = true;
                        const _n3: Exact<typeof n3, number> = true;
                        events.push(`client read:${e3?.code ?? 'ok'}:${n3}`);
                        client.close();
                      }),
                    );
                  }),
                ),
              );
            }),
          ),
        );
      }),
    );

    await ctx.run();
    expect(events).toEqual([
      'client wrote:6',
      'server read line:6',
      'server wrote:6',
      'client read line:hello\n',
      'server read:eof:0',
      'client read:eof:0',
    ]);
    // accept, the server's line read, the client's write and line read came from `memory`.
    expect(memory.allocations).toBeGreaterThanOrEqual(4);
    expect(memory.live).toBe(0);
    expect(tracking.live).toBe(0);
  });
});
