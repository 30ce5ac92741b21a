import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { CancellationSignal, CancellationType, IoContext, IoError, SignalSet, TrackingAllocator, bindCancellationSlot, usePromise } from '../src/index.js';

/*
 * Jest gives each test file a sandboxed copy of `process` that the OS never
 * delivers signals to, so in this process a signal is simulated the way Node
 * delivers one: `process.emit(name, name)` on the next turn. The last tests
 * send real signals with process.kill to a child Node process.
 */
function raise(name: NodeJS.Signals): void {
  setImmediate(() => process.emit(name, name));
}
// Ends after a signal raised before it was delivered: a 10 ms timer can fire before an earlier
// setImmediate when the loop stalls that long, so it ends on an immediate queued after the raise's.
const delivered = (): Promise<void> => new Promise((r) => setTimeout(() => setImmediate(r), 10));

const root = resolve(__dirname, '..');
function runChild(script: string): Promise<string> {
  const program = `require(${JSON.stringify(resolve(root, 'tests/support/ts-require.cjs'))});
const lib = require(${JSON.stringify(resolve(root, 'src/index.ts'))});
${script}`;
  return new Promise((ok, fail) => {
    execFile(process.execPath, ['-e', program], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) fail(new Error(`${err.message}\n${stderr}`));
      else ok(stdout.trim());
    });
  });
}

