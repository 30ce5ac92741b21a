import diagnosticsChannel from 'node:diagnostics_channel';
import type { AllocatorStats } from '../allocation/allocator.js';

/**
 * The `node:diagnostics_channel` names proactor publishes on.
 *
 * - `proactor:allocation-stats`: `{ context, stats }` (`AllocationStatsMessage`)
 *   each time a run of a context ends, when it shuts down, and when
 *   `ctx.publishAllocationStats()` is called. Nothing is built when the
 *   channel has no subscriber.
 * - `proactor:handler-tracking`: each handler-tracking line (a string, as
 *   written to stderr) of a context whose handler tracking is on.
 * - `proactor:transport`: `{ what, reason }` (`TransportFallbackMessage`),
 *   once per process, when the handle transport cannot use its fast path on
 *   this Node and falls back to a public-API path.
 *
 * @example
 * ```ts
 * import diagnosticsChannel from 'node:diagnostics_channel';
 * diagnosticsChannel.subscribe(CHANNELS.allocationStats, (message) => {
 *   const { stats } = message as AllocationStatsMessage;
 *   console.log('live operations:', stats.live);
 * });
 * ```
 *
 * @category Diagnostics
 */
export const CHANNELS = {
  allocationStats: 'proactor:allocation-stats',
  handlerTracking: 'proactor:handler-tracking',
  transport: 'proactor:transport',
} as const;

/**
 * The message on `proactor:allocation-stats`.
 *
 * @example
 * ```ts
 * diagnosticsChannel.subscribe(CHANNELS.allocationStats, (message) => {
 *   const { context, stats } = message as AllocationStatsMessage;
 *   if (context === ctx) console.log(stats.byKind.readSome);
 * });
 * ```
 *
 * @category Diagnostics
 */
export interface AllocationStatsMessage {
  /** The context the statistics are of (an `IoContext`). */
  readonly context: object;
  /** Its `allocationStats()` at the time of publication. */
  readonly stats: AllocatorStats;
}

/** @internal The channel objects, made once. */
export const allocationStatsChannel = diagnosticsChannel.channel(CHANNELS.allocationStats);
/** @internal */
export const handlerTrackingChannel = diagnosticsChannel.channel(CHANNELS.handlerTracking);

/**
 * The message on `proactor:transport`: which part of the handle transport
 * fell back, and why.
 *
 * @example
 * ```ts
 * diagnosticsChannel.subscribe(CHANNELS.transport, (message) => {
 *   const { what, reason } = message as TransportFallbackMessage;
 *   console.warn(`proactor: ${what} fell back: ${reason}`);
 * });
 * ```
 *
 * @category Diagnostics
 */
export interface TransportFallbackMessage {
  /** The part that fell back, for example `'handle writes'`. */
  readonly what: string;
  /** Why, with the Node version. */
  readonly reason: string;
}

/** @internal */
export const transportChannel = diagnosticsChannel.channel(CHANNELS.transport);
