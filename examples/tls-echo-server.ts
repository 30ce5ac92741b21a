/**
 * The echo server of Boost.Asio's custom-allocation example, over TLS.
 *
 * Every connection is a session that owns a `HandlerAllocator` and a data
 * buffer (handed on to a later session when it ends): an `SslStream` over
 * the accepted `TcpSocket` runs the server handshake, then read → write →
 * read … on the stream, each handler bound to the session's allocator once,
 * so after warm-up the chain runs on the same operation objects. A client that has not finished its handshake
 * within `--handshake-timeout` ms (default 10000) is cut off: the handshake
 * token is `cancelAfter(ms, handler)`, and cancelling a handshake closes the
 * stream. A client that sends plain text or garbage fails its handshake
 * (`handshake_failed`), is logged and closed; the others go on. SIGINT or
 * SIGTERM stops it and prints the allocation statistics. With
 * `--client-ca FILE` it asks every client for a certificate signed by that
 * CA and refuses a client without one (`certificate_verify_failed`).
 *
 * Without `--cert`/`--key` it makes test-only certificates (with the
 * `openssl` command, through make-tls-certs) in a temporary folder and
 * prints the path of the CA to trust.
 *
 * Run it:   npm run example -- tls-echo-server                     (127.0.0.1:5443)
 *           npm run example -- tls-echo-server --port 0 --cert server.crt --key server.key
 * Try it:   openssl s_client -connect 127.0.0.1:5443 -CAfile <the printed ca.crt> -quiet
 *           (type lines; each comes back)
 * Clients:  ... tls-echo-server --cert d/server.crt --key d/server.key --client-ca d/ca.crt
 *           openssl s_client -connect 127.0.0.1:5443 -CAfile d/ca.crt -cert d/client.crt -key d/client.key -quiet
 */
import * as fs from 'node:fs';
import {
  HandlerAllocator,
  IoContext,
  SignalSet,
  SslContext,
  SslStream,
  TcpAcceptor,
  cancelAfter,
  formatAllocationStats,
  makeCustomAllocHandler,
  type IoError,
  type TcpSocket,
} from '../src/index.js';
import { makeTestCertificates } from './test-certificates.js';

interface Options {
  host: string;
  port: number;
  cert: string;
  key: string;
  bufferSize: number;
  handshakeTimeout: number;
  clientCa: string;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { host: '127.0.0.1', port: 5443, cert: '', key: '', bufferSize: 16384, handshakeTimeout: 10_000, clientCa: '' };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--host' && value !== undefined) options.host = value;
    else if (flag === '--port' && value !== undefined) options.port = Number(value);
    else if (flag === '--cert' && value !== undefined) options.cert = value;
    else if (flag === '--key' && value !== undefined) options.key = value;
    else if (flag === '--buffer-size' && value !== undefined) options.bufferSize = Number(value);
    else if (flag === '--handshake-timeout' && value !== undefined) options.handshakeTimeout = Number(value);
    else if (flag === '--client-ca' && value !== undefined) options.clientCa = value;
    else throw new Error(`unknown or incomplete argument: ${String(flag)} (use --host H --port N --cert F --key F --buffer-size B --handshake-timeout MS --client-ca F)`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error('--port must be 0..65535');
  if (!Number.isInteger(options.bufferSize) || options.bufferSize < 1) throw new Error('--buffer-size must be a positive integer');
  if (!(options.handshakeTimeout > 0)) throw new Error('--handshake-timeout must be a number of ms > 0');
  if ((options.cert === '') !== (options.key === '')) throw new Error('give both --cert and --key, or neither (test-only certificates are made)');
  return options;
}

const totals = { sessions: 0, handshakeFailures: 0, hits: 0, fallbacks: 0 };

/**
 * Data buffers of ended sessions, for the next ones: a server that makes a
 * 64 KiB buffer per connection and drops it makes V8 run a full collection
 * every few hundred connections (the buffers are memory outside the heap it
 * answers for), so sessions hand theirs on, as their handler memory is reused.
 */
const spareBuffers: Buffer[] = [];
const SPARE_BUFFERS_MAX = 1024;

/** One connection: its TLS stream, its buffer, its handler memory and its handlers. */
class Session {
  readonly #stream: SslStream;
  readonly #data: Buffer;
  readonly #allocator = new HandlerAllocator();
  readonly #sessions: Set<Session>;
  readonly #onHandshake: (err: IoError | null) => void;
  readonly #onRead: (err: IoError | null, n: number) => void;
  readonly #onWrite: (err: IoError | null, n: number) => void;
  readonly #handshakeTimeout: number;

