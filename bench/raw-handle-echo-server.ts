/**
 * The raw-handle ceiling probe for the echo benchmark: the least JavaScript
 * that can echo on Node's own libuv handles, so the benchmark can tell how
 * much of a round trip is left to any library built on them.
 *
 * Usage: node dist/bench/raw-handle-echo-server.js [--host 127.0.0.1] [--port N]
 *        node dist/bench/raw-handle-echo-server.js --path /tmp/echo.sock
 *
 * No `net.Server`, no `net.Socket`: the listening handle comes from
 * `net._createServerHandle` (as src/net/ip/tcp-acceptor.ts gets it), and each
 * accepted handle is driven directly.
 *
 * - Reads: user-buffer mode. `handle.useUserBuffer(buf)` once, then
 *   `readStart()`; Node calls `handle.onread` with no arguments after the
 *   kernel's bytes are in `buf`, and the byte count (or a negative libuv
 *   status, such as end of file) is in `streamBaseState[kReadBytesOrError]`,
 *   the shared array Node's own `onStreamRead` reads it from. The array
 *   comes from `process.binding('stream_wrap')`.
 * - Writes: `handle.writeBuffer` on the bytes just read, in whichever of the
 *   two write protocols this Node speaks (see src/net/handle-write.ts): a
 *   reused `WriteWrap` request on Node 20 and 22, `null` on Node 24 and later
 *   (told apart by the binding's `kLastWriteErr`, which came with the null
 *   protocol). A write the kernel takes at once costs nothing more. One that
 *   goes asynchronous still points into `buf`, so reading stops until libuv
 *   reports it done, then resumes: the bytes wait in the kernel meanwhile.
 *
 * A round trip is therefore one `onread` call, one `writeBuffer` call and,
 * when the length of the read changed, one `subarray`.
 *
 * Prints `listening on HOST:PORT` (the real port with `--port 0`) or
 * `listening on PATH`, sets TCP_NODELAY on every TCP connection (as the other
 * servers do), exits with status 0 on SIGTERM or SIGINT, and stops by itself
 * after `--max-seconds` (default 900).
 */
import net from 'node:net';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? process.argv[i + 1] : undefined;
  return value ?? fallback;
}

const host = option('--host', '127.0.0.1');
const port = Number(option('--port', '5557'));
const socketPath = option('--path', '');
const maxSeconds = Number(option('--max-seconds', '900'));
const BUFFER_SIZE = 65536;

/** Node's write request object, as far as this file uses it. */
interface WriteReq {
  oncomplete: ((status: number) => void) | undefined;
  /** Keeps the bytes of an asynchronous write alive. */
  buffer: unknown;
  /** Node 24+: the status of a write that finished inside the call, else null. */
  writeStatus?: number | null;
}

interface StreamWrapBinding {
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
  /** Node 24+, with the null-request write protocol. */
  kLastWriteErr?: number;
  WriteWrap: new () => WriteReq;
}

/** An accepted TCP or pipe handle. */
interface StreamHandle {
  onread: () => undefined;
  useUserBuffer(buf: Uint8Array): void;
  readStart(): number;
  readStop(): number;
  writeBuffer(req: WriteReq | null, buf: Uint8Array): number | WriteReq;
  setNoDelay?: (on: boolean) => number;
  close(callback?: () => void): void;
}

interface ServerHandle {
  onconnection: ((status: number, client: StreamHandle | undefined) => void) | null;
  listen(backlog: number): number;
  getsockname?: (out: { port?: number }) => number;
  close(callback?: () => void): void;
}

type CreateServerHandle = (address: string, port: number, addressType: number) => ServerHandle | number;

const binding = (process as unknown as { binding(name: string): StreamWrapBinding }).binding('stream_wrap');
const state = binding.streamBaseState;
const kReadBytesOrError = binding.kReadBytesOrError;
const kLastWriteWasAsync = binding.kLastWriteWasAsync;
const nullRequest = binding.kLastWriteErr !== undefined;
const kLastWriteErr = binding.kLastWriteErr ?? -1;
const WriteWrap = binding.WriteWrap;

const connections = new Set<Connection>();

/** One accepted connection: its handle, its buffer, and at most one write in flight. */
class Connection {
  readonly #handle: StreamHandle;
  readonly #buf = Buffer.allocUnsafe(BUFFER_SIZE);
  /** The last view written from, reused while reads keep the same length. */
  #view: Buffer = this.#buf;
  /** The request of the `request` protocol, reused while writes complete at once. */
  #req: WriteReq | null = null;
  #closed = false;

  readonly #onRead = (): undefined => {
    const nread = state[kReadBytesOrError]!;
    if (nread > 0) this.#echo(nread);
    else if (nread < 0) this.close(); // end of file or an error
    return undefined; // keep reading into the same buffer
  };

  readonly #onWritten = (status: number): void => {
    if (this.#closed) return;
    if (status < 0 || this.#handle.readStart() < 0) this.close();
  };

  constructor(handle: StreamHandle) {
    this.#handle = handle;
    handle.setNoDelay?.(true);
    handle.onread = this.#onRead;
    handle.useUserBuffer(this.#buf);
    connections.add(this);
    if (handle.readStart() < 0) this.close();
  }

  #echo(n: number): void {
    if (this.#view.length !== n) this.#view = this.#buf.subarray(0, n);
    const bytes = this.#view;
    const handle = this.#handle;
    let req: WriteReq;
    if (nullRequest) {
      const ret = handle.writeBuffer(null, bytes);
      if (typeof ret === 'number') {
        if (ret < 0) this.close();
        return;
      }
      if (state[kLastWriteErr] !== 0) {
        this.close();
        return;
      }
      req = ret;
      const status = req.writeStatus;
      if (typeof status === 'number') {
        req.writeStatus = null; // finished inside the call
        if (status < 0) this.close();
        return;
      }
    } else {
      req = this.#req ?? new WriteWrap();
      this.#req = req;
      const status = handle.writeBuffer(req, bytes) as number;
      if (status < 0) {
        this.close();
        return;
      }
      if (state[kLastWriteWasAsync] === 0) return;
      this.#req = null; // attached to the write in flight
    }
    // Asynchronous: libuv still reads from `#buf`, so no read may land there until it is done.
    req.buffer = bytes;
    req.oncomplete = this.#onWritten;
    handle.readStop();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    connections.delete(this);
    this.#handle.close();
  }
}

function listen(): ServerHandle {
  const create = (net as unknown as { _createServerHandle: CreateServerHandle })._createServerHandle;
  const handle = socketPath !== '' ? create(socketPath, -1, -1) : create(host, port, net.isIP(host));
  if (typeof handle === 'number') throw new Error(`bind failed: libuv status ${handle}`);
  handle.onconnection = (status, client) => {
    if (status >= 0 && client !== undefined) new Connection(client);
  };
  const status = handle.listen(511);
  if (status < 0) throw new Error(`listen failed: libuv status ${status}`);
  return handle;
}

const server = listen();
if (socketPath !== '') {
  process.stdout.write(`listening on ${socketPath}\n`);
} else {
  const name: { port?: number } = {};
  server.getsockname?.(name);
  process.stdout.write(`listening on ${host}:${name.port ?? port}\n`);
}

function stop(): void {
  server.onconnection = null;
  server.close(); // a pipe server removes its socket file
  for (const c of [...connections]) c.close();
  process.exitCode = 0;
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setTimeout(stop, maxSeconds * 1000).unref();
