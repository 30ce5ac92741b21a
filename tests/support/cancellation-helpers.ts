import type * as net from 'node:net';
import type { BasicStreamSocket, Handler } from '../../src/index.js';
import { pattern } from './net-helpers.js';

export { connectedPair } from './net-helpers.js';

/**
 * Resolves once `predicate()` holds, checking after each turn of the event
 * loop; rejects after `limitMs` (a generous bound, only there so a broken
 * test fails instead of hanging).
 */
export function until(predicate: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (predicate()) resolve();
      else if (Date.now() - start > limitMs) reject(new Error(`timed out waiting for ${what}`));
      else setImmediate(check);
    };
    check();
  });
}

/**
 * How many bytes one write must hold so that, with the peer not reading, it
 * cannot all be taken by the kernel at once and stays in progress (Linux on
 * loopback absorbs a few MiB: the send buffer, at most `tcp_wmem` max, 4 MiB
 * by default, plus a receive window that does not grow while the peer
 * application reads nothing).
 */
export const STUCK_WRITE_SIZE = 16 * 1024 * 1024;

/** `size` bytes of a repeating pseudo-random pattern, cheap to make at any size. */
export function bulk(size: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(size);
  b.fill(pattern(65_521, seed)); // a prime period, so chunk boundaries never line up with it
  return b;
}

/** Everything a node:net socket receives, as it arrives (it starts reading now, even if paused). */
export function received(peer: net.Socket): { bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  peer.on('data', (d: Buffer) => chunks.push(d));
  peer.resume();
  return { bytes: () => Buffer.concat(chunks) };
}

/**
 * A write stream over a stream socket that writes at most `chunk` bytes per
 * `asyncWriteSome` (as a stream with a small send window would), and calls
 * `onStep(step)` right after starting each one, while it is in flight. The
 * handler is passed through untouched, so what it carries (allocator,
 * cancellation slot) reaches the socket.
 */
export class ChunkingStream {
  steps = 0;
  readonly #socket: BasicStreamSocket;
  readonly #chunk: number;
  readonly #onStep: (step: number) => void;

  constructor(socket: BasicStreamSocket, chunk: number, onStep: (step: number) => void = () => undefined) {
    this.#socket = socket;
    this.#chunk = chunk;
    this.#onStep = onStep;
  }

  asyncWriteSome(bufs: Uint8Array | readonly Uint8Array[], handler: Handler<[number]>): void {
    const buf = bufs instanceof Uint8Array ? bufs : Buffer.concat(bufs);
    this.#socket.asyncWriteSome(buf.subarray(0, Math.min(buf.length, this.#chunk)), handler);
    this.#onStep(++this.steps);
  }
}

/**
 * A read stream over a stream socket that calls `onRead(offset)` right after
 * starting each `asyncReadSome`, while it is pending; `offset` is where in
 * `base` the read lands, so a test knows how many bytes came before it.
 */
export class WatchingStream {
  readonly #socket: BasicStreamSocket;
  readonly #base: Uint8Array;
  readonly #onRead: (offset: number) => void;

  constructor(socket: BasicStreamSocket, base: Uint8Array, onRead: (offset: number) => void) {
    this.#socket = socket;
    this.#base = base;
    this.#onRead = onRead;
  }

  asyncReadSome(buf: Uint8Array, handler: Handler<[number]>): void {
    this.#socket.asyncReadSome(buf, handler);
    this.#onRead(buf.length === 0 ? -1 : buf.byteOffset - this.#base.byteOffset);
  }
}
