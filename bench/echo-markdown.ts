/**
 * The echo benchmark's results as Markdown: the paired ratios per scenario
 * and Node version, the project's floors and whether they hold, an A/B
 * table when a baseline build ran, the full table, and notes on method.
 */
import { pairedRatios } from './echo-stats.js';
import type { EchoResult, EchoServerName, EchoSummaryRow } from './echo-types.js';

/**
 * The floors the project holds proactor's echo server to. Each applies on
 * every Node version; `scenario: null` means every scenario.
 */
export const ECHO_FLOORS: readonly {
  readonly scenario: string | null;
  readonly metric: 'vsNodeNet' | 'vsRawHandle' | 'heap';
  readonly bound: number;
}[] = [
  { scenario: '64x64B', metric: 'vsNodeNet', bound: 1.15 },
  { scenario: '64x4KiB', metric: 'vsNodeNet', bound: 1.3 },
  { scenario: 'unix64x64B', metric: 'vsNodeNet', bound: 1.2 },
  { scenario: null, metric: 'vsRawHandle', bound: 0.95 },
  { scenario: null, metric: 'heap', bound: 4 },
];

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fmtRatio(n: number | null): string {
  return n === null ? '–' : `${n.toFixed(2)}×`;
}

function fmtHeap(n: number | null): string {
  if (n === null) return '–';
  return Math.abs(n) < 10 ? n.toFixed(1) : fmtInt(n);
}

function fmtNode(version: string | null): string {
  return version === null ? '–' : version.replace(/^v/, '');
}

const SERVER_LABEL: Record<EchoServerName, string> = {
  proactor: 'proactor (examples/echo-server)',
  'proactor@base': 'proactor@base (baseline build)',
  'node:net': 'node:net',
  'raw-handle': 'raw-handle probe',
  'proactor:handle': 'proactor, handle transport',
  'proactor:chunk': 'proactor, chunk transport',
  asio: 'Boost.Asio (reference)',
  c: 'C epoll (reference)',
};

function rowOf(result: EchoResult, scenario: string, node: string | null, server: EchoServerName): EchoSummaryRow | undefined {
  return result.summary.find((r) => r.scenario === scenario && r.node === node && r.server === server);
}

