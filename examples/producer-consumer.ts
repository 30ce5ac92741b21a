/**
 * Backpressure with a bounded `Channel`: a fast producer chain and a slow
 * consumer chain per connection.
 *
 * What it shows:
 * - the producer, a reader chain, reads lines from the client with
 *   `asyncReadUntil` and sends each into a `Channel` of capacity 4. It
 *   reads the next line only once its send has completed, so when the
 *   channel is full the reader stops reading and the client's bytes wait
 *   in the socket (TCP's own backpressure takes over from there);
 * - it tries `trySend` first and falls back to `asyncSend` only when the
 *   channel is full, so the log says exactly when the reader had to wait;
 * - the consumer, a writer chain, takes one line at a time with
 *   `asyncReceive`, waits `--delay` ms on a `SteadyTimer` (slow work), and
 *   writes the line back;
 * - shutdown through the channel: when the client has sent everything, the
 *   reader calls `close()`; the writer still receives what is buffered,
 *   then gets `channel_closed` and closes the connection;
 * - the session's two chains each use a `HandlerAllocator`, so in steady
 *   state neither allocates an operation.
 *
 * Run it:   npm run example -- producer-consumer [--port 5557] [--delay 20] [--sessions N]
 * Try it:   seq 1 10 | nc -q 2 127.0.0.1 5557     (the lines come back, one every --delay ms)
 *
 * With `--sessions N` the server stops accepting after N connections and
 * exits once they are done; SIGINT or SIGTERM stop it at any time.
 */
import {
  Channel,
  DynamicBuffer,
  HandlerAllocator,
  IoContext,
  SignalSet,
  SteadyTimer,
  TcpAcceptor,
  asyncReadUntil,
  asyncWrite,
  bindAllocator,
  type IoError,
  type TcpSocket,
} from '../src/index.js';

/** How many lines may wait between the reader and the writer. */
const CAPACITY = 4;
const MAX_LINE = 4096;

interface Options {
  port: number;
  delay: number;
  sessions: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { port: 5557, delay: 20, sessions: Infinity };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${String(flag)} needs a non-negative integer`);
    if (flag === '--port') options.port = value;
    else if (flag === '--delay') options.delay = value;
    else if (flag === '--sessions') options.sessions = value;
    else throw new Error(`unknown option ${String(flag)}`);
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const ctx = new IoContext();

/** One connection: a reader chain producing lines into `#lines`, a writer chain consuming them. */
class Session {
  readonly #id: number;
  readonly #socket: TcpSocket;
  readonly #lines: Channel<string>;
  readonly #input = new DynamicBuffer(MAX_LINE);
  readonly #timer: SteadyTimer;
  #read = 0;
  #written = 0;
  #waits = 0;
  #current = '';
  #done = false;
  readonly #onDone: () => void;

  // Each chain's handlers are made once, bound to that chain's memory.
  readonly #onLine: (err: IoError | null, n: number) => void;
  readonly #onSent: (err: IoError | null) => void;
  readonly #onReceived: (err: IoError | null, line: string) => void;
  readonly #onDelay: (err: IoError | null) => void;
  readonly #onWritten: (err: IoError | null, n: number) => void;

