/**
 * UDP echo benchmark: datagrams per second, loss, heap bytes and CPU per
 * datagram of `examples/udp-echo-server.ts` (proactor) against a plain
 * `node:dgram` echo server (bench/node-udp-echo-server.ts), with 64
 * outstanding requests of 64 B and of 1,200 B (the floor: proactor at
 * ≥ 1.1× node:dgram's datagrams per second at both sizes).
 *
 * Each server runs as its own child process on the running Node, with
 * `bench/heap-probe.ts` preloaded. For each size and repetition the two
 * servers run back to back, in an order that reverses every repetition;
 * ratios pair the two runs of one repetition, and the summary reports
 * medians.
 *
 * The load generator is `bench/load/udp-load.c` (built like echo-load, with
 * the machine's `cc -O2`): a closed loop of 64 request slots on one
 * connected socket; every reply is checked byte for byte against its
 * request (slot and sequence number in its first 8 bytes), and a request
 * with no reply within 200 ms counts as lost and is sent again. It signals
 * the server with SIGUSR2 right before and after the measured window, so
 * the heap and CPU figures cover exactly the datagrams measured. One round
 * trip is one datagram received and one sent by the server.
 *
 * Copies: the proactor server prints its socket's `datagramStats()` when it
 * stops; copies per datagram received is `copies / received` (the rule: at
 * most 1, Node's buffer into the caller's).
 *
 * Environment: BENCH_SECONDS (default 2), BENCH_WARMUP (0.5), BENCH_REPS (3)
 * as for the echo benchmark; BENCH_UDP_SIZES: comma list of sizes (default
 * 64,1200).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { heapFrom, installCleanup, killAllChildren, sleep, startServer, type RunningServer } from './echo-process.js';
import { median } from './echo-stats.js';
import type { HeapResult } from './echo-types.js';
import { ensureBinary } from './echo.js';

function repoRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = path.basename(path.dirname(here)) === 'dist' ? '../..' : '..';
  return path.resolve(here, up);
}

const ROOT = repoRoot();
/** The issue's floor: proactor's datagrams per second over node:dgram's. */
export const UDP_FLOOR = 1.1;
const OUTSTANDING = 64;

/** `proactor` on its default path (the native one where the addon is built); `proactor-handle` forced onto the handle path, to show what the native path adds. */
export type UdpServerName = 'proactor' | 'proactor-handle' | 'node:dgram';
const NATIVE_BUILT = fs.existsSync(path.join(ROOT, 'build', 'Release', 'proactor_native.node'));
const SERVERS: readonly UdpServerName[] = NATIVE_BUILT ? ['proactor', 'proactor-handle', 'node:dgram'] : ['proactor', 'node:dgram'];

/** What `udp-load --mode echo` prints. */
export interface UdpLoadResult {
  outstanding: number;
  size: number;
  seconds: number;
  sent: number;
  roundTrips: number;
  roundTripsPerSecond: number;
  lost: number;
  lossRatio: number;
  late: number;
  p50us: number;
  p99us: number;
  mismatches: number;
  errors: number;
  refused: number;
}

export interface UdpCell {
  size: number;
  server: UdpServerName;
  rep: number;
  load: UdpLoadResult | null;
  heap: HeapResult | null;
  /** proactor only: copies into receive buffers per datagram received, from the server's exit line. */
  copiesPerDatagram: number | null;
  error: string | null;
}

export interface UdpRow {
  size: number;
  proactorPerSecond: number;
  nodePerSecond: number;
  /** Median of the per-repetition ratios proactor / node:dgram. */
  ratio: number;
  /** The per-repetition ratios, in repetition order. */
  ratios: number[];
  meetsFloor: boolean;
  proactorLoss: number;
  nodeLoss: number;
  proactorHeapPerDatagram: number;
  nodeHeapPerDatagram: number;
  proactorCpuMicros: number;
  nodeCpuMicros: number;
  proactorP99us: number;
  nodeP99us: number;
  copiesPerDatagram: number;
  /** The handle path's datagrams per second (NaN where the native path is not built, so both proactor runs are the handle path). */
  handlePerSecond: number;
  /** Median of the per-repetition ratios proactor / proactor-handle (NaN without the native path). */
  ratioVsHandle: number;
  handleCpuMicros: number;
  handleHeapPerDatagram: number;
}

export interface UdpBenchmarkResult {
  node: string;
  seconds: number;
  warmupSeconds: number;
  reps: number;
  cells: UdpCell[];
  rows: UdpRow[];
  /** Heap bytes per datagram sent and per datagram received, each measured alone (bench/udp-heap-probe.ts); absent in older results. */
  heap?: UdpHeapCell[];
}

