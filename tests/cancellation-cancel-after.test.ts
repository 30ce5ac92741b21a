import {
  CancellationSignal,
  Channel,
  CancellationType,
  HandlerAllocator,
  IoContext,
  IoError,
  ManualClock,
  Resolver,
  SignalSet,
  SteadyTimer,
  TrackingAllocator,
  asTuple,
  asyncCompose,
  asyncRead,
  asyncWrite,
  bindCancellationSlot,
  cancelAfter,
  cancelAt,
  detached,
  makeCustomAllocHandler,
  usePromise,
  withAbortSignal,
  type ComposeSelf,
} from '../src/index.js';
import { connectedPair, localAcceptor } from './support/net-helpers.js';

function setup(): { clock: ManualClock; ctx: IoContext; tracking: TrackingAllocator } {
  const clock = new ManualClock();
  const tracking = new TrackingAllocator();
  return { clock, ctx: new IoContext({ clock, allocator: tracking }), tracking };
}

function waitFor(ctx: IoContext, ms: number): SteadyTimer {
  const timer = new SteadyTimer(ctx);
  timer.expiresAfter(ms);
  return timer;
}

describe('cancelAfter on a timer wait (ManualClock)', () => {
  test('cancels the operation once ms have passed on the context clock, not before', async () => {
    const { clock, ctx, tracking } = setup();
    const results: string[] = [];
    waitFor(ctx, 1000).asyncWait(cancelAfter(100, (err) => results.push(`${err?.code ?? 'ok'}@${clock.now()}`)));
    const done = ctx.run();
    clock.advance(99);
    expect(results).toEqual([]);
    clock.advance(1);
    await done;
    expect(results).toEqual(['operation_aborted@100']);
    expect(tracking.live).toBe(0);
  });

  test('an operation that completes first withdraws its deadline: run() ends with the real work', async () => {
    const { clock, ctx, tracking } = setup();
    const results: string[] = [];
    waitFor(ctx, 50).asyncWait(cancelAfter(60_000, (err) => results.push(err?.code ?? 'ok')));
    const done = ctx.run();
    clock.advance(50);
    const handlers = await done;
    expect(results).toEqual(['ok']);
    // Only the wait's own handler ran: the deadline was withdrawn without one of its own.
    expect(handlers).toBe(1);
    expect(ctx.outstandingWork()).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('a whole ms counts from the clock reading rounded up to a whole millisecond: never early, at most 1 ms late', async () => {
    const clock = new ManualClock(1000.25);
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ clock, allocator: tracking });
    const results: string[] = [];
    waitFor(ctx, 1000).asyncWait(cancelAfter(100, (err) => results.push(`${err?.code ?? 'ok'}@${clock.now()}`)));
    waitFor(ctx, 1000).asyncWait(cancelAfter(99.5, (err) => results.push(`${err?.code ?? 'ok'}@${clock.now()}`)));
    const done = ctx.run();
    clock.set(1099.75);
    expect(results).toEqual(['operation_aborted@1099.75']); // 99.5 ms: exact, not rounded
    clock.set(1100.5);
    expect(results).toHaveLength(1); // 100 ms have passed, but the deadline is at the whole millisecond after
    clock.set(1101);
    await done;
    expect(results).toEqual(['operation_aborted@1099.75', 'operation_aborted@1101']);
    expect(tracking.live).toBe(0);
  });

  test('cancelAt cancels exactly at its time point', async () => {
    const { clock, ctx, tracking } = setup();
    clock.advance(1000);
    const results: string[] = [];
    waitFor(ctx, 10_000).asyncWait(cancelAt(1250, (err) => results.push(`${err?.code ?? 'ok'}@${clock.now()}`)));
    const done = ctx.run();
    clock.set(1249);
    expect(results).toEqual([]);
    clock.set(1250);
    await done;
    expect(results).toEqual(['operation_aborted@1250']);
    expect(tracking.live).toBe(0);
  });

  test('cancelAt with a time already passed aborts as soon as the operation is pending, queued', async () => {
    const { clock, ctx, tracking } = setup();
    clock.advance(500);
    const results: string[] = [];
    waitFor(ctx, 100).asyncWait(cancelAt(10, (err) => results.push(err?.code ?? 'ok')));
    expect(results).toEqual([]);
    const done = ctx.run();
    clock.advance(0);
    await done;
    expect(results).toEqual(['operation_aborted']);
    expect(tracking.live).toBe(0);
  });

  test('completion and deadline due in the same drain pass: the stale deadline cannot cancel the next operation', async () => {
    const { clock, ctx, tracking } = setup();
    const results: string[] = [];
    const timer = new SteadyTimer(ctx);
    let round = 0;
    const token = cancelAfter(100, (err: IoError | null) => {
      results.push(`${err?.code ?? 'ok'}@${clock.now()}`);
      if (++round === 1) {
        // Started while the first deadline's expiry is already queued behind us.
        timer.expiresAfter(1000);
        timer.asyncWait(token);
      }
    });
    timer.expiresAfter(100);
    timer.asyncWait(token);
    const done = ctx.run();
    clock.advance(100);
    expect(results).toEqual(['ok@100']);
    clock.advance(99);
    expect(results).toEqual(['ok@100']);
    clock.advance(1);
    await done;
    expect(results).toEqual(['ok@100', 'operation_aborted@200']);
    expect(tracking.live).toBe(0);
  });

  test('a token reused by a chain keeps one deadline: each operation gets its own full ms', async () => {
    const { clock, ctx, tracking } = setup();
    const times: number[] = [];
    const timer = new SteadyTimer(ctx);
    const token = cancelAfter(30, (err: IoError | null) => {
      times.push(clock.now());
      if (err === null && times.length < 3) {
        timer.expiresAfter(20);
        timer.asyncWait(token);
      }
    });
    timer.expiresAfter(20);
    timer.asyncWait(token);
    const done = ctx.run();
    clock.advance(20);
    clock.advance(20);
    clock.advance(20);
    await done;
    expect(times).toEqual([20, 40, 60]);
    expect(tracking.live).toBe(0);
  });

  test('one token on two operations at once gives each its own deadline', async () => {
    const { clock, ctx, tracking } = setup();
    const results: string[] = [];
    const token = cancelAfter(100, (err: IoError | null) => results.push(`${err?.code ?? 'ok'}@${clock.now()}`));
    waitFor(ctx, 500).asyncWait(token);
    clock.advance(50);
    waitFor(ctx, 500).asyncWait(token);
    const done = ctx.run();
    clock.advance(50);
    expect(results).toEqual(['operation_aborted@100']);
    clock.advance(50);
    await done;
    expect(results).toEqual(['operation_aborted@100', 'operation_aborted@150']);
    expect(tracking.live).toBe(0);
  });

  test('the cancellation type is passed on, and bad arguments are TypeErrors', async () => {
    const { clock, ctx, tracking } = setup();
    const seen: number[] = [];
    const signal = new CancellationSignal();
    signal.slot().assign((type) => seen.push(type));
    expect(() => cancelAfter(-1, () => undefined)).toThrow(/ms must be a non-negative number, got number -1/);
    expect(() => cancelAfter(Number.NaN, () => undefined)).toThrow(TypeError);
    expect(() => cancelAfter('5' as unknown as number, () => undefined)).toThrow(/got string "5"/);
    expect(() => cancelAfter(5, null as unknown as () => void)).toThrow(/completion token, got null/);
    expect(() => cancelAfter(5, () => undefined, CancellationType.none)).toThrow(/other than none/);
    expect(() => cancelAt(Number.NaN, () => undefined)).toThrow(TypeError);
    const result = waitFor(ctx, 100).asyncWait(cancelAfter(10, asTuple(usePromise), CancellationType.total));
    const done = ctx.run();
    clock.advance(10);
    await done;
    expect((await result)[0]?.code).toBe('operation_aborted');
    expect(tracking.live).toBe(0);
  });
});

