import type { AllocationCounts, AllocatorStats } from '../allocation/allocator.js';
import { OPERATION_KINDS } from '../ops/operation-kind.js';

const COLUMNS = ['kind', 'allocated', 'recycled', 'new', 'live'] as const;

function row(name: string, c: AllocationCounts): string[] {
  return [name, String(c.allocations), String(c.hits), String(c.fallbacks), String(c.live)];
}

/**
 * Renders allocation statistics (`ctx.allocationStats()` or an allocator's
 * `stats()`) as a plain-text table: one row per operation kind allocated,
 * then the total. `recycled` is `hits`, `new` is `fallbacks`.
 *
 * @example
 * ```ts
 * await ctx.run();
 * console.log(formatAllocationStats(ctx.allocationStats()));
 * // kind       allocated  recycled  new  live
 * // readSome        1001      999     2     0
 * // …
 * ```
 *
 * @category Diagnostics
 */
export function formatAllocationStats(stats: AllocatorStats): string {
  const rows: string[][] = [];
  for (const kind of OPERATION_KINDS) {
    const counts = stats.byKind[kind];
    if (counts !== undefined) rows.push(row(kind, counts));
  }
  rows.push(row('total', stats));
  const widths = COLUMNS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(COLUMNS), ...rows.map(line)].join('\n');
}
