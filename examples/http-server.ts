/**
 * A minimal HTTP/1.1 server with keep-alive, written with async/await.
 *
 * What it shows:
 * - reading a request head with `asyncReadUntil(…, '\r\n\r\n')` into a
 *   `DynamicBuffer` whose `maxSize` is the header limit: a head that does not
 *   fit completes with `not_found`, answered with 413;
 * - reading a `Content-Length` body with `asyncRead` (bytes that arrived with
 *   the head are taken from the buffer first; pipelined requests stay there
 *   for the next round);
 * - an idle timeout with a `SteadyTimer`: a connection that sends no request
 *   for `--idle-timeout` ms is closed, which aborts its pending read;
 * - 400 for malformed requests, 404/405 for unknown routes, 501 for
 *   `Transfer-Encoding`, keep-alive by default in HTTP/1.1 and on request in
 *   HTTP/1.0, `Connection: close` honoured;
 * - graceful shutdown with a `SignalSet`: idle connections are closed at
 *   once, busy ones finish their response (with `Connection: close`).
 *
 * Routes:   GET /          a greeting
 *           GET /stats     connections and requests so far, as JSON
 *           POST /echo     the request body back, with its Content-Type
 *
 * Run it:   npm run example -- http-server [--port 8080] [--host 127.0.0.1]
 *                 [--idle-timeout 5000] [--max-header 8192] [--max-body 1048576]
 * Try it:   curl -v http://127.0.0.1:8080/ http://127.0.0.1:8080/stats   (one connection, reused)
 *           curl -d 'hello' http://127.0.0.1:8080/echo
 */
import {
  DynamicBuffer,
  IoContext,
  IoError,
  SignalSet,
  SteadyTimer,
  TcpAcceptor,
  asyncRead,
  asyncReadUntil,
  asyncWrite,
  usePromise,
  type TcpSocket,
} from '../src/index.js';

interface Options {
  host: string;
  port: number;
  idleTimeout: number;
  maxHeader: number;
  maxBody: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { host: '127.0.0.1', port: 8080, idleTimeout: 5000, maxHeader: 8192, maxBody: 1 << 20 };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`missing value after ${String(flag)}`);
    if (flag === '--host') options.host = value;
    else if (flag === '--port') options.port = Number(value);
    else if (flag === '--idle-timeout') options.idleTimeout = Number(value);
    else if (flag === '--max-header') options.maxHeader = Number(value);
    else if (flag === '--max-body') options.maxBody = Number(value);
    else throw new Error(`unknown argument: ${String(flag)} (use --host --port --idle-timeout --max-header --max-body)`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error('--port must be 0..65535');
  for (const [name, value] of [
    ['--idle-timeout', options.idleTimeout],
    ['--max-header', options.maxHeader],
    ['--max-body', options.maxBody],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  }
  return options;
}

const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  501: 'Not Implemented',
  505: 'HTTP Version Not Supported',
};

interface Request {
  method: string;
  target: string;
  minorVersion: number;
  /** Header names in lower case; repeated headers joined with ', '. */
  headers: Map<string, string>;
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
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/1\.(\d)$/;

/** Parses a request head (without its final blank line). Throws `HttpError` on anything malformed. */
function parseHead(head: string): Omit<Request, 'body'> {
  const lines = head.split('\r\n');
  const match = REQUEST_LINE.exec(lines[0] ?? '');
  if (match === null) {
    if (/ HTTP\/\d+\.\d+$/.test(lines[0] ?? '')) throw new HttpError(505, 'only HTTP/1.x is served');
    throw new HttpError(400, 'malformed request line');
  }
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (colon <= 0 || !TOKEN.test(name)) throw new HttpError(400, 'malformed header line');
    const value = line.slice(colon + 1).trim();
    const previous = headers.get(name);
    headers.set(name, previous === undefined ? value : `${previous}, ${value}`);
  }
  return { method: match[1]!, target: match[2]!, minorVersion: Number(match[3]), headers };
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
async function respond(socket: TcpSocket, response: Response, keepAlive: boolean, headOnly: boolean): Promise<void> {
  const body = typeof response.body === 'string' ? Buffer.from(response.body) : (response.body ?? Buffer.alloc(0));
  let head = `HTTP/1.1 ${response.status} ${REASONS[response.status] ?? 'Unknown'}\r\n`;
  for (const [name, value] of Object.entries(response.headers ?? {})) head += `${name}: ${value}\r\n`;
  head += `Content-Length: ${body.length}\r\nConnection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`;
  const buffers = headOnly || body.length === 0 ? [Buffer.from(head, 'latin1')] : [Buffer.from(head, 'latin1'), body];
  await asyncWrite(socket, buffers, usePromise);
}

/** One connection: a loop of request → response while the client keeps it alive. */
class Connection {
  /** Waiting for the first byte of a request (safe to close at shutdown). */
  idle = true;
  /** Shutting down: answer the request in progress with `Connection: close`, then stop. */
  draining = false;
  readonly socket: TcpSocket;
  readonly #options: Options;
  readonly #buffer: DynamicBuffer;
  readonly #idleTimer: SteadyTimer;
  #timedOut = false;

