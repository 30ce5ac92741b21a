/**
 * Timeouts the way asio writes them now: `cancelAfter` on any operation,
 * and a parallel group racing an operation against a timer.
 *
 * - `cancelAfter(ms, token)` wraps any completion token (a callback,
 *   `usePromise`, `asTuple(usePromise)`): if the operation has not
 *   completed `ms` after it started, it is cancelled and completes with
 *   `operation_aborted`. When it completes first, its deadline is withdrawn
 *   and keeps nothing alive.
 * - Made once and reused by a read chain, `cancelAfter(IDLE_MS, onRead)` is
 *   an idle timeout: every read gets the full window again, so a slow
 *   sender that keeps sending is never cut off; silence is.
 * - `cancelAt(time, token)` is the same with one deadline for several steps.
 * - `makeParallelGroup(read, wait).asyncWait(waitForOne(), token)` starts
 *   both (packaged with the `deferred` token) and cancels the loser; the
 *   group reports who finished first and each one's own result.
 *
 * What runs, on 127.0.0.1 only, so the output is the same on every machine:
 *
 * 1. A connect with a 2 s deadline: it connects and the deadline is gone.
 * 2. The server sends three ticks 50 ms apart, then goes quiet. The client
 *    reads with a 200 ms idle timeout: it gets the three ticks, then gives
 *    up 200 ms into the silence.
 * 3. A parallel group races a read on the quiet connection against a
 *    100 ms timer: the timer wins and the read is cancelled.
 * 4. A connect whose deadline (a time point) has already passed: it is
 *    cancelled before the connection can be reported. A connect on
 *    loopback never takes long and Linux cannot be made to hang one
 *    reliably, so a passed deadline is how this is shown deterministically;
 *    against a remote host the same code bounds a connect that is slow.
 *
 * Run: npm run build && node dist/examples/timeouts.js
 */
import {
  IoContext,
  IoError,
  SteadyTimer,
  TcpAcceptor,
  TcpSocket,
  asTuple,
  asyncWrite,
  cancelAfter,
  cancelAt,
  deferred,
  makeParallelGroup,
  usePromise,
  waitForOne,
  type Endpoint,
} from '../src/index.js';

const CONNECT_DEADLINE_MS = 2000;
const IDLE_MS = 200;
const TICKS = 3;
const TICK_GAP_MS = 50;
const RACE_MS = 100;

const ctx = new IoContext();

// The server: sends TICKS lines TICK_GAP_MS apart to each client, then says nothing.
const server = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
const endpoint: Endpoint = server.localEndpoint();
const held: TcpSocket[] = [];
server.asyncAccept(function onAccept(err: IoError | null, socket: TcpSocket): void {
  if (err !== null) return; // the acceptor was closed
  held.push(socket);
  const gap = new SteadyTimer(ctx);
  let sent = 0;
  const tick = (): void => {
    gap.expiresAfter(TICK_GAP_MS);
    gap.asyncWait((waitErr) => {
      if (waitErr !== null || !socket.isOpen()) return;
      asyncWrite(socket, Buffer.from(`tick ${++sent}\n`), (writeErr) => {
        if (writeErr === null && sent < TICKS) tick();
      });
    });
  };
  tick();
  server.asyncAccept(onAccept);
});

function outcome(err: IoError | null, success: string): string {
  return err === null ? success : `gave up (${err.code})`;
}

/** Step 2, with callbacks: reads until the connection has been idle for IDLE_MS. */
function readUntilIdle(socket: TcpSocket, done: (ticks: number, err: IoError) => void): void {
  const buf = Buffer.alloc(256);
  let received = '';
  // One token for the whole chain: each read gets a fresh IDLE_MS window, and nothing is allocated per read.
  const onRead = cancelAfter(IDLE_MS, (err: IoError | null, n: number) => {
    if (err !== null) {
      done(received.split('\n').filter((line) => line.startsWith('tick')).length, err);
      return;
    }
    received += buf.toString('latin1', 0, n);
    socket.asyncReadSome(buf, onRead);
  });
  socket.asyncReadSome(buf, onRead);
}

async function main(): Promise<void> {
  // 1. A connect with a deadline.
  const client = new TcpSocket(ctx);
  const [connectErr] = await client.asyncConnect(endpoint, cancelAfter(CONNECT_DEADLINE_MS, asTuple(usePromise)));
  console.log(`connect with a ${CONNECT_DEADLINE_MS} ms deadline: ${outcome(connectErr, 'connected')}`);
  if (connectErr !== null) throw connectErr;

  // 2. Reads with an idle timeout.
  const [ticks, idleErr] = await new Promise<[number, IoError]>((resolve) => {
    readUntilIdle(client, (n, err) => {
      resolve([n, err]);
    });
  });
  console.log(`read with a ${IDLE_MS} ms idle timeout: ${ticks} ticks, then ${outcome(idleErr, 'more')}`);

  // 3. A parallel group: a read against a timer.
  const timer = new SteadyTimer(ctx);
  timer.expiresAfter(RACE_MS);
  const [order, [readErr, n], [waitErr]] = await makeParallelGroup(
    client.asyncReadSome(Buffer.alloc(64), deferred),
    timer.asyncWait(deferred),
  ).asyncWait(waitForOne(), usePromise);
  const winner = order[0] === 0 ? 'the read' : 'the timer';
  console.log(`race of a read and a ${RACE_MS} ms timer: ${winner} won; read: ${outcome(readErr, `${n} bytes`)}, timer: ${outcome(waitErr, 'expired')}`);
  client.close();

  // 4. A connect whose deadline has already passed.
  const late = new TcpSocket(ctx);
  const passed = ctx.clock.now() - 1;
  const [lateErr] = await late.asyncConnect(endpoint, cancelAt(passed, asTuple(usePromise)));
  late.close();
  console.log(`connect with a deadline already passed: ${outcome(lateErr, 'connected')}`);
}

const shown = main().finally(() => {
  // Everything has been shown: stop the server so run() can return.
  server.close();
  for (const socket of held) socket.close();
});

const handlers = await ctx.run();
await shown;
console.log(`run() executed ${handlers} handlers`);
