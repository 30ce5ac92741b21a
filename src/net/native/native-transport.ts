import * as dns from 'node:dns';
import * as net from 'node:net';
import { fromNodeError } from '../../errors/from-node-error.js';
import type { IoError } from '../../errors/io-error.js';
import { errnoError, type ErrnoEndpoint } from '../errno.js';
import { TRANSPORT_WRITE_DONE, TRANSPORT_WRITE_PENDING, type StreamSink, type StreamTransport, type TransportSocket } from '../stream-transport.js';
import { EV_CONNECT, EV_EOF, EV_READ, EV_READ_ERROR, EV_WRITE, type NativeAddon } from './native-addon.js';
import { registerNative, unregisterNative, type NativeReceiver } from './native-loop.js';

/** Accepted sockets never connect: no endpoint for an error message. */
const ACCEPTED: ErrnoEndpoint = { address: '', port: 0 };

/** The endpoints and options of a native socket, read from libuv when asked. */
class NativeSocketView implements TransportSocket {
  readonly #addon: NativeAddon;
  readonly #id: number;

  constructor(addon: NativeAddon, id: number) {
    this.#addon = addon;
    this.#id = id;
  }

  get localAddress(): string | undefined {
    return this.#address(false)?.address;
  }

  get localPort(): number | undefined {
    return this.#address(false)?.port;
  }

  get localFamily(): string | undefined {
    return this.#address(false)?.family;
  }

  get remoteAddress(): string | undefined {
    return this.#address(true)?.address;
  }

  get remotePort(): number | undefined {
    return this.#address(true)?.port;
  }

  get remoteFamily(): string | undefined {
    return this.#address(true)?.family;
  }

  setNoDelay(on: boolean): void {
    this.#addon.setNoDelay(this.#id, on);
  }

  setKeepAlive(on: boolean, delayMs: number): void {
    this.#addon.setKeepAlive(this.#id, on, Math.floor(delayMs / 1000));
  }

  #address(peer: boolean): { address: string; port: number; family: string } | undefined {
    const a = this.#addon.address(this.#id, peer);
    return typeof a === 'number' ? undefined : a;
  }
}

/**
 * The transport over the native addon (native/proactor_native.c): the
 * addon drives the libuv TCP or pipe handle itself, reads land in the
 * caller's buffer, writes try the kernel at once (`uv_try_write`) and go
 * through `uv_write` for the rest, and completions arrive in batches, one
 * JavaScript call per loop iteration (see docs/run-loop.md).
 *
 * The addon keeps reading between reads and stops only when bytes arrive
 * while no read is pending (so a socket nobody reads holds nothing beyond
 * the kernel's buffer). A read withdrawn after its bytes landed but before
 * its batch arrived keeps those bytes (copied out, delivered with the
 * batch, in order), so a cancelled read consumes nothing.
 */
export class NativeTransport implements StreamTransport, NativeReceiver {
  readonly kind = 'native' as const;
  readonly socket: TransportSocket;
  readStarts = 0;
  readonly #sink: StreamSink;
  readonly #addon: NativeAddon;
  readonly #id: number;
  readonly #endpoint: ErrnoEndpoint;
  /** The buffer registered with the addon for reads. */
  #buf: Uint8Array | null = null;
  /** A read is pending in the addon (its bytes may have landed, undelivered). */
  #wanted = false;
  /** Bytes of a withdrawn read that landed before their batch: delivered with it. */
  #stash: Buffer | null = null;
  #released = false;

  private constructor(sink: StreamSink, addon: NativeAddon, id: number, endpoint: ErrnoEndpoint) {
    this.#sink = sink;
    this.#addon = addon;
    this.#id = id;
    this.#endpoint = endpoint;
    this.socket = new NativeSocketView(addon, id);
    registerNative(id, this);
  }

