/**
 * `npm run bench`: runs the benchmarks and prints Markdown tables, which it
 * also writes to bench/results.md (and the raw numbers to bench/results.json).
 *
 *     npm run bench                 # everything
 *     npm run bench -- echo         # only the echo benchmark
 *     npm run bench -- post timers  # several parts
 *
 * Parts: post (handler throughput of post + run, against Boost.Asio), timers
 * (100,000 and 1,000,000), cancel-after (what a deadline costs per read),
 * channel, echo, mini-redis (redis-benchmark against examples/mini-redis,
 * node:net and redis-server; see bench/mini-redis.ts), udp (UDP echo against
 * node:dgram, see bench/udp-echo.ts), tls (TLS echo against node:tls, see
 * bench/tls-echo.ts), multicore (echo with 1 and 2 workers/threads; see
 * bench/multicore.ts). The echo
 * benchmark reads BENCH_SECONDS, BENCH_WARMUP, BENCH_REPS, BENCH_SERVERS,
 * BENCH_SCENARIOS, BENCH_NODES and BENCH_BASELINE_DIST (see bench/echo.ts);
 * `BENCH_SECONDS=1 BENCH_REPS=1 BENCH_NODES=current npm run bench -- echo`
 * is a quick run. With BENCH_BASELINE_DIST (an A/B run against another
 * build) the echo results are filed as `echo-ab`, next to the last plain
 * echo run instead of replacing it:
 *
 *     BENCH_BASELINE_DIST=../other-checkout/dist BENCH_NODES=current \
 *       BENCH_SCENARIOS=64x64B,64x4KiB BENCH_REPS=5 npm run bench -- echo
 *
 * Run with `node --expose-gc` (the npm script does). At the end it redraws
 * the README's chart, docs/bench-chart.svg (see bench/write-chart.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { echoMarkdown } from './echo-markdown.js';
import { runEchoBenchmark, type EchoResult } from './echo.js';
import { formatCancelAfterBenchmark, runCancelAfterBenchmark, type CancelAfterBenchmarkResult } from './cancel-after.js';
import { formatChannelBenchmark, runChannelBenchmark, type ChannelBenchmarkResult } from './channel.js';
import { formatMiniRedisBenchmark, runMiniRedisBenchmark, type RedisBenchmarkResult } from './mini-redis.js';
import { formatMultiCoreBenchmark, runMultiCoreBenchmark, type MultiCoreResult } from './multicore.js';
import { formatPostBenchmark, runPostBenchmark, type PostBenchmarkResult } from './post-throughput.js';
import { formatTimersBenchmark, runTimersBenchmark, type TimersBenchmarkResult } from './timers.js';
import { writeBenchChart } from './write-chart.js';
import { formatUdpEchoBenchmark, runUdpEchoBenchmark } from './udp-echo.js';
import { formatTlsEchoBenchmark, runTlsEchoBenchmark } from './tls-echo.js';

const PARTS = ['post', 'timers', 'cancel-after', 'channel', 'echo', 'mini-redis', 'udp', 'tls', 'multicore'] as const;
type Part = (typeof PARTS)[number];
/** Where a part's results are filed: a part's name, or `echo-ab` for an echo run with a baseline build. */
type ResultKey = Part | 'echo-ab';
const RESULT_KEYS: readonly ResultKey[] = ['post', 'timers', 'cancel-after', 'channel', 'echo', 'echo-ab', 'mini-redis', 'udp', 'tls', 'multicore'];

function resultKey(part: Part): ResultKey {
  const baseline = process.env.BENCH_BASELINE_DIST;
  return part === 'echo' && baseline !== undefined && baseline !== '' ? 'echo-ab' : part;
}

function repoRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = path.basename(path.dirname(here)) === 'dist' ? '../..' : '..';
  return path.resolve(here, up);
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  v8: string;
  platform: string;
  date: string;
  /** The 1, 5 and 15 minute load averages when the run started: how busy the machine was with other work. */
  load: number[];
}

