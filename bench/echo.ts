/**
 * Echo benchmark: round trips per second and heap bytes per round trip of
 * `examples/echo-server.ts` (proactor) against a plain `node:net` echo server
 * and against the raw-handle ceiling probe (bench/raw-handle-echo-server.ts),
 * on every Node version of the matrix, over TCP and over Unix-domain sockets;
 * a C epoll echo server is the reference that shows the load generator is
 * not the limit.
 *
 * Every server runs as its own child process. For each scenario and
 * repetition the Node versions run one after the other, and on each Node its
 * servers run back to back; the order of Nodes and of servers reverses every
 * repetition, so slow drift on the machine does not favour one of them.
 * Ratios always pair two servers on the same Node in the same repetition
 * (see bench/echo-stats.ts). The summary uses medians.
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
 * Environment:
 * - BENCH_SECONDS: measured seconds per run (default 2); BENCH_WARMUP:
 *   seconds of warm-up before it (default 0.5); BENCH_REPS: runs per server,
 *   Node and scenario (default 3).
 * - BENCH_SERVERS: comma list out of proactor, proactor:handle,
 *   proactor:chunk, node:net, raw-handle, asio, c, proactor@base (default:
 *   all that apply).
 * - BENCH_SCENARIOS: comma list of scenario names (e.g. 64x64B,unix64x64B).
 * - BENCH_NODES: the Node versions to run the Node servers on (see
 *   bench/echo-nodes.ts; default the running Node, then 20, 22, 24, 26 where
 *   installed).
 * - BENCH_BASELINE_DIST: the `dist` directory of another build (another
 *   commit, built with `npx tsc -p tsconfig.build.json`); adds its
 *   examples/echo-server.js as the server `proactor@base`, interleaved with
 *   this build's, for an A/B comparison in one run. It serves Unix scenarios
 *   only if that build's echo server knows `--path`.
 * - BENCH_CPU_PROF: when set, every Node server writes a `--cpu-prof`
 *   profile into dist/bench/profiles/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolveNodes, type NodeBinary } from './echo-nodes.js';
import { heapFrom, installCleanup, killAllChildren, runLoad, sleep, startServer, type RunningServer } from './echo-process.js';
import { buildAsioProgram } from './asio/build-asio.js';
import { summarize } from './echo-stats.js';
import type { EchoCell, EchoResult, EchoScenario, EchoServerName, EchoSettings } from './echo-types.js';

export type * from './echo-types.js';

/** The repository root: this file lives in `bench/` or `dist/bench/`. */
function repoRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = path.basename(path.dirname(here)) === 'dist' ? '../..' : '..';
  return path.resolve(here, up);
}

const ROOT = repoRoot();

export const ECHO_SCENARIOS: readonly EchoScenario[] = [
  { name: '64x64B', connections: 64, size: 64, transport: 'tcp' },
  { name: '64x4KiB', connections: 64, size: 4096, transport: 'tcp' },
  { name: '64x64KiB', connections: 64, size: 65536, transport: 'tcp' },
  { name: '1000x64B', connections: 1000, size: 64, transport: 'tcp' },
  { name: '1000x4KiB', connections: 1000, size: 4096, transport: 'tcp' },
  { name: 'unix64x64B', connections: 64, size: 64, transport: 'unix' },
  { name: 'unix64x4KiB', connections: 64, size: 4096, transport: 'unix' },
];

const ALL_SERVERS: readonly EchoServerName[] = ['proactor', 'proactor:handle', 'proactor:chunk', 'proactor@base', 'node:net', 'raw-handle', 'asio', 'c'];

interface ServerSpec {
  readonly name: EchoServerName;
  /** The Node binary it runs on; null for the C server. */
  readonly node: NodeBinary | null;
  /** Executable and arguments, without the listen arguments. */
  readonly command: string;
  readonly args: readonly string[];
  /** Whether it can serve a Unix socket path (`--path`). */
  readonly unix: boolean;
  /** Environment added for it (PROACTOR_TRANSPORT for the transport variants). */
  readonly env: Readonly<Record<string, string>>;
}

