/**
 * The echo server of Boost.Asio's custom-allocation example, on proactor.
 *
 * Every connection is a session that owns a `HandlerAllocator` (the seed's
 * handler memory) and its data buffer. Its read and write handlers are bound
 * to that allocator once, with `makeCustomAllocHandler`, when the session
 * starts; from then on read → write → read … runs on the same two operation
 * objects, because each is freed before the handler that starts the next one
 * runs. On SIGINT/SIGTERM the server closes the acceptor and the sessions,
 * lets `run()` return, and prints the allocation statistics.
 *
 * Run it:   npm start                       (127.0.0.1:5555)
 *           npm start -- --port 7000 --host 0.0.0.0 --buffer-size 4096
 * Try it:   printf 'hello\n' | nc -q1 127.0.0.1 5555
 */
import {
  HandlerAllocator,
  IoContext,
  TcpAcceptor,
  makeCustomAllocHandler,
  type IoError,
  type TcpSocket,
} from '../src/index.js';

interface Options {
  host: string;
  port: number;
  bufferSize: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { host: '127.0.0.1', port: 5555, bufferSize: 65536 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--host' && value !== undefined) options.host = value;
    else if (flag === '--port' && value !== undefined) options.port = Number(value);
    else if (flag === '--buffer-size' && value !== undefined) options.bufferSize = Number(value);
    else throw new Error(`unknown or incomplete argument: ${String(flag)} (use --host H --port N --buffer-size B)`);
    i++;
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error('--port must be 0..65535');
  if (!Number.isInteger(options.bufferSize) || options.bufferSize < 1) throw new Error('--buffer-size must be a positive integer');
  return options;
}

/** Totals over every session that has ended, plus the live ones at report time. */
const totals = { hits: 0, fallbacks: 0, live: 0, sessions: 0 };

/** One connection: its socket, its buffer, its handler memory and its two handlers. */
class Session {
  readonly #socket: TcpSocket;
  readonly #data: Buffer;
  readonly #allocator = new HandlerAllocator();
  readonly #sessions: Set<Session>;
  readonly #onRead: (err: IoError | null, n: number) => void;
  readonly #onWrite: (err: IoError | null, n: number) => void;

  constructor(socket: TcpSocket, bufferSize: number, sessions: Set<Session>) {
    this.#socket = socket;
    this.#data = Buffer.allocUnsafe(bufferSize);
    this.#sessions = sessions;
    this.#onRead = makeCustomAllocHandler(this.#allocator, (err: IoError | null, n: number): void => {
      if (err !== null) {
        this.#end();
        return;
      }
      this.#socket.asyncWriteSome(this.#data.subarray(0, n), this.#onWrite);
    });
    this.#onWrite = makeCustomAllocHandler(this.#allocator, (err: IoError | null): void => {
      if (err !== null) {
        this.#end();
        return;
      }
      this.#socket.asyncReadSome(this.#data, this.#onRead);
    });
  }

  start(): void {
    this.#sessions.add(this);
    this.#socket.setNoDelay(true);
    this.#socket.asyncReadSome(this.#data, this.#onRead);
  }

  /** Closes the socket: the pending operation completes with operation_aborted and its handler ends the session. */
  stop(): void {
    this.#socket.close();
  }

  /** The chain ended (eof, an error, or stop()): its last operation is already freed. */
  #end(): void {
    this.#sessions.delete(this);
    this.#socket.close();
    const stats = this.#allocator.stats();
    totals.hits += stats.hits;
    totals.fallbacks += stats.fallbacks;
    totals.live += stats.live;
    totals.sessions++;
  }
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  const ctx = new IoContext();
  const acceptor = new TcpAcceptor(ctx, { host: options.host, port: options.port });
  const sessions = new Set<Session>();

  const onAccept = (err: IoError | null, socket: TcpSocket): void => {
    if (err !== null) {
      if (err.code === 'operation_aborted' || err.code === 'bad_descriptor') return;
      console.error(`accept failed: ${err.message}`);
    } else {
      new Session(socket, options.bufferSize, sessions).start();
    }
    acceptor.asyncAccept(onAccept);
  };
  acceptor.asyncAccept(onAccept);

  const stop = (): void => {
    acceptor.close();
    for (const session of [...sessions]) session.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const { address, port } = acceptor.localEndpoint();
  console.log(`echo server listening on ${address}:${port}`);
  ctx.run().then(
    (handlers) => {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      console.log(
        `stopped after ${handlers} handlers; sessions ${totals.sessions}; ` +
          `handler allocator hits ${totals.hits}, fallbacks ${totals.fallbacks}, live ${totals.live}`,
      );
      process.exitCode = 0;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
