/**
 * A minimal HTTP/1.1 server with keep-alive, written with async/await.
 *
 * What it shows:
 * - reading a request head with `asyncReadUntil(…, '\r\n\r\n')` into a
 *   `DynamicBuffer` whose `maxSize` is the header limit: a head that does not
 *   fit completes with `not_found`, answered with 413;
 * - reading a `Content-Length` body with `asyncRead` (bytes that arrived with
 *   the head are taken from the buffer first; pipelined requests stay there
 *   for the next round); for an HTTP/1.1 request with `Expect: 100-continue`
 *   the server answers `100 Continue` before reading the body, or its final
 *   status at once when it refuses the request anyway (413, 400, 501);
 * - the composed reads running on any stream: they read through a small
 *   wrapper of the socket that reports every read bringing bytes, which
 *   pushes back the idle timeout;
 * - two timeouts with `SteadyTimer`s: `--idle-timeout` ms without a byte
 *   from the client (between requests, or in the middle of one), and
 *   `--request-timeout` ms to receive a whole request from its first byte
 *   (0: no limit). Between requests a timeout just closes the connection; in
 *   the middle of a request it is answered with 408;
 * - 400 for malformed requests (a missing `Host` in HTTP/1.1, or more than
 *   one), 505 for a well-formed request line of another HTTP version,
 *   404/405 for unknown routes, 501 for `Transfer-Encoding`, keep-alive by
 *   default in HTTP/1.1 and on request in HTTP/1.0, `Connection: close`
 *   honoured;
 * - graceful shutdown with a `SignalSet`: idle connections are closed at
 *   once; a connection that has received any byte of a request finishes it
 *   and its response (with `Connection: close`).
 *
 * Routes:   GET /          a greeting
 *           GET /stats     connections and requests so far, as JSON
 *           POST /echo     the request body back, with its Content-Type
 *
 * With `--tls` it serves HTTPS: each accepted socket gets an `SslStream`
 * and a server handshake (within the idle timeout) before its first
 * request, and everything above reads and writes the stream unchanged.
 * `--cert F --key F` give the certificate; without them test-only
 * certificates are made (openssl CLI) and the CA to trust is printed.
 *
 * Run it:   npm run example -- http-server [--port 8080] [--host 127.0.0.1] [--tls [--cert F --key F]]
 *                 [--idle-timeout 5000] [--request-timeout 60000]
 *                 [--max-header 8192] [--max-body 1048576]
 * Try it:   curl -v http://127.0.0.1:8080/ http://127.0.0.1:8080/stats   (one connection, reused)
 *           curl -d 'hello' http://127.0.0.1:8080/echo
 *           curl -v -H 'Expect: 100-continue' --data-binary @somefile http://127.0.0.1:8080/echo
 *           curl --cacert <the printed ca.crt> https://localhost:8080/ https://localhost:8080/stats   (with --tls)
 */
import {
  DynamicBuffer,
  IoContext,
  IoError,
  SignalSet,
  SslContext,
  SslStream,
  SteadyTimer,
  TcpAcceptor,
  asyncRead,
  asyncReadUntil,
  asyncWrite,
  post,
  usePromise,
  type AsyncReadStream,
  type Handler,
  type TcpSocket,
} from '../src/index.js';
import * as fs from 'node:fs';
import { makeTestCertificates } from './test-certificates.js';

/** What a connection reads and writes: the accepted socket, or the TLS stream over it. */
type HttpStream = TcpSocket | SslStream;

