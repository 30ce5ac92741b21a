import { checkIoContext } from '../io-context/check-context.js';
import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import type { IoContext } from '../io-context/io-context.js';
import { asyncInitiate } from '../tokens/async-initiate.js';
import type { CompletionResult, CompletionToken, Handler } from '../tokens/completion-token.js';
import { describeValue as describe } from '../errors/describe-value.js';
import { checkNotDetached } from '../io/detached.js';
import { StreamCore, type ShutdownType, type TransportStats } from './stream-core.js';
import { transportOption } from './transport-choice.js';
import type { TransportKind, TransportSocket } from './stream-transport.js';

function initiateReadSome(handler: Handler<[number]>, core: StreamCore, buf: Uint8Array): void {
  core.startReadSome(handler, buf);
}

function initiateWriteSome(handler: Handler<[number]>, core: StreamCore, bufs: Uint8Array | readonly Uint8Array[], total: number): void {
  core.startWriteSome(handler, bufs, total);
}

function initiateConnect(handler: Handler, socket: BasicStreamSocket, target: net.NetConnectOpts): void {
  socket.core.startConnect(handler, target, `${socket.typeName}.asyncConnect`);
}

/**
 * Options of a stream socket (`new TcpSocket(ctx, options)`, `new UnixSocket(ctx, options)`).
 *
 * @example
 * ```ts
 * const socket = new TcpSocket(ctx, { transport: 'handle' }); // not the native transport, whatever the default
 * ```
 *
 * @category Stream sockets
 */
export interface StreamSocketOptions {
  /**
   * The transport of the connections this socket opens (`asyncConnect`):
   * `'native'`, `'handle'` or `'chunk'`; absent: `defaultTransport()`.
   * Asking for `'native'` where the addon does not load makes
   * `asyncConnect` throw `IoError` `invalid_argument`.
   */
  readonly transport?: TransportKind;
}

/**
 * What every stream socket has, whatever its protocol (asio's
 * `basic_stream_socket`): reads, writes, cancellation, shutdown and close,
 * on the protocol-free stream core. `TcpSocket` and `UnixSocket` add only
 * how to connect, their endpoints and their options.
 *
 * Reads: `asyncReadSome(buf, h)` completes with `0 < n <= buf.length`, or at
 * the end of the stream, after all data, with `(eof, 0)`; data and eof never
 * come together. Writes: `asyncWriteSome(bufs, h)` completes once every byte
 * is handed to the kernel, so a socket never buffers more than the writes
 * its caller has pending. Reads (and writes) issued while another is
 * pending queue in FIFO order. No handler ever runs inside the call that
 * started its operation.
 *
 * Errors: `close()` completes pending operations with `operation_aborted`
 * and later ones with `bad_descriptor`; `cancel()` aborts pending operations
 * and leaves the socket open; a peer reset is `connection_reset`; reads and
 * writes on a socket that is open but not connected are `not_connected`.
 *
 * @example
 * ```ts
 * // A session written once for every stream socket.
 * function echo(socket: BasicStreamSocket, buf: Buffer): void {
 *   socket.asyncReadSome(buf, (err, n) => {
 *     if (err) return socket.close();
 *     asyncWrite(socket, buf.subarray(0, n), (err) => (err ? socket.close() : echo(socket, buf)));
 *   });
 * }
 * ```
 *
 * @category Stream sockets
 */
export abstract class BasicStreamSocket {
  /** The context whose run loop invokes this socket's handlers. */
  readonly context: IoContext;
  /** @internal The stream core this socket's operations run on. */
  readonly core: StreamCore;
  /** @internal The class name error messages start with. */
  readonly typeName: string;
  /** Error-message prefixes, made once per socket so no read or write builds a string. */
  readonly #readWhat: string;
  readonly #writeWhat: string;

  protected constructor(ctx: IoContext, typeName: string, options?: StreamSocketOptions) {
    checkIoContext(ctx, typeName);
    this.context = ctx;
    this.typeName = typeName;
    this.#readWhat = `${typeName}.asyncReadSome`;
    this.#writeWhat = `${typeName}.asyncWriteSome`;
    this.core = new StreamCore(ctx, this, transportOption(options, typeName));
  }

