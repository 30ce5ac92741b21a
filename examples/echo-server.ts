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
 * With `--path PATH` it serves a Unix-domain socket at PATH instead of TCP:
 * the same sessions on a `UnixAcceptor`, since every stream socket shares
 * one stream core. The socket file is removed when the server stops.
 *
 * With `--workers N` it uses N cores through `node:cluster`: the primary
 * (examples/multi-core/cluster-primary.ts) forks N workers, each running
 * this whole server on its own context; their acceptors listen through the
 * primary, which hands each connection to one of them. With `--threads N`
 * it runs N worker threads instead (examples/multi-core/thread-main.ts),
 * each with its own context and a `reusePort` acceptor on the same port
 * (Node 22.12 / 23.1 and later), the kernel spreading the connections; the
 * main thread talks to each thread through a `ThreadInbox`. Either way
 * SIGINT/SIGTERM stops every worker, each exits with zero live operations,
 * and the statistics printed at exit are each worker's and their sum. See
 * docs/multi-core.md.
 *
 * Run it:   npm start                       (127.0.0.1:5555)
 *           npm start -- --workers 2        (two cluster workers on one port)
 *           npm start -- --threads 2        (two worker threads, reusePort)
 *           npm start -- --port 7000 --host 0.0.0.0 --buffer-size 4096 --idle-timeout 30000
 *           npm start -- --path /tmp/echo.sock
 * Try it:   printf 'hello\n' | nc -q1 127.0.0.1 5555
 *           printf 'hello\n' | nc -q1 -U /tmp/echo.sock
 *           kill -USR2 <pid>                (prints the allocation statistics)
 * Trace it: PROACTOR_HANDLER_TRACKING=1 npm start 2> trace.txt
 *           npx proactor-handlerviz < trace.txt > graph.dot
 */
import cluster from 'node:cluster';
import { isMainThread, workerData, type MessagePort } from 'node:worker_threads';
import {
  CancellationSignal,
  CancellationType,
  HandlerAllocator,
  IoContext,
  SignalSet,
  SteadyTimer,
  TcpAcceptor,
  TcpSocket,
  ThreadInbox,
  UnixAcceptor,
  bindCancellationSlot,
  formatAllocationStats,
  makeCustomAllocHandler,
  type BasicAcceptor,
  type BasicStreamSocket,
  type IoError,
} from '../src/index.js';
import { runClusterPrimary } from './multi-core/cluster-primary.js';
import { formatReport, summaryLine, type ServerReport, type ThreadData, type WorkerMessage } from './multi-core/server-report.js';
import { runThreadMain } from './multi-core/thread-main.js';

interface Options {
  host: string;
  port: number;
  /** A Unix socket path to serve instead of TCP; '' for TCP. */
  path: string;
  bufferSize: number;
  /** Close a connection silent this many ms; 0: never. */
  idleTimeout: number;
  /** Cluster worker processes sharing the port through the primary (1: none). */
  workers: number;
  /** Worker threads, each with its own context and a reusePort acceptor (1: none). */
  threads: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { host: '127.0.0.1', port: 5555, path: '', bufferSize: 65536, idleTimeout: 0, workers: 1, threads: 1 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--host' && value !== undefined) options.host = value;
    else if (flag === '--port' && value !== undefined) options.port = Number(value);
    else if (flag === '--path' && value !== undefined) options.path = value;
    else if (flag === '--buffer-size' && value !== undefined) options.bufferSize = Number(value);
    else if (flag === '--idle-timeout' && value !== undefined) options.idleTimeout = Number(value);
    else if (flag === '--workers' && value !== undefined) options.workers = Number(value);
    else if (flag === '--threads' && value !== undefined) options.threads = Number(value);
    else throw new Error(`unknown or incomplete argument: ${String(flag)} (use --host H --port N | --path P, --buffer-size B --idle-timeout MS --workers N | --threads N)`);
    i++;
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error('--port must be 0..65535');
  if (!Number.isInteger(options.bufferSize) || options.bufferSize < 1) throw new Error('--buffer-size must be a positive integer');
  if (!(options.idleTimeout >= 0) || !Number.isFinite(options.idleTimeout)) throw new Error('--idle-timeout must be a number of ms >= 0 (0: none)');
  for (const flag of ['workers', 'threads'] as const) {
    if (!Number.isInteger(options[flag]) || options[flag] < 1 || options[flag] > 64) throw new Error(`--${flag} must be an integer 1..64`);
  }
  if (options.workers > 1 && options.threads > 1) throw new Error('--workers and --threads do not combine: choose processes or threads');
  if (options.threads > 1 && options.path !== '') throw new Error('--threads needs TCP (reusePort); a Unix path is served by --workers');
  return options;
}

/** Totals over every session that has ended, plus the live ones at report time (each process and thread has its own). */
const totals = { hits: 0, fallbacks: 0, live: 0, sessions: 0 };

/**
 * One connection: its socket, its buffer, its handler memory and its two
 * handlers; with an idle timeout, also its timer, its cancellation signal
 * and the timer's handler.
 */
class Session {
  readonly #socket: BasicStreamSocket;
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

