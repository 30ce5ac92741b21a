import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** @internal An address as the addon reports it. */
export interface NativeAddress {
  readonly address: string;
  readonly port: number;
  readonly family: string;
}

/**
 * @internal The functions of the native transport's addon
 * (native/proactor_native.c). Ids name sockets and servers; a negative
 * number is a libuv status.
 */
export interface NativeAddon {
  /** Starts batch delivery: `deliver(count)` gets each batch; the returned array holds its records (id, event, value). */
  start(deliver: (count: number) => void): Int32Array;
  open(isPipe: boolean): number;
  connect(id: number, hostOrPath: string, port?: number): number;
  bind(hostOrPath: string, port?: number, flags?: number): number;
  listen(id: number, backlog: number): number;
  /** 0, 1 when reading was started on the handle, or a status; `buf` undefined: the buffer of the last read. */
  readStart(id: number, buf: Uint8Array | undefined): number;
  /** Bytes that landed for the withdrawn read and were not yet delivered. */
  readStop(id: number): number;
  /** 0: every byte taken; 1: an EV_WRITE record follows; or a status. */
  write(id: number, bufs: Uint8Array | readonly Uint8Array[]): number;
  shutdown(id: number): number;
  close(id: number): void;
  address(id: number, peer: boolean): NativeAddress | number;
  setNoDelay(id: number, on: boolean): number;
  setKeepAlive(id: number, on: boolean, delaySeconds: number): number;
  fileno(id: number): number;
  openHandles(): number;
  readonly batchCapacity: number;
  /** One datagram read now from descriptor `fd` into `buf` (its length, the sender in `udpFrom`), or a status (UV_EAGAIN: none waiting). */
  udpReceive?(fd: number, buf: Uint8Array): number;
  /** Sends `buf` as one datagram now (`host` '' on a connected socket): the bytes sent, or a status (UV_EAGAIN: the send buffer is full). */
  udpSend?(fd: number, buf: Uint8Array, host: string, port: number): number;
  /** The last sender `udpReceive` saw, as text. */
  udpSenderName?(): string;
  /** The last sender: family (4 or 6), port, four address words, scope id. */
  readonly udpFrom?: Int32Array;
}

/** The records' event numbers (native/proactor_native.c). */
export const EV_READ = 1;
export const EV_EOF = 2;
export const EV_READ_ERROR = 3;
export const EV_WRITE = 4;
export const EV_CONNECT = 5;
export const EV_ACCEPT = 6;

const BUILT_FILE = path.join('build', 'Release', 'proactor_native.node');
/** The binary a packed package carries for machines that cannot compile it (native/prebuild.mjs puts it there; native/addon-files.mjs names both for the scripts). */
const PREBUILT_FILE = path.join('prebuilds', `${process.platform}-${process.arch}`, 'proactor_native.node');

/** The file this code is in, as a path (from V8's call sites: works as an ES module and as CommonJS). */
function thisFile(): string | null {
  // Saved to be put back as it was, never called here.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_error, frames): unknown => frames;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, thisFile);
    const frames = holder.stack as NodeJS.CallSite[] | undefined;
    const name = frames?.[0]?.getFileName() ?? null;
    if (name === null) return null;
    return name.startsWith('file:') ? fileURLToPath(name) : name;
  } catch {
    return null;
  } finally {
    Error.prepareStackTrace = original;
  }
}

/**
 * @internal Where the addon may be, in the order to try: `PROACTOR_NATIVE_ADDON`
 * alone when set; else, in the nearest folder above `file` that has either,
 * the addon built at install (made for this machine), then the prebuilt one.
 */
export function addonCandidates(file: string | null, override = process.env.PROACTOR_NATIVE_ADDON): string[] {
  if (override !== undefined && override !== '') return [path.resolve(override)];
  if (file === null) return [];
  let dir = path.dirname(file);
  for (let i = 0; i < 5; i++) {
    const found = [BUILT_FILE, PREBUILT_FILE].map((f) => path.join(dir, f)).filter((f) => fs.existsSync(f));
    if (found.length > 0) return found;
    dir = path.dirname(dir);
  }
  return [];
}

let loaded = false;
let addon: NativeAddon | null = null;
let failure = '';

function load(): void {
  loaded = true;
  const candidates = addonCandidates(thisFile());
  if (candidates.length === 0) {
    failure = `the native addon is not built (no ${BUILT_FILE}: the install could not compile it, see the install output; and no ${PREBUILT_FILE})`;
    return;
  }
  const reasons: string[] = [];
  for (const file of candidates) {
    try {
      const required = createRequire(file)(file) as NativeAddon;
      if (typeof required.start !== 'function') throw new Error('it is not the proactor addon');
      addon = required;
      return;
    } catch (error) {
      reasons.push(`the native addon at ${file} does not load: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  failure = reasons.join('; ');
}

/** @internal The addon, or `null` where it is not built or does not load (`nativeAddonFailure()` says why). */
export function nativeAddon(): NativeAddon | null {
  if (!loaded) load();
  return addon;
}

/** @internal Why `nativeAddon()` is `null` ('' when it loaded). */
export function nativeAddonFailure(): string {
  if (!loaded) load();
  return failure;
}