  /**
   * Which transport moves this socket's bytes: `'native'` (the addon, the
   * default where it is built), `'handle'` (zero-copy, for sockets proactor
   * connects or accepts without the addon), `'chunk'` (adopted streams), or
   * `null` before a connection; a closed socket tells its last one.
   *
   * @example
   * ```ts
   * await socket.asyncConnect(target, usePromise);
   * socket.transport; // 'handle'
   * ```
   */
  get transport(): TransportKind | null {
    return this.core.transportKind();
  }

  /**
   * The transport and what it cost: bytes copied on their way to the
   * caller's buffers, and how many times reading was started on the handle.
   *
   * @example
   * ```ts
   * const { bytesCopied } = socket.transportStats(); // 0 when every read landed in its buffer directly
   * ```
   */
  transportStats(): TransportStats {
    return this.core.transportStats();
  }

  /**
   * Whether the socket is open (connected, connecting, or left open by a failed connect).
   *
   * @example
   * ```ts
   * const socket = new TcpSocket(ctx);
   * socket.isOpen(); // false: asyncConnect opens it
   * socket.asyncConnect({ host: '127.0.0.1', port: 5555 }, () => undefined);
   * socket.isOpen(); // true, while connecting
   * ```
   */
  isOpen(): boolean {
    return this.core.isOpen();
  }

  /**
   * Reads at least one byte into `buf`. Completion signature: `(err, n)`
   * with `0 < n <= buf.length`, or `(eof, 0)` at the end of the stream; a
   * zero-length `buf` completes with `(null, 0)`. `buf` belongs to the
   * socket until the handler runs.
   *
   * Zero-copy detail (the handle transport): the handle keeps filling the
   * buffer of the previous read until told otherwise, and Node switches it
   * only when a read arrives. A read started from the previous read's
   * handler (directly or through a composed operation) is switched for
   * free; a read into the same buffer again needs nothing; any other buffer
   * is registered with the handle, up to `READ_RETARGET_LIMIT` times per
   * socket, after which reads that were not started from a read handler
   * land in a socket-owned `READ_LANDING_SIZE` buffer and are copied.
   *
   * Per-operation cancellation (a slot bound with `bindCancellationSlot`,
   * or an `AbortSignal` through `withAbortSignal`/`bindAbortSignal`):
   * terminal, partial and total. Only this read is withdrawn; it completes
   * with `(operation_aborted, 0)`, no byte of the stream has been consumed
   * for it, and the socket stays usable: the next read gets the next bytes.
   *
   * @example
   * ```ts
   * const buf = Buffer.alloc(65536);
   * const onRead: Handler<[number]> = (err, n) => {
   *   if (err) return socket.close(); // eof: the peer finished sending
   *   process.stdout.write(buf.subarray(0, n)); // copy out what you keep: buf is reused
   *   socket.asyncReadSome(buf, onRead);
   * };
   * socket.asyncReadSome(buf, onRead);
   * ```
   */
  asyncReadSome<T extends CompletionToken<[number]>>(buf: Uint8Array, token: T): CompletionResult<T, [number]> {
    const what = this.#readWhat;
    if (!(buf instanceof Uint8Array)) throw new TypeError(`${what}: the buffer must be a Uint8Array (or Buffer), got ${describe(buf)}`);
    checkNotDetached(buf, what);
    return asyncInitiate<[number], T, StreamCore, Uint8Array>(initiateReadSome, token, this.core, buf);
  }