interface Options {
  host: string;
  port: number;
  /** Milliseconds the client may send nothing, between requests or in the middle of one. */
  idleTimeout: number;
  /** Milliseconds from the first byte of a request until all of it must have arrived; 0: no limit. */
  requestTimeout: number;
  maxHeader: number;
  maxBody: number;
  tls: boolean;
  cert: string;
  key: string;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { host: '127.0.0.1', port: 8080, idleTimeout: 5000, requestTimeout: 60_000, maxHeader: 8192, maxBody: 1 << 20, tls: false, cert: '', key: '' };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    if (flag === '--tls') {
      options.tls = true;
      i--;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`missing value after ${String(flag)}`);
    if (flag === '--host') options.host = value;
    else if (flag === '--port') options.port = Number(value);
    else if (flag === '--idle-timeout') options.idleTimeout = Number(value);
    else if (flag === '--request-timeout') options.requestTimeout = Number(value);
    else if (flag === '--max-header') options.maxHeader = Number(value);
    else if (flag === '--max-body') options.maxBody = Number(value);
    else if (flag === '--cert') options.cert = value;
    else if (flag === '--key') options.key = value;
    else throw new Error(`unknown argument: ${String(flag)} (use --host --port --idle-timeout --request-timeout --max-header --max-body --tls --cert --key)`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error('--port must be 0..65535');
  for (const [name, value] of [
    ['--idle-timeout', options.idleTimeout],
    ['--max-header', options.maxHeader],
    ['--max-body', options.maxBody],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  }
  if (!Number.isInteger(options.requestTimeout) || options.requestTimeout < 0) throw new Error('--request-timeout must be an integer >= 0 (0: no limit)');
  return options;
}

const REASONS: Readonly<Record<number, string>> = {
  100: 'Continue',
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Content Too Large',
  501: 'Not Implemented',
  505: 'HTTP Version Not Supported',
};

interface RequestHead {
  method: string;
  target: string;
  minorVersion: number;
  /** Header names in lower case; repeated headers joined with ', '. */
  headers: Map<string, string>;
}

interface Request extends RequestHead {
  body: Buffer;
}

interface Response {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** A request the server refuses; the connection is closed after the answer. */
class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 9112 §3: method SP request-target SP HTTP-version, each separated by exactly one space. */
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/(\d)\.(\d)$/;

/** Parses a request line; a well-formed line of another major version is 505, anything else malformed is 400. */
function parseRequestLine(line: string): Omit<RequestHead, 'headers'> {
  const match = REQUEST_LINE.exec(line);
  if (match === null) throw new HttpError(400, 'malformed request line');
  if (match[3] !== '1') throw new HttpError(505, 'only HTTP/1.x is served');
  return { method: match[1]!, target: match[2]!, minorVersion: Number(match[4]) };
}

/** Parses the header lines; counts the Host lines, which may not be joined like other repeated headers. */
function parseHeaderLines(lines: readonly string[]): { headers: Map<string, string>; hostLines: number } {
  const headers = new Map<string, string>();
  let hostLines = 0;
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (colon <= 0 || !TOKEN.test(name)) throw new HttpError(400, 'malformed header line');
    const value = line.slice(colon + 1).trim();
    const previous = headers.get(name);
    headers.set(name, previous === undefined ? value : `${previous}, ${value}`);
    if (name === 'host') hostLines++;
  }
  return { headers, hostLines };
}

/** RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host header; HTTP/1.0 may have none, but not several. */
function checkHost(minorVersion: number, hostLines: number): void {
  if (hostLines > 1) throw new HttpError(400, 'more than one Host header');
  if (hostLines === 0 && minorVersion >= 1) throw new HttpError(400, 'missing Host header');
}

/** Parses a request head (without its final blank line). Throws `HttpError` on anything malformed. */
function parseHead(head: string): RequestHead {
  const [requestLine = '', ...headerLines] = head.split('\r\n');
  const start = parseRequestLine(requestLine);
  const { headers, hostLines } = parseHeaderLines(headerLines);
  checkHost(start.minorVersion, hostLines);
  return { ...start, headers };
}

/** The body length a request announces; throws `HttpError` when the server will not read that body. */
function bodyLength(headers: Map<string, string>, maxBody: number): number {
  if (headers.has('transfer-encoding')) throw new HttpError(501, 'Transfer-Encoding is not supported; send Content-Length');
  const field = headers.get('content-length');
  if (field === undefined) return 0;
  if (!/^\d{1,15}$/.test(field)) throw new HttpError(400, 'malformed Content-Length');
  const length = Number(field);
  if (length > maxBody) throw new HttpError(413, `body larger than ${maxBody} bytes`);
  return length;
}

/** RFC 9110 §10.1.1: the client waits for `100 Continue` before sending the body (ignored in HTTP/1.0). */
function expectsContinue(head: RequestHead): boolean {
  if (head.minorVersion < 1) return false;
  const expectations = (head.headers.get('expect') ?? '').split(',');
  return expectations.some((e) => e.trim().toLowerCase() === '100-continue');
}

const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

/**
 * Whether a timer's expiry has passed. A timer's handler can run after the
 * timer was re-armed or stopped, when its wait had already completed: that
 * late handler sees `err === null` but an expiry still ahead (or `Infinity`).
 */
function hasExpired(timer: SteadyTimer, err: IoError | null): boolean {
  return err === null && timer.expiry() <= timer.context.clock.now();
}

const started = performance.now();
const stats = { connections: 0, open: 0, requests: 0 };

/** The application: a couple of routes. */
function route(request: Request): Response {
  const path = request.target.split('?', 1)[0];
  if (path === '/') {
    if (request.method !== 'GET' && request.method !== 'HEAD') return { status: 405, headers: { Allow: 'GET, HEAD' } };
    return { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'hello from proactor\n' };
  }
  if (path === '/stats') {
    if (request.method !== 'GET' && request.method !== 'HEAD') return { status: 405, headers: { Allow: 'GET, HEAD' } };
    const body = `${JSON.stringify({ ...stats, uptimeMs: Math.round(performance.now() - started) })}\n`;
    return { status: 200, headers: { 'Content-Type': 'application/json' }, body };
  }
  if (path === '/echo') {
    if (request.method !== 'POST') return { status: 405, headers: { Allow: 'POST' } };
    const type = request.headers.get('content-type') ?? 'application/octet-stream';
    return { status: 200, headers: { 'Content-Type': type }, body: request.body };
  }
  return { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: `no route for ${path ?? ''}\n` };
}

/** Writes `response`; `keepAlive` decides the Connection header. */
async function respond(socket: HttpStream, response: Response, keepAlive: boolean, headOnly: boolean): Promise<void> {
  const body = typeof response.body === 'string' ? Buffer.from(response.body) : (response.body ?? Buffer.alloc(0));
  let head = `HTTP/1.1 ${response.status} ${REASONS[response.status] ?? 'Unknown'}\r\n`;
  for (const [name, value] of Object.entries(response.headers ?? {})) head += `${name}: ${value}\r\n`;
  head += `Content-Length: ${body.length}\r\nConnection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`;
  const buffers = headOnly || body.length === 0 ? [Buffer.from(head, 'latin1')] : [Buffer.from(head, 'latin1'), body];
  await asyncWrite(socket, buffers, usePromise);
}

type Timeout = 'idle' | 'request';

/** One connection: a loop of request → response while the client keeps it alive. */
class Connection {
  /** No byte of a request has arrived that is still to be answered (safe to close at shutdown). */
  idle = true;
  /** Shutting down: answer the request in progress with `Connection: close`, then stop. */
  draining = false;
  readonly socket: HttpStream;
  readonly #ctx: IoContext;
  readonly #options: Options;
  readonly #buffer: DynamicBuffer;
  /** The socket as the composed reads see it: every read that brings bytes is reported to `#readProgressed`. */
  readonly #reads: AsyncReadStream;
  /** Fires after `idleTimeout` ms without a byte from the client; re-armed by every read that brings some. */
  readonly #idleTimer: SteadyTimer;
  /** Fires `requestTimeout` ms after the first byte of a request, unless all of it has arrived. */
  readonly #requestTimer: SteadyTimer;
  /** The timeout that aborted the reads of the current request, if one did. */
  #timedOut: Timeout | null = null;
  readonly #onIdleTimer = (err: IoError | null): void => {
    if (hasExpired(this.#idleTimer, err)) this.#timeOut('idle');
  };
  readonly #onRequestTimer = (err: IoError | null): void => {
    if (hasExpired(this.#requestTimer, err)) this.#timeOut('request');
  };

  constructor(ctx: IoContext, socket: HttpStream, options: Options) {
    this.socket = socket;
    this.#ctx = ctx;
    this.#options = options;
    this.#buffer = new DynamicBuffer(options.maxHeader);
    this.#reads = {
      asyncReadSome: (buf: Uint8Array, handler: Handler<[number]>): void => {
        this.#readSome(buf, handler);
      },
    };
    this.#idleTimer = new SteadyTimer(ctx);
    this.#requestTimer = new SteadyTimer(ctx);
  }

  async serve(): Promise<void> {
    try {
      if (this.socket instanceof SslStream && !(await this.#handshake(this.socket))) return;
      for (;;) {
        const request = await this.#readRequest();
        if (request === null) return;
        stats.requests++;
        const wantsClose = /\bclose\b/i.test(request.headers.get('connection') ?? '');
        const wantsKeepAlive = /\bkeep-alive\b/i.test(request.headers.get('connection') ?? '');
        const keepAlive = !this.draining && !wantsClose && (request.minorVersion >= 1 || wantsKeepAlive);
        await respond(this.socket, route(request), keepAlive, request.method === 'HEAD');
        if (!keepAlive) return;
      }
    } catch (error) {
      if (error instanceof HttpError) {
        const answer: Response = { status: error.status, headers: { 'Content-Type': 'text/plain' }, body: `${error.message}\n` };
        if (await respond(this.socket, answer, false, false).then(() => true, () => false)) await this.#lingeringClose();
      } else if (!(error instanceof IoError)) {
        throw error;
      }
      // An IoError (reset, broken pipe, closed at shutdown or by the idle timer) just ends the connection.
    } finally {
      this.#idleTimer.cancel();
      this.#requestTimer.cancel();
      this.socket.close();
    }
  }

  /** The TLS handshake, within the idle timeout; false when it failed (logged) or timed out. */
  async #handshake(stream: SslStream): Promise<boolean> {
    this.#idleTimer.expiresAfter(this.#options.idleTimeout);
    this.#idleTimer.asyncWait((err) => {
      if (err === null) stream.cancel();
    });
    try {
      await stream.asyncHandshake('server', usePromise);
      return true;
    } catch (error) {
      if (error instanceof IoError && error.code !== 'operation_aborted') console.log(`handshake failed: ${error.message}`);
      return false;
    } finally {
      this.#idleTimer.expiresAt(Infinity);
    }
  }

  /**
   * After refusing a request the client may still be sending it. Closing a
   * socket with unread bytes makes the kernel send a reset, which can destroy
   * the answer before the client reads it; so send FIN first and discard
   * what still arrives, for at most a second.
   */
  async #lingeringClose(): Promise<void> {
    try {
      if (this.socket instanceof SslStream) this.socket.asyncShutdown(() => undefined);
      else this.socket.shutdown('send');
    } catch {
      return;
    }
    this.#idleTimer.expiresAfter(1000);
    this.#idleTimer.asyncWait((err) => {
      if (err === null) this.socket.close();
    });
    const scratch = Buffer.allocUnsafe(16 * 1024);
    try {
      for (let discarded = 0; discarded < this.#options.maxBody; ) discarded += await this.socket.asyncReadSome(scratch, usePromise);
    } catch {
      // eof (the client closed too), or closed by the timer
    }
  }

