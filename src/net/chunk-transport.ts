import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import type { IoError } from '../errors/io-error.js';
import { StreamLink } from './stream-link.js';
import { TRANSPORT_WRITE_PENDING, type StreamSink, type StreamTransport } from './stream-transport.js';

/**
 * The transport over any `net.Socket`, `tls.TLSSocket` or other Duplex,
 * through public APIs only: reads copy from its `'data'` chunks into the
 * caller's buffer (a chunk is kept, not copied, for the reads after it),
 * writes go through `stream.write` and complete in its callback, and the
 * stream is paused whenever no read is pending, so it applies backpressure.
 */
export class ChunkTransport implements StreamTransport {
  readonly kind = 'chunk' as const;
  readonly socket: net.Socket | null;
  readonly readStarts = 0;
  readonly #stream: Duplex;
  readonly #link: StreamLink;
  readonly #sink: StreamSink;
  #wanted = false;
  #inData = false;

  readonly #onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.#wanted = false;
    this.#inData = true;
    try {
      this.#sink.readCopy(bytes, 0, bytes.length, true);
    } finally {
      this.#inData = false;
    }
    if (!this.#wanted && !this.#link.released) this.#stream.pause();
  };

  /**
   * Takes over `stream`, which must have no `'data'` or `'readable'`
   * listeners of its own. A plain `net.Socket` is switched to
   * `allowHalfOpen`, so reading eof leaves the sending side open, as in asio.
   */
  constructor(sink: StreamSink, stream: Duplex) {
    this.#sink = sink;
    this.#stream = stream;
    this.socket = stream instanceof net.Socket ? stream : null;
    if (stream instanceof net.Socket && !(stream instanceof tls.TLSSocket)) stream.allowHalfOpen = true;
    stream.pause();
    this.#link = new StreamLink(sink, stream);
    stream.on('data', this.#onData);
  }

  /**
   * A transport connecting a new `net.Socket` to `target` (the `chunk`
   * transport asked for on a socket proactor connects); `sink.connected()`
   * follows.
   */
  static connect(sink: StreamSink, target: net.NetConnectOpts): ChunkTransport {
    const socket = new net.Socket({ allowHalfOpen: true });
    const t = new ChunkTransport(sink, socket);
    socket.once('connect', () => {
      if (!t.#link.released) sink.connected();
    });
    socket.connect(target);
    return t;
  }

  startRead(_buf: Uint8Array): void {
    this.#wanted = true;
    if (!this.#inData) this.#stream.resume();
  }

  stopRead(): void {
    this.#wanted = false;
    if (!this.#inData) this.#stream.pause();
  }

  write(bufs: Uint8Array | readonly Uint8Array[]): number | IoError {
    this.#link.write(bufs);
    return TRANSPORT_WRITE_PENDING;
  }

  end(): void {
    this.#stream.end();
  }

  release(): net.Socket | null {
    if (this.socket === null || this.#link.released) return null;
    this.#stream.removeListener('data', this.#onData);
    this.#link.detach();
    return this.socket;
  }

  destroy(): void {
    if (this.#link.released) return;
    this.#stream.removeListener('data', this.#onData);
    this.#link.release();
  }
}