  /**
   * Writes `bufs` (one buffer, or an array written as one gathered write).
   * Completion signature: `(err, n)` with `n` the total length, once every
   * byte is handed to the kernel. The bytes must stay unchanged until the
   * handler runs. A zero-length write completes with `(null, 0)`.
   *
   * Per-operation cancellation (a slot bound with `bindCancellationSlot`,
   * or an `AbortSignal` through `withAbortSignal`/`bindAbortSignal`)
   * depends on where the bytes are, since bytes handed on cannot be
   * recalled:
   * - while the write waits behind an earlier write of this socket, none of
   *   its bytes has left: terminal, partial and total all withdraw it, it
   *   completes with `(operation_aborted, 0)`, and the socket is as if it
   *   had never been started;
   * - once it is the write in progress, some bytes may already be in the
   *   kernel. `partial` and `total` cannot be honoured and are ignored: the
   *   write completes as usual. `terminal` is honoured: the handler gets
   *   `(operation_aborted, 0)` at once, but the rest of its bytes are still
   *   sent (in order, before any later write) and still read from the
   *   caller's buffer until they are sent or the socket is closed. As asio's
   *   terminal type says, closing the socket is then the only safe next
   *   step; close it before reusing the buffer.
   *
   * @example
   * ```ts
   * const header = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n');
   * const body = Buffer.from('ok');
   * socket.asyncWriteSome([header, body], (err, n) => {
   *   if (err) return socket.close();
   *   // n === header.length + body.length; both buffers may be reused now
   * });
   * ```
   */
  asyncWriteSome<T extends CompletionToken<[number]>>(bufs: Uint8Array | readonly Uint8Array[], token: T): CompletionResult<T, [number]> {
    const total = totalLength(bufs, this.#writeWhat);
    return asyncInitiate<[number], T, StreamCore, Uint8Array | readonly Uint8Array[], number>(initiateWriteSome, token, this.core, bufs, total);
  }

  /**
   * Aborts every pending connect, read and write with `operation_aborted`;
   * the socket stays open. Bytes of a write already handed on still go out.
   * An aborted connect leaves the socket open and unconnected.
   *
   * @example
   * ```ts
   * socket.asyncReadSome(buf, (err) => {
   *   if (err?.code === 'operation_aborted') console.log('read cancelled; socket still open');
   * });
   * socket.cancel();
   * ```
   */
  cancel(): void {
    this.core.cancel();
  }

  /**
   * Closes the socket at once (no lingering): pending operations complete
   * with `operation_aborted`, later ones with `bad_descriptor`. Closing a
   * closed socket does nothing.
   *
   * @example
   * ```ts
   * socket.asyncReadSome(buf, (err, n) => {
   *   if (err) {
   *     socket.close(); // eof, connection_reset, …: release the socket
   *     return;
   *   }
   *   // … use buf.subarray(0, n)
   * });
   * ```
   */
  close(): void {
    this.core.close();
  }

  /**
   * Closes the socket when a `using` declaration goes out of scope, so `using` works: `[Symbol.dispose]()` is `close()`.
   *
   * @example
   * ```ts
   * using socket = new TcpSocket(ctx); // closed at the end of the block
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Shuts down one or both directions. `'send'` sends the end of the stream
   * after every write started before it has gone out (later writes fail
   * with `shut_down`; `cancel()` aborts the queued ones and sends it then);
   * `'receive'` completes pending and later reads with `eof`. Throws
   * `IoError` `bad_descriptor` on a closed socket and `not_connected` on an
   * unconnected one.
   *
   * @example
   * ```ts
   * // Send the request, then tell the server nothing more is coming.
   * await asyncWrite(socket, request, usePromise);
   * socket.shutdown('send');
   * const [err, n] = await asyncRead(socket, reply, asTuple(usePromise)); // until the server's eof
   * ```
   */
  shutdown(how: ShutdownType): void {
    if (how !== 'send' && how !== 'receive' && how !== 'both') {
      throw new TypeError(`${this.typeName}.shutdown: expected 'send', 'receive' or 'both', got ${describe(how)}`);
    }
    this.core.shutdown(how, `${this.typeName}.shutdown`);
  }

  /** Starts a connect with the transport's target; the front-end has validated it. */
  protected initiateConnect<T extends CompletionToken>(target: net.NetConnectOpts, token: T): CompletionResult<T, []> {
    return asyncInitiate<[], T, BasicStreamSocket, net.NetConnectOpts>(initiateConnect, token, this, target);
  }

  /** The connected Node socket, for endpoints and options; throws `IoError` when closed or not connected. */
  protected connectedSocket(what: string): TransportSocket {
    return this.core.connectedSocket(`${this.typeName}.${what}`);
  }

  /** Takes over an adopted stream (chunk transport). */
  protected adoptStream(stream: Duplex): void {
    this.core.adopt(stream);
  }
}

/** @internal The total length of a write's buffers, checking each (a TypeError names `what`). */
export function totalLength(buffers: unknown, what: string): number {
  if (buffers instanceof Uint8Array) {
    checkNotDetached(buffers, what);
    return buffers.length;
  }
  if (!Array.isArray(buffers)) throw new TypeError(`${what}: expected a Uint8Array or an array of Uint8Array, got ${describe(buffers)}`);
  let total = 0;
  for (const b of buffers as unknown[]) {
    if (!(b instanceof Uint8Array)) throw new TypeError(`${what}: every element of the buffer array must be a Uint8Array, got ${describe(b)}`);
    checkNotDetached(b, what);
    total += b.length;
  }
  return total;
}
