import { nativeAddon, type NativeAddon } from './native-addon.js';

/** @internal What receives the records the addon delivers for one id (a socket's transport, a server). */
export interface NativeReceiver {
  nativeEvent(event: number, value: number): void;
}

/**
 * The receivers by id and the record array, kept on the addon object: Node
 * loads an addon once per thread, so every copy of this module in a thread
 * (module registries of a test runner, two bundles) shares one table.
 */
interface SharedLoop {
  readonly receivers: (NativeReceiver | null)[];
  records: Int32Array;
}

const SHARED = Symbol.for('proactor.nativeLoop');

let started: NativeAddon | null = null;
let receivers: (NativeReceiver | null)[] = [];

/**
 * One batch: the libuv callbacks of one loop iteration, in order, each
 * record handed to the receiver of its id. A receiver that throws does not
 * lose the rest of the batch: the first exception is rethrown at the end
 * (the addon reports it as an uncaught exception, as Node does for a
 * throwing callback).
 */
function deliver(shared: SharedLoop, count: number): void {
  const r = shared.records;
  const table = shared.receivers;
  let i = 0;
  let failed = false;
  let first: unknown = null;
  while (i < count) {
    try {
      for (; i < count; ) {
        const k = 3 * i++;
        const receiver = table[r[k]!];
        if (receiver != null) receiver.nativeEvent(r[k + 1]!, r[k + 2]!);
      }
    } catch (error) {
      if (!failed) first = error;
      failed = true;
    }
  }
  if (failed) throw first;
}

/** @internal The addon with batch delivery started (once per thread), or `null` where it does not load. */
export function nativeLoop(): NativeAddon | null {
  if (started !== null) return started;
  const addon = nativeAddon();
  if (addon === null) return null;
  const holder = addon as unknown as { [SHARED]?: SharedLoop };
  let shared = holder[SHARED];
  if (shared === undefined) {
    const fresh: SharedLoop = { receivers: [], records: new Int32Array(0) };
    fresh.records = addon.start((count: number) => {
      deliver(fresh, count);
    });
    Object.defineProperty(addon, SHARED, { value: fresh });
    shared = fresh;
  }
  receivers = shared.receivers;
  started = addon;
  return addon;
}

/** @internal Routes the records of `id` to `receiver` until `unregister(id)`. */
export function registerNative(id: number, receiver: NativeReceiver): void {
  while (receivers.length <= id) receivers.push(null);
  receivers[id] = receiver;
}

/** @internal Records still to come for `id` are dropped (the id is closed). */
export function unregisterNative(id: number): void {
  if (id < receivers.length) receivers[id] = null;
}