export interface EchoOptions {
  seconds: number;
  warmupSeconds: number;
  reps: number;
  servers: readonly EchoServerName[];
  scenarios: readonly EchoScenario[];
  /** BENCH_NODES entries, or null for the default. */
  nodes: readonly string[] | null;
  /** The other build's dist directory for proactor@base, or null. */
  baselineDist: string | null;
  log: (line: string) => void;
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
  return raw.split(/[\s,]+/).filter((s) => s !== '');
}

/** Options from the environment (see the file comment). */
export function echoOptionsFromEnv(): EchoOptions {
  const servers = envList('BENCH_SERVERS');
  const scenarios = envList('BENCH_SCENARIOS');
  const baseline = process.env.BENCH_BASELINE_DIST;
  const baselineDist = baseline === undefined || baseline === '' ? null : path.resolve(baseline);
  for (const s of servers ?? []) {
    if (!ALL_SERVERS.includes(s as EchoServerName)) {
      throw new RangeError(`BENCH_SERVERS: unknown server ${s} (known: ${ALL_SERVERS.join(', ')})`);
    }
    if (s === 'proactor@base' && baselineDist === null) throw new RangeError('BENCH_SERVERS: proactor@base needs BENCH_BASELINE_DIST');
  }
  for (const s of scenarios ?? []) {
    if (!ECHO_SCENARIOS.some((x) => x.name === s)) {
      throw new RangeError(
        `BENCH_SCENARIOS: unknown scenario ${s} (known: ${ECHO_SCENARIOS.map((x) => x.name).join(', ')})`,
      );
    }
  }
  const defaults = ALL_SERVERS.filter((s) => s !== 'proactor@base' || baselineDist !== null);
  return {
    seconds: envNumber('BENCH_SECONDS', 2, 0.1, 600),
    warmupSeconds: envNumber('BENCH_WARMUP', 0.5, 0, 60),
    reps: Math.round(envNumber('BENCH_REPS', 3, 1, 50)),
    servers: servers === null ? defaults : ALL_SERVERS.filter((s) => servers.includes(s)),
    scenarios: scenarios === null ? ECHO_SCENARIOS : ECHO_SCENARIOS.filter((s) => scenarios.includes(s.name)),
    nodes: envList('BENCH_NODES'),
    baselineDist,
    log: (line) => process.stderr.write(`${line}\n`),
  };
}

// ---------------------------------------------------------------------------
// Building the C programs

const BIN_DIR = path.join(ROOT, 'dist', 'bench', 'bin');

export function ensureBinary(name: string, flags: readonly string[] = []): string {
  const source = path.join(ROOT, 'bench', 'load', `${name}.c`);
  const binary = path.join(BIN_DIR, name);
  const common = path.join(ROOT, 'bench', 'load', 'load-common.h'); // what the load generators include
  const newest = Math.max(statSync(source).mtimeMs, existsSync(common) ? statSync(common).mtimeMs : 0);
  if (existsSync(binary) && statSync(binary).mtimeMs >= newest) return binary;
  mkdirSync(BIN_DIR, { recursive: true });
  const cc = process.env.CC ?? 'cc';
  const r = spawnSync(cc, ['-O2', '-Wall', '-o', binary, source, ...flags], { encoding: 'utf8', timeout: 60_000 });
  if (r.error !== undefined) throw new Error(`${cc} failed to start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cc} ${source} failed:\n${r.stderr}`);
  return binary;
}

/** Compiles `echo-load` and the C echo server if needed; returns their paths. */
export function buildLoadTools(): { load: string; cServer: string } {
  return { load: ensureBinary('echo-load'), cServer: ensureBinary('echo-server') };
}

// ---------------------------------------------------------------------------
// Servers

/**
 * The short commit of the git checkout holding `dir`, with `+` when it has
 * uncommitted changes (other than the benchmark's own output files); null
 * outside git.
 */
function commitOf(dir: string): string | null {
  const head = spawnSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8', timeout: 10_000 });
  if (head.status !== 0) return null;
  const outputs = [':(top,exclude)bench/results.json', ':(top,exclude)bench/results.md', ':(top,exclude)docs/bench-chart.svg'];
  const status = spawnSync('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no', '--', ':(top)', ...outputs], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return `${head.stdout.trim()}${status.status === 0 && status.stdout.trim() !== '' ? '+' : ''}`;
}

