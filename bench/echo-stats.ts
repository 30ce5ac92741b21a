/**
 * The echo benchmark's summary: medians per scenario, Node and server, and
 * paired ratios. A paired ratio is the median over repetitions of
 * (this server's rate / the other server's rate in the same repetition, on
 * the same Node): servers on one Node run back to back within a repetition,
 * so slow drift on the machine cancels out of the ratio.
 */
import type { EchoCell, EchoResult, EchoServerName, EchoSummaryRow, LoadResult, HeapResult } from './echo-types.js';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function rateOf(cells: readonly EchoCell[], scenario: string, node: string | null, server: EchoServerName, rep: number): number | undefined {
  return cells.find((c) => c.scenario === scenario && c.node === node && c.server === server && c.rep === rep)?.load?.roundTripsPerSecond;
}

/** The per-repetition ratios of `server` over `other` (same scenario, same Node), in repetition order. */
export function pairedRatios(
  cells: readonly EchoCell[],
  reps: number,
  scenario: string,
  node: string | null,
  server: EchoServerName,
  other: EchoServerName,
): number[] {
  const ratios: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const mine = rateOf(cells, scenario, node, server, rep);
    const theirs = rateOf(cells, scenario, node, other, rep);
    if (mine !== undefined && theirs !== undefined && theirs > 0) ratios.push(mine / theirs);
  }
  return ratios;
}

function pairedMedian(ratios: readonly number[]): number | null {
  return ratios.length > 0 ? median(ratios) : null;
}

/** Summary rows in scenario, Node, server order (the C server, which has no Node, last in its scenario). */
export function summarize(cells: readonly EchoCell[], settings: EchoResult['settings']): EchoSummaryRow[] {
  const rows: EchoSummaryRow[] = [];
  const nodes: (string | null)[] = [...settings.nodes.map((n) => n.version), null];
  for (const scenario of settings.scenarios) {
    for (const node of nodes) {
      const byServer = new Map<EchoServerName, EchoSummaryRow>();
      for (const server of settings.servers) {
        const mine = cells.filter((c) => c.scenario === scenario.name && c.node === node && c.server === server);
        const loads = mine.map((c) => c.load).filter((l): l is LoadResult => l !== null && l.roundTrips > 0);
        if (loads.length === 0) continue;
        const rates = loads.map((l) => l.roundTripsPerSecond);
        const heaps = mine.map((c) => c.heap).filter((h): h is HeapResult => h !== null);
        const paired = (other: EchoServerName): number | null =>
          server === other ? null : pairedMedian(pairedRatios(cells, settings.reps, scenario.name, node, server, other));
        const row: EchoSummaryRow = {
          scenario: scenario.name,
          node,
          server,
          runs: loads.length,
          roundTripsPerSecond: median(rates),
          minRoundTripsPerSecond: Math.min(...rates),
          maxRoundTripsPerSecond: Math.max(...rates),
          vsNodeNet: null,
          pairedVsNodeNet: paired('node:net'),
          pairedVsRawHandle: paired('raw-handle'),
          pairedVsBase: server === 'proactor' ? paired('proactor@base') : null,
          heapBytesPerRoundTrip: heaps.length > 0 ? median(heaps.map((h) => h.bytesPerRoundTrip)) : null,
          cpuMicrosPerRoundTrip: heaps.length > 0 ? median(heaps.map((h) => h.cpuMicrosPerRoundTrip)) : null,
          p50us: median(loads.map((l) => l.p50us)),
          p99us: median(loads.map((l) => l.p99us)),
          generatorCores: median(loads.map((l) => (l.seconds > 0 ? l.cpuSeconds / l.seconds : 0))),
          errors: mine.reduce((n, c) => n + (c.load?.errors ?? 0) + (c.error !== null && c.load === null ? 1 : 0), 0),
        };
        byServer.set(server, row);
        rows.push(row);
      }
      const base = byServer.get('node:net');
      if (base !== undefined) {
        for (const row of byServer.values()) row.vsNodeNet = row.roundTripsPerSecond / base.roundTripsPerSecond;
      }
    }
  }
  return rows;
}