/** The paired ratio with the lowest and highest per-repetition ratio behind it: `1.21× (0.98–1.40)`. */
function fmtPaired(result: EchoResult, scenario: string, node: string, server: EchoServerName, other: EchoServerName): string {
  const ratios = pairedRatios(result.cells, result.settings.reps, scenario, node, server, other);
  const row = rowOf(result, scenario, node, server);
  const paired = other === 'node:net' ? row?.pairedVsNodeNet : other === 'raw-handle' ? row?.pairedVsRawHandle : row?.pairedVsBase;
  if (paired === null || paired === undefined) return '–';
  if (ratios.length < 2) return fmtRatio(paired);
  return `${fmtRatio(paired)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
}

function ratioTable(result: EchoResult): string[] {
  const out: string[] = [];
  out.push('| scenario | Node | proactor ÷ node:net | proactor ÷ raw-handle | raw-handle ÷ node:net | heap B/round trip: proactor / node:net / raw-handle | proactor round trips/s |');
  out.push('|---|---|--:|--:|--:|--:|--:|');
  for (const scenario of result.settings.scenarios) {
    for (const { version } of result.settings.nodes) {
      const p = rowOf(result, scenario.name, version, 'proactor');
      const n = rowOf(result, scenario.name, version, 'node:net');
      const r = rowOf(result, scenario.name, version, 'raw-handle');
      if (p === undefined && n === undefined && r === undefined) continue;
      const heaps = [p, n, r].map((x) => fmtHeap(x?.heapBytesPerRoundTrip ?? null)).join(' / ');
      out.push(
        `| ${scenario.name} | ${fmtNode(version)} | ${fmtPaired(result, scenario.name, version, 'proactor', 'node:net')} | ` +
          `${fmtPaired(result, scenario.name, version, 'proactor', 'raw-handle')} | ${fmtPaired(result, scenario.name, version, 'raw-handle', 'node:net')} | ` +
          `${heaps} | ${p === undefined ? '–' : fmtInt(p.roundTripsPerSecond)} |`,
      );
    }
  }
  return out;
}

function floorTable(result: EchoResult): string[] {
  const nodes = result.settings.nodes;
  const out: string[] = [];
  out.push(`| floor | ${nodes.map((n) => `Node ${fmtNode(n.version)}`).join(' | ')} |`);
  out.push(`|---|${nodes.map(() => '--:').join('|')}|`);
  for (const floor of ECHO_FLOORS) {
    const scenarios = result.settings.scenarios.filter((s) => floor.scenario === null || s.name === floor.scenario);
    for (const scenario of scenarios) {
      const label =
        floor.metric === 'heap'
          ? `${scenario.name}: proactor heap ≤ ${floor.bound} B/round trip`
          : `${scenario.name}: proactor ≥ ${floor.bound.toFixed(2)}× ${floor.metric === 'vsNodeNet' ? 'node:net' : 'raw-handle'}`;
      const cells = nodes.map(({ version }) => {
        const row = rowOf(result, scenario.name, version, 'proactor');
        const value =
          floor.metric === 'heap' ? row?.heapBytesPerRoundTrip : floor.metric === 'vsNodeNet' ? row?.pairedVsNodeNet : row?.pairedVsRawHandle;
        if (value === null || value === undefined) return '–';
        const holds = floor.metric === 'heap' ? value <= floor.bound : value >= floor.bound;
        const shown = floor.metric === 'heap' ? fmtHeap(value) : fmtRatio(value);
        return `${shown} ${holds ? 'holds' : '**misses**'}`;
      });
      if (cells.every((c) => c === '–')) continue;
      out.push(`| ${label} | ${cells.join(' | ')} |`);
    }
  }
  return out;
}

function abTable(result: EchoResult): string[] {
  const s = result.settings;
  const out: string[] = [];
  out.push('| scenario | Node | proactor round trips/s | proactor@base round trips/s | proactor ÷ proactor@base (paired) | per repetition | heap B/round trip: proactor / base |');
  out.push('|---|---|--:|--:|--:|--:|--:|');
  for (const scenario of s.scenarios) {
    for (const { version } of s.nodes) {
      const p = rowOf(result, scenario.name, version, 'proactor');
      const b = rowOf(result, scenario.name, version, 'proactor@base');
      if (p === undefined || b === undefined) continue;
      const reps = pairedRatios(result.cells, s.reps, scenario.name, version, 'proactor', 'proactor@base').map((x) => x.toFixed(2));
      out.push(
        `| ${scenario.name} | ${fmtNode(version)} | ${fmtInt(p.roundTripsPerSecond)} | ${fmtInt(b.roundTripsPerSecond)} | ${fmtRatio(p.pairedVsBase)} | ` +
          `${reps.join(', ')} | ${fmtHeap(p.heapBytesPerRoundTrip)} / ${fmtHeap(b.heapBytesPerRoundTrip)} |`,
      );
    }
  }
  return out;
}

function fullTable(result: EchoResult): string[] {
  const out: string[] = [];
  out.push('| scenario | Node | server | round trips/s | range | vs node:net | paired vs node:net | paired vs raw-handle | heap B/round trip | server CPU µs/round trip | p50 µs | p99 µs | generator CPU | errors |');
  out.push('|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const r of result.summary) {
    out.push(
      `| ${r.scenario} | ${fmtNode(r.node)} | ${SERVER_LABEL[r.server]} | ${fmtInt(r.roundTripsPerSecond)} | ` +
        `${fmtInt(r.minRoundTripsPerSecond)}–${fmtInt(r.maxRoundTripsPerSecond)} | ${fmtRatio(r.vsNodeNet)} | ${fmtRatio(r.pairedVsNodeNet)} | ` +
        `${fmtRatio(r.pairedVsRawHandle)} | ${fmtHeap(r.heapBytesPerRoundTrip)} | ` +
        `${r.cpuMicrosPerRoundTrip === null ? '–' : r.cpuMicrosPerRoundTrip.toFixed(1)} | ` +
        `${fmtInt(r.p50us)} | ${fmtInt(r.p99us)} | ${Math.round(r.generatorCores * 100)}% | ${r.errors} |`,
    );
  }
  return out;
}

/** The echo results as Markdown. */
/** The median over repetitions of `server` (on `node`) over a reference with no Node (asio), paired by repetition. */
function vsReference(result: EchoResult, scenario: string, node: string, server: EchoServerName, reference: EchoServerName): number | null {
  const ratios: number[] = [];
  for (let rep = 0; rep < result.settings.reps; rep++) {
    const mine = result.cells.find((c) => c.scenario === scenario && c.node === node && c.server === server && c.rep === rep && c.error === null);
    const theirs = result.cells.find((c) => c.scenario === scenario && c.server === reference && c.rep === rep && c.error === null);
    const a = mine?.load?.roundTripsPerSecond;
    const b = theirs?.load?.roundTripsPerSecond;
    if (a !== undefined && b !== undefined && b > 0) ratios.push(a / b);
  }
  if (ratios.length === 0) return null;
  ratios.sort((x, y) => x - y);
  const mid = ratios.length >> 1;
  return ratios.length % 2 === 1 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
}

/** Every proactor transport against Boost.Asio and the raw-handle probe, with the heap per round trip. */
function transportTable(result: EchoResult): string[] {
  const servers: EchoServerName[] = (['proactor', 'proactor:handle', 'proactor:chunk'] as const).filter((x) => result.settings.servers.includes(x));
  if (!result.settings.servers.includes('asio') || servers.length === 0) return [];
  const out: string[] = [];
  out.push(`| scenario | Node | ${servers.map((x) => `${x} ÷ asio`).join(' | ')} | ${servers.map((x) => `${x} ÷ raw-handle`).join(' | ')} | heap B/round trip: ${servers.join(' / ')} |`);
  out.push(`|---|---|${servers.map(() => '--:').join('|')}|${servers.map(() => '--:').join('|')}|--:|`);
  for (const scenario of result.settings.scenarios) {
    for (const { version } of result.settings.nodes) {
      const vsAsio = servers.map((x) => fmtRatio(vsReference(result, scenario.name, version, x, 'asio')));
      const vsRaw = servers.map((x) => fmtPaired(result, scenario.name, version, x, 'raw-handle'));
      const heaps = servers.map((x) => fmtHeap(rowOf(result, scenario.name, version, x)?.heapBytesPerRoundTrip ?? null)).join(' / ');
      out.push(`| ${scenario.name} | ${fmtNode(version)} | ${vsAsio.join(' | ')} | ${vsRaw.join(' | ')} | ${heaps} |`);
    }
  }
  return out;
}

export function echoMarkdown(result: EchoResult): string {
  const s = result.settings;
  const servers = new Set(s.servers);
  const out: string[] = [];
  const ab = servers.has('proactor@base');
  out.push(ab ? '### Echo round trips: A/B against a baseline build' : '### Echo round trips');
  out.push('');
  const unix = s.scenarios.some((x) => x.transport === 'unix');
  const commits =
    s.commit === null ? '' : ` This build: ${s.commit}${ab && s.baselineCommit !== null ? `; baseline (proactor@base): ${s.baselineCommit}` : ''}.`;
  out.push(
    `Closed loop: every connection sends a message, waits for the full echo and checks it, then repeats. ` +
      `${s.reps} runs per cell of ${s.seconds} s after ${s.warmupSeconds} s warm-up. Node servers run on ` +
      `${s.nodes.map((n) => n.version).join(', ')}; within a repetition each Node's servers run back to back, ` +
      `and the order of Nodes and servers reverses every repetition. A paired ratio is the median over repetitions ` +
      `of the two servers' rates on the same Node in the same repetition (in brackets: the lowest and highest of those ` +
      `per-repetition ratios).${unix ? ' The unix scenarios use a Unix-domain socket file instead of TCP on 127.0.0.1.' : ''} ` +
      `The load generator (C, epoll, one thread) and the server share the machine.${commits}`,
  );
  out.push('');
  if (ab) {
    out.push(...abTable(result));
    out.push('');
  }
  if (servers.has('proactor') && (servers.has('node:net') || servers.has('raw-handle'))) {
    out.push('Paired ratios by Node version:');
    out.push('');
    out.push(...ratioTable(result));
    out.push('');
    const floors = floorTable(result);
    if (floors.length > 2) {
      out.push("The project's floors for proactor, on every Node version:");
      out.push('');
      out.push(...floors);
      out.push('');
    }
  }
  const transports = transportTable(result);
  if (transports.length > 0) {
    out.push('proactor on each transport (`proactor` is the default one: native where the addon is built) against Boost.Asio and the raw-handle probe:');
    out.push('');
    out.push(...transports);
    out.push('');
  }
  out.push('All servers:');
  out.push('');
  out.push(...fullTable(result));
  out.push('');
  const headroom: string[] = [];
  for (const scenario of s.scenarios) {
    const rows = result.summary.filter((r) => r.scenario === scenario.name);
    const c = rows.find((r) => r.server === 'c');
    const nodeRows = rows.filter((r) => r.server !== 'c');
    if (c === undefined || nodeRows.length === 0) continue;
    const best = Math.max(...nodeRows.map((r) => r.roundTripsPerSecond));
    headroom.push(`${scenario.name} ${(c.roundTripsPerSecond / best).toFixed(2)}×`);
  }
  if (headroom.length > 0) {
    out.push(
      `Generator headroom (C reference server over the fastest Node server): ${headroom.join(', ')}. ` +
        `Above 1× means the same generator drives a faster server, so it does not limit the Node numbers. ` +
        `"generator CPU" is the generator's CPU time over the window: below 100% it was waiting for the server.`,
    );
    out.push('');
  }
  out.push(
    'The raw-handle probe (bench/raw-handle-echo-server.ts) is the ceiling: it drives Node\'s libuv handles with no ' +
      'net.Socket, reading in user-buffer mode and writing each read back with one handle write, so a round trip ' +
      'costs one read callback and one write call in JavaScript.',
  );
  out.push('');
  out.push(
    'Heap bytes per round trip: bytes placed on the V8 heap of the server process during the measured window ' +
      '(used heap at the end − at the start + bytes freed by every collection in between, from `v8.GCProfiler`), ' +
      'divided by the round trips in that window. Buffer contents outside the heap are not counted. ' +
      'Server CPU is user + system time of all its threads (`process.cpuUsage()`).',
  );
  const failures = result.cells.filter((c) => c.error !== null);
  if (failures.length > 0) {
    out.push('');
    out.push('Failed runs:');
    for (const f of failures) out.push(`- ${f.scenario} ${f.node === null ? '' : `Node ${fmtNode(f.node)} `}${f.server} run ${f.rep + 1}: ${f.error ?? ''}`);
  }
  if (s.skipped.length > 0) {
    out.push('');
    for (const k of s.skipped) out.push(`- skipped ${k}`);
  }
  return out.join('\n');
}