describe('cancelAfter composes with the other tokens', () => {
  test.each([
    ['cancelAfter(usePromise)', () => cancelAfter(100, usePromise)],
    ['asTuple(cancelAfter(usePromise))', () => asTuple(cancelAfter(100, usePromise))],
    ['cancelAfter(asTuple(usePromise))', () => cancelAfter(100, asTuple(usePromise))],
    ['withAbortSignal(cancelAfter(usePromise))', () => withAbortSignal(new AbortController().signal, cancelAfter(100, usePromise))],
    ['cancelAfter(withAbortSignal(usePromise))', () => cancelAfter(100, withAbortSignal(new AbortController().signal, usePromise))],
    ['cancelAfter(cancelAfter(usePromise)) with the inner one later', () => cancelAfter(100, cancelAfter(5000, usePromise))],
    ['cancelAfter(cancelAfter(usePromise)) with the inner one sooner', () => cancelAfter(5000, cancelAfter(100, usePromise))],
  ])('%s: the deadline aborts the wait at 100', async (_name, makeToken) => {
    const { clock, ctx, tracking } = setup();
    const outcome = (waitFor(ctx, 1000).asyncWait(makeToken() as unknown as typeof usePromise) as Promise<unknown>).then(
      (value) => ({ value, at: clock.now() }),
      (err: unknown) => ({ value: (err as IoError).code, at: clock.now() }),
    );
    const done = ctx.run();
    clock.advance(100);
    await done;
    const { value, at } = await outcome;
    expect(at).toBe(100);
    expect(Array.isArray(value) ? (value[0] as IoError).code : value).toBe('operation_aborted');
    expect(tracking.live).toBe(0);
  });

  test.each([
    ['withAbortSignal(s, cancelAfter(usePromise))', (s: AbortSignal) => withAbortSignal(s, cancelAfter(1000, usePromise))],
    ['cancelAfter(withAbortSignal(s, usePromise))', (s: AbortSignal) => cancelAfter(1000, withAbortSignal(s, usePromise))],
    ['cancelAfter(bound slot handler)', null],
  ])('%s: the abort still cancels before the deadline', async (name, makeToken) => {
    const { clock, ctx, tracking } = setup();
    const ac = new AbortController();
    let outcome: Promise<string>;
    if (makeToken !== null) {
      outcome = waitFor(ctx, 5000).asyncWait(makeToken(ac.signal) as unknown as typeof usePromise).then(
        () => 'ok',
        (err: unknown) => `${(err as IoError).code}@${clock.now()}`,
      );
    } else {
      const signal = new CancellationSignal();
      ac.signal.addEventListener('abort', () => { signal.emit(CancellationType.terminal); });
      outcome = new Promise((resolve) => {
        waitFor(ctx, 5000).asyncWait(cancelAfter(1000, bindCancellationSlot(signal.slot(), (err: IoError | null) => { resolve(`${err?.code ?? 'ok'}@${clock.now()}`); })));
      });
    }
    const done = ctx.run();
    clock.advance(40);
    ac.abort();
    clock.advance(0);
    await done;
    expect(await outcome).toBe('operation_aborted@40');
    expect(name).toBeTruthy();
    expect(tracking.live).toBe(0);
  });

  test('asTuple and withAbortSignal nest in either order', async () => {
    const { clock, ctx, tracking } = setup();
    const ac = new AbortController();
    const a = waitFor(ctx, 10).asyncWait(asTuple(withAbortSignal(ac.signal, usePromise)));
    const b = waitFor(ctx, 10).asyncWait(withAbortSignal(ac.signal, asTuple(usePromise)));
    const c = waitFor(ctx, 1000).asyncWait(asTuple(withAbortSignal(ac.signal, usePromise)));
    const d = waitFor(ctx, 1000).asyncWait(withAbortSignal(ac.signal, asTuple(usePromise)));
    const done = ctx.run();
    clock.advance(10);
    ac.abort();
    clock.advance(0);
    await done;
    expect(await a).toEqual([null]);
    expect(await b).toEqual([null]);
    expect((await c)[0]?.code).toBe('operation_aborted');
    expect((await d)[0]?.code).toBe('operation_aborted');
    expect(tracking.live).toBe(0);
  });

  test('asTuple around a callback or detached hands the tuple on as one result', async () => {
    const { clock, ctx, tracking } = setup();
    const seen: unknown[] = [];
    waitFor(ctx, 10).asyncWait(asTuple((err: IoError | null, tuple: [IoError | null]) => seen.push(err, tuple)));
    waitFor(ctx, 10).asyncWait(asTuple(detached));
    const done = ctx.run();
    clock.advance(10);
    await done;
    expect(seen).toEqual([null, [null]]);
    expect(() => asTuple(42 as unknown as typeof usePromise)).toThrow(/got number/);
    expect(tracking.live).toBe(0);
  });
});