/** One bench/udp-heap-probe.ts measurement. */
export interface UdpHeapCell {
  server: UdpServerName;
  mode: 'send' | 'receive';
  size: number;
  bytesPerDatagram: number | null;
  datagrams: number;
  error: string | null;
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`${name} must be a positive number, got ${raw}`);
  return n;
}

function sizesFromEnv(): number[] {
  const raw = process.env.BENCH_UDP_SIZES;
  if (raw === undefined || raw.trim() === '') return [64, 1200];
  return raw.split(/[\s,]+/).filter((s) => s !== '').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 8 || n > 65507) throw new RangeError(`BENCH_UDP_SIZES: sizes are 8..65507 bytes, got ${s}`);
    return n;
  });
}

/** One run of `udp-load` against 127.0.0.1:port; resolves with its JSON result. */
export function runUdpLoad(load: string, args: readonly string[], limitSeconds: number): Promise<Record<string, unknown>> {
  return runJsonChild(load, args, limitSeconds);
}

/** Runs `command` (killed after `limitSeconds`); resolves with the JSON object its last line of output holds. */
function runJsonChild(command: string, args: readonly string[], limitSeconds: number, env: Readonly<Record<string, string>> = {}): Promise<Record<string, unknown>> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (out += chunk));
  child.stderr.on('data', (chunk: string) => (err += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), limitSeconds * 1000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      if (!line.startsWith('{')) reject(new Error(`${path.basename(command)} exited ${String(code)} without a result: ${err.trim()}`));
      else resolve(JSON.parse(line) as Record<string, unknown>);
    });
  });
}

/** The port a server names in its listening line. */
function portOf(server: RunningServer): number {
  const target = server.target;
  if (target === null || !('port' in target)) throw new Error('the server named no port');
  return target.port;
}

function copiesFrom(output: readonly string[]): number | null {
  for (const line of output) {
    const m = /received (\d+), dropped \d+, filtered \d+, copied (\d+)/.exec(line);
    if (m !== null && Number(m[1]) > 0) return Number(m[2]) / Number(m[1]);
  }
  return null;
}

async function runCell(server: UdpServerName, size: number, rep: number, load: string, seconds: number, warmup: number): Promise<UdpCell> {
  const cell: UdpCell = { size, server, rep, load: null, heap: null, copiesPerDatagram: null, error: null };
  const script = server !== 'node:dgram' ? path.join(ROOT, 'dist', 'examples', 'udp-echo-server.js') : path.join(ROOT, 'dist', 'bench', 'node-udp-echo-server.js');
  const probe = pathToFileURL(path.join(ROOT, 'dist', 'bench', 'heap-probe.js')).href;
  let running: RunningServer | null = null;
  try {
    const env: Record<string, string> = server === 'proactor-handle' ? { PROACTOR_TRANSPORT: 'handle' } : {};
    running = await startServer(process.execPath, ['--expose-gc', '--import', probe, script], ROOT, null, env);
    const args = ['--port', String(portOf(running)), '--size', String(size), '--outstanding', String(OUTSTANDING)];
    args.push('--warmup', String(warmup), '--duration', String(seconds), '--signal-pid', String(running.child.pid));
    cell.load = (await runUdpLoad(load, args, warmup + seconds + 30)) as unknown as UdpLoadResult;
    await running.waitProbes(2, 3000);
    cell.heap = heapFrom(running, cell.load);
    if (cell.load.mismatches > 0 || cell.load.errors > 0) cell.error = `udp-load: ${cell.load.mismatches} mismatched replies, ${cell.load.errors} errors`;
  } catch (e) {
    cell.error = e instanceof Error ? e.message : String(e);
  } finally {
    if (running !== null) {
      const code = await running.stop();
      if (code !== 0 && cell.error === null) cell.error = `the server exited with ${String(code)} on SIGTERM`;
      if (server !== 'node:dgram') cell.copiesPerDatagram = copiesFrom(running.output);
    }
  }
  return cell;
}

/** Runs bench/udp-heap-probe.ts once in its own process; see that file for the method. */
async function runHeapProbe(server: UdpServerName, mode: 'send' | 'receive', size: number, load: string): Promise<UdpHeapCell> {
  const script = path.join(ROOT, 'dist', 'bench', 'udp-heap-probe.js');
  const env: Record<string, string> = server === 'proactor-handle' ? { PROACTOR_TRANSPORT: 'handle' } : {};
  const which = server === 'node:dgram' ? 'node:dgram' : 'proactor';
  const cell: UdpHeapCell = { server, mode, size, bytesPerDatagram: null, datagrams: 0, error: null };
  try {
    const parsed = (await runJsonChild(process.execPath, ['--expose-gc', script, which, mode, String(size), load], 60, env)) as { bytesPerDatagram: number | null; datagrams: number };
    cell.bytesPerDatagram = parsed.bytesPerDatagram;
    cell.datagrams = parsed.datagrams;
  } catch (e) {
    cell.error = e instanceof Error ? e.message : String(e);
  }
  return cell;
}