  /**
   * A transport connecting to `target` (`{ host, port }` or `{ path }`);
   * `sink.connected()` or `sink.failed(err)` follows from a later callback.
   */
  static connect(sink: StreamSink, addon: NativeAddon, target: net.NetConnectOpts): NativeTransport {
    const path = (target as { path?: unknown }).path;
    const isPipe = typeof path === 'string';
    const given = (target as { host?: unknown }).host;
    const host = isPipe ? '' : typeof given === 'string' ? given : 'localhost';
    const port = isPipe ? 0 : Number((target as { port?: unknown }).port);
    const endpoint: ErrnoEndpoint = isPipe ? { path } : { address: host, port };
    const id = addon.open(isPipe);
    const t = new NativeTransport(sink, addon, id < 0 ? -1 : id, endpoint);
    if (id < 0) t.#failLater(id, 'connect');
    else if (isPipe) t.#connectTo(path, 0);
    else if (net.isIP(host) !== 0) t.#connectTo(host, port);
    else t.#resolveThenConnect(host, port);
    return t;
  }

  /** A transport over a socket the addon accepted (id from an EV_ACCEPT record). */
  static accepted(sink: StreamSink, addon: NativeAddon, id: number): NativeTransport {
    return new NativeTransport(sink, addon, id, ACCEPTED);
  }

  nativeEvent(event: number, value: number): void {
    if (this.#released) return;
    switch (event) {
      case EV_READ:
        this.#readArrived(value);
        return;
      case EV_WRITE:
        this.#sink.writeDone(value < 0 ? errnoError(value, 'write') : null);
        return;
      case EV_EOF:
        this.#wanted = false;
        this.#sink.readEnded();
        return;
      case EV_READ_ERROR:
        this.#wanted = false;
        this.#sink.failed(errnoError(value, 'read'));
        return;
      case EV_CONNECT:
        if (value < 0) this.#sink.failed(errnoError(value, 'connect', this.#endpoint));
        else this.#sink.connected();
        return;
    }
  }

  startRead(buf: Uint8Array): void {
    if (this.#released || this.#stash !== null) return; // with a stash: its batch serves this read
    this.#wanted = true;
    const same = buf === this.#buf;
    if (!same) this.#buf = buf;
    const status = this.#addon.readStart(this.#id, same ? undefined : buf);
    if (status === 1) this.readStarts++;
    else if (status < 0) {
      this.#wanted = false;
      this.#failLater(status, 'read');
    }
  }

  stopRead(): void {
    if (!this.#wanted) return;
    this.#wanted = false;
    const landed = this.#addon.readStop(this.#id);
    // Bytes already in the buffer of the withdrawn read: the caller may reuse it, so keep a copy.
    if (landed > 0) this.#stash = Buffer.from(this.#buf!.subarray(0, landed));
  }

  write(bufs: Uint8Array | readonly Uint8Array[]): number | IoError {
    const status = this.#addon.write(this.#id, bufs);
    if (status === 0) return TRANSPORT_WRITE_DONE;
    if (status === 1) return TRANSPORT_WRITE_PENDING;
    return errnoError(status, 'write');
  }

  end(): void {
    if (!this.#released) this.#addon.shutdown(this.#id);
  }

  /** The addon's socket is no Node socket: a layer above (TLS) cannot take it over, and bridges over this stream instead. */
  release(): null {
    return null;
  }

  destroy(): void {
    if (this.#released) return;
    this.#released = true;
    this.#wanted = false;
    this.#stash = null;
    this.#buf = null;
    if (this.#id >= 0) {
      unregisterNative(this.#id);
      this.#addon.close(this.#id);
    }
  }

  #readArrived(n: number): void {
    const stash = this.#stash;
    if (stash !== null) {
      this.#stash = null;
      this.#sink.readCopy(stash, 0, stash.length, true);
      return;
    }
    this.#wanted = false;
    this.#sink.readInto(this.#buf!, n);
  }

  #connectTo(hostOrPath: string, port: number): void {
    const status = this.#addon.connect(this.#id, hostOrPath, port);
    if (status < 0) this.#failLater(status, 'connect');
  }

  #resolveThenConnect(host: string, port: number): void {
    dns.lookup(host, (error, address) => {
      if (this.#released) return;
      if (error) this.#sink.failed(fromNodeError(error));
      else this.#connectTo(address, port);
    });
  }

  /** A status from a call the core made: reported from a later callback, never inside that call. */
  #failLater(status: number, syscall: string): void {
    process.nextTick(() => {
      if (!this.#released) this.#sink.failed(errnoError(status, syscall, this.#endpoint));
    });
  }
}
