/**
 * What each server of the echo example reports when it stops, and how the
 * reports of several (cluster workers, worker threads) add up. Reports
 * cross process and thread boundaries as plain data (numbers and objects),
 * which is all that can cross.
 */
import type { MessagePort } from 'node:worker_threads';
import { formatAllocationStats, type AllocationCounts, type AllocatorStats } from '../../src/index.js';

/** One server's exit statistics: its handlers, its sessions' handler allocators, its context's allocation statistics. */
export interface ServerReport {
  readonly handlers: number;
  readonly sessions: number;
  readonly hits: number;
  readonly fallbacks: number;
  readonly live: number;
  readonly stats: AllocatorStats;
}

/** What a worker (process or thread) tells its coordinator. */
export type WorkerMessage = { readonly type: 'listening'; readonly where: string } | { readonly type: 'stopped'; readonly report: ServerReport };

/** What a worker thread is started with: the server's options, its number, and its end of the line to the main thread. */
export interface ThreadData<O> {
  readonly options: O;
  readonly index: number;
  readonly port: MessagePort;
}

/** The one-line summary the echo server prints when it stops. */
export function summaryLine(r: ServerReport): string {
  return `stopped after ${r.handlers} handlers; sessions ${r.sessions}; handler allocator hits ${r.hits}, fallbacks ${r.fallbacks}, live ${r.live}`;
}

/** The summary and the allocation statistics table. */
export function formatReport(r: ServerReport): string {
  return `${summaryLine(r)}\nallocation statistics:\n${formatAllocationStats(r.stats)}`;
}

function addCounts(a: AllocationCounts, b: AllocationCounts): AllocationCounts {
  return {
    allocations: a.allocations + b.allocations,
    deallocations: a.deallocations + b.deallocations,
    hits: a.hits + b.hits,
    fallbacks: a.fallbacks + b.fallbacks,
    live: a.live + b.live,
  };
}

const NO_COUNTS: AllocationCounts = { allocations: 0, deallocations: 0, hits: 0, fallbacks: 0, live: 0 };

/** The sum of several servers' reports: every counter, by kind too. */
export function addReports(reports: readonly ServerReport[]): ServerReport {
  let handlers = 0;
  let sessions = 0;
  let hits = 0;
  let fallbacks = 0;
  let live = 0;
  let total = NO_COUNTS;
  const byKind: Record<string, AllocationCounts> = {};
  for (const r of reports) {
    handlers += r.handlers;
    sessions += r.sessions;
    hits += r.hits;
    fallbacks += r.fallbacks;
    live += r.live;
    total = addCounts(total, r.stats);
    for (const [kind, counts] of Object.entries(r.stats.byKind)) {
      if (counts !== undefined) byKind[kind] = addCounts(byKind[kind] ?? NO_COUNTS, counts);
    }
  }
  return { handlers, sessions, hits, fallbacks, live, stats: { ...total, byKind } };
}

/** Whether `value` is a `WorkerMessage` (it came from another process or thread: check before trusting it). */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'listening' || type === 'stopped';
}
