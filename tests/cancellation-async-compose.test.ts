import {
  CancellationSignal,
  CancellationType,
  IoError,
  SteadyTimer,
  asTuple,
  asyncCompose,
  bindCancellationSlot,
  getAssociatedCancellationSlot,
  usePromise,
  withAbortSignal,
  type ComposeSelf,
  type IoContext,
  type TcpSocket,
} from '../src/index.js';
import { connectedPair, trackedContext } from './support/net-helpers.js';

const code = (err: IoError | null | undefined): string => (err === undefined ? 'start' : (err?.code ?? 'ok'));

/**
 * Reads once into `buf`; after that step, reports what it saw: the step's
 * error, its bytes, and the cancellation recorded so far.
 */
function readOnce(sock: TcpSocket, buf: Buffer, seen: string[]) {
  return (self: ComposeSelf<[number]>, err?: IoError | null, n?: number): void => {
    seen.push(`${code(err)}:${String(n ?? 0)}:cancelled=${String(self.cancelled())}`);
    if (err === undefined) sock.asyncReadSome(buf, self);
    else self.complete(err, n ?? 0);
  };
}

/** Waits on `timer` (a minute) once, then completes with the wait's error. */
function waitOnce(timer: SteadyTimer, seen: string[]) {
  return (self: ComposeSelf<[]>, err?: IoError | null): void => {
    seen.push(`${code(err)}:cancelled=${String(self.cancelled())}`);
    if (err !== undefined) {
      self.complete(err);
      return;
    }
    timer.expiresAfter(60_000);
    timer.asyncWait(self);
  };
}

const HONOURED = [
  ['terminal', CancellationType.terminal],
  ['partial', CancellationType.partial],
] as const;