  constructor(id: number, socket: TcpSocket, onDone: () => void) {
    this.#id = id;
    this.#socket = socket;
    this.#onDone = onDone;
    this.#lines = new Channel<string>(ctx, CAPACITY);
    this.#timer = new SteadyTimer(ctx);
    const readerMemory = new HandlerAllocator();
    const writerMemory = new HandlerAllocator();
    this.#onLine = bindAllocator(readerMemory, (err: IoError | null, n: number) => {
      this.#line(err, n);
    });
    this.#onSent = bindAllocator(readerMemory, (err: IoError | null) => {
      if (err === null) this.#readLine();
    });
    this.#onReceived = bindAllocator(writerMemory, (err: IoError | null, line: string) => {
      this.#received(err, line);
    });
    this.#onDelay = bindAllocator(writerMemory, (err: IoError | null) => {
      if (err !== null) return; // cancelled by stop()
      asyncWrite(this.#socket, Buffer.from(`echo: ${this.#current}\n`), this.#onWritten);
    });
    this.#onWritten = bindAllocator(writerMemory, (err: IoError | null) => {
      if (err !== null) {
        this.#log(`write failed (${err.code}); closing the channel`);
        this.#lines.close();
        this.#finish();
        return;
      }
      this.#written++;
      this.#log(`wrote "${this.#current}" after ${String(options.delay)} ms`);
      this.#lines.asyncReceive(this.#onReceived);
    });
  }

  start(): void {
    this.#log('connected');
    this.#lines.asyncReceive(this.#onReceived);
    this.#readLine();
  }

  /** Ends the session now (the server is stopping): the chains finish with errors. */
  stop(): void {
    this.#lines.close();
    this.#timer.cancel();
    this.#finish();
  }

  #log(what: string): void {
    console.log(`session ${String(this.#id)}: ${what}`);
  }

  #readLine(): void {
    asyncReadUntil(this.#socket, this.#input, '\n', this.#onLine);
  }

  /** The producer: one line read; hand it to the channel, waiting only when it is full. */
  #line(err: IoError | null, n: number): void {
    if (err !== null) {
      const why = err.code === 'eof' ? 'the client has sent everything' : `read failed (${err.code})`;
      this.#log(`${why}; closing the channel`);
      this.#lines.close(); // the writer still gets what is buffered, then channel_closed
      return;
    }
    const line = Buffer.from(this.#input.data().subarray(0, n - 1)).toString('utf8').replace(/\r$/, '');
    this.#input.consume(n);
    this.#read++;
    if (this.#lines.trySend(line)) {
      this.#log(`read "${line}" → channel`);
      this.#readLine();
      return;
    }
    this.#waits++;
    this.#log(`read "${line}": channel full (${String(CAPACITY)} waiting), the reader waits`);
    this.#lines.asyncSend(line, this.#onSent);
  }

  /** The consumer: one line taken; do the slow work, then write it back. */
  #received(err: IoError | null, line: string): void {
    if (err !== null) {
      // channel_closed: closed by the reader and drained.
      this.#log(`channel closed and drained: ${String(this.#read)} lines read, ${String(this.#written)} written, the reader waited ${String(this.#waits)} times`);
      this.#finish();
      return;
    }
    this.#current = line;
    this.#timer.expiresAfter(options.delay);
    this.#timer.asyncWait(this.#onDelay);
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#socket.close();
    this.#onDone();
  }
}

const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: options.port });
const signals = new SignalSet(ctx, 'SIGINT', 'SIGTERM');
let accepted = 0;
let active = 0;
const sessions = new Set<Session>();

function stopWhenDone(): void {
  // Once the last session is done nothing is pending, and run() returns.
  if (accepted >= options.sessions && active === 0) signals.close();
}

const onAccept = (err: IoError | null, socket: TcpSocket): void => {
  if (err !== null) return; // the acceptor was closed
  active++;
  const session = new Session(++accepted, socket, () => {
    sessions.delete(session);
    active--;
    stopWhenDone();
  });
  sessions.add(session);
  session.start();
  if (accepted < options.sessions) acceptor.asyncAccept(onAccept);
  else acceptor.close();
};
acceptor.asyncAccept(onAccept);

signals.asyncWait((err, signal) => {
  if (err !== null) return; // closed: every session is done
  console.log(`${signal}: stopping`);
  signals.close(); // a second Ctrl-C gets Node's default action again
  acceptor.close();
  for (const session of [...sessions]) session.stop();
});

const endpoint = acceptor.localEndpoint();
console.log(`producer-consumer server listening on ${endpoint.address}:${String(endpoint.port)}`);
const handlers = await ctx.run();
console.log(`run() executed ${String(handlers)} handlers`);
