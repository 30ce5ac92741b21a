/**
 * The echo server of Boost.Asio's custom-allocation example, on proactor.
 *
 * Every connection is a session that owns a `HandlerAllocator` (the seed's
 * handler memory) and its data buffer. Its read and write handlers are bound
 * to that allocator once, with `makeCustomAllocHandler`, when the session
 * starts; from then on read → write → read … runs on the same two operation
 * objects, because each is freed before the handler that starts the next one
 * runs. A `SignalSet` waits for SIGINT/SIGTERM; then the server closes the
 * acceptor and the sessions, lets `run()` return, and prints the allocation
 * statistics: the context's, by operation kind (`ctx.allocationStats()`),
 * and the sessions' handler allocators. SIGUSR2 prints them while it runs.
 *
 * With `--idle-timeout ms`, a connection that is silent that long is closed.
 * Each session then has a `SteadyTimer` and a `CancellationSignal`: every
 * completed read or write pushes a deadline forward (a number, no timer
 * call), one timer wait at a time checks it, as in asio's timeout examples,
 * and when the deadline has passed the session emits terminal cancellation
 * on the slot its two handlers are bound to. The pending read (or a write
 * the client never takes) completes with `operation_aborted`, and its
 * handler ends the session like any other error.
 *
 * Run it:   npm start                       (127.0.0.1:5555)
 *           npm start -- --port 7000 --host 0.0.0.0 --buffer-size 4096 --idle-timeout 30000
 *           npm start -- --path /tmp/echo.sock  (a Unix-domain socket instead of TCP)
 * Try it:   printf 'hello\n' | nc -q1 127.0.0.1 5555
 *           kill -USR2 <pid>                (prints the allocation statistics)
 * Trace it: PROACTOR_HANDLER_TRACKING=1 npm start 2> trace.txt
 *           npx proactor-handlerviz < trace.txt > graph.dot
 */
import {
  type BasicAcceptor,
  CancellationSignal,
  CancellationType,
  HandlerAllocator,
  IoContext,
  SignalSet,
  SteadyTimer,
  TcpAcceptor,
  TcpSocket,
  UnixAcceptor,
  bindCancellationSlot,
  formatAllocationStats,
  makeCustomAllocHandler,
  type IoError,
  type UnixSocket,
} from '../src/index.js';

interface Options {
  host: string;
  port: number;
  /** A Unix-domain socket path to serve instead of TCP; '' for TCP. */
  path: string;
  bufferSize: number;
  /** Close a connection silent this many ms; 0: never. */
  idleTimeout: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { host: '127.0.0.1', port: 5555, path: '', bufferSize: 65536, idleTimeout: 0 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--host' && value !== undefined) options.host = value;
    else if (flag === '--port' && value !== undefined) options.port = Number(value);
    else if (flag === '--path' && value !== undefined) options.path = value;
    else if (flag === '--buffer-size' && value !== undefined) options.bufferSize = Number(value);
    else if (flag === '--idle-timeout' && value !== undefined) options.idleTimeout = Number(value);
    else throw new Error(`unknown or incomplete argument: ${String(flag)} (use --host H --port N | --path P, --buffer-size B --idle-timeout MS)`);
    i++;
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error('--port must be 0..65535');
  if (!Number.isInteger(options.bufferSize) || options.bufferSize < 1) throw new Error('--buffer-size must be a positive integer');
  if (!(options.idleTimeout >= 0) || !Number.isFinite(options.idleTimeout)) throw new Error('--idle-timeout must be a number of ms >= 0 (0: none)');
  return options;
}

/** Totals over every session that has ended, plus the live ones at report time. */
const totals = { hits: 0, fallbacks: 0, live: 0, sessions: 0 };

/**
 * One connection: its socket, its buffer, its handler memory and its two
 * handlers; with an idle timeout, also its timer, its cancellation signal
 * and the timer's handler.
 */
class Session {
  readonly #socket: TcpSocket | UnixSocket;
  readonly #data: Buffer;
  /** The last view of `#data` written from, reused while reads keep returning the same length. */
  #view: Buffer;
  readonly #allocator = new HandlerAllocator();
  readonly #sessions: Set<Session>;
  readonly #onRead: (err: IoError | null, n: number) => void;
  readonly #onWrite: (err: IoError | null, n: number) => void;
  /** The idle timeout in ms (0: none). */
  readonly #idleMs: number;
  /** When the connection counts as idle: the last completed read or write plus `#idleMs`. */
  #deadline = 0;
  readonly #timer: SteadyTimer | null;
  /** The slot of this signal is bound to both I/O handlers, so emitting cancels whichever is pending. */
  readonly #idle = new CancellationSignal();
  readonly #onIdle: (err: IoError | null) => void;
  /** The I/O chain has ended and the socket is closed. */
  #closed = false;
  /** Chains still running: the I/O chain, and the idle check when there is one. */
  #chains = 0;

