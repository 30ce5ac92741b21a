import * as net from 'node:net';
import type { IoError } from '../errors/io-error.js';
import { errnoError } from './errno.js';
import {
  HandleWriter,
  WRITE_DONE,
  WRITE_PENDING,
  captureWriteReqDuring,
  nativeWritesReady,
  shouldCaptureWriteReq,
  type NativeWriteHandle,
} from './handle-write.js';
import { StreamLink } from './stream-link.js';
import { TRANSPORT_WRITE_DONE, TRANSPORT_WRITE_PENDING, type StreamSink, type StreamTransport } from './stream-transport.js';
import { sameBytes } from './same-bytes.js';

/**
 * How many times one socket re-registers a different read buffer with its
 * handle before it switches to a socket-owned landing buffer (see
 * `TcpSocket.asyncReadSome`). Each registration keeps a small native record
 * until the socket closes, so the count is bounded.
 *
 * @example
 * ```ts
 * // Reads into a rotating set of buffers: each new buffer is one retarget.
 * const pool = [Buffer.alloc(4096), Buffer.alloc(4096)];
 * let i = 0;
 * const onRead = (err: IoError | null, n: number): void => {
 *   if (err) return socket.close();
 *   i = (i + 1) % pool.length;
 *   socket.asyncReadSome(pool[i]!, onRead); // started from a read handler: switched for free
 * };
 * socket.asyncReadSome(pool[0]!, onRead);
 * ```
 *
 * @category Stream sockets
 */
export const READ_RETARGET_LIMIT = 64;

/**
 * The size of the socket-owned landing buffer used past `READ_RETARGET_LIMIT`.
 *
 * @example
 * ```ts
 * // A read buffer larger than this gains nothing on a socket that has used
 * // up its retargets: each read copies at most READ_LANDING_SIZE bytes.
 * const buf = Buffer.alloc(Math.min(wanted, READ_LANDING_SIZE));
 * ```
 *
 * @category Stream sockets
 */
export const READ_LANDING_SIZE = 65536;

/**
 * When a read of at most this many bytes completes and no other read is
 * pending, the handle keeps reading (into a landing buffer of this size
 * shared by all sockets) instead of stopping: stopping and restarting for
 * the next read costs two `epoll_ctl` calls, more than copying this many
 * bytes into the next read's buffer. Bytes that arrive before the next read
 * is started are kept for it, and reading stops then, so a socket nobody
 * reads holds at most this many bytes.
 *
 * @example
 * ```ts
 * // Request/response sessions whose reads start from a write handler keep
 * // the handle reading between requests when the last request was small:
 * const requestBuf = Buffer.alloc(IDLE_READ_LIMIT);
 * ```
 *
 * @category Stream sockets
 */
export const IDLE_READ_LIMIT = 16384;

/** The landing buffer of handles reading with no read pending (see `IDLE_READ_LIMIT`). */
let idleLanding: Buffer | null = null;

/** The parts of a libuv stream handle (`socket._handle`, TCP or pipe) this transport drives. */
interface NativeStreamHandle extends NativeWriteHandle {
  reading: boolean;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Uint8Array): void;
}

interface HandleHolder {
  _handle: NativeStreamHandle | null;
}

