/**
 * Echo benchmark: round trips per second and heap bytes per round trip of
 * `examples/echo-server.ts` against a plain `node:net` echo server, with a C
 * epoll echo server as the reference that shows the load generator is not
 * the limit.
 *
 * Every server runs as its own child process. For each scenario the servers
 * are interleaved, and their order alternates between repetitions so slow
 * drift on the machine does not favour one of them. The summary uses medians.
 *
 * The load generator is `bench/load/echo-load.c`, compiled with the
 * machine's `cc -O2` into `dist/bench/bin/` when the binary is missing or
 * older than its source. It runs a closed loop (each connection sends one
 * message, waits for the whole echo, checks every byte, repeats), warms up,
 * then measures for a fixed time. It signals the server with SIGUSR2 right
 * before and after the measured window; the Node servers are started with
 * `bench/heap-probe.ts` preloaded, which answers with heap statistics (see
 * that file for the method).
 *
 * Environment: BENCH_SECONDS (measured seconds per run, default 5),
 * BENCH_WARMUP (seconds, default 1), BENCH_REPS (runs per server and
 * scenario, default 3), BENCH_SERVERS (comma list out of proactor, node:net,
 * c), BENCH_SCENARIOS (comma list of scenario names, e.g. 64x64B).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root: this file lives in `bench/` or `dist/bench/`. */
function repoRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = path.basename(path.dirname(here)) === 'dist' ? '../..' : '..';
  return path.resolve(here, up);
}

const ROOT = repoRoot();
const HOST = '127.0.0.1';

export interface EchoScenario {
  readonly name: string;
  readonly connections: number;
  readonly size: number;
}

export const ECHO_SCENARIOS: readonly EchoScenario[] = [
  { name: '64x64B', connections: 64, size: 64 },
  { name: '64x4KiB', connections: 64, size: 4096 },
  { name: '64x64KiB', connections: 64, size: 65536 },
  { name: '1000x64B', connections: 1000, size: 64 },
];

export type EchoServerName = 'proactor' | 'node:net' | 'c';

interface ServerSpec {
  readonly name: EchoServerName;
  /** Executable and arguments, without host and port. */
  readonly command: string;
  readonly args: readonly string[];
  /** Node servers run with the heap probe. */
  readonly node: boolean;
}

/** What `echo-load` prints. */
export interface LoadResult {
  connections: number;
  size: number;
  connected: number;
  connectSeconds: number;
  warmupSeconds: number;
  seconds: number;
  roundTrips: number;
  roundTripsPerSecond: number;
  bytesPerSecond: number;
  p50us: number;
  p99us: number;
  latencyOverflow: number;
  errors: number;
  mismatches: number;
  failedConnects: number;
  openAtEnd: number;
  stalled: boolean;
  cpuSeconds: number;
}

/** One line of `heap-probe` output. */
interface ProbeSnapshot {
  seq: number;
  usedHeapBytes: number;
  freedBytes: number;
  gcs: Record<string, number>;
  gcMicros: number;
  cpuUserMicros: number;
  cpuSystemMicros: number;
  rssBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  timeMs: number;
}

export interface HeapResult {
  /** Bytes allocated on the V8 heap during the measured window. */
  allocatedBytes: number;
  bytesPerRoundTrip: number;
  scavenges: number;
  markCompacts: number;
  gcMillis: number;
  /** Server CPU time (user + system, all threads) per round trip. */
  cpuMicrosPerRoundTrip: number;
  /** Server CPU time over wall time in the window (1 = one core). */
  cpuCores: number;
  rssBytes: number;
}

export interface EchoCell {
  scenario: string;
  server: EchoServerName;
  rep: number;
  /** Position of this server within its repetition, from 0. */
  position: number;
  load: LoadResult | null;
  heap: HeapResult | null;
  exitCode: number | null;
  error: string | null;
}