  /** Reads one request; `null` when the client closed (or idled out) between requests. */
  async #readRequest(): Promise<Request | null> {
    this.idle = true;
    if (this.draining && this.#buffer.size === 0) return null;
    this.#armIdleTimer();
    if (this.#buffer.size > 0) this.#requestStarted(); // pipelined: it arrived with the previous one
    try {
      const head = await this.#readHead();
      if (head === null) return null;
      const body = await this.#readBody(head);
      return { ...head, body };
    } catch (error) {
      if (this.#timedOut === null || !(error instanceof IoError)) throw error;
      if (this.idle) return null;
      throw this.#timeoutError(this.#timedOut);
    } finally {
      this.#stopTimers();
    }
  }

  /** Reads and parses a request head; `null` when the client closed between requests. */
  async #readHead(): Promise<RequestHead | null> {
    const buffer = this.#buffer;
    let headLength: number;
    try {
      headLength = await asyncReadUntil(this.#reads, buffer, '\r\n\r\n', usePromise);
    } catch (error) {
      if (IoError.is(error, 'not_found')) throw new HttpError(413, `request head larger than ${this.#options.maxHeader} bytes`);
      if (IoError.is(error, 'eof') && buffer.size > 0) throw new HttpError(400, 'connection closed in the middle of a request head');
      if (error instanceof IoError && this.#timedOut === null) return null; // eof between requests, reset, shutdown
      throw error;
    }
    const data = buffer.data();
    const head = Buffer.from(data.buffer, data.byteOffset, headLength - 4).toString('latin1');
    buffer.consume(headLength);
    return parseHead(head);
  }

  async #readBody(head: RequestHead): Promise<Buffer> {
    const length = bodyLength(head.headers, this.#options.maxBody);
    const body = Buffer.allocUnsafe(length);
    // Bytes that arrived together with the head come first.
    const buffer = this.#buffer;
    const early = Math.min(length, buffer.size);
    body.set(buffer.data().subarray(0, early));
    buffer.consume(early);
    if (early === length) return body;
    if (expectsContinue(head)) await asyncWrite(this.socket, CONTINUE, usePromise);
    try {
      await asyncRead(this.#reads, body.subarray(early), usePromise);
    } catch (error) {
      if (IoError.is(error, 'eof')) throw new HttpError(400, 'connection closed in the middle of a body');
      throw error;
    }
    return body;
  }

  /** The composed reads' `asyncReadSome`: the socket's, reporting progress; once timed out, it fails at once. */
  #readSome(buf: Uint8Array, handler: Handler<[number]>): void {
    if (this.#timedOut !== null) {
      // A read that completed just before the timer fired can start another one, which nothing would cancel.
      post(this.#ctx, () => {
        handler(new IoError('timed_out', 'the request timed out'), 0);
      });
      return;
    }
    this.socket.asyncReadSome(buf, (err, n) => {
      if (n > 0) this.#readProgressed();
      handler(err, n);
    });
  }

  /** A read brought bytes: the idle timeout starts again, and the first bytes of a request start its deadline. */
  #readProgressed(): void {
    this.#armIdleTimer();
    if (this.idle) this.#requestStarted();
  }

  #requestStarted(): void {
    this.idle = false;
    if (this.#options.requestTimeout === 0) return;
    this.#requestTimer.expiresAfter(this.#options.requestTimeout);
    this.#requestTimer.asyncWait(this.#onRequestTimer);
  }

  /** Setting the expiry cancels the previous wait, whose handler sees operation_aborted. */
  #armIdleTimer(): void {
    this.#idleTimer.expiresAfter(this.#options.idleTimeout);
    this.#idleTimer.asyncWait(this.#onIdleTimer);
  }