  constructor(ctx: IoContext, socket: TcpSocket, options: Options) {
    this.socket = socket;
    this.#options = options;
    this.#buffer = new DynamicBuffer(options.maxHeader);
    this.#idleTimer = new SteadyTimer(ctx);
  }

  async serve(): Promise<void> {
    try {
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
      this.socket.close();
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
      this.socket.shutdown('send');
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
    const buffer = this.#buffer;
    this.idle = buffer.size === 0;
    if (this.draining && this.idle) return null;
    // The idle timer runs until the whole request has arrived; setting the
    // expiry cancels the previous wait, whose handler sees operation_aborted.
    this.#idleTimer.expiresAfter(this.#options.idleTimeout);
    this.#idleTimer.asyncWait((err) => {
      if (err !== null) return;
      this.#timedOut = true;
      this.socket.close(); // the pending read completes with operation_aborted
    });
    let headLength: number;
    try {
      headLength = await asyncReadUntil(this.socket, buffer, '\r\n\r\n', usePromise);
    } catch (error) {
      if (IoError.is(error, 'not_found')) throw new HttpError(413, `request head larger than ${this.#options.maxHeader} bytes`);
      if (IoError.is(error, 'eof') && buffer.size > 0) throw new HttpError(400, 'connection closed in the middle of a request head');
      if (error instanceof IoError) return null; // eof between requests, idle timeout, reset, shutdown
      throw error;
    }
    this.idle = false;
    const data = buffer.data();
    const head = Buffer.from(data.buffer, data.byteOffset, headLength - 4).toString('latin1');
    buffer.consume(headLength);
    const request = parseHead(head);
    const body = await this.#readBody(request.headers);
    this.#idleTimer.cancel();
    if (this.#timedOut) return null;
    return { ...request, body };
  }

  async #readBody(headers: Map<string, string>): Promise<Buffer> {
    if (headers.has('transfer-encoding')) throw new HttpError(501, 'Transfer-Encoding is not supported; send Content-Length');
    const field = headers.get('content-length');
    if (field === undefined) return Buffer.alloc(0);
    if (!/^\d{1,15}$/.test(field)) throw new HttpError(400, 'malformed Content-Length');
    const length = Number(field);
    if (length > this.#options.maxBody) throw new HttpError(413, `body larger than ${this.#options.maxBody} bytes`);
    const body = Buffer.allocUnsafe(length);
    // Bytes that arrived together with the head come first.
    const buffer = this.#buffer;
    const early = Math.min(length, buffer.size);
    body.set(buffer.data().subarray(0, early));
    buffer.consume(early);
    if (early < length) {
      try {
        await asyncRead(this.socket, body.subarray(early), usePromise);
      } catch (error) {
        if (IoError.is(error, 'eof')) throw new HttpError(400, 'connection closed in the middle of a body');
        throw error;
      }
    }
    return body;
  }
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  const ctx = new IoContext();
  const acceptor = new TcpAcceptor(ctx, { host: options.host, port: options.port });
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
      const connection = new Connection(ctx, socket, options);
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
  console.log(`http server listening on ${address}:${port}`);
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