describe('SignalSet', () => {
  test('a pending wait completes with the signal name, and keeps run() going until then', async () => {
    const tracking = new TrackingAllocator(undefined, { log: true });
    const ctx = new IoContext({ allocator: tracking });
    const signals = new SignalSet(ctx, 'SIGUSR2');
    const got: string[] = [];
    signals.asyncWait((err, name) => {
      tracking.record('invoke');
      expect(err).toBeNull();
      got.push(name);
    });
    let resolved = false;
    const done = ctx.run().then((n) => {
      resolved = true;
      return n;
    });
    await delivered();
    expect(resolved).toBe(false);
    raise('SIGUSR2');
    expect(await done).toBe(1);
    expect(got).toEqual(['SIGUSR2']);
    expect(tracking.events).toEqual(['allocate:SignalWaitOp', 'deallocate:SignalWaitOp', 'invoke']);
    signals.close();
    expect(process.listenerCount('SIGUSR2')).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('a signal delivered with no wait pending is remembered for the next wait, queued', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const signals = new SignalSet(ctx);
    signals.add('SIGUSR2');
    raise('SIGUSR2');
    await delivered();
    const got: string[] = [];
    signals.asyncWait((_err, name) => got.push(name));
    expect(got).toEqual([]);
    expect(ctx.poll()).toBe(1);
    expect(got).toEqual(['SIGUSR2']);
    signals.close();
    expect(tracking.live).toBe(0);
  });

  test('every pending wait completes on one delivery; usePromise resolves the name', async () => {
    const ctx = new IoContext();
    const signals = new SignalSet(ctx, 'SIGUSR2');
    const got: string[] = [];
    signals.asyncWait((_err, name) => got.push(`a:${name}`));
    const promised = signals.asyncWait(usePromise);
    const done = ctx.run();
    await delivered();
    raise('SIGUSR2');
    await expect(promised).resolves.toBe('SIGUSR2');
    await done;
    expect(got).toEqual(['a:SIGUSR2']);
    signals.close();
  });

  test('a handler that waits again gets the next signal, not the one it was handed (once per delivery)', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const signals = new SignalSet(ctx, 'SIGUSR2', 'SIGUSR1');
    const got: string[] = [];
    const onSignal = (err: IoError | null, name: string): void => {
      if (err !== null) return;
      got.push(name);
      if (name === 'SIGUSR1') signals.close();
      else signals.asyncWait(onSignal);
    };
    signals.asyncWait(onSignal);
    const done = ctx.run();
    await delivered();
    raise('SIGUSR2');
    await delivered();
    raise('SIGUSR2');
    await delivered();
    raise('SIGUSR1');
    await done;
    expect(got).toEqual(['SIGUSR2', 'SIGUSR2', 'SIGUSR1']);
    expect(tracking.live).toBe(0);
  });

  test('cancel aborts pending waits with operation_aborted and returns how many', () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const signals = new SignalSet(ctx, 'SIGUSR2');
    const codes: string[] = [];
    signals.asyncWait((err) => codes.push(err?.code ?? 'ok'));
    signals.asyncWait((err) => codes.push(err?.code ?? 'ok'));
    expect(signals.cancel()).toBe(2);
    expect(codes).toEqual([]);
    expect(ctx.poll()).toBe(2);
    expect(codes).toEqual(['operation_aborted', 'operation_aborted']);
    signals.close();
    expect(tracking.live).toBe(0);
  });

  test('a cancellation slot aborts just that wait', () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const signals = new SignalSet(ctx, 'SIGUSR2');
    const cancel = new CancellationSignal();
    const codes: string[] = [];
    signals.asyncWait(bindCancellationSlot(cancel.slot(), (err: IoError | null) => codes.push(`bound:${err?.code ?? 'ok'}`)));
    signals.asyncWait((err) => codes.push(`plain:${err?.code ?? 'ok'}`));
    cancel.emit(CancellationType.terminal);
    expect(ctx.poll()).toBe(1);
    expect(codes).toEqual(['bound:operation_aborted']);
    signals.close();
    ctx.restart();
    expect(ctx.poll()).toBe(1);
    expect(codes).toEqual(['bound:operation_aborted', 'plain:operation_aborted']);
    expect(tracking.live).toBe(0);
  });

  test('add/remove manage process listeners; remove forgets undelivered signals', async () => {
    const ctx = new IoContext();
    const signals = new SignalSet(ctx, 'SIGUSR2', 'SIGHUP');
    expect(signals.signals().sort()).toEqual(['SIGHUP', 'SIGUSR2']);
    expect(process.listenerCount('SIGHUP')).toBe(1);
    signals.add('SIGHUP');
    expect(process.listenerCount('SIGHUP')).toBe(1);
    raise('SIGUSR2');
    await delivered();
    signals.remove('SIGUSR2');
    signals.remove('SIGHUP');
    expect(process.listenerCount('SIGHUP')).toBe(0);
    const got: string[] = [];
    signals.asyncWait((err, name) => got.push(err?.code ?? name));
    expect(ctx.poll()).toBe(0);
    signals.close();
    ctx.restart();
    expect(ctx.poll()).toBe(1);
    expect(got).toEqual(['operation_aborted']);
  });

  test('after close a wait completes with bad_descriptor; bad names are TypeErrors', () => {
    const ctx = new IoContext();
    const signals = new SignalSet(ctx);
    signals.close();
    const codes: string[] = [];
    signals.asyncWait((err) => codes.push(err?.code ?? 'ok'));
    expect(ctx.poll()).toBe(1);
    expect(codes).toEqual(['bad_descriptor']);
    expect(() => { signals.add('SIGUSR2'); }).toThrow();
    expect(() => new SignalSet(ctx, 'SIGNOPE')).toThrow(TypeError);
    expect(() => new SignalSet(ctx, 'SIGKILL')).toThrow(TypeError);
  });

  test('shutdown destroys pending waits without invoking them and removes listeners', () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const signals = new SignalSet(ctx, 'SIGUSR2');
    let invoked = 0;
    signals.asyncWait(() => invoked++);
    ctx.shutdown();
    expect(invoked).toBe(0);
    expect(process.listenerCount('SIGUSR2')).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('real signals: process.kill reaches a pending wait, and the wait alone keeps the process alive', async () => {
    const out = await runChild(`
const ctx = new lib.IoContext();
const signals = new lib.SignalSet(ctx, 'SIGUSR2', 'SIGTERM');
const seen = [];
process.kill(process.pid, 'SIGTERM'); // no wait pending yet: remembered, and the process does not exit
setTimeout(() => {
  signals.asyncWait((err, name) => {
    seen.push(name);
    signals.asyncWait((err2, name2) => {
      seen.push(name2);
      signals.close();
    });
    // Unreferenced: only the pending wait, counted as work by run(), holds the process open.
    setTimeout(() => process.kill(process.pid, 'SIGUSR2'), 100).unref();
  });
  ctx.run().then((n) => console.log(JSON.stringify({ n, seen })));
}, 50);
`);
    expect(JSON.parse(out)).toEqual({ n: 2, seen: ['SIGTERM', 'SIGUSR2'] });
  });
});