describe('cancellation of asyncCompose', () => {
  test.each(HONOURED)('emit(%s) while a socket read step is pending: forwarded to it, recorded in self.cancelled()', async (_name, type) => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const signal = new CancellationSignal();
    const seen: string[] = [];
    const buf = Buffer.alloc(16);
    let result = '';
    asyncCompose<[number], (err: IoError | null, n: number) => void>(
      readOnce(sock, buf, seen),
      bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => {
        result = `${code(err)}:${String(n)}`;
        // The socket stays usable after a cancelled read.
        sock.asyncReadSome(buf, (e, m) => {
          result += ` then ${code(e)}:${buf.subarray(0, m).toString()}`;
          sock.close();
        });
        peer.write('after');
      }),
      sock,
    );
    setTimeout(() => {
      signal.emit(type);
    }, 10);
    await ctx.run();
    peer.destroy();
    expect(seen).toEqual(['start:0:cancelled=0', `operation_aborted:0:cancelled=${String(type)}`]);
    expect(result).toBe('operation_aborted:0 then ok:after');
    expect(signal.slot().hasHandler()).toBe(false);
    expect(tracking.live).toBe(0);
  });

  test('emit(total) is not honoured by default: nothing recorded, the step runs to completion', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const signal = new CancellationSignal();
    const seen: string[] = [];
    const buf = Buffer.alloc(16);
    let result = '';
    asyncCompose<[number], (err: IoError | null, n: number) => void>(
      readOnce(sock, buf, seen),
      bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => {
        result = `${code(err)}:${buf.subarray(0, n).toString()}`;
        sock.close();
      }),
      sock,
    );
    setTimeout(() => {
      signal.emit(CancellationType.total);
      peer.write('data');
    }, 10);
    await ctx.run();
    peer.destroy();
    expect(seen).toEqual(['start:0:cancelled=0', 'ok:4:cancelled=0']);
    expect(result).toBe('ok:data');
    expect(tracking.live).toBe(0);
  });

  test('an already-aborted signal: the first call sees it, and the step it starts anyway is aborted', async () => {
    const { ctx, tracking } = trackedContext();
    const timer = new SteadyTimer(ctx);
    const seen: string[] = [];
    const task = asyncCompose(waitOnce(timer, seen), withAbortSignal(AbortSignal.abort(), usePromise), timer);
    const settled = task.then(
      () => 'resolved',
      (e: unknown) => (e instanceof IoError ? e.code : 'other'),
    );
    await ctx.run();
    expect(await settled).toBe('operation_aborted');
    expect(seen).toEqual(['start:cancelled=1', 'operation_aborted:cancelled=1']);
    expect(tracking.live).toBe(0);
  });

  test('a request made during a call of the implementation reaches the step that call started', async () => {
    const { ctx, tracking } = trackedContext();
    const timer = new SteadyTimer(ctx);
    const signal = new CancellationSignal();
    const seen: string[] = [];
    let result = '';
    asyncCompose<[], (err: IoError | null) => void>(
      (self, err) => {
        seen.push(code(err));
        if (err !== undefined) {
          self.complete(err);
          return;
        }
        signal.emit(CancellationType.terminal); // before the step is pending
        timer.expiresAfter(60_000);
        timer.asyncWait(self);
      },
      bindCancellationSlot(signal.slot(), (err: IoError | null) => {
        result = code(err);
      }),
      ctx,
    );
    await ctx.run();
    expect(seen).toEqual(['start', 'operation_aborted']);
    expect(result).toBe('operation_aborted');
    expect(tracking.live).toBe(0);
  });

  test('withAbortSignal + asTuple(usePromise): aborting mid-step resolves [operation_aborted]', async () => {
    const { ctx, tracking } = trackedContext();
    const timer = new SteadyTimer(ctx);
    const ac = new AbortController();
    const seen: string[] = [];
    const task = asyncCompose(waitOnce(timer, seen), withAbortSignal(ac.signal, asTuple(usePromise)), timer);
    setTimeout(() => {
      ac.abort();
    }, 10);
    await ctx.run();
    const [err] = await task;
    expect(err?.code).toBe('operation_aborted');
    expect(seen).toEqual(['start:cancelled=0', 'operation_aborted:cancelled=1']);
    expect(tracking.live).toBe(0);
  });

  test('resetCancellationState(): forgets what was requested; with a wider filter, total is forwarded too', async () => {
    const { ctx, tracking } = trackedContext();
    const timer = new SteadyTimer(ctx);
    const signal = new CancellationSignal();
    const seen: string[] = [];
    asyncCompose<[], (err: IoError | null) => void>(
      (self, err) => {
        seen.push(`${code(err)}:cancelled=${String(self.cancelled())}`);
        if (err === undefined) {
          self.resetCancellationState(CancellationType.all);
          timer.expiresAfter(60_000);
          timer.asyncWait(self);
        } else if (seen.length === 2) {
          self.resetCancellationState();
          seen.push(`after reset:cancelled=${String(self.cancelled())}`);
          signal.emit(CancellationType.total); // filtered out again
          timer.expiresAfter(5);
          timer.asyncWait(self);
        } else {
          self.complete(err);
        }
      },
      bindCancellationSlot(signal.slot(), () => undefined),
      ctx,
    );
    setTimeout(() => {
      signal.emit(CancellationType.total);
    }, 10);
    await ctx.run();
    expect(seen).toEqual(['start:cancelled=0', 'operation_aborted:cancelled=4', 'after reset:cancelled=0', 'ok:cancelled=0']);
    expect(tracking.live).toBe(0);
  });

  test('self carries a cancellation slot only when the final handler has one', async () => {
    const { ctx, tracking } = trackedContext();
    const slots: boolean[] = [];
    const probe = (self: ComposeSelf<[]>): void => {
      slots.push(getAssociatedCancellationSlot(self) !== null);
      self.complete(null);
    };
    asyncCompose<[], () => void>(probe, () => undefined, ctx);
    asyncCompose<[], () => void>(probe, bindCancellationSlot(new CancellationSignal().slot(), () => undefined), ctx);
    await ctx.run();
    expect(slots).toEqual([false, true]);
    expect(tracking.live).toBe(0);
  });

  test('a request after the composed operation completed does nothing', async () => {
    const { ctx, tracking } = trackedContext();
    const signal = new CancellationSignal();
    const results: string[] = [];
    const run = (c: IoContext): void => {
      asyncCompose<[], (err: IoError | null) => void>(
        (self) => {
          self.complete(null);
        },
        bindCancellationSlot(signal.slot(), (err: IoError | null) => {
          results.push(code(err));
          signal.emit(CancellationType.terminal);
        }),
        c,
      );
    };
    run(ctx);
    await ctx.run();
    expect(results).toEqual(['ok']);
    expect(signal.slot().hasHandler()).toBe(false);
    expect(tracking.live).toBe(0);
  });
});
