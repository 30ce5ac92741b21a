import type * as net from 'node:net';
import type { IoError } from '../errors/io-error.js';

/**
 * How a stream socket moves its bytes:
 * - `'native'`: through proactor's Node-API addon, which drives the libuv
 *   handle itself: reads land in the caller's buffer, writes go to the
 *   kernel at once where it takes them, completions reach JavaScript in one
 *   batch per event-loop iteration (the default where the addon is built);
 * - `'handle'`: on the libuv handle, reads landing in the caller's buffer
 *   and writes issued on the handle (sockets made by `asyncConnect` or an
 *   acceptor);
 * - `'chunk'`: through the public API of a `net.Socket`, `tls.TLSSocket` or
 *   other Duplex, reads copied out of its `'data'` chunks (adopted sockets).
 *
 * @example
 * ```ts
 * acceptor.asyncAccept((err, socket) => {
 *   if (!err) console.log(socket.transport); // 'handle'
 * });
 * TcpSocket.fromNetSocket(ctx, tlsSocket).transport; // 'chunk'
 * ```
 *
 * @category Stream sockets
 */
export type TransportKind = 'native' | 'handle' | 'chunk';

/**
 * @internal What the front-ends read from a connected transport for
 * endpoints and options: a `net.Socket` has it, the native transport
 * answers from libuv.
 */
export interface TransportSocket {
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
  readonly localFamily?: string | undefined;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly remoteFamily?: string | undefined;
  setNoDelay(on: boolean): unknown;
  setKeepAlive(on: boolean, delayMs: number): unknown;
}

/** What `StreamTransport.write` returns when every byte is in the kernel (or handed on). */
export const TRANSPORT_WRITE_DONE = 0;
/** What `StreamTransport.write` returns when `writeDone` follows later. */
export const TRANSPORT_WRITE_PENDING = 1;

/**
 * @internal What a transport reports to the stream core that drives it.
 * Every call may complete operations (and so run handlers, when a run is
 * active); a transport calls it only from Node's callbacks, never from
 * inside a call the core made.
 */
export interface StreamSink {
  /**
   * `n` bytes landed in `buf`, the buffer the core passed to `startRead`;
   * `copied` of them were copied there by the transport (default 0).
   */
  readInto(buf: Uint8Array, n: number, copied?: number): void;
  /**
   * `src[start, end)` arrived in memory of the transport's. `stable`: the
   * bytes stay untouched until the core calls `startRead` again (so the core
   * may keep a view instead of copying what it cannot deliver now).
   */
  readCopy(src: Uint8Array, start: number, end: number, stable: boolean): void;
  /**
   * `src[start, end)` arrived for a read that was withdrawn before the
   * transport delivered it: keep a copy for the next read, deliver nothing now.
   */
  readKept(src: Uint8Array, start: number, end: number): void;
  /** The peer finished sending. */
  readEnded(): void;
  /** The write in progress (one `write` that returned pending) finished. */
  writeDone(err: IoError | null): void;
  /** The connection a transport was opened with is established. */
  connected(): void;
  /** The stream failed (`closed` follows). */
  failed(err: IoError): void;
  /** The stream is gone. */
  closed(): void;
  /** Whether bytes that arrive with no read pending would be kept (see `IDLE_READ_LIMIT`). */
  wantsIdleRead(): boolean;
}

/**
 * @internal How bytes move for one stream socket: the small interface the
 * stream core drives without asking which transport it is.
 *
 * Reads: after `startRead(buf)` the transport delivers once (`readInto` or
 * `readCopy`), or ends or fails. It goes on reading after a delivery only if
 * `startRead` is called again from inside it (or, at its own choice, to keep
 * a few bytes for a read it expects soon, which the core keeps);
 * `stopRead()` withdraws a `startRead` not yet served.
 *
 * Writes: `write(bufs)` returns `TRANSPORT_WRITE_DONE`, `TRANSPORT_WRITE_PENDING`
 * (one `writeDone` follows) or the error. One write is in progress at a time.
 */
export interface StreamTransport {
  readonly kind: TransportKind;
  /** What answers for endpoints and options (a `net.Socket`, the native socket; `null` for a plain Duplex). */
  readonly socket: TransportSocket | null;
  /** How many times reading was started on the handle (each start is an `epoll_ctl`); 0 on chunk transports. */
  readonly readStarts: number;
  startRead(buf: Uint8Array): void;
  stopRead(): void;
  write(bufs: Uint8Array | readonly Uint8Array[]): number | IoError;
  /** Sends the end of the stream (FIN) after the writes handed over so far. */
  end(): void;
  /** Lets go of the stream at once; no sink call follows. */
  destroy(): void;
  /**
   * Lets go of the stream without closing it, for a layer above (TLS) to
   * take it over: no sink call follows. Returns the Node socket, or `null`
   * when the stream is not one (the transport then stays in use).
   */
  release(): net.Socket | null;
}