/** Node's user-buffer read slots on a `net.Socket` (`kBuffer`, `kBufferCb`, `kBufferGen`), found once by their descriptions. */
interface UserBufferKeys {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

let userBufferKeys: UserBufferKeys | null | undefined;

/**
 * Why: a `tls.TLSSocket` made over an existing socket ignores the `onread`
 * option, so its reads can only land in our buffers if the slots Node's
 * `onread` fills are set on it directly. They are found on a probe socket
 * made with `onread` (no connection is made); `null` when this Node has no
 * such slots.
 */
function findUserBufferKeys(): UserBufferKeys | null {
  if (userBufferKeys !== undefined) return userBufferKeys;
  const options = { allowHalfOpen: true, onread: { buffer: () => EMPTY, callback: () => false } };
  const probe = new net.Socket(options);
  const byName = new Map<string, symbol>();
  for (const s of Object.getOwnPropertySymbols(probe)) byName.set(s.description ?? '', s);
  probe.destroy();
  const buffer = byName.get('kBuffer');
  const callback = byName.get('kBufferCb');
  const generator = byName.get('kBufferGen');
  userBufferKeys = buffer && callback && generator ? { buffer, callback, generator } : null;
  return userBufferKeys;
}

/** The size of the TLS transports' overflow landing buffer: one TLS record's plaintext at most. */
const TLS_OVERFLOW_SIZE = 16384;

/**
 * Node hands decrypted bytes over one record at a time, so a record of this
 * size (the most a record holds) is a sign that more records of the same
 * burst follow: a read with room for another record then takes them too.
 */
const TLS_FULL_RECORD = TLS_OVERFLOW_SIZE;

/**
 * The overflow landing buffer all TLS transports share: what lands in it is
 * copied out before the read callback returns (`readCopy`, not stable), so
 * one buffer serves every stream, as `idleLanding` does.
 */
let tlsOverflow: Buffer | null = null;

const EMPTY = new Uint8Array(0);

/**
 * The transport of sockets proactor opens itself (connected or accepted):
 * every use of Node internals lives here. Reads land in the caller's buffer
 * through Node's user-buffer `onread` mode; after a small read with no read
 * pending the handle keeps reading into a shared landing buffer (see
 * `IDLE_READ_LIMIT`); a socket that keeps reading into new buffers from
 * outside its read handlers moves to a landing buffer of its own after
 * `READ_RETARGET_LIMIT` of them. Writes go on the handle (see
 * handle-write.ts), or through `net.Socket.write` until the handle-write
 * protocol is known.
 */
export class HandleTransport implements StreamTransport {
  readonly kind = 'handle' as const;
  readonly socket: net.Socket;
  readStarts = 0;
  readonly #sink: StreamSink;
  readonly #link: StreamLink;
  /** Reading was asked for (`startRead`) and not yet served. */
  #wanted = false;
  /** The handle is reading into `idleLanding` with no read pending. */
  #idle = false;
  #inReadCallback = false;
  /** The buffer the handle fills on its next read. */
  #landing: Uint8Array = EMPTY;
  #nextLanding: Uint8Array = EMPTY;
  #retargets = 0;
  #scratch: Buffer | null = null;
  readonly #writer: HandleWriter;
  /**
   * Over a TLS socket (its handle is Node's TLSWrap): Node decrypts a whole
   * record and keeps handing its bytes to the buffer it was last given even
   * after reading is stopped, so once no read is pending the next bytes go
   * here (the shared `tlsOverflow`, copied out into the core at once), never
   * into a buffer the caller was already given back.
   */
  readonly #overflow: Buffer | null;
  /** The buffer of the read `startRead` was last given (the read served next). */
  #target: Uint8Array = EMPTY;
  /**
   * Over TLS: the bytes already copied into `#target` for a read that stays
   * open for the rest of its burst (see `TLS_FULL_RECORD`); 0 when none is.
   */
  #filled = 0;
  #flushQueued = false;

  /** This loop turn's I/O is over: a read still open for more records completes with what it has. */
  readonly #flushFill = (): void => {
    this.#flushQueued = false;
    if (this.#filled === 0 || this.#link.released) return;
    this.#completeFill();
    if (!this.#wanted) this.#idle = true; // the handle reads on with no read pending, as after a small read
  };

  readonly #onReadBuffer = (): Uint8Array => {
    this.#landing = this.#nextLanding;
    return this.#landing;
  };

  readonly #onReadData = (nread: number): boolean => this.#readArrived(nread);

  readonly #onConnect = (): void => {
    this.#sink.connected();
  };

  /** A handle write that went asynchronous has finished (`status < 0`: a libuv error). */
  readonly #onHandleWriteDone = (status: number): void => {
    this.#writer.settled();
    if (!this.#link.released) this.#sink.writeDone(status < 0 ? errnoError(status, 'write') : null);
  };