  constructor(socket: TcpSocket | UnixSocket, bufferSize: number, sessions: Set<Session>, idleMs: number) {
    this.#socket = socket;
    this.#data = Buffer.allocUnsafe(bufferSize);
    this.#view = this.#data;
    this.#sessions = sessions;
    this.#idleMs = idleMs;
    this.#timer = idleMs > 0 ? new SteadyTimer(socket.context) : null;
    const onRead = makeCustomAllocHandler(this.#allocator, (err: IoError | null, n: number): void => {
      if (err !== null) {
        this.#end();
        return;
      }
      if (this.#idleMs > 0) this.#touch();
      this.#socket.asyncWriteSome(this.#bytes(n), this.#onWrite);
    });
    const onWrite = makeCustomAllocHandler(this.#allocator, (err: IoError | null): void => {
      if (err !== null) {
        this.#end();
        return;
      }
      if (this.#idleMs > 0) this.#touch();
      this.#socket.asyncReadSome(this.#data, this.#onRead);
    });
    // Bound once per session: the handlers carry the allocator and, with an idle timeout, the slot.
    this.#onRead = idleMs > 0 ? bindCancellationSlot(this.#idle.slot(), onRead) : onRead;
    this.#onWrite = idleMs > 0 ? bindCancellationSlot(this.#idle.slot(), onWrite) : onWrite;
    this.#onIdle = makeCustomAllocHandler(this.#allocator, (err: IoError | null): void => {
      this.#checkIdle(err);
    });
  }

  /**
   * The first `n` bytes of `#data`. A view is an object, so making one per
   * read would be the chain's only allocation; a client that sends messages
   * of one size gets the same view back every time.
   */
  #bytes(n: number): Buffer {
    if (this.#view.length !== n) this.#view = this.#data.subarray(0, n);
    return this.#view;
  }

  start(): void {
    this.#sessions.add(this);
    if (this.#socket instanceof TcpSocket) this.#socket.setNoDelay(true);
    this.#chains = 1;
    this.#socket.asyncReadSome(this.#data, this.#onRead);
    if (this.#timer !== null) {
      this.#chains++;
      this.#touch();
      this.#timer.expiresAt(this.#deadline);
      this.#timer.asyncWait(this.#onIdle);
    }
  }

  /** Closes the socket: the pending operation completes with operation_aborted and its handler ends the session. */
  stop(): void {
    this.#socket.close();
  }

  /** Activity: the connection is not idle before `#idleMs` from now. */
  #touch(): void {
    this.#deadline = this.#socket.context.clock.now() + this.#idleMs;
  }

  /** The idle timer's handler: closes an idle connection, or waits for the current deadline. */
  #checkIdle(err: IoError | null): void {
    const timer = this.#timer!;
    if (err !== null || this.#closed) {
      this.#release(); // the session ended and cancelled the wait (or ended as it fired)
      return;
    }
    const now = this.#socket.context.clock.now();
    if (now >= this.#deadline) {
      if (this.#idle.slot().hasHandler()) {
        console.log(`closing a connection idle for ${this.#idleMs} ms`);
        // The pending read (or a write the client does not take) completes with
        // operation_aborted, queued; its handler ends the session and closes the socket.
        this.#idle.emit(CancellationType.terminal);
        this.#release();
        return;
      }
      this.#touch(); // a completion is queued and about to run: that is activity
    }
    timer.expiresAt(this.#deadline);
    timer.asyncWait(this.#onIdle);
  }

  /** The I/O chain ended (eof, an error, idle, or stop()): its last operation is already freed. */
  #end(): void {
    this.#closed = true;
    this.#sessions.delete(this);
    this.#socket.close();
    this.#timer?.cancel();
    this.#release();
  }

  /** One chain of the session is over; when both are, its handler memory is all back: count it. */
  #release(): void {
    if (--this.#chains > 0) return;
    const stats = this.#allocator.stats();
    totals.hits += stats.hits;
    totals.fallbacks += stats.fallbacks;
    totals.live += stats.live;
    totals.sessions++;
  }
}

/** A TCP acceptor, or a Unix-domain one with `--path`; and where it listens, for the startup line. */
function listen(ctx: IoContext, options: Options): { acceptor: BasicAcceptor<TcpSocket | UnixSocket>; where: string } {
  if (options.path !== '') {
    const acceptor = new UnixAcceptor(ctx, { path: options.path });
    return { acceptor, where: acceptor.localEndpoint().path };
  }
  const acceptor = new TcpAcceptor(ctx, { host: options.host, port: options.port });
  const { address, port } = acceptor.localEndpoint();
  return { acceptor, where: `${address}:${port}` };
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  const ctx = new IoContext();
  const { acceptor, where } = listen(ctx, options);
  const sessions = new Set<Session>();

  const onAccept = (err: IoError | null, socket: TcpSocket | UnixSocket): void => {
    if (err !== null) {
      if (err.code === 'operation_aborted' || err.code === 'bad_descriptor') return;
      console.error(`accept failed: ${err.message}`);
    } else {
      new Session(socket, options.bufferSize, sessions, options.idleTimeout).start();
    }
    acceptor.asyncAccept(onAccept);
  };
  acceptor.asyncAccept(onAccept);

  // A pending signal wait is work, so run() keeps going until a signal arrives and everything has stopped.
  const signals = new SignalSet(ctx, 'SIGINT', 'SIGTERM', 'SIGUSR2');
  const onSignal = (err: IoError | null, signal: string): void => {
    if (err !== null) return;
    if (signal === 'SIGUSR2') {
      console.log(`allocation statistics (${sessions.size} sessions open):\n${formatAllocationStats(ctx.allocationStats())}`);
      signals.asyncWait(onSignal);
      return;
    }
    signals.clear(); // a second Ctrl-C gets Node's default action again
    acceptor.close();
    for (const session of [...sessions]) session.stop();
  };
  signals.asyncWait(onSignal);

  console.log(`echo server listening on ${where}`);
  ctx.run().then(
    (handlers) => {
      console.log(
        `stopped after ${handlers} handlers; sessions ${totals.sessions}; ` +
          `handler allocator hits ${totals.hits}, fallbacks ${totals.fallbacks}, live ${totals.live}`,
      );
      console.log(`allocation statistics:\n${formatAllocationStats(ctx.allocationStats())}`);
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
