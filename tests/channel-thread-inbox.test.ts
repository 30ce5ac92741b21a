import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BroadcastChannel, MessageChannel, Worker } from 'node:worker_threads';
import { CancellationSignal, CancellationType, IoError, ThreadInbox, asTuple, bindCancellationSlot, usePromise } from '../src/index.js';
import { trackedContext } from './support/net-helpers.js';
import { thrownCode } from './support/multi-core.js';

/** The built package (npm test builds before jest): worker threads load it as a user would. */
const packageUrl = pathToFileURL(path.join(__dirname, '..', 'dist', 'src', 'index.js')).href;

/**
 * A worker thread with its own IoContext and a ThreadInbox on the port it is
 * given: it answers each number n with n * 2 from a handler on its context,
 * and stops (closing its inbox) on 'stop'.
 */
const DOUBLER = `
const { workerData } = require('node:worker_threads');
import(${JSON.stringify(packageUrl)}).then(({ IoContext, ThreadInbox, TrackingAllocator }) => {
  const tracking = new TrackingAllocator();
  const ctx = new IoContext({ allocator: tracking });
  const inbox = new ThreadInbox(ctx, workerData.port);
  const onMessage = (err, value) => {
    if (err) return;
    if (value === 'stop') return inbox.close();
    inbox.send(value * 2);
    inbox.asyncReceive(onMessage);
  };
  inbox.asyncReceive(onMessage);
  return ctx.run().then(() => { if (tracking.live !== 0) throw new Error('live ops in the thread'); });
});
`;

/** A promise of the worker's exit code, listened for from the start: the thread may be gone before a test looks. */
function exitOf(worker: Worker): Promise<number> {
  return new Promise((r) => worker.once('exit', r));
}

function startDoubler(): { inbox: ThreadInbox; exited: Promise<number>; ctx: ReturnType<typeof trackedContext>['ctx']; tracking: ReturnType<typeof trackedContext>['tracking'] } {
  const { ctx, tracking } = trackedContext();
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(DOUBLER, { eval: true, workerData: { port: port2 }, transferList: [port2] });
  return { inbox: new ThreadInbox(ctx, port1), exited: exitOf(worker), ctx, tracking };
}

describe('ThreadInbox', () => {
  test('a receive completes on this context when another thread posts; the answers come in order, then eof when the thread has gone', async () => {
    const { inbox, exited, ctx, tracking } = startDoubler();
    const got: (number | string)[] = [];
    let count = 0;
    const onAnswer = (err: IoError | null, value: unknown): void => {
      if (err !== null) {
        got.push(err.code);
        inbox.close();
        return;
      }
      got.push(value as number);
      if (++count === 5) inbox.send('stop'); // the thread closes its end and exits
      inbox.asyncReceive(onAnswer);
    };
    for (let i = 1; i <= 5; i++) inbox.send(i); // posted before any receive: they wait in order
    inbox.asyncReceive(onAnswer);
    const handlers = await ctx.run();
    expect(got).toEqual([2, 4, 6, 8, 10, 'eof']);
    expect(handlers).toBe(6);
    expect(await exited).toBe(0);
    expect(tracking.live).toBe(0);
    expect(ctx.allocationStats().byKind.threadReceive?.allocations).toBe(6);
  });

  test('every token: usePromise resolves the value, asTuple gives [err, value]', async () => {
    const { inbox, exited, ctx, tracking } = startDoubler();
    inbox.send(21);
    const value = await Promise.all([inbox.asyncReceive(usePromise), ctx.run()]).then(([v]) => v);
    inbox.send('stop');
    ctx.restart(); // run() ran out of work: as in asio, the context is stopped until restarted
    const [err] = await Promise.all([inbox.asyncReceive(asTuple(usePromise)), ctx.run()]).then(([r]) => r);
    inbox.close();
    expect(value).toBe(42);
    expect(err?.code).toBe('eof');
    await exited;
    expect(tracking.live).toBe(0);
  });

  test('a pending receive is cancelled through its slot; cancel() and close() abort the rest; later receives are bad_descriptor', async () => {
    const { ctx, tracking } = trackedContext();
    const { port1, port2 } = new MessageChannel();
    const inbox = new ThreadInbox(ctx, port1);
    const codes: string[] = [];
    const signal = new CancellationSignal();
    inbox.asyncReceive(bindCancellationSlot(signal.slot(), (err) => codes.push(`slot:${String(err?.code)}`)));
    inbox.asyncReceive((err) => codes.push(`cancel:${String(err?.code)}`));
    signal.emit(CancellationType.terminal);
    expect(inbox.cancel()).toBe(1);
    inbox.asyncReceive((err) => codes.push(`close:${String(err?.code)}`));
    inbox.close();
    inbox.close();
    inbox.asyncReceive((err) => codes.push(`after:${String(err?.code)}`));
    expect(codes).toEqual([]); // nothing runs inside the calls
    await ctx.run();
    expect(codes).toEqual(['slot:operation_aborted', 'cancel:operation_aborted', 'close:operation_aborted', 'after:bad_descriptor']);
    expect(inbox.isOpen()).toBe(false);
    expect(thrownCode(() => { inbox.send(1); })).toBe('bad_descriptor');
    port2.close();
    expect(tracking.live).toBe(0);
  });

  test('only data crosses: a function or an object with a socket is a TypeError, and the inbox stays usable', async () => {
    const { ctx, tracking } = trackedContext();
    const { port1, port2 } = new MessageChannel();
    const inbox = new ThreadInbox(ctx, port1);
    const peer = new ThreadInbox(ctx, port2);
    expect(() => { inbox.send(() => 1); }).toThrow(TypeError);
    expect(() => { inbox.send({ handler: () => 1 }); }).toThrow(/cannot cross to another thread.*not handlers or sockets/);
    inbox.send({ text: 'data', when: new Date(0), bytes: new Uint8Array([1, 2]) });
    const [err, value] = await Promise.all([peer.asyncReceive(asTuple(usePromise)), ctx.run()]).then(([r]) => r);
    expect(err).toBeNull();
    expect(value).toEqual({ text: 'data', when: new Date(0), bytes: new Uint8Array([1, 2]) });
    inbox.close();
    peer.close();
    expect(tracking.live).toBe(0);
  });

  test('a BroadcastChannel inbox hears what another thread broadcasts on that name', async () => {
    const { ctx, tracking } = trackedContext();
    const name = `proactor-test-${String(process.pid)}`;
    const inbox = new ThreadInbox(ctx, new BroadcastChannel(name));
    const worker = new Worker(
      `const { BroadcastChannel } = require('node:worker_threads');
       const c = new BroadcastChannel(${JSON.stringify(name)});
       c.postMessage({ from: 'thread', n: 1 });
       c.close();`,
      { eval: true },
    );
    const exited = exitOf(worker);
    const value = await Promise.all([inbox.asyncReceive(usePromise), ctx.run()]).then(([v]) => v);
    expect(value).toEqual({ from: 'thread', n: 1 });
    inbox.close();
    await exited;
    expect(tracking.live).toBe(0);
  });

  test('an inbox with no receive pending does not keep the context or the thread alive; bad endpoints are a TypeError', async () => {
    const { ctx, tracking } = trackedContext();
    const { port1, port2 } = new MessageChannel();
    const inbox = new ThreadInbox(ctx, port1);
    expect(await ctx.run()).toBe(0);
    expect(() => new ThreadInbox(ctx, {} as unknown as MessageChannel['port1'])).toThrow(TypeError);
    inbox.close();
    port2.close();
    ctx.shutdown();
    expect(tracking.live).toBe(0);
  });
});
