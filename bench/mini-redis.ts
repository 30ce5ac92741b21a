/**
 * The mini-redis benchmark: `redis-benchmark -t ping,set,get,incr,mset`
 * with 50 clients, without pipelining and with `-P 16`, against three
 * servers side by side:
 *
 * - `mini-redis`: examples/mini-redis on proactor;
 * - `node:net`: the same commands on plain `node:net` (bench/node-redis-server.ts);
 * - `redis-server`: Debian's Redis, the C reference (no persistence).
 *
 * Each server runs as its own process for the whole benchmark. In every
 * repetition each pipeline depth runs against the servers back to back,
 * in an order that reverses every repetition, so slow drift on the machine
 * favours none of them. A ratio pairs two servers' rates for the same test
 * in the same repetition; the table shows medians over repetitions (in
 * brackets the lowest and highest per-repetition ratio).
 *
 * redis-benchmark (Debian's `redis-tools`) is the load generator: when it
 * or `redis-server` is missing, `apt-get install -y redis-server
 * redis-tools` is run first (through sudo when not root).
 *
 * Environment: BENCH_REDIS_REPS (default 3); BENCH_REDIS_REQUESTS, the
 * requests per test without pipelining (default 50,000; `-P 16` runs 8
 * times as many so each test lasts about as long).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './echo-stats.js';

export type RedisServerName = 'mini-redis' | 'node:net' | 'redis-server';

export const REDIS_SERVERS: readonly RedisServerName[] = ['mini-redis', 'node:net', 'redis-server'];
const PIPELINES = [1, 16] as const;
const CLIENTS = 50;
const TESTS = 'ping,set,get,incr,mset';
/** What the benchmark needs from Debian, and the package each comes in. */
const TOOLS: readonly (readonly [string, string])[] = [
  ['redis-benchmark', 'redis-tools'],
  ['redis-server', 'redis-server'],
];

/** One redis-benchmark run: a server, a pipeline depth, a repetition, the rate of each test. */
export interface RedisRun {
  server: RedisServerName;
  pipeline: number;
  rep: number;
  /** Requests per second by test name (`PING_INLINE`, `SET`, `MSET (10 keys)`…). */
  rates: Record<string, number>;
  /** The server's CPU time (user + system) over the run, per request of all its tests; null where /proc does not tell. */
  cpuMicrosPerRequest: number | null;
}

/** Per pipeline depth: each server's median CPU µs per request, over the whole test mix. */
export interface RedisCpuRow {
  pipeline: number;
  cpu: Partial<Record<RedisServerName, number>>;
}

export interface RedisRow {
  test: string;
  pipeline: number;
  /** Median requests per second per server. */
  rps: Partial<Record<RedisServerName, number>>;
  /** mini-redis ÷ node:net: median and range of the paired per-repetition ratios. */
  vsNodeNet: RatioSummary | null;
  /** mini-redis ÷ redis-server, likewise. */
  vsRedis: RatioSummary | null;
}

export interface RatioSummary {
  median: number;
  min: number;
  max: number;
}

export interface RedisBenchmarkResult {
  settings: { reps: number; requests: number; clients: number; tests: string; redisVersion: string; loadAverage: number[] };
  runs: RedisRun[];
  rows: RedisRow[];
  /** Absent in results written before it was measured. */
  cpu?: RedisCpuRow[];
  /** The floor: mini-redis at least this many times node:net on every row. */
  floor: number;
}

const FLOOR = 1.3;
/** Linux's USER_HZ, the unit of /proc/<pid>/stat's CPU times. */
const CLOCK_TICKS = 100;

function repoRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = path.basename(path.dirname(here)) === 'dist' ? '../..' : '..';
  return path.resolve(here, up);
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Installs redis-tools and redis-server with apt-get when one of their programs is missing. */
export function ensureRedisTools(): void {
  const missing = TOOLS.filter(([command]) => !onPath(command)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  // As root apt-get runs directly; otherwise through sudo, which must not ask for a password.
  const root = process.getuid?.() === 0;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: readonly string[]): number | null =>
    spawnSync(root ? 'apt-get' : 'sudo', root ? args : ['-n', 'apt-get', ...args], { stdio: 'inherit', env }).status;
  process.stderr.write(`installing ${missing.join(' ')} with apt-get …\n`);
  if (apt(['install', '-y', ...missing]) !== 0) {
    apt(['update']);
    apt(['install', '-y', ...missing]);
  }
  const still = TOOLS.filter(([command]) => !onPath(command)).map(([command]) => command);
  if (still.length > 0) throw new Error(`the mini-redis benchmark needs ${still.join(' and ')} (Debian: apt-get install ${missing.join(' ')}), and installing failed`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => {
        resolve(port);
      });
    });
  });
}