export interface EchoSummaryRow {
  scenario: string;
  server: EchoServerName;
  runs: number;
  roundTripsPerSecond: number;
  minRoundTripsPerSecond: number;
  maxRoundTripsPerSecond: number;
  /** Median round trips/s relative to the node:net median; null without it. */
  vsNodeNet: number | null;
  /**
   * Median over repetitions of (this server's rate / node:net's rate in the
   * same repetition): the two ran back to back, so slow drift cancels.
   */
  pairedVsNodeNet: number | null;
  heapBytesPerRoundTrip: number | null;
  cpuMicrosPerRoundTrip: number | null;
  p50us: number;
  p99us: number;
  /** Load generator CPU time over wall time (1 = one core busy). */
  generatorCores: number;
  errors: number;
}

export interface EchoOptions {
  seconds: number;
  warmupSeconds: number;
  reps: number;
  servers: readonly EchoServerName[];
  scenarios: readonly EchoScenario[];
  log: (line: string) => void;
}

export interface EchoResult {
  settings: {
    seconds: number;
    warmupSeconds: number;
    reps: number;
    servers: EchoServerName[];
    scenarios: EchoScenario[];
    skipped: string[];
  };
  cells: EchoCell[];
  summary: EchoSummaryRow[];
}

function envNumber(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new RangeError(`${name} must be a number within ${min}..${max}, got ${raw}`);
  }
  return n;
}

function envList(name: string): string[] | null {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return null;
  return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

const ALL_SERVERS: readonly EchoServerName[] = ['proactor', 'node:net', 'c'];

/** Options from the environment (see the file comment). */
export function echoOptionsFromEnv(): EchoOptions {
  const servers = envList('BENCH_SERVERS');
  const scenarios = envList('BENCH_SCENARIOS');
  for (const s of servers ?? []) {
    if (!ALL_SERVERS.includes(s as EchoServerName)) {
      throw new RangeError(`BENCH_SERVERS: unknown server ${s} (known: ${ALL_SERVERS.join(', ')})`);
    }
  }
  for (const s of scenarios ?? []) {
    if (!ECHO_SCENARIOS.some((x) => x.name === s)) {
      throw new RangeError(
        `BENCH_SCENARIOS: unknown scenario ${s} (known: ${ECHO_SCENARIOS.map((x) => x.name).join(', ')})`,
      );
    }
  }
  return {
    seconds: envNumber('BENCH_SECONDS', 5, 0.1, 600),
    warmupSeconds: envNumber('BENCH_WARMUP', 1, 0, 60),
    reps: Math.round(envNumber('BENCH_REPS', 3, 1, 50)),
    servers: servers === null ? ALL_SERVERS : ALL_SERVERS.filter((s) => servers.includes(s)),
    scenarios: scenarios === null ? ECHO_SCENARIOS : ECHO_SCENARIOS.filter((s) => scenarios.includes(s.name)),
    log: (line) => process.stderr.write(`${line}\n`),
  };
}

// ---------------------------------------------------------------------------
// Building the C programs

const BIN_DIR = path.join(ROOT, 'dist', 'bench', 'bin');

function ensureBinary(name: string): string {
  const source = path.join(ROOT, 'bench', 'load', `${name}.c`);
  const binary = path.join(BIN_DIR, name);
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return binary;
  mkdirSync(BIN_DIR, { recursive: true });
  const cc = process.env.CC ?? 'cc';
  const r = spawnSync(cc, ['-O2', '-Wall', '-o', binary, source], { encoding: 'utf8', timeout: 60_000 });
  if (r.error !== undefined) throw new Error(`${cc} failed to start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cc} ${source} failed:\n${r.stderr}`);
  return binary;
}

/** Compiles `echo-load` and the C echo server if needed; returns their paths. */
export function buildLoadTools(): { load: string; cServer: string } {
  return { load: ensureBinary('echo-load'), cServer: ensureBinary('echo-server') };
}

// ---------------------------------------------------------------------------
// Child processes

const children = new Set<ChildProcess>();
let cleanupInstalled = false;

function killAllChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAllChildren);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllChildren();
      process.exit(130);
    });
  }
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with the exit code (or null when killed by a signal); bounded by `ms`. */
function waitExit(child: ChildProcess, ms: number): Promise<number | null | 'timeout'> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve('timeout');
    }, ms);
    function onExit(code: number | null): void {
      clearTimeout(timer);
      resolve(code);
    }
    child.once('exit', onExit);
  });
}