describe('cancelAfter on every kind of operation', () => {
  test('a socket read with no data is aborted; the socket stays usable', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const buf = Buffer.alloc(16);
    const first = sock.asyncReadSome(buf, cancelAfter(30, asTuple(usePromise)));
    const second = first.then(() => {
      peer.write('hi');
      return sock.asyncReadSome(buf, cancelAfter(5000, usePromise));
    });
    const run = ctx.run();
    const [err, n] = await first;
    expect(err?.code).toBe('operation_aborted');
    expect(n).toBe(0);
    expect(await second).toBe(2);
    sock.close();
    peer.destroy();
    await run;
    expect(tracking.live).toBe(0);
  });

  test('a composed asyncRead is aborted with the bytes it read so far', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    peer.write('abc');
    const result = asyncRead(sock, Buffer.alloc(10), cancelAfter(60, asTuple(usePromise)));
    const run = ctx.run();
    const [err, n] = await result;
    expect(err?.code).toBe('operation_aborted');
    expect(n).toBe(3);
    sock.close();
    peer.destroy();
    await run;
    expect(tracking.live).toBe(0);
  });

  test('an accept with no client, and a signal wait with no signal, are aborted', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const { acceptor } = localAcceptor(ctx);
    const signals = new SignalSet(ctx, 'SIGUSR2');
    const codes: string[] = [];
    acceptor.asyncAccept(cancelAfter(20, (err) => codes.push(`accept:${err?.code ?? 'ok'}`)));
    signals.asyncWait(cancelAfter(20, (err) => codes.push(`signal:${err?.code ?? 'ok'}`)));
    await ctx.run();
    expect(codes.sort()).toEqual(['accept:operation_aborted', 'signal:operation_aborted']);
    acceptor.close();
    signals.close();
    expect(tracking.live).toBe(0);
  });

  test('a channel receive with no sender, and a rendezvous send with no receiver, are aborted; the channel stays open', async () => {
    const { clock, ctx, tracking } = setup();
    const channel = new Channel<string>(ctx);
    const codes: string[] = [];
    channel.asyncReceive(cancelAfter(30, (err) => codes.push(`receive:${err?.code ?? 'ok'}@${clock.now()}`)));
    const other = new Channel<string>(ctx);
    other.asyncSend('x', cancelAfter(40, (err) => codes.push(`send:${err?.code ?? 'ok'}@${clock.now()}`)));
    const done = ctx.run();
    clock.advance(40);
    await done;
    expect(codes).toEqual(['receive:operation_aborted@30', 'send:operation_aborted@40']);
    expect(channel.isOpen()).toBe(true);
    expect(other.tryReceive(() => undefined)).toBe(false);
    expect(tracking.live).toBe(0);
  });

  test('a channel receive that gets its value first withdraws its deadline', async () => {
    const { clock, ctx, tracking } = setup();
    const channel = new Channel<number>(ctx, 1);
    const got: unknown[] = [];
    channel.asyncReceive(cancelAfter(1000, (err, value) => got.push(err?.code ?? value)));
    const timer = new SteadyTimer(ctx);
    timer.expiresAfter(10);
    timer.asyncWait(() => channel.trySend(7));
    const done = ctx.run();
    clock.advance(10);
    await done;
    expect(got).toEqual([7]);
    expect(ctx.outstandingWork()).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('an asyncCompose operation is cancelled with its step in progress, and completes as its implementation says', async () => {
    const { clock, ctx, tracking } = setup();
    const timer = new SteadyTimer(ctx);
    const steps: string[] = [];
    const waitTwice = (self: ComposeSelf<[number]>, err?: IoError | null): void => {
      if (err === undefined) {
        timer.expiresAfter(1000);
        timer.asyncWait(self);
        return;
      }
      steps.push(`${err?.code ?? 'ok'}@${clock.now()}`);
      self.complete(err, steps.length);
    };
    const result: Promise<number> = asyncCompose(waitTwice, cancelAfter(50, usePromise), timer);
    const outcome = result.then(
      () => 'resolved',
      (e: unknown) => (e as IoError).code,
    );
    const done = ctx.run();
    clock.advance(50);
    await done;
    expect(await outcome).toBe('operation_aborted');
    expect(steps).toEqual(['operation_aborted@50']);
    expect(tracking.live).toBe(0);
  });

  test('a resolve whose deadline has passed is aborted before the lookup can report', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const resolver = new Resolver(ctx);
    const result = resolver.asyncResolve('localhost', 80, cancelAt(ctx.clock.now() - 1, asTuple(usePromise)));
    await ctx.run();
    const [err, endpoints] = await result;
    expect(err?.code).toBe('operation_aborted');
    expect(endpoints).toEqual([]);
    expect(tracking.live).toBe(0);
  });

  test('a read-write echo chain with a HandlerAllocator reuses its ops and allocates none per round', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const memory = new HandlerAllocator();
    const buf = Buffer.alloc(64);
    const ROUNDS = 200;
    let rounds = 0;
    const onWrite = makeCustomAllocHandler(memory, (err: IoError | null) => {
      if (err === null) sock.asyncReadSome(buf, timedRead);
    });
    const timedRead = cancelAfter(
      5000,
      makeCustomAllocHandler(memory, (err: IoError | null, n: number) => {
        if (err !== null) return;
        rounds++;
        asyncWrite(sock, buf.subarray(0, n), onWrite);
      }),
    );
    let echoed = 0;
    peer.on('data', (d: Buffer) => {
      echoed += d.length;
      if (echoed < ROUNDS) peer.write('x');
      else peer.end();
    });
    peer.write('x');
    sock.asyncReadSome(buf, timedRead);
    await ctx.run();
    expect(rounds).toBe(ROUNDS);
    const stats = memory.stats();
    // The first op of each class was constructed; every later one reused its slot.
    expect(stats.fallbacks).toBeLessThanOrEqual(4);
    expect(stats.hits).toBeGreaterThan(ROUNDS * 2);
    sock.close();
    expect(tracking.live).toBe(0);
  });
});