/** Resolves once `PING` on 127.0.0.1:port is answered `+PONG`. */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\r\n')) socket.end();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      resolve(got.startsWith('+PONG\r\n'));
    });
  });
}

interface Started {
  name: RedisServerName;
  port: number;
  child: ChildProcess;
  output: string[];
}

const children = new Set<ChildProcess>();
function killChildren(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

async function startRedisServer(name: RedisServerName, root: string): Promise<Started> {
  const port = await freePort();
  const where = ['--port', String(port)];
  const [command, args] =
    name === 'mini-redis'
      ? [process.execPath, [path.join(root, 'dist/examples/mini-redis/server.js'), '--host', '127.0.0.1', ...where]]
      : name === 'node:net'
        ? [process.execPath, [path.join(root, 'dist/bench/node-redis-server.js'), '--host', '127.0.0.1', ...where]]
        : ['redis-server', ['--bind', '127.0.0.1', ...where, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', '']];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const output: string[] = [];
  const keep = (d: Buffer): void => {
    if (output.length < 100) output.push(d.toString('utf8'));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const deadline = Date.now() + 10_000;
  while (!(await pong(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not answer PING on port ${port}: ${output.join('')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { name, port, child, output };
}

async function stopServer(server: Started): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  children.delete(server.child);
}

/** CPU seconds (user + system) process `pid` has used, from /proc; null where that cannot be read. */
function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** Runs redis-benchmark once; resolves with requests per second by test. */
function redisBenchmark(port: number, pipeline: number, requests: number): Promise<Record<string, number>> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-c', String(CLIENTS), '-n', String(requests), '-P', String(pipeline), '-t', TESTS, '--csv'];
  return new Promise((resolve, reject) => {
    const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      const rates: Record<string, number> = {};
      for (const line of out.split('\n')) {
        const m = /^"([^"]+)","([\d.]+)"/.exec(line);
        if (m?.[1] !== undefined && m[2] !== undefined) rates[m[1]] = Number(m[2]);
      }
      if (code !== 0 || Object.keys(rates).length === 0) reject(new Error(`redis-benchmark ${args.join(' ')} exited ${code}: ${err.trim()} ${out.trim()}`));
      else resolve(rates);
    });
  });
}

function summarizeRatios(ratios: readonly number[]): RatioSummary | null {
  if (ratios.length === 0) return null;
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

export function summarizeRedisRuns(runs: readonly RedisRun[], reps: number): RedisRow[] {
  const rows: RedisRow[] = [];
  for (const pipeline of PIPELINES) {
    const tests: string[] = [];
    for (const run of runs) if (run.pipeline === pipeline) for (const test of Object.keys(run.rates)) if (!tests.includes(test)) tests.push(test);
    for (const test of tests) {
      const rate = (server: RedisServerName, rep: number): number | undefined =>
        runs.find((r) => r.server === server && r.pipeline === pipeline && r.rep === rep)?.rates[test];
      const rps: Partial<Record<RedisServerName, number>> = {};
      for (const server of REDIS_SERVERS) {
        const rates = runs.filter((r) => r.server === server && r.pipeline === pipeline).map((r) => r.rates[test]).filter((x) => x !== undefined);
        if (rates.length > 0) rps[server] = median(rates);
      }
      const paired = (other: RedisServerName): number[] => {
        const ratios: number[] = [];
        for (let rep = 0; rep < reps; rep++) {
          const mine = rate('mini-redis', rep);
          const theirs = rate(other, rep);
          if (mine !== undefined && theirs !== undefined && theirs > 0) ratios.push(mine / theirs);
        }
        return ratios;
      };
      rows.push({ test, pipeline, rps, vsNodeNet: summarizeRatios(paired('node:net')), vsRedis: summarizeRatios(paired('redis-server')) });
    }
  }
  return rows;
}

export function summarizeRedisCpu(runs: readonly RedisRun[]): RedisCpuRow[] {
  return PIPELINES.map((pipeline) => {
    const cpu: Partial<Record<RedisServerName, number>> = {};
    for (const server of REDIS_SERVERS) {
      const values = runs.filter((r) => r.server === server && r.pipeline === pipeline && r.cpuMicrosPerRequest !== null).map((r) => r.cpuMicrosPerRequest!);
      if (values.length > 0) cpu[server] = median(values);
    }
    return { pipeline, cpu };
  });
}

export async function runMiniRedisBenchmark(): Promise<RedisBenchmarkResult> {
  ensureRedisTools();
  const reps = Number(process.env.BENCH_REDIS_REPS ?? '3');
  const requests = Number(process.env.BENCH_REDIS_REQUESTS ?? '50000');
  if (!Number.isInteger(reps) || reps < 1) throw new RangeError('BENCH_REDIS_REPS must be a positive integer');
  if (!Number.isInteger(requests) || requests < 1000) throw new RangeError('BENCH_REDIS_REQUESTS must be an integer of at least 1000');
  const version = /v=([\d.]+)/.exec(spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? 'unknown';
  const root = repoRoot();
  process.on('exit', killChildren);
  const servers: Started[] = [];
  const runs: RedisRun[] = [];
  try {
    for (const name of REDIS_SERVERS) servers.push(await startRedisServer(name, root));
    // One untimed pass each, so every server meets the measured runs warm.
    for (const server of servers) await redisBenchmark(server.port, 16, requests);
    for (let rep = 0; rep < reps; rep++) {
      const order = rep % 2 === 0 ? servers : [...servers].reverse();
      for (const pipeline of PIPELINES) {
        for (const server of order) {
          const count = pipeline === 1 ? requests : requests * 8;
          const before = cpuSeconds(server.child.pid);
          const rates = await redisBenchmark(server.port, pipeline, count);
          const after = cpuSeconds(server.child.pid);
          const tests = Object.keys(rates).length;
          const cpuMicrosPerRequest = before === null || after === null ? null : ((after - before) * 1e6) / (count * tests);
          runs.push({ server: server.name, pipeline, rep, rates, cpuMicrosPerRequest });
          process.stderr.write(`  rep ${rep + 1}/${reps} -P ${pipeline} ${server.name}: ${Object.entries(rates).map(([t, r]) => `${t} ${Math.round(r)}`).join(', ')}\n`);
        }
      }
    }
  } finally {
    for (const server of servers) await stopServer(server);
  }
  const loadAverage = os.loadavg().map((x) => Math.round(x * 100) / 100);
  return {
    settings: { reps, requests, clients: CLIENTS, tests: TESTS, redisVersion: version, loadAverage },
    runs,
    rows: summarizeRedisRuns(runs, reps),
    cpu: summarizeRedisCpu(runs),
    floor: FLOOR,
  };
}

const fmtRate = (x: number | undefined): string => (x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));
const fmtRatio = (r: RatioSummary | null): string => (r === null ? '–' : `${r.median.toFixed(2)}× (${r.min.toFixed(2)}–${r.max.toFixed(2)})`);

export function formatMiniRedisBenchmark(result: RedisBenchmarkResult): string {
  const s = result.settings;
  const lines = [
    `\`redis-benchmark -c ${s.clients} -t ${s.tests}\`, ${s.requests.toLocaleString('en-US')} requests per test without pipelining and ${(s.requests * 8).toLocaleString('en-US')} with \`-P 16\`; ${s.reps} repetitions, the servers back to back in each, their order reversed every repetition. Requests per second are medians; a ratio is the median of the per-repetition ratios (lowest–highest in brackets). redis-benchmark and the server share the machine; redis-server ${s.redisVersion} runs without persistence. Load average at the end: ${s.loadAverage.join(', ')}.`,
    '',
    `| test | pipeline | mini-redis req/s | node:net req/s | redis-server req/s | mini-redis ÷ node:net | floor ${result.floor}× | mini-redis ÷ redis-server |`,
    '|---|--:|--:|--:|--:|--:|:-:|--:|',
  ];
  for (const row of result.rows) {
    const floor = row.vsNodeNet === null ? '–' : row.vsNodeNet.median >= result.floor ? 'met' : 'missed';
    lines.push(
      `| ${row.test} | ${row.pipeline === 1 ? '1' : `-P ${row.pipeline}`} | ${fmtRate(row.rps['mini-redis'])} | ${fmtRate(row.rps['node:net'])} | ${fmtRate(row.rps['redis-server'])} | ${fmtRatio(row.vsNodeNet)} | ${floor} | ${fmtRatio(row.vsRedis)} |`,
    );
  }
  const fmtCpu = (x: number | undefined): string => (x === undefined ? '–' : x.toFixed(2));
  const cpuRows = (result.cpu ?? []).filter((row) => Object.keys(row.cpu).length > 0);
  if (cpuRows.length > 0) {
    lines.push(
      '',
      "Each server's CPU time (user + system, from /proc) per request over a whole redis-benchmark run (all its tests), medians: what a request costs the server, whether or not redis-benchmark is what limits the rate.",
      '',
      '| pipeline | mini-redis CPU µs per request | node:net | redis-server | node:net ÷ mini-redis |',
      '|--:|--:|--:|--:|--:|',
    );
    for (const row of cpuRows) {
      const mine = row.cpu['mini-redis'];
      const theirs = row.cpu['node:net'];
      const ratio = mine !== undefined && theirs !== undefined && mine > 0 ? `${(theirs / mine).toFixed(2)}×` : '–';
      lines.push(`| ${row.pipeline === 1 ? '1' : `-P ${row.pipeline}`} | ${fmtCpu(mine)} | ${fmtCpu(theirs)} | ${fmtCpu(row.cpu['redis-server'])} | ${ratio} |`);
    }
  }
  return lines.join('\n');
}