const PORT_PATTERNS: readonly RegExp[] = [
  /(?:127\.0\.0\.1|localhost|0\.0\.0\.0|\[[0-9a-f:.]*\]):(\d{1,5})\b/i,
  /\bport\D{0,3}(\d{1,5})\b/i,
];

function findPort(line: string): number | null {
  for (const re of PORT_PATTERNS) {
    const m = re.exec(line);
    if (m?.[1] !== undefined) {
      const port = Number(m[1]);
      if (port > 0 && port < 65536) return port;
    }
  }
  return null;
}

class RunningServer {
  readonly probes: ProbeSnapshot[] = [];
  readonly output: string[] = [];
  port = 0;
  private stdoutRest = '';
  private stderrRest = '';
  private probeWaiter: (() => void) | null = null;
  private portWaiter: ((port: number) => void) | null = null;

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      this.stdoutRest = this.lines(this.stdoutRest + chunk, false);
    });
    child.stderr?.on('data', (chunk: string) => {
      this.stderrRest = this.lines(this.stderrRest + chunk, true);
    });
  }

  private lines(text: string, isStderr: boolean): string {
    const parts = text.split('\n');
    const rest = parts.pop() ?? '';
    for (const line of parts) this.onLine(line, isStderr);
    return rest;
  }

  private onLine(line: string, isStderr: boolean): void {
    if (isStderr && line.startsWith('heap-probe ')) {
      this.probes.push(JSON.parse(line.slice('heap-probe '.length)) as ProbeSnapshot);
      this.probeWaiter?.();
      return;
    }
    if (this.output.length < 200) this.output.push(line);
    if (!isStderr && this.port === 0) {
      const port = findPort(line);
      if (port !== null) {
        this.port = port;
        this.portWaiter?.(port);
      }
    }
  }

  waitPort(ms: number): Promise<number> {
    if (this.port !== 0) return Promise.resolve(this.port);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.portWaiter = null;
        reject(new Error(`the server printed no port within ${ms} ms; output: ${this.output.join(' | ')}`));
      }, ms);
      const onExit = (code: number | null): void => {
        clearTimeout(timer);
        reject(new Error(`the server exited (${code}) before listening; output: ${this.output.join(' | ')}`));
      };
      this.child.once('exit', onExit);
      this.portWaiter = (port) => {
        clearTimeout(timer);
        this.child.off('exit', onExit);
        this.portWaiter = null;
        resolve(port);
      };
    });
  }

  async waitProbes(count: number, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.probes.length < count && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.probeWaiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.probeWaiter = null;
    }
  }

  /** SIGTERM, then SIGKILL if it does not exit in time. Resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const code = await waitExit(this.child, 5000);
    if (code !== 'timeout') return code;
    this.child.kill('SIGKILL');
    await waitExit(this.child, 2000);
    return null;
  }
}

function serverSpecs(cServer: string): ServerSpec[] {
  const probe = pathToFileURL(path.join(ROOT, 'dist', 'bench', 'heap-probe.js')).href;
  const nodeArgs = ['--expose-gc', '--import', probe];
  return [
    {
      name: 'proactor',
      command: process.execPath,
      args: [...nodeArgs, path.join(ROOT, 'dist', 'examples', 'echo-server.js')],
      node: true,
    },
    {
      name: 'node:net',
      command: process.execPath,
      args: [...nodeArgs, path.join(ROOT, 'dist', 'bench', 'node-echo-server.js')],
      node: true,
    },
    { name: 'c', command: cServer, args: [], node: false },
  ];
}

/** `--cpu-prof` arguments when BENCH_CPU_PROF is set, for a Node server. */
function profileArgs(spec: ServerSpec, tag: string): string[] {
  const prof = process.env.BENCH_CPU_PROF;
  if (!spec.node || prof === undefined || prof === '' || prof === '0') return [];
  const name = `${spec.name.replace(/[^a-z0-9]+/gi, '-')}-${tag}.cpuprofile`;
  return ['--cpu-prof', '--cpu-prof-dir', path.join(ROOT, 'dist', 'bench', 'profiles'), '--cpu-prof-name', name];
}

