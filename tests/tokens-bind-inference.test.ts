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
  type WrappedToken,
} from '../src/index.js';
import { localAcceptor, trackedContext } from './support/net-helpers.js';

/*
 * Every type assertion in this file is checked by tsc (`npm run typecheck`),
 * not by jest: ts-jest runs with `diagnostics: false`, so a type error here
 * never fails a jest run by itself. tests/tokens-type-assertions.test.ts
 * compiles this file with the project's tsconfig and fails if it has any
 * diagnostic, and shows the assertions fail when a helper's handler
 * parameter is `any`.
 *
 * The forms used:
 * - `const _x: Exact<typeof x, T> = true;` compiles only when `x` is exactly
 *   `T`. It sits in the callback whose parameter it checks, so tsc checks it
 *   whether or not jest ever calls the callback.
 * - `// @ts-expect-error TSnnnn …` stands alone on the line of the one
 *   argument that must be refused; the guard test removes the directives and
 *   checks that exactly that error, and no other, is reported on that line.
 * - Functions named `_typeOnly…` are never called: they exist for tsc.
 */

/**
 * `true` only when `A` and `B` are identical types (the comparison tsc makes
 * between two generic conditional types), `false` otherwise. Unlike mutual
 * assignability it tells `any` and `never` from everything else, an optional
 * parameter from a required one, and `F & CallableFunction` from `F`.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the unused T is what makes tsc compare A and B for identity
type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

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
    const onRead: Handler<[number]> = bindAllocator(memory, (_err, _n) => {
      const _errType: Exact<typeof _err, IoError | null> = true;
      const _nType: Exact<typeof _n, number> = true;
    });
    // withAbortSignal returns a token object, not a function; the callback inside is still typed by the operation.
    // Never called (it needs a connected socket): tsc checks the body.
    const _typeOnlyReadWithAbortSignal = (socket: TcpSocket): void => {
      socket.asyncReadSome(
        Buffer.alloc(1),
        withAbortSignal(new AbortController().signal, (err, n) => {
          const _err: Exact<typeof err, IoError | null> = true;
          const _n: Exact<typeof n, number> = true;
          if (err !== null || n < 0) socket.close();
        }),
      );
    };
    // post's completion signature is `() => void`: a handler expecting an error argument is refused,
    // a zero-argument one is accepted through bindAllocator. Never called: tsc checks the body.
    const expectsAnError = (err: IoError | null): void => {
      seen.push(err);
    };
    const _typeOnlyPost = (): void => {
      post(
        ctx,
        // @ts-expect-error TS2345 a post handler is called with no arguments
        expectsAnError,
      );
      post(
        ctx,
        bindAllocator(memory, () => {
          seen.push(null);
        }),
      );
    };
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
    expect(() =>
      bindAllocator(
        memory,
        // @ts-expect-error TS2345 a handler must be a function
        42,
      ),
    ).toThrow(TypeError);
    expect(() =>
      bindExecutor(
        strand,
        // @ts-expect-error TS2345 a handler must be a function
        { launch: () => undefined },
      ),
    ).toThrow(TypeError);
  });

  test('post: zero-argument handlers through every helper', async () => {
    const { ctx, tracking } = trackedContext();
    const memory = handlerMemory();
    const strand = new Strand(ctx);
    const cancel = new CancellationSignal();
    const ac = new AbortController();
    const order: string[] = [];

    // Each helper keeps the handler's type, `() => number` (push's result); withAbortSignal wraps it in a token.
    const bound = bindAllocator(memory, () => order.push('bindAllocator'));
    const _bound: Exact<typeof bound, () => number> = true;
    const custom = makeCustomAllocHandler(memory, () => order.push('makeCustomAllocHandler'));
    const _custom: Exact<typeof custom, () => number> = true;
    const slotted = bindCancellationSlot(cancel.slot(), () => order.push('bindCancellationSlot'));
    const _slotted: Exact<typeof slotted, () => number> = true;
    const abortable = bindAbortSignal(ac.signal, () => order.push('bindAbortSignal'));
    const _abortable: Exact<typeof abortable, () => number> = true;
    const token = withAbortSignal(ac.signal, () => order.push('withAbortSignal'));
    const _token: Exact<typeof token, WrappedToken<() => number>> = true;
    const onStrand = bindExecutor(
      strand,
      bindAllocator(memory, () => {
        expect(strand.runningInThisThread()).toBe(true);
        order.push('bindExecutor(bindAllocator)');
      }),
    );
    const _onStrand: Exact<typeof onStrand, () => void> = true;
    // A callback or wrapped callback makes post return nothing.
    const _posted: Exact<ReturnType<typeof post<typeof bound>>, void> = true;
    const _postedToken: Exact<ReturnType<typeof post<typeof token>>, void> = true;
    post(ctx, bound);
    post(ctx, custom);
    post(ctx, slotted);
    post(ctx, abortable);
    post(ctx, token);
    post(ctx, onStrand);
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