function cpuModel(): string {
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const m = /^model name\s*:\s*(.+)$/m.exec(text);
    if (m?.[1] !== undefined) return m[1].trim();
  } catch {
    // Not Linux; fall back to what Node reports.
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

export function machineInfo(): MachineInfo {
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    load: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function machineMarkdown(m: MachineInfo): string {
  return [
    '| machine | |',
    '|---|---|',
    `| CPU | ${m.cpu} |`,
    `| cores | ${m.cores} |`,
    `| memory | ${m.memoryGiB} GiB |`,
    `| Node.js | ${m.node} (V8 ${m.v8}) |`,
    `| OS | ${m.platform} |`,
    `| date | ${m.date} |`,
    `| load average at start (1/5/15 min) | ${m.load.join(' / ')} |`,
  ].join('\n');
}

function parseParts(argv: readonly string[]): Part[] {
  const asked = argv.filter((a) => !a.startsWith('-'));
  if (asked.length === 0) return [...PARTS];
  const parts: Part[] = [];
  for (const a of asked) {
    const part = PARTS.find((p) => p === a);
    if (part === undefined) {
      throw new RangeError(`unknown part ${a}; choose from: ${PARTS.join(', ')}`);
    }
    if (!parts.includes(part)) parts.push(part);
  }
  return parts;
}

/** One part's outcome as stored in bench/results.json. */
interface PartResult {
  ranAt: string;
  markdown: string;
  data: unknown;
}

interface Results {
  machine: MachineInfo;
  parts: Partial<Record<ResultKey, PartResult>>;
}

/** Results of parts not run this time are kept from the previous file. */
function previousParts(file: string): Partial<Record<ResultKey, PartResult>> {
  try {
    const old = JSON.parse(readFileSync(file, 'utf8')) as Partial<Results>;
    return old.parts ?? {};
  } catch {
    return {};
  }
}

async function runPart(part: Part): Promise<{ markdown: string; data: unknown }> {
  switch (part) {
    case 'echo': {
      const echo: EchoResult = await runEchoBenchmark();
      return { markdown: echoMarkdown(echo), data: echo };
    }
    case 'post': {
      const result: PostBenchmarkResult = await runPostBenchmark();
      return { markdown: `### Posting handlers\n\n${formatPostBenchmark(result)}`, data: result };
    }
    case 'timers': {
      const result: TimersBenchmarkResult = await runTimersBenchmark();
      const million: TimersBenchmarkResult = await runTimersBenchmark({ timers: 1_000_000, rounds: 3 });
      return { markdown: `### Timers\n\n${formatTimersBenchmark(result)}\n\n${formatTimersBenchmark(million)}`, data: [result, million] };
    }
    case 'cancel-after': {
      const result: CancelAfterBenchmarkResult = await runCancelAfterBenchmark();
      return { markdown: `### Deadlines: cancelAfter\n\n${formatCancelAfterBenchmark(result)}`, data: result };
    }
    case 'channel': {
      const result: ChannelBenchmarkResult = await runChannelBenchmark();
      return { markdown: `### Channels\n\n${formatChannelBenchmark(result)}`, data: result };
    }
    case 'mini-redis': {
      const result: RedisBenchmarkResult = await runMiniRedisBenchmark();
      return { markdown: `### mini-redis under redis-benchmark\n\n${formatMiniRedisBenchmark(result)}`, data: result };
    }
    case 'udp': {
      const result = await runUdpEchoBenchmark();
      return { markdown: `### UDP echo\n\n${formatUdpEchoBenchmark(result)}`, data: result };
    }
    case 'tls': {
      const result = await runTlsEchoBenchmark();
      return { markdown: `### TLS echo: SslStream against node:tls\n\n${formatTlsEchoBenchmark(result)}`, data: result };
    }
    case 'multicore': {
      const result: MultiCoreResult = await runMultiCoreBenchmark();
      return { markdown: `### Every core: workers and threads\n\n${formatMultiCoreBenchmark(result)}`, data: result };
    }
  }
}

async function main(): Promise<void> {
  const asked = parseParts(process.argv.slice(2));
  const machine = machineInfo();
  const root = repoRoot();
  const jsonFile = path.join(root, 'bench', 'results.json');
  const results: Results = { machine, parts: previousParts(jsonFile) };
  if (typeof globalThis.gc !== 'function') {
    process.stderr.write('note: run with node --expose-gc (npm run bench does) for steadier heap figures\n');
  }

  const fresh: string[] = ['## Benchmarks', '', machineMarkdown(machine)];
  for (const part of asked) {
    process.stderr.write(`running ${part} …\n`);
    const { markdown, data } = await runPart(part);
    results.parts[resultKey(part)] = { ranAt: new Date().toISOString(), markdown, data };
    fresh.push('', markdown);
  }
  process.stdout.write(`${fresh.join('\n')}\n`);

  const file: string[] = ['## Benchmarks', '', machineMarkdown(machine)];
  const ranNow = new Set(asked.map(resultKey));
  for (const key of RESULT_KEYS) {
    const r = results.parts[key];
    if (r === undefined) continue;
    file.push('', r.markdown);
    if (!ranNow.has(key)) file.push('', `(from an earlier run, ${r.ranAt})`);
  }
  writeFileSync(path.join(root, 'bench', 'results.md'), `${file.join('\n')}\n`);
  writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  process.stderr.write('wrote bench/results.md and bench/results.json\n');
  writeBenchChart(root);
  process.stderr.write('wrote docs/bench-chart.svg\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