/** Whether an echo-server script takes `--path` (older builds do not). */
function knowsPath(script: string): boolean {
  try {
    return readFileSync(script, 'utf8').includes("'--path'");
  } catch {
    return false;
  }
}

/** The forced transport of the proactor variants. */
const TRANSPORT_VARIANTS: Partial<Record<EchoServerName, string>> = { 'proactor:handle': 'handle', 'proactor:chunk': 'chunk' };

/** The asio reference, built on first use; null (and why in `skipped`) where it cannot be built. */
function asioServer(skipped: string[]): string | null {
  try {
    return buildAsioProgram('echo-server');
  } catch (e) {
    skipped.push(`asio: ${e instanceof Error ? e.message.split('\n')[0]! : String(e)}`);
    return null;
  }
}

function serverSpecs(options: EchoOptions, nodes: readonly NodeBinary[], cServer: string, skipped: string[]): ServerSpec[] {
  const probe = pathToFileURL(path.join(ROOT, 'dist', 'bench', 'heap-probe.js')).href;
  const scripts: Partial<Record<EchoServerName, string>> = {
    proactor: path.join(ROOT, 'dist', 'examples', 'echo-server.js'),
    'node:net': path.join(ROOT, 'dist', 'bench', 'node-echo-server.js'),
    'raw-handle': path.join(ROOT, 'dist', 'bench', 'raw-handle-echo-server.js'),
  };
  if (options.baselineDist !== null) scripts['proactor@base'] = path.join(options.baselineDist, 'examples', 'echo-server.js');
  const specs: ServerSpec[] = [];
  for (const name of options.servers) {
    if (name === 'c') {
      specs.push({ name, node: null, command: cServer, args: [], unix: true, env: {} });
      continue;
    }
    if (name === 'asio') {
      const binary = asioServer(skipped);
      if (binary !== null) specs.push({ name, node: null, command: binary, args: [], unix: true, env: {} });
      continue;
    }
    const transport = TRANSPORT_VARIANTS[name];
    const script = transport !== undefined ? scripts.proactor : scripts[name];
    if (script === undefined) continue;
    if (!existsSync(script)) {
      const where = name === 'proactor@base' ? 'the baseline dist has no examples/echo-server.js' : `${path.relative(ROOT, script)} does not exist`;
      skipped.push(`${name}: ${where} (build with npx tsc -p tsconfig.build.json)`);
      continue;
    }
    const unix = name !== 'proactor@base' || knowsPath(script);
    if (!unix) skipped.push(`${name} in the Unix scenarios: that build's echo server has no --path`);
    for (const node of nodes) {
      const env = transport !== undefined ? { PROACTOR_TRANSPORT: transport } : {};
      specs.push({ name, node, command: node.execPath, args: ['--expose-gc', '--import', probe, script], unix, env });
    }
  }
  return specs;
}

/** `--cpu-prof` arguments when BENCH_CPU_PROF is set, for a Node server. */
function profileArgs(spec: ServerSpec, tag: string): string[] {
  const prof = process.env.BENCH_CPU_PROF;
  if (spec.node === null || prof === undefined || prof === '' || prof === '0') return [];
  const name = `${spec.name.replace(/[^a-z0-9]+/gi, '-')}-node${spec.node.major}-${tag}.cpuprofile`;
  return ['--cpu-prof', '--cpu-prof-dir', path.join(ROOT, 'dist', 'bench', 'profiles'), '--cpu-prof-name', name];
}

