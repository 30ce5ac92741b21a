/**
 * Deadlines on socket operations, with callbacks and with promises.
 *
 * The pattern with callbacks: bind a `CancellationSignal`'s slot to the
 * operation's handler, start a `SteadyTimer` for the deadline, and let
 * whichever finishes first stop the other: the timer emits terminal
 * cancellation on the operation, the operation's handler cancels the timer.
 * The pattern with promises: `withAbortSignal(AbortSignal.timeout(ms),
 * usePromise)`. Either way a cancelled operation completes with
 * `operation_aborted`, and both handlers always run, so no memory or work
 * is left behind.
 *
 * What runs, on 127.0.0.1 only, so the output is the same on every machine:
 *
 * 1. A read with a deadline. The server accepts and then says nothing, so
 *    the read can only end by its deadline (200 ms).
 * 2. A connect with a deadline, twice. With a budget of 2 s the connect
 *    succeeds and the deadline is called off. Then a connect whose deadline
 *    has already passed (the budget the read used up): it is cancelled
 *    before the connection can be reported. A connect on loopback never
 *    takes long, and Linux has no reliable way to make one hang (a listener
 *    whose backlog is full drops handshakes only some of the time), so this
 *    is how a connect deadline is shown deterministically here: an expired
 *    timer's wait, or an aborted `AbortSignal`, is queued at once, before
 *    libuv can report the connect. Against a remote host the same code
 *    bounds a connect that is really slow.
 *
 * Run: npm run build && node dist/examples/timeouts.js
 */
import {
  CancellationSignal,
  CancellationType,
  IoContext,
  IoError,
  SteadyTimer,
  TcpAcceptor,
  TcpSocket,
  bindCancellationSlot,
  usePromise,
  withAbortSignal,
  type Endpoint,
} from '../src/index.js';

const READ_DEADLINE_MS = 200;
const CONNECT_BUDGET_MS = 2000;

const ctx = new IoContext();

// A server that accepts connections and never sends a byte.
const server = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
const endpoint: Endpoint = server.localEndpoint();
const held: TcpSocket[] = [];
const onAccept = (err: IoError | null, socket: TcpSocket): void => {
  if (err !== null) return; // the acceptor was closed
  held.push(socket);
  server.asyncAccept(onAccept);
};
server.asyncAccept(onAccept);

/** Callback style: reads from `socket`, giving up at `expiry` (a time on `ctx.clock`). */
function readBy(socket: TcpSocket, expiry: number, done: (err: IoError | null, n: number) => void): void {
  const cancel = new CancellationSignal();
  const deadline = new SteadyTimer(ctx, expiry);
  deadline.asyncWait((err) => {
    if (err === null) cancel.emit(CancellationType.terminal); // the deadline came first
  });
  socket.asyncReadSome(
    Buffer.alloc(64),
    bindCancellationSlot(cancel.slot(), (err: IoError | null, n: number) => {
      deadline.cancel(); // the read is over either way: call the deadline off
      done(err, n);
    }),
  );
}

/** Callback style: connects `socket` to `target`, giving up at `expiry`. */
function connectBy(socket: TcpSocket, target: Endpoint, expiry: number, done: (err: IoError | null) => void): void {
  const cancel = new CancellationSignal();
  const deadline = new SteadyTimer(ctx, expiry);
  deadline.asyncWait((err) => {
    if (err === null) cancel.emit(CancellationType.terminal);
  });
  socket.asyncConnect(
    target,
    bindCancellationSlot(cancel.slot(), (err: IoError | null) => {
      deadline.cancel();
      done(err);
    }),
  );
}

function outcome(err: IoError | null, success: string): string {
  return err === null ? success : `gave up (${err.code})`;
}

/** The callback half: read, then two connects; calls `next` when done. */
function withCallbacks(next: () => void): void {
  const reader = new TcpSocket(ctx);
  const readDeadline = ctx.clock.now() + READ_DEADLINE_MS;
  reader.asyncConnect(endpoint, (err) => {
    if (err !== null) throw err;
    readBy(reader, readDeadline, (readErr, n) => {
      reader.close();
      console.log(`callback: read with a ${READ_DEADLINE_MS} ms deadline: ${outcome(readErr, `${n} bytes`)}`);
      const fast = new TcpSocket(ctx);
      connectBy(fast, endpoint, ctx.clock.now() + CONNECT_BUDGET_MS, (connectErr) => {
        fast.close();
        console.log(`callback: connect with a ${CONNECT_BUDGET_MS} ms budget: ${outcome(connectErr, 'connected')}`);
        const late = new TcpSocket(ctx);
        connectBy(late, endpoint, readDeadline, (lateErr) => {
          late.close();
          console.log(`callback: connect with the read's deadline, already passed: ${outcome(lateErr, 'connected')}`);
          next();
        });
      });
    });
  });
}

/** The promise half: the same three steps with `AbortSignal.timeout`. */
async function withPromises(): Promise<void> {
  const budget = AbortSignal.timeout(READ_DEADLINE_MS); // one deadline for the read and the last connect
  const reader = new TcpSocket(ctx);
  await reader.asyncConnect(endpoint, usePromise);
  try {
    const n = await reader.asyncReadSome(Buffer.alloc(64), withAbortSignal(budget, usePromise));
    console.log(`promise: read with a ${READ_DEADLINE_MS} ms deadline: ${n} bytes`);
  } catch (err) {
    if (!(err instanceof IoError)) throw err;
    console.log(`promise: read with a ${READ_DEADLINE_MS} ms deadline: gave up (${err.code})`);
  } finally {
    reader.close();
  }

  const fast = new TcpSocket(ctx);
  await fast.asyncConnect(endpoint, withAbortSignal(AbortSignal.timeout(CONNECT_BUDGET_MS), usePromise));
  fast.close();
  console.log(`promise: connect with a ${CONNECT_BUDGET_MS} ms budget: connected`);

  const late = new TcpSocket(ctx);
  try {
    await late.asyncConnect(endpoint, withAbortSignal(budget, usePromise)); // the budget is spent
    console.log("promise: connect with the read's deadline, already passed: connected");
  } catch (err) {
    if (!(err instanceof IoError)) throw err;
    console.log(`promise: connect with the read's deadline, already passed: gave up (${err.code})`);
  } finally {
    late.close();
  }
}

let promised: Promise<void> = Promise.resolve();
withCallbacks(() => {
  promised = withPromises().finally(() => {
    // Everything has been shown: stop the server so run() can return.
    server.close();
    for (const socket of held) socket.close();
  });
});

const handlers = await ctx.run();
await promised;
console.log(`run() executed ${handlers} handlers`);
