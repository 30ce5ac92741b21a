import { Duplex } from 'node:stream';
import type { IoError } from '../errors/io-error.js';
import type { IoContext } from '../io-context/io-context.js';
import type { AsyncReadStream, AsyncWriteStream } from '../io/composed.js';
import { asyncWrite } from '../io/composed.js';

/**
 * What an `SslStream` can run over besides a `TcpSocket` or `UnixSocket`:
 * any stream with `asyncReadSome`, `asyncWriteSome` and the `context` whose
 * run loop completes them (and, optionally, `close()` and
 * `shutdown('send')`, which the TLS layer calls when it closes or ends).
 * Such a stream takes the `'bridge'` route.
 *
 * @example
 * ```ts
 * // A wrapper that counts what a socket reads, with TLS over it.
 * let received = 0;
 * const counted: SslNextLayer = {
 *   asyncReadSome: (b, h) => socket.asyncReadSome(b, (err, n) => ((received += n), h(err, n))),
 *   asyncWriteSome: (b, h) => socket.asyncWriteSome(b, h),
 *   close: () => socket.close(),
 *   context: socket.context,
 * };
 * const stream = new SslStream(counted, new SslContext({ ca }));
 * ```
 *
 * @category TLS
 */
export type SslNextLayer = AsyncReadStream & AsyncWriteStream & { readonly context: IoContext; close?(): void; shutdown?(how: 'send'): void };

/** How much one read of the next layer asks for: a TLS record and its header fit. */
const BRIDGE_READ_SIZE = 17 * 1024;

/**
 * @internal The bridge that lets `node:tls` run over a stream that is not a
 * Node socket (or whose socket cannot be lent): a Duplex whose reads are
 * the next layer's `asyncReadSome` and whose writes are `asyncWrite` on it,
 * started on its context like any other operation. Node copies what it is
 * given, so each read gets a buffer of its own (`push` keeps it).
 * `onEnd` hears, once, how the next layer ended, before TLS does: `null`
 * once its end of stream has been read (every byte before it handed to
 * TLS), or the error a read or a write of it failed with.
 */
export class NextLayerDuplex extends Duplex {
  readonly #next: SslNextLayer;
  readonly #onEnd: (err: IoError | null) => void;
  #reading = false;
  #closed = false;
  #endTold = false;

  readonly #onRead = (err: IoError | null, n: number): void => {
    this.#reading = false;
    if (this.#closed) return;
    const buf = this.#buf;
    this.#buf = null;
    if (err !== null) {
      if (err.code === 'eof') {
        this.push(null);
      } else {
        this.#ended(err);
        this.destroy(err);
      }
      return;
    }
    if (this.push(buf!.subarray(0, n))) this._read();
  };

  #buf: Buffer | null = null;

  constructor(next: SslNextLayer, onEnd: (err: IoError | null) => void) {
    super({ allowHalfOpen: true });
    this.#next = next;
    this.#onEnd = onEnd;
    this.on('end', () => {
      this.#ended(null); // the first listener: before node:tls hands the end on to TLS
    });
  }

  /** Tells `onEnd` once: the first of the next layer's end, a failed read and a failed write is how it ended. */
  #ended(err: IoError | null): void {
    if (this.#endTold) return;
    this.#endTold = true;
    this.#onEnd(err);
  }

  override _read(): void {
    if (this.#reading || this.#closed) return;
    this.#reading = true;
    this.#buf = Buffer.allocUnsafe(BRIDGE_READ_SIZE);
    this.#next.asyncReadSome(this.#buf, this.#onRead);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    asyncWrite(this.#next, chunk, (err) => {
      if (err !== null) this.#ended(err); // the bridge dies with this error, so its reads end with it too
      done(err);
    });
  }

  override _final(done: (error?: Error | null) => void): void {
    try {
      this.#next.shutdown?.('send');
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    this.#closed = true;
    this.#next.close?.();
    done(err);
  }
}