/** Medians per size and the paired ratios, from the runs' cells. */
export function summarizeUdp(cells: readonly UdpCell[], sizes: readonly number[], reps: number): UdpRow[] {
  return sizes.map((size) => {
    const of = (server: UdpServerName): UdpCell[] => cells.filter((c) => c.size === size && c.server === server && c.load !== null);
    const p = of('proactor');
    const n = of('node:dgram');
    const h = of('proactor-handle');
    const paired = (other: readonly UdpCell[]): number[] => {
      const out: number[] = [];
      for (let rep = 0; rep < reps; rep++) {
        const a = p.find((c) => c.rep === rep)?.load?.roundTripsPerSecond;
        const b = other.find((c) => c.rep === rep)?.load?.roundTripsPerSecond;
        if (a !== undefined && b !== undefined && b > 0) out.push(a / b);
      }
      return out;
    };
    const ratios = paired(n);
    const med = (list: readonly UdpCell[], f: (c: UdpCell) => number | undefined): number =>
      median(list.map(f).filter((v): v is number => v !== undefined));
    const ratio = median(ratios);
    return {
      size,
      proactorPerSecond: med(p, (c) => c.load?.roundTripsPerSecond),
      nodePerSecond: med(n, (c) => c.load?.roundTripsPerSecond),
      ratio,
      ratios,
      meetsFloor: ratio >= UDP_FLOOR,
      proactorLoss: med(p, (c) => c.load?.lossRatio),
      nodeLoss: med(n, (c) => c.load?.lossRatio),
      proactorHeapPerDatagram: med(p, (c) => c.heap?.bytesPerRoundTrip),
      nodeHeapPerDatagram: med(n, (c) => c.heap?.bytesPerRoundTrip),
      proactorCpuMicros: med(p, (c) => c.heap?.cpuMicrosPerRoundTrip),
      nodeCpuMicros: med(n, (c) => c.heap?.cpuMicrosPerRoundTrip),
      proactorP99us: med(p, (c) => c.load?.p99us),
      nodeP99us: med(n, (c) => c.load?.p99us),
      copiesPerDatagram: med(p, (c) => c.copiesPerDatagram ?? undefined),
      handlePerSecond: h.length === 0 ? NaN : med(h, (c) => c.load?.roundTripsPerSecond),
      ratioVsHandle: h.length === 0 ? NaN : median(paired(h)),
      handleCpuMicros: h.length === 0 ? NaN : med(h, (c) => c.heap?.cpuMicrosPerRoundTrip),
      handleHeapPerDatagram: h.length === 0 ? NaN : med(h, (c) => c.heap?.bytesPerRoundTrip),
    };
  });
}

/** Runs both servers at every size, interleaved; see the file comment. */
export async function runUdpEchoBenchmark(): Promise<UdpBenchmarkResult> {
  installCleanup();
  const load = ensureBinary('udp-load');
  const seconds = envNumber('BENCH_SECONDS', 2);
  const warmupSeconds = envNumber('BENCH_WARMUP', 0.5);
  const reps = Math.round(envNumber('BENCH_REPS', 3));
  const sizes = sizesFromEnv();
  const cells: UdpCell[] = [];
  const heap: UdpHeapCell[] = [];
  try {
    for (const size of sizes) {
      for (let rep = 0; rep < reps; rep++) {
        const order = rep % 2 === 0 ? SERVERS : [...SERVERS].reverse();
        for (const server of order) {
          const cell = await runCell(server, size, rep, load, seconds, warmupSeconds);
          cells.push(cell);
          const rate = cell.load === null ? '-' : Math.round(cell.load.roundTripsPerSecond).toString();
          const heap = cell.heap === null ? '' : ` heap ${cell.heap.bytesPerRoundTrip.toFixed(1)} B/rt`;
          const loss = cell.load === null ? '' : ` lost ${cell.load.lost}/${cell.load.sent}`;
          process.stderr.write(`udp ${size} B rep ${rep + 1}/${reps} ${server}: ${rate} datagrams/s${loss}${heap}${cell.error === null ? '' : ` ERROR ${cell.error}`}\n`);
          await sleep(200);
        }
      }
    }
    for (const size of sizes) {
      for (const mode of ['send', 'receive'] as const) {
        for (const server of SERVERS) {
          const cell = await runHeapProbe(server, mode, size, load);
          heap.push(cell);
          process.stderr.write(`udp heap ${size} B ${mode} ${server}: ${cell.bytesPerDatagram === null ? `ERROR ${cell.error ?? ''}` : `${cell.bytesPerDatagram.toFixed(1)} B per datagram`}\n`);
        }
      }
    }
  } finally {
    killAllChildren();
  }
  return { node: process.version, seconds, warmupSeconds, reps, cells, rows: summarizeUdp(cells, sizes, reps), heap };
}

