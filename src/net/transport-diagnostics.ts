import { transportChannel, type TransportFallbackMessage } from '../diagnostics/channels.js';

const published = new Set<string>();

/**
 * @internal Says, once per process and part, that the handle transport fell
 * back to a public-API path (so it is never silent): on the
 * `proactor:transport` diagnostics channel, and in `transportFallbacks()`.
 */
export function publishTransportFallback(what: string, reason: string): void {
  if (published.has(what)) return;
  published.add(what);
  fallbacks.push({ what, reason });
  if (transportChannel.hasSubscribers) transportChannel.publish({ what, reason } satisfies TransportFallbackMessage);
}

const fallbacks: TransportFallbackMessage[] = [];

/**
 * The fallbacks the handle transport has made in this process (see
 * `CHANNELS.transport`); empty where every fast path works.
 *
 * @example
 * ```ts
 * for (const { what, reason } of transportFallbacks()) console.warn(`${what}: ${reason}`);
 * ```
 *
 * @category Diagnostics
 */
export function transportFallbacks(): readonly TransportFallbackMessage[] {
  return fallbacks;
}
