/**
 * @internal Writes issued straight on a libuv stream handle (`socket._handle`),
 * the way reads already are, instead of through `net.Socket.write`.
 *
 * Why: `net.Socket.write` makes several objects per call (the writable
 * stream's request records, the write request, an after-write record and a
 * `process.nextTick` callback), and reports even a write the kernel took at
 * once one tick later. A handle write with a reused request object makes
 * nothing when the kernel takes every byte, which is the common case.
 *
 * How a handle write behaves (Node's `StreamBase`):
 * - `handle.writeBuffer(req, buf)` / `handle.writev(req, bufs, true)` first
 *   try to write synchronously. A negative return value is a libuv error.
 * - If the kernel took every byte, nothing else happens: the request object
 *   is left untouched and no callback follows.
 * - Otherwise the request object is attached to a native write request,
 *   libuv finishes the write from the event loop and calls
 *   `req.oncomplete(status)` (with `this === req`), and the native part is
 *   released after that call returns. While attached, `req.getAsyncId()`
 *   returns the request's async id; detached, it returns -1. That is how the
 *   two cases are told apart, and how a request is known to be reusable.
 *
 * The request class is Node's internal `WriteWrap`. It is not exported, and
 * the binding that has it (`process.binding('stream_wrap')`) prints a
 * deprecation warning under `--pending-deprecation`, so it is taken from
 * the first write Node makes through a socket's handle instead: for that one
 * write the handle's write methods are wrapped where the handle inherits them from, the
 * request Node passes in reveals its class, and the methods are restored
 * before the write returns. Until that succeeds (or if it never does, on a
 * Node whose internals differ), sockets write through `net.Socket.write`.
 */

/** The parts of Node's write request object this module uses. */
export interface NativeWriteReq {
  /** Called by Node when an asynchronous write finishes; `this` is the request. */
  oncomplete: (this: NativeWriteReq, status: number) => void;
  /** The owner's completion callback. */
  done: (status: number) => void;
  /** Keeps the bytes of an asynchronous write alive until it finishes. */
  buffer: unknown;
  /** The async id while a native write is attached, -1 when the request is free. */
  getAsyncId(): number;
}

/** The write methods of a libuv stream handle. */
export interface NativeWriteHandle {
  writeBuffer(req: NativeWriteReq, buf: Uint8Array): number;
  writev(req: NativeWriteReq, bufs: readonly Uint8Array[], allBuffers: boolean): number;
}

type WriteReqClass = new () => NativeWriteReq;

/** How many writes may be used to find the request class before giving up. */
const CAPTURE_ATTEMPTS = 3;

let writeReqClass: WriteReqClass | null = null;
let captureAttempts = 0;

function onWriteReqComplete(this: NativeWriteReq, status: number): void {
  this.buffer = null;
  this.done(status);
}

function noteWriteReq(req: unknown): void {
  if (writeReqClass !== null || typeof req !== 'object' || req === null) return;
  const cls: unknown = (req as { constructor?: unknown }).constructor;
  if (typeof cls !== 'function') return;
  try {
    const probe = new (cls as WriteReqClass)();
    if (typeof probe.getAsyncId === 'function' && probe.getAsyncId() === -1) writeReqClass = cls as WriteReqClass;
  } catch {
    // Not constructible from JavaScript on this Node: keep writing through net.Socket.
  }
}

/** Whether handle writes are available (the request class is known). */
export function nativeWritesReady(): boolean {
  return writeReqClass !== null;
}

/** Whether `writeThroughStream` should try to learn the request class this time. */
export function shouldCaptureWriteReq(): boolean {
  return writeReqClass === null && captureAttempts < CAPTURE_ATTEMPTS;
}

/**
 * Runs `write` (a synchronous `net.Socket.write` on a connected socket whose
 * handle is `handle`) with the handle's write methods wrapped so that the
 * request Node creates reveals its class. The methods are restored before
 * this returns, whatever happens.
 */
export function captureWriteReqDuring(handle: object, write: () => void): void {
  captureAttempts++;
  const proto = ownerOf(handle, 'writeBuffer');
  const writeBuffer = proto?.writeBuffer;
  const writev = proto?.writev;
  if (proto === null || typeof writeBuffer !== 'function' || typeof writev !== 'function' || !Object.hasOwn(proto, 'writev')) {
    write();
    return;
  }
  let wrapped = false;
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
  try {
    write();
  } finally {
    if (wrapped) {
      proto.writeBuffer = writeBuffer;
      proto.writev = writev;
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

/** A new, free request whose `oncomplete` calls `done`. Requires `nativeWritesReady()`. */
export function newWriteReq(done: (status: number) => void): NativeWriteReq {
  const req = new writeReqClass!();
  req.oncomplete = onWriteReqComplete;
  req.done = done;
  req.buffer = null;
  return req;
}

function ignoreStatus(): void {
  // The write belonged to a handle its owner has let go of.
}

/** Detaches `req` from its owner: a completion still to come for it is ignored. */
export function retireWriteReq(req: NativeWriteReq): void {
  req.done = ignoreStatus;
}
