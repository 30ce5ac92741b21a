import { describeValue } from '../errors/describe-value.js';
import { IoError } from '../errors/io-error.js';
import { nativeAddonFailure } from './native/native-addon.js';
import { nativeLoop } from './native/native-loop.js';
import type { NativeAddon } from './native/native-addon.js';
import type { TransportKind } from './stream-transport.js';
import { publishTransportFallback } from './transport-diagnostics.js';

const KINDS: readonly string[] = ['native', 'handle', 'chunk'];

let chosen: TransportKind | null = null;

/**
 * The transport of the sockets proactor connects or accepts when none is
 * asked for: `PROACTOR_TRANSPORT` (`native`, `handle` or `chunk`) if set,
 * else `'native'` where the addon is built and loads, else `'handle'`, and
 * then one message on the `proactor:transport` diagnostics channel (and in
 * `transportFallbacks()`) says why the native transport is not used.
 *
 * @example
 * ```ts
 * console.log(`proactor sockets use the ${defaultTransport()} transport`);
 * for (const { what, reason } of transportFallbacks()) console.log(`${what}: ${reason}`);
 * ```
 *
 * @category Stream sockets
 */
export function defaultTransport(): TransportKind {
  if (chosen !== null) return chosen;
  const forced = process.env.PROACTOR_TRANSPORT;
  if (forced !== undefined && forced !== '') {
    if (!KINDS.includes(forced)) {
      throw new TypeError(`PROACTOR_TRANSPORT must be 'native', 'handle' or 'chunk', got ${describeValue(forced)}`);
    }
    chosen = forced as TransportKind;
  } else if (nativeLoop() !== null) {
    chosen = 'native';
  } else {
    chosen = 'handle';
    publishTransportFallback('native transport', `${nativeAddonFailure()}; sockets use the handle transport`);
  }
  return chosen;
}

/** @internal Checks a `transport` option (absent: `undefined`). */
export function transportOption(options: unknown, what: string): TransportKind | undefined {
  if (typeof options !== 'object' || options === null) return undefined;
  const value = (options as { transport?: unknown }).transport;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !KINDS.includes(value)) {
    throw new TypeError(`${what}: transport must be 'native', 'handle' or 'chunk', got ${describeValue(value)}`);
  }
  return value as TransportKind;
}

/** @internal The addon when `kind` is `'native'` (throws where it does not load), else `null`. */
export function nativeAddonFor(kind: TransportKind, what: string): NativeAddon | null {
  if (kind !== 'native') return null;
  const addon = nativeLoop();
  if (addon === null) throw new IoError('invalid_argument', `${what}: the native transport was asked for, but ${nativeAddonFailure()}`);
  return addon;
}