async function runCell(
  spec: ServerSpec,
  scenario: EchoScenario,
  load: string,
  options: EchoOptions,
  rep: number,
  position: number,
  socketPath: string | null,
): Promise<EchoCell> {
  const cell: EchoCell = {
    scenario: scenario.name,
    node: spec.node?.version ?? null,
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
    // Node options go before the script, the script's own after it.
    const args = [...profileArgs(spec, `${scenario.name}-${rep + 1}`), ...spec.args];
    server = await startServer(spec.command, args, ROOT, socketPath, spec.env);
    cell.load = await runLoad(load, server.target!, {
      connections: scenario.connections,
      size: scenario.size,
      warmupSeconds: options.warmupSeconds,
      seconds: options.seconds,
      signalPid: spec.node !== null ? server.child.pid : undefined,
    });
    if (spec.node !== null) {
      // One probe line per signal the generator sent; the window's are the last two.
      await server.waitProbes(cell.load.signalsSent, 3000);
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

/**
 * The run order of one repetition: on each Node its servers back to back;
 * Nodes and servers reversed every other repetition, the C server first or last.
 */
function runOrder(specs: readonly ServerSpec[], nodes: readonly NodeBinary[], rep: number): ServerSpec[] {
  const forward = rep % 2 === 0;
  const flip = <T>(list: readonly T[]): T[] => (forward ? [...list] : [...list].reverse());
  const native = flip(specs.filter((s) => s.node === null));
  const perNode = flip(nodes).flatMap((node) => flip(specs.filter((s) => s.node === node)));
  return forward ? [...native, ...perNode] : [...perNode, ...native];
}

// ---------------------------------------------------------------------------
// The benchmark

/** Runs every scenario against every server on every Node, interleaved; see the file comment. */
export async function runEchoBenchmark(overrides: Partial<EchoOptions> = {}): Promise<EchoResult> {
  const options: EchoOptions = { ...echoOptionsFromEnv(), ...overrides };
  installCleanup();
  const { load, cServer } = buildLoadTools();
  const { nodes, skipped } = resolveNodes(options.nodes);
  const specs = serverSpecs(options, nodes, cServer, skipped);
  for (const s of skipped) options.log(`echo: skipping ${s}`);
  options.log(`echo: Node ${nodes.map((n) => n.version).join(', ')}; servers ${[...new Set(specs.map((s) => s.name))].join(', ')}`);

  const settings: EchoSettings = {
    seconds: options.seconds,
    warmupSeconds: options.warmupSeconds,
    reps: options.reps,
    servers: ALL_SERVERS.filter((name) => specs.some((s) => s.name === name)),
    scenarios: [...options.scenarios],
    nodes: nodes.map((n) => ({ major: n.major, version: n.version })),
    commit: commitOf(ROOT),
    baselineCommit: options.baselineDist === null ? null : commitOf(options.baselineDist),
    skipped,
  };
  const cells: EchoCell[] = [];
  const socketDir = mkdtempSync(path.join(os.tmpdir(), 'proactor-echo-'));
  let sockets = 0;
  const started = Date.now();
  try {
    for (const scenario of options.scenarios) {
      const eligible = specs.filter((s) => scenario.transport === 'tcp' || s.unix);
      for (let rep = 0; rep < options.reps; rep++) {
        const order = runOrder(eligible, nodes, rep);
        for (let position = 0; position < order.length; position++) {
          const spec = order[position]!;
          const socketPath = scenario.transport === 'unix' ? path.join(socketDir, `${++sockets}.sock`) : null;
          const cell = await runCell(spec, scenario, load, options, rep, position, socketPath);
          cells.push(cell);
          const rate = cell.load === null ? '-' : Math.round(cell.load.roundTripsPerSecond).toString();
          const heap = cell.heap === null ? '' : ` heap ${cell.heap.bytesPerRoundTrip.toFixed(1)} B/rt`;
          const node = spec.node === null ? '' : ` node ${spec.node.version}`;
          options.log(
            `echo ${scenario.name} rep ${rep + 1}/${options.reps}${node} ${spec.name}: ${rate} rt/s${heap}` +
              (cell.error === null ? '' : ` ERROR ${cell.error}`),
          );
          await sleep(200);
        }
      }
    }
  } finally {
    killAllChildren();
    rmSync(socketDir, { recursive: true, force: true });
  }
  options.log(`echo: ${cells.length} runs in ${((Date.now() - started) / 60_000).toFixed(1)} min`);
  return { settings, cells, summary: summarize(cells, settings) };
}
