/**
 * Timers: `SteadyTimer` (one heap and one Node timer per context) against
 * plain `setTimeout`/`clearTimeout` on the same workloads, in one process.
 *
 * Run it on its own (after `npm run build`):
 *
 *     node --expose-gc dist/bench/timers.js
 *
 * or import `runTimersBenchmark` (a suite runner can call it).
 *
 * Workloads (each `timers` strong, default 100,000):
 * - arm+cancel: make and arm every timer (60 s away), then cancel every one.
 *   proactor also runs every aborted handler (asio semantics: a cancelled
 *   wait completes with `operation_aborted`); `clearTimeout` runs nothing.
 * - fire: arm every timer 1–10 ms away on the real clock and wait until all
 *   have fired (the time includes those ≤ 10 ms of waiting, for both).
 *
 * Time is the median of `rounds` measured rounds after `warmup` unmeasured
 * ones. Heap is the growth of `heapUsed` from a collected heap to the moment
 * every timer is armed, divided by the timer count: what one armed timer
 * costs while it waits. Without `--expose-gc` heap figures are reported as NaN.
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';

import { IoContext, SteadyTimer } from '../src/index.js';

/** Options for `runTimersBenchmark`; every field has a default. */
export interface TimersBenchmarkOptions {
  /** Timers per round (default 100,000). */
  readonly timers?: number;
  /** Unmeasured rounds first (default 1). */
  readonly warmup?: number;
  /** Measured rounds; the median is reported (default 5). */
  readonly rounds?: number;
}

/** One implementation on one workload. */
export interface TimersRow {
  /** `arm+cancel` or `fire`. */
  readonly workload: string;
  /** `proactor SteadyTimer` or `setTimeout`. */
  readonly runtime: string;
  readonly timers: number;
  /** Median milliseconds for the whole workload. */
  readonly ms: number;
  /** Median nanoseconds per timer. */
  readonly nsPerTimer: number;
  /** Heap bytes per armed timer (median), NaN without --expose-gc. */
  readonly heapBytesPerTimer: number;
  /** Every measured round, milliseconds. */
  readonly samples: readonly number[];
}

/** What `runTimersBenchmark` resolves with. */
export interface TimersBenchmarkResult {
  readonly name: 'timers';
  readonly node: string;
  readonly cpu: string;
  readonly timers: number;
  readonly rows: readonly TimersRow[];
  /** proactor time ÷ setTimeout time, per workload (below 1: proactor is faster). */
  readonly ratios: Readonly<Record<string, number>>;
}

interface Sample {
  ms: number;
  heap: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function heapNow(): number {
  return process.memoryUsage().heapUsed;
}

function collect(): number {
  if (gc === undefined) return Number.NaN;
  gc();
  gc();
  return heapNow();
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? Number.NaN;
}

function noop(): void {
  // The handler a benchmark timer runs.
}

function proactorArmCancel(n: number): Sample {
  const base = collect();
  const start = performance.now();
  const ctx = new IoContext();
  const timers: SteadyTimer[] = new Array<SteadyTimer>(n);
  for (let i = 0; i < n; i++) {
    const t = new SteadyTimer(ctx);
    t.expiresAfter(60_000);
    t.asyncWait(noop);
    timers[i] = t;
  }
  const armedAt = performance.now();
  const heap = heapNow() - base;
  const resume = performance.now();
  for (let i = 0; i < n; i++) timers[i]!.cancel();
  ctx.poll();
  const ms = armedAt - start + (performance.now() - resume);
  ctx.shutdown();
  return { ms, heap: heap / n };
}

function nodeArmCancel(n: number): Sample {
  const base = collect();
  const start = performance.now();
  const handles: NodeJS.Timeout[] = new Array<NodeJS.Timeout>(n);
  for (let i = 0; i < n; i++) handles[i] = setTimeout(noop, 60_000);
  const armedAt = performance.now();
  const heap = heapNow() - base;
  const resume = performance.now();
  for (let i = 0; i < n; i++) clearTimeout(handles[i]);
  const ms = armedAt - start + (performance.now() - resume);
  return { ms, heap: heap / n };
}

async function proactorFire(n: number): Promise<Sample> {
  const base = collect();
  const start = performance.now();
  const ctx = new IoContext();
  let fired = 0;
  const onFire = (): void => {
    fired++;
  };
  for (let i = 0; i < n; i++) {
    const t = new SteadyTimer(ctx);
    t.expiresAfter(1 + (i % 10));
    t.asyncWait(onFire);
  }
  const heap = heapNow() - base;
  await ctx.run();
  const ms = performance.now() - start;
  if (fired !== n) throw new Error(`proactor fired ${fired} of ${n}`);
  return { ms, heap: heap / n };
}

function nodeFire(n: number): Promise<Sample> {
  const base = collect();
  const start = performance.now();
  return new Promise((resolve) => {
    let fired = 0;
    let heap = Number.NaN;
    const onFire = (): void => {
      if (++fired === n) resolve({ ms: performance.now() - start, heap: heap / n });
    };
    for (let i = 0; i < n; i++) setTimeout(onFire, 1 + (i % 10));
    heap = heapNow() - base;
  });
}

async function measure(rounds: number, warmup: number, run: () => Sample | Promise<Sample>): Promise<{ ms: number; heap: number; samples: number[] }> {
  for (let i = 0; i < warmup; i++) await run();
  const samples: number[] = [];
  const heaps: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const s = await run();
    samples.push(s.ms);
    heaps.push(s.heap);
  }
  return { ms: median(samples), heap: median(heaps), samples };
}

