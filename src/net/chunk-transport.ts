import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { fromNodeError } from '../errors/from-node-error.js';
import type { IoError } from '../errors/io-error.js';
import { TRANSPORT_WRITE_PENDING, type StreamSink, type StreamTransport } from './stream-transport.js';

function swallowError(): void {
  // A stream we have let go of may still report an error while it closes.
}

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
  readonly #sink: StreamSink;
  #wanted = false;
  #inData = false;
  #destroyed = false;

  readonly #onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.#wanted = false;
    this.#inData = true;
    try {
      this.#sink.readCopy(bytes, 0, bytes.length, true);
    } finally {
      this.#inData = false;
    }
    if (!this.#wanted && !this.#destroyed) this.#stream.pause();
  };

  readonly #onEnd = (): void => {
    this.#sink.readEnded();
  };

  readonly #onError = (error: Error): void => {
    this.#sink.failed(fromNodeError(error));
  };

  readonly #onClose = (): void => {
    this.#sink.closed();
  };

  readonly #onWriteDone = (error?: Error | null): void => {
    if (!this.#destroyed) this.#sink.writeDone(error ? fromNodeError(error) : null);
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
    stream.on('end', this.#onEnd);
    stream.on('error', this.#onError);
    stream.on('close', this.#onClose);
    stream.on('data', this.#onData);
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
    const stream = this.#stream;
    if (bufs instanceof Uint8Array) {
      stream.write(bufs, this.#onWriteDone);
      return TRANSPORT_WRITE_PENDING;
    }
    let last = bufs.length - 1;
    while (bufs[last]!.length === 0) last--;
    stream.cork();
    for (let i = 0; i < last; i++) {
      const b = bufs[i]!;
      if (b.length !== 0) stream.write(b);
    }
    stream.write(bufs[last]!, this.#onWriteDone);
    stream.uncork();
    return TRANSPORT_WRITE_PENDING;
  }

  end(): void {
    this.#stream.end();
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    const stream = this.#stream;
    stream.removeListener('end', this.#onEnd);
    stream.removeListener('error', this.#onError);
    stream.removeListener('close', this.#onClose);
    stream.removeListener('data', this.#onData);
    stream.on('error', swallowError);
    stream.destroy();
  }
}