  /** The request has arrived (or failed): no timeout applies while it is answered. */
  #stopTimers(): void {
    this.#idleTimer.expiresAt(Infinity);
    this.#requestTimer.expiresAt(Infinity);
    this.#timedOut = null;
  }

  /** Aborts the pending read; `#readRequest` then ends the connection, with a 408 if a request was in progress. */
  #timeOut(which: Timeout): void {
    if (this.#timedOut !== null) return;
    this.#timedOut = which;
    this.socket.cancel();
  }

  #timeoutError(which: Timeout): HttpError {
    if (which === 'idle') return new HttpError(408, `nothing received for ${this.#options.idleTimeout} ms in the middle of a request`);
    return new HttpError(408, `request not received within ${this.#options.requestTimeout} ms`);
  }
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  let ssl: SslContext | null = null;
  if (options.tls) {
    let { cert, key } = options;
    if (cert === '' || key === '') {
      const made = makeTestCertificates();
      ({ cert, key } = made);
      console.log(`test-only certificates made; trust ${made.ca}`);
    }
    ssl = new SslContext({ cert: fs.readFileSync(cert), key: fs.readFileSync(key), ALPNProtocols: ['http/1.1'] });
  }
  const ctx = new IoContext();
  // With --tls, the handle transport, so node:tls takes each socket over in C++ (SslStream's native route).
  const acceptor = new TcpAcceptor(ctx, { host: options.host, port: options.port }, options.tls ? { transport: 'handle' } : {});
  const signals = new SignalSet(ctx, 'SIGINT', 'SIGTERM');
  const connections = new Set<Connection>();

  const acceptLoop = async (): Promise<void> => {
    for (;;) {
      let socket: TcpSocket;
      try {
        socket = await acceptor.asyncAccept(usePromise);
      } catch (error) {
        if (IoError.is(error, 'operation_aborted') || IoError.is(error, 'bad_descriptor')) return;
        console.error(`accept failed: ${String(error)}`);
        continue;
      }
      const connection = new Connection(ctx, ssl === null ? socket : new SslStream(socket, ssl), options);
      connections.add(connection);
      stats.connections++;
      stats.open++;
      void connection.serve().finally(() => {
        connections.delete(connection);
        stats.open--;
      });
    }
  };
  const accepting = acceptLoop();

  signals.asyncWait((err, signal) => {
    if (err !== null) return;
    console.log(`${signal}: shutting down (${connections.size} connections)`);
    signals.close();
    acceptor.close();
    for (const connection of connections) {
      connection.draining = true;
      if (connection.idle) connection.socket.close();
    }
  });

  const { address, port } = acceptor.localEndpoint();
  console.log(`${ssl === null ? 'http' : 'https'} server listening on ${address}:${port}`);
  ctx.run().then(
    async (handlers) => {
      await accepting;
      console.log(`stopped after ${handlers} handlers; ${stats.connections} connections, ${stats.requests} requests`);
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
