/**
 * The echo server written with `usePromise` and async functions: one async
 * loop accepts, and one async loop per connection reads and writes back.
 * Simpler to read than the callback version; each `await` allocates a
 * promise, so it is the convenience path, not the zero-allocation one.
 *
 * Run it:   npm run build && node dist/examples/echo-server-await.js [--port 5555] [--host 127.0.0.1] [--buffer-size 65536]
 * Try it:   printf 'hello\n' | nc -q1 127.0.0.1 5555
 * Stop it with Ctrl-C (SIGINT) or SIGTERM: a `SignalSet` wait, awaited like
 * everything else, closes the acceptor and the sessions.
 */
import { IoContext, IoError, SignalSet, TcpAcceptor, usePromise, type TcpSocket } from '../src/index.js';

function parseArgs(argv: readonly string[]): { host: string; port: number; bufferSize: number } {
  const options = { host: '127.0.0.1', port: 5555, bufferSize: 65536 };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--host' && value !== undefined) options.host = value;
    else if (flag === '--port' && value !== undefined) options.port = Number(value);
    else if (flag === '--buffer-size' && value !== undefined) options.bufferSize = Number(value);
    else throw new Error(`unknown or incomplete argument: ${String(flag)} (use --host H --port N --buffer-size B)`);
  }
  return options;
}

async function session(socket: TcpSocket, bufferSize: number, sessions: Set<TcpSocket>): Promise<void> {
  sessions.add(socket);
  const data = Buffer.allocUnsafe(bufferSize);
  try {
    for (;;) {
      const n = await socket.asyncReadSome(data, usePromise);
      await socket.asyncWriteSome(data.subarray(0, n), usePromise);
    }
  } catch (error) {
    if (!(error instanceof IoError)) throw error;
  } finally {
    sessions.delete(socket);
    socket.close();
  }
}

async function acceptLoop(acceptor: TcpAcceptor, bufferSize: number, sessions: Set<TcpSocket>): Promise<void> {
  for (;;) {
    let socket: TcpSocket;
    try {
      socket = await acceptor.asyncAccept(usePromise);
    } catch (error) {
      if (error instanceof IoError && (error.code === 'operation_aborted' || error.code === 'bad_descriptor')) return;
      console.error(`accept failed: ${String(error)}`);
      continue;
    }
    void session(socket, bufferSize, sessions);
  }
}

async function main(): Promise<void> {
  const { host, port, bufferSize } = parseArgs(process.argv.slice(2));
  const ctx = new IoContext();
  const acceptor = new TcpAcceptor(ctx, { host, port });
  const sessions = new Set<TcpSocket>();
  const signals = new SignalSet(ctx, 'SIGINT', 'SIGTERM');
  const stopOnSignal = async (): Promise<void> => {
    await signals.asyncWait(usePromise);
    signals.clear(); // a second Ctrl-C gets Node's default action again
    acceptor.close();
    for (const socket of sessions) socket.close();
  };
  const endpoint = acceptor.localEndpoint();
  console.log(`echo server (await) listening on ${endpoint.address}:${endpoint.port}`);
  const stopping = stopOnSignal();
  const accepting = acceptLoop(acceptor, bufferSize, sessions);
  const handlers = await ctx.run();
  await Promise.all([stopping, accepting]);
  console.log(`stopped after ${handlers} handlers`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
