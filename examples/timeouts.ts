/**
 * Deadlines on asynchronous operations, with callbacks and with promises.
 *
 * The pattern: start the operation with a cancellation slot bound to its
 * handler, start a deadline timer, and whichever completes first cancels
 * the other. The cancelled one completes with `operation_aborted`; both
 * handlers always run, so no memory or work is left behind.
 *
 * The "slow operation" here is a timer standing in for a socket read or
 * connect: any operation that supports cancellation slots is bounded the
 * same way (`socket.asyncReadSome(buf, bindCancellationSlot(…))`).
 *
 * Run: npm run build && node dist/examples/timeouts.js
 */
import {
  CancellationSignal,
  CancellationType,
  IoContext,
  SteadyTimer,
  bindCancellationSlot,
  usePromise,
  withAbortSignal,
  type IoError,
} from '../src/index.js';

const ctx = new IoContext();

/** Callback style: a slow operation (`work` ms) bounded by a deadline (`limit` ms). */
function withDeadline(name: string, work: number, limit: number): void {
  const operation = new SteadyTimer(ctx);
  const deadline = new SteadyTimer(ctx);
  const cancel = new CancellationSignal();

  operation.expiresAfter(work);
  operation.asyncWait(
    bindCancellationSlot(cancel.slot(), (err: IoError | null) => {
      deadline.cancel(); // finished (or aborted): the deadline is moot
      console.log(`${name}: ${err === null ? 'completed in time' : `gave up (${err.code})`}`);
    }),
  );

  deadline.expiresAfter(limit);
  deadline.asyncWait((err) => {
    if (err === null) cancel.emit(CancellationType.terminal); // the deadline passed first
  });
}

/** Promise style: an AbortSignal with a timeout bounds the awaited operation. */
async function withDeadlinePromise(name: string, work: number, limit: number): Promise<void> {
  const operation = new SteadyTimer(ctx);
  operation.expiresAfter(work);
  try {
    await operation.asyncWait(withAbortSignal(AbortSignal.timeout(limit), usePromise));
    console.log(`${name}: completed in time`);
  } catch (err) {
    console.log(`${name}: gave up (${(err as IoError).code})`);
  }
}

withDeadline('callback, fast enough', 20, 100);
withDeadline('callback, too slow', 200, 50);
const promised = Promise.all([withDeadlinePromise('promise, fast enough', 20, 100), withDeadlinePromise('promise, too slow', 200, 50)]);

const handlers = await ctx.run();
await promised;
console.log(`run() executed ${handlers} handlers`);