function rate(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
}

function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

function percent(n: number): string {
  return Number.isFinite(n) ? `${(100 * n).toFixed(n === 0 ? 0 : 3)}%` : '-';
}

export function formatUdpEchoBenchmark(r: UdpBenchmarkResult): string {
  const withHandle = r.rows.some((row) => Number.isFinite(row.ratioVsHandle));
  const lines = [
    `UDP echo, ${OUTSTANDING} outstanding requests from bench/load/udp-load.c (every byte checked, a request unanswered in 200 ms counted lost), ` +
      `Node ${r.node}, ${r.reps} interleaved repetitions of ${r.seconds} s, medians. One round trip = one datagram received and one sent by the server.` +
      (withHandle ? ' proactor runs on its default (native) datagram path; "handle" is the same server forced onto the handle path (PROACTOR_TRANSPORT=handle) in the same repetitions.' : ''),
    '',
    `| size | proactor datagrams/s | node:dgram datagrams/s | ratio (floor ${UDP_FLOOR}×) | loss proactor / node:dgram | heap B per datagram received + sent, proactor / node:dgram | CPU µs per round trip, proactor / node:dgram | p99 µs, proactor / node:dgram | copies per datagram (proactor) |` +
      (withHandle ? ' handle path datagrams/s | proactor ÷ handle path | handle path CPU µs / heap B per round trip |' : ''),
    '|---|---|---|---|---|---|---|---|---|' + (withHandle ? '---|---|---|' : ''),
  ];
  for (const row of r.rows) {
    lines.push(
      `| ${row.size} B | ${rate(row.proactorPerSecond)} | ${rate(row.nodePerSecond)} | ${fixed(row.ratio, 2)}× ${row.meetsFloor ? 'meets' : 'misses'} (runs ${fixed(Math.min(...row.ratios), 2)}–${fixed(Math.max(...row.ratios), 2)}×) | ` +
        `${percent(row.proactorLoss)} / ${percent(row.nodeLoss)} | ${fixed(row.proactorHeapPerDatagram, 0)} / ${fixed(row.nodeHeapPerDatagram, 0)} | ` +
        `${fixed(row.proactorCpuMicros, 1)} / ${fixed(row.nodeCpuMicros, 1)} | ${fixed(row.proactorP99us, 0)} / ${fixed(row.nodeP99us, 0)} | ${fixed(row.copiesPerDatagram, 2)} |` +
        (withHandle ? ` ${rate(row.handlePerSecond)} | ${fixed(row.ratioVsHandle, 2)}× | ${fixed(row.handleCpuMicros, 1)} / ${fixed(row.handleHeapPerDatagram, 0)} |` : ''),
    );
  }
  const heapCells = r.heap ?? [];
  if (heapCells.length > 0) {
    const servers = SERVERS.filter((server) => heapCells.some((c) => c.server === server));
    lines.push(
      '',
      'Heap bytes per datagram, sending and receiving each measured alone (bench/udp-heap-probe.ts: 300,000 sends one after another to a sink in another process; receives while udp-load floods the socket for 2 s; bytes allocated counted as the heap probe counts them).',
      '',
      `| size | direction | ${servers.join(' | ')} |`,
      `|---|---|${servers.map(() => '--:').join('|')}|`,
    );
    const sizesSeen = [...new Set(heapCells.map((c) => c.size))];
    for (const size of sizesSeen) {
      for (const mode of ['send', 'receive'] as const) {
        const values = servers.map((server) => {
          const v = heapCells.find((c) => c.size === size && c.mode === mode && c.server === server)?.bytesPerDatagram;
          return v === undefined || v === null ? '-' : v.toFixed(1);
        });
        lines.push(`| ${size} B | ${mode === 'send' ? 'per datagram sent' : 'per datagram received'} | ${values.join(' | ')} |`);
      }
    }
  }
  const failed = r.cells.filter((c) => c.error !== null);
  if (failed.length > 0) {
    lines.push('', `${failed.length} runs failed: ${failed.map((c) => `${c.server} ${c.size} B rep ${c.rep + 1}: ${c.error ?? ''}`).join('; ')}`);
  }
  return lines.join('\n');
}
