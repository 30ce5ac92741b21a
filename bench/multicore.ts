/**
 * Multi-core echo benchmark: `examples/echo-server.ts` alone (one context),
 * with `--workers 2` (node:cluster, the primary hands connections out) and
 * with `--threads 2` (worker_threads, each with a reusePort acceptor, the
 * kernel balances), driven by the `echo-load` generator (bench/echo.ts
 * builds it). Each server runs as its own child process; for every
 * scenario and repetition the three run back to back, in an order that
 * reverses every repetition, and each ratio pairs a multi-core run with the
 * single-context run of the same repetition. Medians.
 *
 * On a machine with few cores the load generator shares them with the
 * servers, so two servers compete with it for the same cores: the table
 * says how many cores there were. The floor it checks: 2 threads with
 * reusePort are not slower than one context at 1,000 connections.
 *
 * It runs on the first Node of BENCH_NODES (default: the running Node if its
 * libuv has reusePort, else the newest installed one that has).
 * BENCH_SECONDS (default 2), BENCH_WARMUP (0.5), BENCH_REPS (3).
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLoadTools } from './echo.js';
import { resolveNodes, type NodeBinary } from './echo-nodes.js';
import { installCleanup, killAllChildren, runLoad, sleep, startServer, type RunningServer } from './echo-process.js';
import { median } from './echo-stats.js';

const CONFIGS = [
  { name: '1 context', args: [] },
  { name: '2 workers (cluster)', args: ['--workers', '2'] },
  { name: '2 threads (reusePort)', args: ['--threads', '2'] },
] as const;
type ConfigName = (typeof CONFIGS)[number]['name'];

const SCENARIOS = [
  { connections: 1000, size: 64 },
  { connections: 64, size: 4096 },
] as const;

export interface MultiCoreRow {
  config: ConfigName;
  connections: number;
  size: number;
  /** Median round trips per second over the repetitions. */
  roundTripsPerSecond: number;
  /** Median of the per-repetition ratios against '1 context' (1 for that row). */
  ratio: number;
}

export interface MultiCoreResult {
  node: string;
  cores: number;
  loadAverage: number;
  seconds: number;
  reps: number;
  rows: MultiCoreRow[];
  /** 2 threads with reusePort at 1,000 connections, against one context: at least 1 passes. */
  floorRatio: number;
  errors: string[];
}

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

function hasReusePort(node: NodeBinary): boolean {
  const [major = 0, minor = 0] = node.version.slice(1).split('.').map(Number);
  return major >= 23 || (major === 22 && minor >= 12);
}

function pickNode(): NodeBinary {
  const fromEnv = process.env.BENCH_NODES;
  const { nodes } = resolveNodes(fromEnv !== undefined && fromEnv !== '' ? fromEnv.split(',') : null);
  const node = fromEnv !== undefined && fromEnv !== '' ? nodes[0] : (nodes.find(hasReusePort) ?? [...nodes].reverse().find(hasReusePort));
  if (node === undefined || !hasReusePort(node)) throw new Error('the multicore benchmark needs a Node with reusePort (22.12 / 23.1 or later) in BENCH_NODES or installed');
  return node;
}

/** Waits for the line the echo server prints once every worker listens. */
async function allListening(server: RunningServer, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!server.output.some((line) => line.startsWith('echo server listening on'))) {
    if (Date.now() > deadline || server.child.exitCode !== null) throw new Error(`not every worker listened: ${server.output.join(' | ')}`);
    await sleep(20);
  }
}