  private constructor(sink: StreamSink, handle: unknown, tlsSocket: net.Socket | null = null) {
    this.#sink = sink;
    this.#writer = new HandleWriter(this.#onHandleWriteDone);
    if (tlsSocket !== null) {
      const keys = findUserBufferKeys()!;
      const overflow = (tlsOverflow ??= Buffer.allocUnsafe(TLS_OVERFLOW_SIZE));
      this.#overflow = overflow;
      this.#landing = overflow;
      this.#nextLanding = overflow;
      const slots = tlsSocket as unknown as Record<symbol, unknown>;
      slots[keys.buffer] = overflow;
      slots[keys.callback] = this.#onReadData;
      slots[keys.generator] = this.#onReadBuffer;
      (tlsSocket as unknown as HandleHolder)._handle?.useUserBuffer(overflow);
      this.#link = new StreamLink(sink, tlsSocket, this.#flushFill);
      this.socket = tlsSocket;
      return;
    }
    this.#overflow = null;
    const options = {
      allowHalfOpen: true,
      onread: { buffer: this.#onReadBuffer, callback: this.#onReadData },
      ...(handle === undefined ? {} : { handle, pauseOnCreate: true, readable: true, writable: true }),
    };
    const socket = new net.Socket(options);
    if (handle === undefined) socket.pause();
    this.#link = new StreamLink(sink, socket);
    this.socket = socket;
  }

  /** A transport connecting to `target` (`{ host, port }` or `{ path }`); `sink.connected()` follows. */
  static connect(sink: StreamSink, target: net.NetConnectOpts): HandleTransport {
    const t = new HandleTransport(sink, undefined);
    t.socket.once('connect', t.#onConnect);
    t.socket.connect(target);
    return t;
  }

  /**
   * A transport over a `tls.TLSSocket` (its handle is Node's TLSWrap, a
   * stream handle too): reads land in the caller's buffer as Node decrypts
   * them, writes go on the TLSWrap handle. `null` when this Node does not
   * let a TLS socket's reads land in user buffers (the caller then uses the
   * chunk transport).
   */
  static overTls(sink: StreamSink, tlsSocket: net.Socket): HandleTransport | null {
    if (findUserBufferKeys() === null || (tlsSocket as unknown as HandleHolder)._handle == null) return null;
    return new HandleTransport(sink, undefined, tlsSocket);
  }

  /**
   * Lets go of the Node socket without closing it (a TLS layer takes it
   * over): reading stops, no sink call follows, the socket and its handle
   * stay open. Returns the socket.
   */
  release(): net.Socket | null {
    this.stopRead();
    this.#wanted = false;
    this.#idle = false;
    this.#writer.retire();
    this.socket.removeListener('connect', this.#onConnect);
    this.#link.detach();
    return this.socket;
  }

  /** A transport over a handle an acceptor took from libuv (reading stopped). */
  static accepted(sink: StreamSink, handle: unknown): HandleTransport {
    return new HandleTransport(sink, handle);
  }

  startRead(buf: Uint8Array): void {
    this.#wanted = true;
    this.#target = buf;
    if (this.#inReadCallback) {
      this.#nextLanding = buf; // the read callback returns true and Node reads into buf next
      return;
    }
    if (this.#idle) {
      this.#idle = false; // still reading: the bytes land in idleLanding and are copied into buf
      return;
    }
    const handle = this.#handle();
    if (handle === null) return;
    const landing = this.#landing;
    // Over TLS the handle keeps its overflow buffer outside read callbacks (see #overflow): no retargeting.
    if (this.#overflow === null && !sameBytes(landing, buf) && landing !== this.#scratch && landing !== idleLanding) {
      if (this.#retargets < READ_RETARGET_LIMIT) {
        this.#retargets++;
        this.#landing = buf;
      } else {
        this.#scratch ??= Buffer.allocUnsafe(READ_LANDING_SIZE);
        this.#landing = this.#scratch;
      }
      handle.useUserBuffer(this.#landing);
    }
    if (handle.reading) return; // a TLS socket may be reading already (its handshake)
    handle.reading = true;
    this.readStarts++;
    const status = handle.readStart();
    if (status < 0) {
      handle.reading = false;
      this.#wanted = false;
      this.#sink.failed(errnoError(status, 'read'));
    }
  }

  stopRead(): void {
    if (!this.#wanted && !this.#idle) return;
    const filled = this.#filled;
    if (filled > 0) {
      // The read was withdrawn with records already in its buffer: they are the stream's next bytes.
      this.#filled = 0;
      this.#sink.readKept(this.#target, 0, filled);
    }
    this.#wanted = false;
    this.#idle = false;
    if (this.#inReadCallback) return; // the read callback returns false and Node stops the handle
    const handle = this.#handle();
    if (handle !== null && handle.reading) {
      handle.reading = false;
      handle.readStop();
    }
  }

  /** Node's user-buffer read callback: `nread` bytes are in `#landing`. Returns whether to keep reading. */
  #readArrived(nread: number): boolean {
    const landing = this.#landing;
    const filling = landing === this.#overflow && this.#wanted && this.#fillsOn(nread);
    if (filling && this.#fillArrived(nread)) return true; // the read stays open for the rest of its burst
    this.#wanted = false;
    this.#idle = false;
    this.#inReadCallback = true;
    try {
      if (filling) this.#completeFill();
      else if (landing === this.#scratch) this.#sink.readCopy(landing, 0, nread, true);
      else if (landing === idleLanding || landing === this.#overflow) this.#sink.readCopy(landing, 0, nread, false);
      else this.#sink.readInto(landing, nread);
    } finally {
      this.#inReadCallback = false;
    }
    if (this.#link.released) return false;
    if (this.#wanted) return true; // started again from inside: `#nextLanding` is its buffer
    if (nread <= IDLE_READ_LIMIT && this.#sink.wantsIdleRead()) {
      this.#idle = true; // keep reading: the next read is likely started soon (see IDLE_READ_LIMIT)
      this.#nextLanding = this.#overflow ?? (idleLanding ??= Buffer.allocUnsafe(IDLE_READ_LIMIT));
      return true;
    }
    if (this.#overflow !== null) this.#nextLanding = this.#overflow;
    else this.#nextLanding = this.#retargets >= READ_RETARGET_LIMIT && this.#scratch !== null ? this.#scratch : landing;
    return false;
  }

  /**
   * Over TLS, whether the `nread` bytes in the overflow buffer go on into the
   * pending read's buffer without completing it: a full record with room
   * for another behind it, or any record once the read is open.
   */
  #fillsOn(nread: number): boolean {
    return this.#filled > 0 || (nread === TLS_FULL_RECORD && this.#target.length - nread >= TLS_FULL_RECORD);
  }

  /**
   * A record for the read being filled: copied behind the bytes before it.
   * Returns whether the read stays open (reading goes on, into the overflow
   * buffer): while records come full and another fits. Otherwise the caller
   * completes it, as any read; at the latest it completes in this loop
   * turn's check phase, so a burst of records is one read and the echo of
   * it one write.
   */
  #fillArrived(nread: number): boolean {
    const target = this.#target;
    target.set(this.#overflow!.subarray(0, nread), this.#filled);
    this.#filled += nread;
    if (nread !== TLS_FULL_RECORD || target.length - this.#filled < TLS_FULL_RECORD) return false;
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      setImmediate(this.#flushFill);
    }
    this.#nextLanding = this.#overflow!;
    return true;
  }

  #completeFill(): void {
    const filled = this.#filled;
    this.#filled = 0;
    this.#wanted = false;
    this.#sink.readInto(this.#target, filled, filled);
  }

  write(bufs: Uint8Array | readonly Uint8Array[]): number | IoError {
    const handle = nativeWritesReady() ? this.#handle() : null;
    if (handle === null) {
      const live = this.#handle();
      if (live !== null && shouldCaptureWriteReq()) {
        captureWriteReqDuring(live, () => {
          this.#link.write(bufs);
        });
      } else {
        this.#link.write(bufs);
      }
      return TRANSPORT_WRITE_PENDING;
    }
    const status = this.#writer.write(handle, bufs);
    if (status === WRITE_PENDING) return TRANSPORT_WRITE_PENDING;
    if (status === WRITE_DONE) return TRANSPORT_WRITE_DONE;
    return errnoError(status, 'write');
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    if (this.#link.released) return;
    this.#filled = 0;
    this.#wanted = false;
    this.#idle = false;
    this.#writer.retire();
    this.socket.removeListener('connect', this.#onConnect);
    this.#link.release();
  }

  /** The libuv handle (`null` once Node has closed it, or before a connect has made it). */
  #handle(): NativeStreamHandle | null {
    return (this.socket as unknown as HandleHolder)._handle;
  }
}