  constructor(socket: TcpSocket, ssl: SslContext, options: Options, sessions: Set<Session>) {
    this.#stream = new SslStream(socket, ssl);
    this.#data = spareBuffers.pop() ?? Buffer.allocUnsafe(options.bufferSize);
    this.#sessions = sessions;
    this.#handshakeTimeout = options.handshakeTimeout;
    this.#onHandshake = makeCustomAllocHandler(this.#allocator, (err: IoError | null): void => {
      if (err !== null) {
        totals.handshakeFailures++;
        console.log(`handshake failed: ${err.code}: ${err.message}`);
        this.#end();
        return;
      }
      this.#stream.asyncReadSome(this.#data, this.#onRead);
    });
    this.#onRead = makeCustomAllocHandler(this.#allocator, (err: IoError | null, n: number): void => {
      if (err !== null) {
        this.#end();
        return;
      }
      this.#stream.asyncWriteSome(this.#data.subarray(0, n), this.#onWrite);
    });
    this.#onWrite = makeCustomAllocHandler(this.#allocator, (err: IoError | null): void => {
      if (err !== null) {
        this.#end();
        return;
      }
      this.#stream.asyncReadSome(this.#data, this.#onRead);
    });
  }

  start(): void {
    this.#sessions.add(this);
    this.#stream.asyncHandshake('server', cancelAfter(this.#handshakeTimeout, this.#onHandshake));
  }

  stop(): void {
    this.#stream.close();
  }

  #end(): void {
    this.#sessions.delete(this);
    this.#stream.close();
    // No operation holds the buffer now: each handler that ends the session ran with none pending.
    if (spareBuffers.length < SPARE_BUFFERS_MAX) spareBuffers.push(this.#data);
    const stats = this.#allocator.stats();
    totals.sessions++;
    totals.hits += stats.hits;
    totals.fallbacks += stats.fallbacks;
  }
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  let { cert, key } = options;
  if (cert === '') {
    const made = makeTestCertificates();
    ({ cert, key } = made);
    console.log(`test-only certificates made; trust ${made.ca}`);
  }
  const clientCa = options.clientCa === '' ? {} : { ca: fs.readFileSync(options.clientCa), requestCert: true };
  const ssl = new SslContext({ cert: fs.readFileSync(cert), key: fs.readFileSync(key), ...clientCa });
  const ctx = new IoContext();
  // The handle transport, so node:tls takes each socket over in C++ (SslStream's native route).
  const acceptor = new TcpAcceptor(ctx, { host: options.host, port: options.port }, { transport: 'handle' });
  const sessions = new Set<Session>();
  const onAccept = (err: IoError | null, socket: TcpSocket): void => {
    if (err !== null) {
      if (err.code === 'operation_aborted' || err.code === 'bad_descriptor') return;
      console.error(`accept failed: ${err.message}`);
    } else {
      socket.setNoDelay(true);
      new Session(socket, ssl, options, sessions).start();
    }
    acceptor.asyncAccept(onAccept);
  };
  acceptor.asyncAccept(onAccept);

  const signals = new SignalSet(ctx, 'SIGINT', 'SIGTERM');
  signals.asyncWait((err) => {
    if (err !== null) return;
    signals.clear();
    acceptor.close();
    for (const session of [...sessions]) session.stop();
  });

  const { address, port } = acceptor.localEndpoint();
  console.log(`tls echo server listening on ${address}:${port}`);
  ctx.run().then(
    (handlers) => {
      console.log(
        `stopped after ${handlers} handlers; sessions ${totals.sessions} (handshake failures ${totals.handshakeFailures}); ` +
          `handler allocator hits ${totals.hits}, fallbacks ${totals.fallbacks}`,
      );
      console.log(`allocation statistics:\n${formatAllocationStats(ctx.allocationStats())}`);
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