export async function runMultiCoreBenchmark(): Promise<MultiCoreResult> {
  installCleanup();
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = path.resolve(here, path.basename(path.dirname(here)) === 'dist' ? '../..' : '..');
  const script = path.join(root, 'dist', 'examples', 'echo-server.js');
  const { load } = buildLoadTools();
  const node = pickNode();
  const seconds = envNumber('BENCH_SECONDS', 2);
  const warmup = envNumber('BENCH_WARMUP', 0.5);
  const reps = Math.round(envNumber('BENCH_REPS', 3));
  const errors: string[] = [];
  const rates = new Map<string, number[]>();
  const ratios = new Map<string, number[]>();
  const key = (config: ConfigName, connections: number): string => `${config}|${String(connections)}`;
  const loadAverage = os.loadavg()[0] ?? 0;
  try {
    for (const scenario of SCENARIOS) {
      for (let rep = 0; rep < reps; rep++) {
        const order = rep % 2 === 0 ? [...CONFIGS] : [...CONFIGS].reverse();
        const thisRep = new Map<ConfigName, number>();
        for (const config of order) {
          const server = await startServer(node.execPath, [script, ...config.args], root, null);
          try {
            await allListening(server, 10_000);
            const result = await runLoad(load, server.target!, { ...scenario, warmupSeconds: warmup, seconds, signalPid: undefined });
            if (result.errors > 0 || result.connected < scenario.connections) {
              errors.push(`${config.name} ${String(scenario.connections)}x${String(scenario.size)}B: ${String(result.errors)} errors, ${String(result.connected)} connected`);
            }
            thisRep.set(config.name, result.roundTripsPerSecond);
            rates.set(key(config.name, scenario.connections), [...(rates.get(key(config.name, scenario.connections)) ?? []), result.roundTripsPerSecond]);
          } finally {
            const code = await server.stop();
            if (code !== 0) errors.push(`${config.name}: exit code ${String(code)} after SIGTERM`);
          }
        }
        const single = thisRep.get('1 context') ?? 0;
        for (const config of CONFIGS) {
          const k = key(config.name, scenario.connections);
          ratios.set(k, [...(ratios.get(k) ?? []), single > 0 ? (thisRep.get(config.name) ?? 0) / single : 0]);
        }
      }
    }
  } finally {
    killAllChildren();
  }
  const rows: MultiCoreRow[] = SCENARIOS.flatMap((s) =>
    CONFIGS.map((c) => ({
      config: c.name,
      connections: s.connections,
      size: s.size,
      roundTripsPerSecond: median(rates.get(key(c.name, s.connections)) ?? [0]),
      ratio: median(ratios.get(key(c.name, s.connections)) ?? [0]),
    })),
  );
  const floorRatio = rows.find((r) => r.config === '2 threads (reusePort)' && r.connections === 1000)?.ratio ?? 0;
  return { node: node.version, cores: os.availableParallelism(), loadAverage, seconds, reps, rows, floorRatio, errors };
}

export function formatMultiCoreBenchmark(r: MultiCoreResult): string {
  const lines = [
    `Echo round trips per second of examples/echo-server.ts on Node ${r.node}, ${String(r.cores)} cores shared by the servers **and the load generator** ` +
      `(load average ${r.loadAverage.toFixed(1)} when it started). ${String(r.reps)} runs of ${String(r.seconds)} s each, medians; ` +
      'the ratio pairs each run with the single-context run of the same repetition.',
    '',
    '| server | connections × size | round trips/s | vs 1 context |',
    '|---|---|---:|---:|',
    ...r.rows.map((row) => `| ${row.config} | ${String(row.connections)} × ${String(row.size)} B | ${Math.round(row.roundTripsPerSecond).toLocaleString('en-US')} | ${row.ratio.toFixed(2)}× |`),
    '',
    `Floor (2 threads with reusePort not slower than 1 context at 1,000 connections): ${r.floorRatio.toFixed(2)}× — ${r.floorRatio >= 1 ? 'holds' : 'FAILS'}.`,
  ];
  // Two servers and the generator each want a core: with fewer than three, a second server can only take time from the generator or the first.
  if (r.cores < 3) {
    lines.push(
      '',
      `With ${String(r.cores)} cores, one context and the load generator already use every core, so a second context can only take time from them: ` +
        'this machine cannot show what a second core gives; that needs at least three cores (two servers and the generator).',
    );
  }
  if (r.errors.length > 0) lines.push('', `Errors: ${r.errors.join('; ')}`);
  return lines.join('\n');
}
