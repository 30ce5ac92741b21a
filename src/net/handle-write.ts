/**
 * @internal Writes issued straight on a libuv stream handle (`socket._handle`),
 * the way reads already are, instead of through `net.Socket.write`.
 *
 * Why: `net.Socket.write` makes several objects per call (the writable
 * stream's request records, an after-write record, a `process.nextTick`
 * callback) and reports even a write the kernel took at once one tick
 * later. A handle write the kernel takes at once makes nothing.
 *
 * Node's `StreamBase` has spoken two protocols for this:
 *
 * - `request` (Node 20 and 22): the caller passes a request object of
 *   Node's internal `WriteWrap` class. If the kernel took every byte,
 *   nothing else happens and the request is left untouched; otherwise it is
 *   attached to a native write, `req.getAsyncId()` stops returning -1, and
 *   libuv later calls `req.oncomplete(status)`. One request is reused for
 *   every write that completes at once.
 * - `null-request` (Node 24 and later): the caller passes `null`. A write
 *   the kernel took at once returns a number (0, or a negative libuv
 *   error); a write that went asynchronous returns the `WriteWrap` Node made
 *   for it, whose `oncomplete` the caller sets (and whose `writeStatus`
 *   already holds the status if it finished inside the call).
 *
 * Neither class nor protocol is public, and the binding that exports
 * `WriteWrap` prints a deprecation warning under `--pending-deprecation`.
 * So the protocol is learned from the first write Node itself makes through
 * a handle: for that one `net.Socket.write` the handle's write methods are
 * wrapped where the handle inherits them from, the request argument Node
 * passes (an object, or `null`) tells the protocol, and the methods are
 * restored before the write returns. Until then, and on a Node where
 * neither protocol is seen, sockets write through `net.Socket.write`, and
 * one message on the `proactor:transport` diagnostics channel says so.
 */
import * as os from 'node:os';
import { publishTransportFallback } from './transport-diagnostics.js';

/** The parts of Node's write request object used here. */
export interface NativeWriteReq {
  /** Called by Node when an asynchronous write finishes; `this` is the request. */
  oncomplete: ((this: NativeWriteReq, status: number) => void) | undefined;
  /** The owner's completion callback. */
  done: (status: number) => void;
  /** Keeps the bytes of an asynchronous write alive until it finishes. */
  buffer: unknown;
  /** Node 24+: the status of a write that finished before `oncomplete` was set, else `null`. */
  writeStatus?: number | null;
  /** The async id while a native write is attached, -1 when the request is free. */
  getAsyncId(): number;
}

/** The write methods of a libuv stream handle. */
export interface NativeWriteHandle {
  writeBuffer(req: NativeWriteReq | null, buf: Uint8Array): number | NativeWriteReq;
  writev(req: NativeWriteReq | null, bufs: readonly Uint8Array[], allBuffers: boolean): number | NativeWriteReq;
}

/** Which handle-write protocol this Node speaks; `unknown` until learned, `none` when neither was seen. */
export type HandleWriteProtocol = 'unknown' | 'request' | 'null-request' | 'none';

type WriteReqClass = new () => NativeWriteReq;

/** How many writes may be used to learn the protocol before giving up. */
const CAPTURE_ATTEMPTS = 3;

let protocol: HandleWriteProtocol = 'unknown';
let writeReqClass: WriteReqClass | null = null;
let captureAttempts = 0;

/** The protocol learned so far. */
export function handleWriteProtocol(): HandleWriteProtocol {
  return protocol;
}

function onWriteReqComplete(this: NativeWriteReq, status: number): void {
  this.buffer = null;
  this.done(status);
}

function noteWriteReq(req: unknown): void {
  if (protocol !== 'unknown') return;
  if (req === null) {
    protocol = 'null-request';
    return;
  }
  if (typeof req !== 'object') return;
  const cls: unknown = (req as { constructor?: unknown }).constructor;
  if (typeof cls !== 'function') return;
  try {
    const probe = new (cls as WriteReqClass)();
    if (typeof probe.getAsyncId === 'function' && probe.getAsyncId() === -1) {
      writeReqClass = cls as WriteReqClass;
      protocol = 'request';
    }
  } catch {
    // Not constructible from JavaScript on this Node: keep writing through net.Socket.
  }
}

/** Whether handle writes are available (the protocol is known). */
export function nativeWritesReady(): boolean {
  return protocol === 'request' || protocol === 'null-request';
}

/** Whether the next stream write should try to learn the protocol. */
export function shouldCaptureWriteReq(): boolean {
  return protocol === 'unknown';
}

/**
 * Runs `write` (a synchronous `net.Socket.write` on a connected socket whose
 * handle is `handle`) with the handle's write methods wrapped so that the
 * request argument Node passes reveals the protocol. The methods are
 * restored before this returns, whatever happens.
 */