async function startServer(spec: ServerSpec, tag: string): Promise<RunningServer> {
  // Node options go before the script, the script's own after it.
  const args = [...profileArgs(spec, tag), ...spec.args, '--host', HOST, '--port', '0'];
  const child = track(spawn(spec.command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  const server = new RunningServer(child);
  try {
    await server.waitPort(10_000);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

function runLoad(
  load: string,
  port: number,
  scenario: EchoScenario,
  options: EchoOptions,
  signalPid: number | undefined,
): Promise<LoadResult> {
  const args = [
    '--host', HOST,
    '--port', String(port),
    '--connections', String(scenario.connections),
    '--size', String(scenario.size),
    '--warmup', String(options.warmupSeconds),
    '--duration', String(options.seconds),
  ];
  if (signalPid !== undefined) args.push('--signal-pid', String(signalPid));
  const child = track(spawn(load, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => (out += chunk));
  child.stderr?.on('data', (chunk: string) => (err += chunk));
  // The generator stops by itself; this bound only catches a broken one.
  const limitMs = (options.warmupSeconds + options.seconds + 60) * 1000;
  return waitExit(child, limitMs).then((code) => {
    if (code === 'timeout') {
      child.kill('SIGKILL');
      throw new Error('echo-load did not finish in time');
    }
    const line = out.trim().split('\n').pop() ?? '';
    if (!line.startsWith('{')) throw new Error(`echo-load exited ${code} without a result: ${err.trim()}`);
    return JSON.parse(line) as LoadResult;
  });
}

function heapFrom(server: RunningServer, load: LoadResult): HeapResult | null {
  const a = server.probes[server.probes.length - 2];
  const b = server.probes[server.probes.length - 1];
  if (a === undefined || b === undefined || load.roundTrips === 0) return null;
  const allocated = b.usedHeapBytes - a.usedHeapBytes + b.freedBytes;
  const cpuMicros = b.cpuUserMicros + b.cpuSystemMicros - a.cpuUserMicros - a.cpuSystemMicros;
  let scavenges = 0;
  let markCompacts = 0;
  for (const [type, count] of Object.entries(b.gcs)) {
    if (type === 'Scavenge' || type === 'MinorMarkCompact' || type === 'MinorMarkSweep') scavenges += count;
    else if (type === 'MarkSweepCompact') markCompacts += count;
  }
  const wallMs = b.timeMs - a.timeMs;
  return {
    allocatedBytes: allocated,
    bytesPerRoundTrip: allocated / load.roundTrips,
    scavenges,
    markCompacts,
    gcMillis: b.gcMicros / 1000,
    cpuMicrosPerRoundTrip: cpuMicros / load.roundTrips,
    cpuCores: wallMs > 0 ? cpuMicros / 1000 / wallMs : 0,
    rssBytes: b.rssBytes,
  };
}

async function runCell(
  spec: ServerSpec,
  scenario: EchoScenario,
  load: string,
  options: EchoOptions,
  rep: number,
  position: number,
): Promise<EchoCell> {
  const cell: EchoCell = {
    scenario: scenario.name,
    server: spec.name,
    rep,
    position,
    load: null,
    heap: null,
    exitCode: null,
    error: null,
  };
  let server: RunningServer | null = null;
  try {
    server = await startServer(spec, `${scenario.name}-${rep + 1}`);
    const pid = spec.node ? server.child.pid : undefined;
    cell.load = await runLoad(load, server.port, scenario, options, pid);
    if (spec.node) {
      await server.waitProbes(2, 3000);
      cell.heap = heapFrom(server, cell.load);
    }
    if (cell.load.errors > 0 || cell.load.stalled) {
      cell.error = `echo-load: ${cell.load.errors} errors (${cell.load.mismatches} mismatched), stalled ${cell.load.stalled}`;
    }
  } catch (e) {
    cell.error = e instanceof Error ? e.message : String(e);
  } finally {
    if (server !== null) {
      cell.exitCode = await server.stop();
      if (cell.exitCode !== 0 && cell.error === null) {
        cell.error = `the server exited with ${cell.exitCode} on SIGTERM; output: ${server.output.slice(-5).join(' | ')}`;
      }
    }
  }
  return cell;
}

// ---------------------------------------------------------------------------
// Statistics

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function summarize(cells: readonly EchoCell[], options: EchoOptions): EchoSummaryRow[] {
  const rows: EchoSummaryRow[] = [];
  for (const scenario of options.scenarios) {
    const byServer = new Map<EchoServerName, EchoSummaryRow>();
    for (const server of options.servers) {
      const mine = cells.filter((c) => c.scenario === scenario.name && c.server === server);
      const loads = mine.map((c) => c.load).filter((l): l is LoadResult => l !== null && l.roundTrips > 0);
      if (loads.length === 0) continue;
      const rates = loads.map((l) => l.roundTripsPerSecond);
      const heaps = mine.map((c) => c.heap).filter((h): h is HeapResult => h !== null);
      const row: EchoSummaryRow = {
        scenario: scenario.name,
        server,
        runs: loads.length,
        roundTripsPerSecond: median(rates),
        minRoundTripsPerSecond: Math.min(...rates),
        maxRoundTripsPerSecond: Math.max(...rates),
        vsNodeNet: null,
        pairedVsNodeNet: null,
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
      for (const row of byServer.values()) {
        row.vsNodeNet = row.roundTripsPerSecond / base.roundTripsPerSecond;
        const ratios: number[] = [];
        for (let rep = 0; rep < options.reps; rep++) {
          const rateOf = (server: EchoServerName): number | undefined =>
            cells.find((c) => c.scenario === scenario.name && c.server === server && c.rep === rep)?.load?.roundTripsPerSecond;
          const mine = rateOf(row.server);
          const theirs = rateOf('node:net');
          if (mine !== undefined && theirs !== undefined && theirs > 0) ratios.push(mine / theirs);
        }
        row.pairedVsNodeNet = ratios.length > 0 ? median(ratios) : null;
      }
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------
// The benchmark

/** Runs every scenario against every server, interleaved; see the file comment. */
export async function runEchoBenchmark(overrides: Partial<EchoOptions> = {}): Promise<EchoResult> {
  const options: EchoOptions = { ...echoOptionsFromEnv(), ...overrides };
  installCleanup();
  const { load, cServer } = buildLoadTools();
  const skipped: string[] = [];
  const specs = serverSpecs(cServer).filter((spec) => {
    if (!options.servers.includes(spec.name)) return false;
    const script = spec.node ? spec.args[spec.args.length - 1] : spec.command;
    if (script !== undefined && !existsSync(script)) {
      skipped.push(`${spec.name}: ${path.relative(ROOT, script)} does not exist (run npm run build)`);
      return false;
    }
    return true;
  });
  for (const s of skipped) options.log(`echo: skipping ${s}`);

  const cells: EchoCell[] = [];
  try {
    for (const scenario of options.scenarios) {
      for (let rep = 0; rep < options.reps; rep++) {
        const order = rep % 2 === 0 ? specs : [...specs].reverse();
        for (let position = 0; position < order.length; position++) {
          const spec = order[position]!;
          const cell = await runCell(spec, scenario, load, options, rep, position);
          cells.push(cell);
          const rate = cell.load === null ? '-' : Math.round(cell.load.roundTripsPerSecond).toString();
          const heap = cell.heap === null ? '' : ` heap ${cell.heap.bytesPerRoundTrip.toFixed(0)} B/rt`;
          options.log(
            `echo ${scenario.name} rep ${rep + 1}/${options.reps} ${spec.name}: ${rate} rt/s${heap}` +
              (cell.error === null ? '' : ` ERROR ${cell.error}`),
          );
          await sleep(200);
        }
      }
    }
  } finally {
    killAllChildren();
  }
  return {
    settings: {
      seconds: options.seconds,
      warmupSeconds: options.warmupSeconds,
      reps: options.reps,
      servers: specs.map((s) => s.name),
      scenarios: [...options.scenarios],
      skipped,
    },
    cells,
    summary: summarize(cells, options),
  };
}

// ---------------------------------------------------------------------------
// Markdown

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fmtRatio(n: number | null): string {
  return n === null ? '–' : `${n.toFixed(2)}×`;
}

const SERVER_LABEL: Record<EchoServerName, string> = {
  proactor: 'proactor (examples/echo-server)',
  'node:net': 'node:net',
  c: 'C epoll (reference)',
};

/** The echo results as Markdown: one table plus notes. */
export function echoMarkdown(result: EchoResult): string {
  const s = result.settings;
  const out: string[] = [];
  out.push('### Echo round trips');
  out.push('');
  out.push(
    `Closed loop: every connection sends a message, waits for the full echo and checks it, then repeats. ` +
      `${s.reps} runs per cell of ${s.seconds} s after ${s.warmupSeconds} s warm-up, servers interleaved ` +
      `with alternating order; medians. "vs node:net" divides the medians; "paired ratio" is the median of ` +
      `the per-repetition ratios of runs made back to back. The load generator (C, epoll, one thread) and the server share the machine.`,
  );
  out.push('');
  out.push('| scenario | server | round trips/s | range | vs node:net | paired ratio | heap B/round trip | server CPU µs/round trip | p50 µs | p99 µs | generator CPU | errors |');
  out.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const r of result.summary) {
    out.push(
      `| ${r.scenario} | ${SERVER_LABEL[r.server]} | ${fmtInt(r.roundTripsPerSecond)} | ` +
        `${fmtInt(r.minRoundTripsPerSecond)}–${fmtInt(r.maxRoundTripsPerSecond)} | ${fmtRatio(r.vsNodeNet)} | ${fmtRatio(r.pairedVsNodeNet)} | ` +
        `${r.heapBytesPerRoundTrip === null ? '–' : fmtInt(r.heapBytesPerRoundTrip)} | ` +
        `${r.cpuMicrosPerRoundTrip === null ? '–' : r.cpuMicrosPerRoundTrip.toFixed(1)} | ` +
        `${fmtInt(r.p50us)} | ${fmtInt(r.p99us)} | ${Math.round(r.generatorCores * 100)}% | ${r.errors} |`,
    );
  }
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
    'Heap bytes per round trip: bytes placed on the V8 heap of the server process during the measured window ' +
      '(used heap at the end − at the start + bytes freed by every collection in between, from `v8.GCProfiler`), ' +
      'divided by the round trips in that window. Buffer contents outside the heap are not counted. ' +
      'Server CPU is user + system time of all its threads (`process.cpuUsage()`).',
  );
  const failures = result.cells.filter((c) => c.error !== null);
  if (failures.length > 0) {
    out.push('');
    out.push('Failed runs:');
    for (const f of failures) out.push(`- ${f.scenario} ${f.server} run ${f.rep + 1}: ${f.error ?? ''}`);
  }
  if (s.skipped.length > 0) {
    out.push('');
    for (const k of s.skipped) out.push(`- skipped ${k}`);
  }
  return out.join('\n');
}