/**
 * Runs both workloads on both implementations, alternating them round by
 * round in the same process, and resolves with the medians.
 */
export async function runTimersBenchmark(options: TimersBenchmarkOptions = {}): Promise<TimersBenchmarkResult> {
  const n = options.timers ?? 100_000;
  const warmup = options.warmup ?? 1;
  const rounds = options.rounds ?? 5;
  const rows: TimersRow[] = [];
  const ratios: Record<string, number> = {};
  const workloads: [string, [string, () => Sample | Promise<Sample>][]][] = [
    [
      'arm+cancel',
      [
        ['proactor SteadyTimer', () => proactorArmCancel(n)],
        ['setTimeout', () => nodeArmCancel(n)],
      ],
    ],
    [
      'fire',
      [
        ['proactor SteadyTimer', () => proactorFire(n)],
        ['setTimeout', () => nodeFire(n)],
      ],
    ],
  ];
  for (const [workload, runtimes] of workloads) {
    const byRuntime: Record<string, number> = {};
    for (const [runtime, run] of runtimes) {
      const m = await measure(rounds, warmup, run);
      byRuntime[runtime] = m.ms;
      rows.push({ workload, runtime, timers: n, ms: m.ms, nsPerTimer: (m.ms * 1e6) / n, heapBytesPerTimer: m.heap, samples: m.samples });
    }
    ratios[workload] = (byRuntime['proactor SteadyTimer'] ?? Number.NaN) / (byRuntime.setTimeout ?? Number.NaN);
  }
  return { name: 'timers', node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown', timers: n, rows, ratios };
}

/** A markdown table of a result. */
export function formatTimersBenchmark(result: TimersBenchmarkResult): string {
  const lines = [
    `Timers: ${result.timers.toLocaleString('en-US')} timers, Node ${result.node}, ${result.cpu}`,
    '',
    '| workload | runtime | ms (median) | ns/timer | heap B/armed timer |',
    '|---|---|---:|---:|---:|',
  ];
  for (const row of result.rows) {
    lines.push(`| ${row.workload} | ${row.runtime} | ${row.ms.toFixed(1)} | ${row.nsPerTimer.toFixed(0)} | ${Number.isNaN(row.heapBytesPerTimer) ? 'n/a' : row.heapBytesPerTimer.toFixed(0)} |`);
  }
  lines.push('');
  for (const [workload, ratio] of Object.entries(result.ratios)) lines.push(`${workload}: proactor/setTimeout time = ${ratio.toFixed(2)}`);
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runTimersBenchmark()
    .then((result) => {
      console.log(formatTimersBenchmark(result));
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