export function captureWriteReqDuring(handle: object, write: () => void): void {
  captureAttempts++;
  const proto = ownerOf(handle, 'writeBuffer');
  const writeBuffer = proto?.writeBuffer;
  const writev = proto?.writev;
  let wrapped = false;
  if (proto !== null && typeof writeBuffer === 'function' && typeof writev === 'function' && Object.hasOwn(proto, 'writev')) {
    try {
      proto.writeBuffer = function (this: unknown, req: unknown, buf: unknown): unknown {
        noteWriteReq(req);
        return Reflect.apply(writeBuffer, this, [req, buf]) as unknown;
      };
      proto.writev = function (this: unknown, req: unknown, bufs: unknown, allBuffers: unknown): unknown {
        noteWriteReq(req);
        return Reflect.apply(writev, this, [req, bufs, allBuffers]) as unknown;
      };
      wrapped = true;
    } catch {
      // A frozen prototype: no capture this time.
    }
  }
  try {
    write();
  } finally {
    if (wrapped) {
      proto!.writeBuffer = writeBuffer;
      proto!.writev = writev;
    }
    if (protocol === 'unknown' && captureAttempts >= CAPTURE_ATTEMPTS) {
      protocol = 'none';
      publishTransportFallback('handle writes', `no known handle-write protocol on Node ${process.versions.node}: writes go through net.Socket.write`);
    }
  }
}

/** The object on `obj`'s prototype chain that has `name` as its own property. */
function ownerOf(obj: object, name: string): Record<string, unknown> | null {
  for (let p = Object.getPrototypeOf(obj) as object | null; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    if (Object.hasOwn(p, name)) return p as Record<string, unknown>;
  }
  return null;
}

function ignoreStatus(): void {
  // The write belonged to a handle its owner has let go of.
}

/** What `HandleWriter.write` returns when every byte is in the kernel. */
export const WRITE_DONE = 0;
/** What `HandleWriter.write` returns when libuv finishes the write later and calls `done`. */
export const WRITE_PENDING = 1;

/**
 * One socket's handle writes, in either protocol: `write` returns
 * `WRITE_DONE`, `WRITE_PENDING` (then `done(status)` follows once) or a
 * negative libuv status. Requires `nativeWritesReady()`.
 */
export class HandleWriter {
  /** The `request` protocol's reused request (null until the first write, or while the last is still attached). */
  #req: NativeWriteReq | null = null;
  /** `#req` went asynchronous since it was last known to be free. */
  #reqUsed = false;
  /** The request of the asynchronous write in flight, to retire it if its owner lets go. */
  #inFlight: NativeWriteReq | null = null;
  #done: (status: number) => void;

  constructor(done: (status: number) => void) {
    this.#done = done;
  }

  write(handle: NativeWriteHandle, bufs: Uint8Array | readonly Uint8Array[]): number {
    if (protocol === 'request') return this.#writeWithRequest(handle, bufs);
    const ret = bufs instanceof Uint8Array ? handle.writeBuffer(null, bufs) : handle.writev(null, bufs, true);
    if (typeof ret === 'number') return ret === 0 ? WRITE_DONE : ret;
    // Asynchronous: Node made a request for this write; it reports through oncomplete.
    if (ret.getAsyncId() === -1) return -os.constants.errno.EPIPE; // already released: the write failed after a partial write
    ret.done = this.#done;
    ret.buffer = bufs;
    ret.oncomplete = onWriteReqComplete;
    this.#inFlight = ret;
    const status = ret.writeStatus;
    if (typeof status === 'number') {
      ret.writeStatus = null;
      ret.buffer = null;
      this.#inFlight = null;
      return status < 0 ? status : WRITE_DONE;
    }
    return WRITE_PENDING;
  }

  #writeWithRequest(handle: NativeWriteHandle, bufs: Uint8Array | readonly Uint8Array[]): number {
    let req = this.#req;
    if (req === null || (this.#reqUsed && req.getAsyncId() !== -1)) {
      req = new writeReqClass!();
      req.oncomplete = onWriteReqComplete;
      req.done = this.#done;
      req.buffer = null;
      this.#req = req;
    }
    this.#reqUsed = false;
    const status = bufs instanceof Uint8Array ? (handle.writeBuffer(req, bufs) as number) : (handle.writev(req, bufs, true) as number);
    if (status === 0 && req.getAsyncId() !== -1) {
      // The kernel did not take every byte: libuv finishes the write and calls back.
      req.buffer = bufs;
      this.#reqUsed = true;
      this.#inFlight = req;
      return WRITE_PENDING;
    }
    return status === 0 ? WRITE_DONE : status;
  }

  /** A write finished asynchronously: it no longer needs retiring. */
  settled(): void {
    this.#inFlight = null;
  }

  /** The owner lets go (a new connection, or close): a completion still to come is ignored. */
  retire(): void {
    const req = this.#inFlight;
    if (req !== null) req.done = ignoreStatus;
    this.#inFlight = null;
    if (this.#req !== null) this.#req.done = ignoreStatus;
    this.#req = null;
    this.#reqUsed = false;
  }
}