  constructor(socket: BasicStreamSocket, bufferSize: number, sessions: Set<Session>, idleMs: number) {
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


/** Where this server runs: alone, as one of the cluster's worker processes, or as one of the worker threads. */
type Role = { readonly kind: 'alone' } | { readonly kind: 'worker'; readonly id: number } | { readonly kind: 'thread'; readonly index: number; readonly port: MessagePort };

/** One server: a context, an acceptor, its sessions; stops on a signal (or, in a thread, on a stop message). */
function serve(options: Options, role: Role): void {
  const ctx = new IoContext();
  const acceptor: BasicAcceptor<BasicStreamSocket> =
    options.path !== ''
      ? new UnixAcceptor(ctx, { path: options.path })
      : new TcpAcceptor(ctx, { host: options.host, port: options.port }, { reusePort: role.kind === 'thread' });
  const sessions = new Set<Session>();
  // A thread's line to the main thread: 'stop' comes in; 'listening' and the exit report go out.
  const inbox = role.kind === 'thread' ? new ThreadInbox(ctx, role.port) : null;
  let listenFailed = false;
  const name = role.kind === 'worker' ? `worker ${role.id} (pid ${process.pid})` : role.kind === 'thread' ? `thread ${role.index}` : '';

  const onAccept = (err: IoError | null, socket: BasicStreamSocket): void => {
    if (err !== null) {
      if (err.code === 'operation_aborted' || err.code === 'bad_descriptor') return;
      console.error(`accept failed: ${err.message}`);
      if (!acceptor.isOpen()) return; // listening failed (a cluster primary could not bind): nothing more to accept
    } else {
      new Session(socket, options.bufferSize, sessions, options.idleTimeout).start();
    }
    acceptor.asyncAccept(onAccept);
  };
  acceptor.asyncAccept(onAccept);

  const stop = (): void => {
    acceptor.close();
    for (const session of [...sessions]) session.stop();
  };

  // Signals reach processes, not threads: a thread stops when the main thread posts it 'stop'.
  let signals: SignalSet | null = null;
  if (inbox !== null) {
    inbox.asyncReceive((err: IoError | null, message: unknown) => {
      if (err === null && !isStop(message)) console.error(`${name}: unexpected message ${JSON.stringify(message)}`);
      stop(); // 'stop', or eof: the main thread has gone
    });
  } else {
    // A pending signal wait is work, so run() keeps going until a signal arrives and everything has stopped.
    const set = new SignalSet(ctx, 'SIGINT', 'SIGTERM', 'SIGUSR2');
    const onSignal = (err: IoError | null, signal: string): void => {
      if (err !== null) return;
      if (signal === 'SIGUSR2') {
        console.log(`allocation statistics (${sessions.size} sessions open):\n${formatAllocationStats(ctx.allocationStats())}`);
        set.asyncWait(onSignal);
        return;
      }
      // Alone, a second Ctrl-C gets Node's default action again. A cluster worker keeps the set, with no
      // wait pending, so the primary's SIGTERM after a Ctrl-C that reached every process changes nothing.
      if (role.kind === 'alone') set.clear();
      stop();
    };
    set.asyncWait(onSignal);
    signals = set;
  }

  const announce = (): void => {
    const where = acceptor instanceof TcpAcceptor ? `${acceptor.localEndpoint().address}:${acceptor.localEndpoint().port}` : options.path;
    if (role.kind === 'alone') console.log(`echo server listening on ${where}`);
    else if (role.kind === 'worker') process.send?.({ type: 'listening', where } satisfies WorkerMessage);
    else inbox?.send({ type: 'listening', where } satisfies WorkerMessage);
  };
  // A cluster worker listens once the primary has bound the port; elsewhere the acceptor already listens.
  acceptor.asyncWaitListening((err: IoError | null) => {
    if (err === null) {
      announce();
      return;
    }
    listenFailed = true;
    inbox?.close();
    signals?.close();
    console.error(`${name === '' ? 'echo server' : name}: cannot listen: ${err.message}`);
  });

  ctx.run().then(
    (handlers) => {
      const report: ServerReport = { handlers, ...totals, stats: ctx.allocationStats() };
      if (role.kind === 'alone') {
        console.log(formatReport(report));
      } else if (role.kind === 'worker') {
        console.log(`${name}: ${summaryLine(report)}`);
        // The IPC channel to the primary keeps a worker alive: let go of it once the report is out.
        process.send?.({ type: 'stopped', report } satisfies WorkerMessage, undefined, {}, () => {
          cluster.worker?.disconnect();
        });
      } else if (inbox?.isOpen() === true) {
        inbox.send({ type: 'stopped', report } satisfies WorkerMessage);
        inbox.close();
      }
      process.exitCode = !listenFailed && report.live === 0 ? 0 : 1;
      signals?.close();
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}

function isStop(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'stop';
}

function main(): void {
  if (!isMainThread) {
    const data = workerData as ThreadData<Options>;
    serve(data.options, { kind: 'thread', index: data.index, port: data.port });
    return;
  }
  const options = parseArgs(process.argv.slice(2));
  if (options.workers > 1 && cluster.isPrimary) runClusterPrimary(options.workers);
  else if (options.threads > 1) runThreadMain(options, process.argv[1]!);
  else serve(options, cluster.isWorker ? { kind: 'worker', id: cluster.worker!.id } : { kind: 'alone' });
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
