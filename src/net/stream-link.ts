import type { Duplex } from 'node:stream';
import { fromNodeError } from '../errors/from-node-error.js';
import type { StreamSink } from './stream-transport.js';

function swallowError(): void {
  // A stream we have let go of may still report an error while it closes.
}

/**
 * @internal What both transports do with the Node stream under them (a
 * `net.Socket`, a `tls.TLSSocket`, any Duplex): report its end, errors and
 * close to the sink, write through it with the completion reported as
 * `writeDone`, end it, and let go of it. Each transport adds only how its
 * reads arrive (and, for the handle transport, its handle writes).
 */
export class StreamLink {
  readonly stream: Duplex;
  readonly #sink: StreamSink;
  readonly #beforeEnd: (() => void) | null;
  #released = false;

  readonly #onEnd = (): void => {
    this.#beforeEnd?.();
    this.#sink.readEnded();
  };

  readonly #onError = (error: Error): void => {
    this.#beforeEnd?.();
    this.#sink.failed(fromNodeError(error));
  };

  readonly #onClose = (): void => {
    this.#beforeEnd?.();
    this.#sink.closed();
  };

  readonly #onWriteDone = (error?: Error | null): void => {
    if (!this.#released) this.#sink.writeDone(error ? fromNodeError(error) : null);
  };

  /** `beforeEnd`: the transport hands over bytes it still holds before the sink hears of an end, error or close. */
  constructor(sink: StreamSink, stream: Duplex, beforeEnd: (() => void) | null = null) {
    this.#sink = sink;
    this.#beforeEnd = beforeEnd;
    this.stream = stream;
    stream.on('end', this.#onEnd);
    stream.on('error', this.#onError);
    stream.on('close', this.#onClose);
  }

  /** Whether `release()` was called: nothing reaches the sink any more. */
  get released(): boolean {
    return this.#released;
  }

  /** Writes `bufs` through the stream (an array corked into one gathered write); `sink.writeDone` follows once. */
  write(bufs: Uint8Array | readonly Uint8Array[]): void {
    const stream = this.stream;
    if (bufs instanceof Uint8Array) {
      stream.write(bufs, this.#onWriteDone);
      return;
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
  }

  /** Stops reporting to the sink and leaves the stream open (a layer above takes it over). */
  detach(): void {
    if (this.#released) return;
    this.#released = true;
    const stream = this.stream;
    stream.removeListener('end', this.#onEnd);
    stream.removeListener('error', this.#onError);
    stream.removeListener('close', this.#onClose);
  }

  /** Lets go of the stream at once: our listeners go, a late error is swallowed, the stream is destroyed. */
  release(): void {
    if (this.#released) return;
    this.detach();
    this.stream.on('error', swallowError);
    this.stream.destroy();
  }
}
