import type * as dgram from 'node:dgram';
import type { IoError } from '../errors/io-error.js';
import { errnoError } from './errno.js';
import { publishTransportFallback } from './transport-diagnostics.js';

/** The methods of Node's UDP handle (`UDPWrap`) this file uses, as every supported Node line has them. */
interface UdpHandle {
  send(req: object, list: Uint8Array[], count: number, port: number, address: string, hasCallback: boolean): number;
  send(req: object, list: Uint8Array[], count: number, hasCallback: boolean): number;
  onmessage: unknown;
  readonly fd?: number;
}

/** Node's `SendWrap` request: made by `new`, completed through `oncomplete(status)` when the send went asynchronous. */
interface SendRequest {
  oncomplete: ((this: SendRequest, status: number) => void) | null;
}

type SendRequestClass = new () => SendRequest;

/** @internal What a datagram handle reports: a datagram, a receive error, an asynchronous send's end. */
export interface DatagramHandleSink {
  message(msg: Buffer, rinfo: dgram.RemoteInfo): void;
  failed(err: IoError): void;
  sendDone(err: IoError | null): void;
}

/** @internal `send` result: the kernel took the datagram within the call. */
export const DATAGRAM_SENT = 0;
/** @internal `send` result: the datagram is queued; `sink.sendDone` follows once. */
export const DATAGRAM_PENDING = 1;

const NO_BYTES = new Uint8Array(0);

/** Learned once per process from the first send Node itself makes (see `learnSendRequest`). */
let SendWrap: SendRequestClass | null = null;
/** Whether this process has a handle shape the fast path cannot use. */
let unusable = false;
let disabled = false;

/** @internal Turns the handle path off (true) or back on, for tests of the node:dgram path. */
export function disableDatagramHandle(off: boolean): void {
  disabled = off;
}

function stateOf(s: dgram.Socket): { handle?: unknown } | null {
  for (const sym of Object.getOwnPropertySymbols(s)) {
    if (sym.description !== 'state symbol') continue;
    const state = (s as unknown as Record<symbol, unknown>)[sym];
    if (typeof state === 'object' && state !== null) return state;
  }
  return null;
}

function handleOf(s: dgram.Socket): UdpHandle | null {
  const handle = stateOf(s)?.handle as Partial<UdpHandle> | null | undefined;
  if (typeof handle !== 'object' || handle === null) return null;
  if (typeof handle.send !== 'function' || typeof handle.onmessage !== 'function') return null;
  return handle as UdpHandle;
}

function giveUp(reason: string): null {
  unusable = true;
  publishTransportFallback('udp', reason);
  return null;
}

/**
 * @internal Node's UDP handle under one bound `dgram.Socket`, driven
 * directly: every use of Node internals for datagrams lives here, as
 * `HandleTransport` holds them for streams. Why: node:dgram's public path
 * costs per datagram an event emit, a `dns.lookup` tick before every
 * `send` to an address, a request object, an array and a tick for the send
 * callback; the handle takes the datagram in one call and says when the
 * kernel took it at once. What arrives is the datagram Node read (one
 * Buffer per datagram, Node's own), given to the sink as it is.
 *
 * `attach` returns null (and the core keeps node:dgram's public API)
 * where the handle is not the shape every supported Node line has, or the
 * request class is not learned yet; that fallback is published once on
 * `proactor:transport`.
 */
export class DatagramHandle {
  readonly #handle: UdpHandle;
  readonly #sink: DatagramHandleSink;
  /** One request reused while no asynchronous send holds it. */
  #req: SendRequest | null = null;
  /** The buffer list handed to the handle: read within the call, so one array serves every send. */
  readonly #list: Uint8Array[] = [NO_BYTES];
  #live = true;

  private constructor(handle: UdpHandle, sink: DatagramHandleSink) {
    this.#handle = handle;
    this.#sink = sink;
    handle.onmessage = (nread: number, _wrap: unknown, buf: Buffer, rinfo: dgram.RemoteInfo): void => {
      if (!this.#live) return;
      if (nread < 0) this.#sink.failed(errnoError(nread, 'recvmsg'));
      else this.#sink.message(buf, rinfo);
    };
  }

  /** The handle of bound socket `s`, with its receives going to `sink`; null where the fast path cannot be used. */
  static attach(s: dgram.Socket, sink: DatagramHandleSink): DatagramHandle | null {
    if (disabled || unusable || SendWrap === null) return null;
    const handle = handleOf(s);
    if (handle === null) return giveUp('the dgram socket has no UDP handle of the known shape: node:dgram public API');
    return new DatagramHandle(handle, sink);
  }

  /** Whether `attach` can succeed in this process now (the request class is learned, the path not turned off). */
  static ready(): boolean {
    return !disabled && !unusable && SendWrap !== null;
  }

  /** Whether a send made now through node:dgram should teach this process the request class. */
  static wantsLesson(): boolean {
    return !disabled && !unusable && SendWrap === null;
  }

  /**
   * Watches the next send Node makes on `s` (one that is about to happen)
   * and keeps the class of the request it passes: Node's `SendWrap`, which
   * no public module exports.
   */
  static learnSendRequest(s: dgram.Socket): void {
    const handle = handleOf(s);
    if (handle === null) {
      giveUp('the dgram socket has no UDP handle of the known shape: node:dgram public API');
      return;
    }
    const own = handle as unknown as { send: (...args: unknown[]) => number };
    // A udp6 handle has its own `send` (Node sets send6 there): put back exactly what was.
    const hadOwn = Object.hasOwn(handle, 'send');
    const original = own.send;
    own.send = function watchedSend(this: unknown, ...args: unknown[]): number {
      if (hadOwn) own.send = original;
      else delete (handle as unknown as Record<string, unknown>).send;
      const req = args[0];
      if (SendWrap === null && typeof req === 'object' && req !== null && typeof req.constructor === 'function') {
        SendWrap = req.constructor as SendRequestClass;
      }
      return original.apply(this, args);
    };
  }

  /**
   * Sends `buf` (to `address:port`, or to the connected peer when
   * `address` is empty): `DATAGRAM_SENT`, `DATAGRAM_PENDING` (then
   * `sink.sendDone`), or the `IoError` of a refused send (`message_size` …).
   */
  send(buf: Uint8Array, address: string, port: number): number | IoError {
    let req = this.#req;
    if (req === null) req = this.#newRequest();
    const list = this.#list;
    list[0] = buf;
    const status = address === '' ? this.#handle.send(req, list, 1, true) : this.#handle.send(req, list, 1, port, address, true);
    list[0] = NO_BYTES; // the handle read the list within the call; the op keeps the buffer alive meanwhile
    if (status > 0) return DATAGRAM_SENT; // Node's sign of a synchronous send: bytes + 1
    if (status < 0) return errnoError(status, 'send', address === '' ? undefined : { address, port });
    // Queued: the request belongs to the handle until it completes.
    this.#req = null;
    return DATAGRAM_PENDING;
  }

  /** The socket's descriptor (-1 where the handle does not tell it). */
  fd(): number {
    const fd = this.#handle.fd;
    return typeof fd === 'number' ? fd : -1;
  }

  /** No sink call follows (the socket is being closed). */
  detach(): void {
    this.#live = false;
  }

  #newRequest(): SendRequest {
    const req = new SendWrap!();
    req.oncomplete = (status: number): void => {
      if (this.#req === null) this.#req = req; // free again for the next send
      if (this.#live) this.#sink.sendDone(status < 0 ? errnoError(status, 'send') : null);
    };
    this.#req = req;
    return req;
  }
}
