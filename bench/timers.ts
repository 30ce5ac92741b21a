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
 *   So a third row does what setTimeout code must do to tell its waiter:
 *   `clearTimeout` plus one `queueMicrotask` callback per timer.
 * - fire: arm every timer 1–10 ms away on the real clock and wait until all
 *   have fired (the time includes those ≤ 10 ms of waiting, for both), up
 *   to the last handler. Node counts a `setTimeout` delay from its cached
 *   loop time, the same for every timer armed in one turn; `expiresAfter`
 *   counts from one `performance.now()` reading per synchronous stretch,
 *   so it gets nearly the same deadlines. A second proactor row arms with
 *   `expiresAt(start + delay)`, exactly setTimeout's deadlines.
 *
 * - re-arm: one timer with a pending wait pushed back on every "read" (the
 *   idle-timeout pattern), `rearms` times (default 1,000,000): proactor calls
 *   `expiresAfter(30 s)`, which aborts the pending wait, and `asyncWait` again,
 *   running the aborted handlers with `poll()` every 64 re-arms (as a run
 *   loop would between reads); Node calls `timeout.refresh()`, which keeps
 *   its one callback and notifies nobody. Time is CPU time
 *   (`process.cpuUsage`), so waiting for a busy core counts against neither;
 *   each round starts from a collected heap, so the garbage of the other
 *   workloads is not collected inside it.
 *
 * Rounds alternate between the rows of a workload, so a noisy machine
 * disturbs all of them alike. Time is the median of `rounds` measured rounds
 * after `warmup` unmeasured ones. Heap is the growth of `heapUsed` plus
 * `arrayBuffers` (typed-array memory lives outside the JS heap) from a
 * collected heap to the moment every timer is armed, divided by the timer
 * count: what one armed timer costs while it waits. Without `--expose-gc`
 * heap figures are reported as NaN.
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
  /** Re-arms per round of the re-arm workload (default 1,000,000). */
  readonly rearms?: number;
}

/** One implementation on one workload. */
export interface TimersRow {
  /** `arm+cancel` or `fire`. */
  readonly workload: string;
  /** `proactor SteadyTimer`, `setTimeout`, … (see `ROWS`). */
  readonly runtime: string;
  /** What this row does per timer. */
  readonly does: string;
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
  /** proactor time ÷ plain setTimeout time, per workload (below 1: proactor is faster). */
  readonly ratios: Readonly<Record<string, number>>;
}

interface Sample {
  ms: number;
  heap: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function heapNow(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
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

let notified = 0;
function onAborted(): void {
  notified++;
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

async function nodeArmCancelNotify(n: number): Promise<Sample> {
  const base = collect();
  const start = performance.now();
  const handles: NodeJS.Timeout[] = new Array<NodeJS.Timeout>(n);
  for (let i = 0; i < n; i++) handles[i] = setTimeout(noop, 60_000);
  const armedAt = performance.now();
  const heap = heapNow() - base;
  notified = 0;
  const resume = performance.now();
  for (let i = 0; i < n; i++) {
    clearTimeout(handles[i]);
    queueMicrotask(onAborted);
  }
  await Promise.resolve(); // queued after every notification: runs once they all ran
  const ms = armedAt - start + (performance.now() - resume);
  if (notified !== n) throw new Error(`notified ${notified} of ${n}`);
  return { ms, heap: heap / n };
}

async function proactorFire(n: number, sameDeadlines: boolean): Promise<Sample> {
  const base = collect();
  const start = performance.now();
  const ctx = new IoContext();
  let fired = 0;
  let end = 0;
  const onFire = (): void => {
    if (++fired === n) end = performance.now();
  };
  for (let i = 0; i < n; i++) {
    const t = new SteadyTimer(ctx);
    if (sameDeadlines) t.expiresAt(start + 1 + (i % 10));
    else t.expiresAfter(1 + (i % 10));
    t.asyncWait(onFire);
  }
  const heap = heapNow() - base;
  await ctx.run();
  const ms = end - start;
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

const REARM_BATCH = 64;

function onIdle(): void {
  // The idle-timeout handler: every re-arm aborts it (operation_aborted).
}

/** CPU milliseconds since `start` (a `process.cpuUsage()` reading). */
function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function proactorRearm(rearms: number): Sample {
  // Garbage the other workloads left would otherwise be collected inside this CPU-time measurement, by chance.
  collect();
  const ctx = new IoContext();
  const timer = new SteadyTimer(ctx);
  timer.expiresAfter(30_000);
  timer.asyncWait(onIdle);
  const start = process.cpuUsage();
  for (let i = 1; i <= rearms; i++) {
    timer.expiresAfter(30_000);
    timer.asyncWait(onIdle);
    if (i % REARM_BATCH === 0) ctx.poll();
  }
  ctx.poll();
  const ms = cpuMsSince(start);
  timer.cancel();
  ctx.poll();
  ctx.shutdown();
  return { ms, heap: Number.NaN };
}

function nodeRearm(rearms: number): Sample {
  collect();
  const timeout = setTimeout(noop, 30_000);
  const start = process.cpuUsage();
  for (let i = 1; i <= rearms; i++) timeout.refresh();
  const ms = cpuMsSince(start);
  clearTimeout(timeout);
  return { ms, heap: Number.NaN };
}

type Run = (n: number) => Sample | Promise<Sample>;

/** The rows of each workload: [runtime, what it does per timer, run]. The first two rows of a workload are compared. */
const ROWS: readonly (readonly [string, readonly (readonly [string, string, Run])[]])[] = [
  [
    'arm+cancel',
    [
      ['proactor SteadyTimer', 'new SteadyTimer, expiresAfter, asyncWait; cancel; poll runs each handler with operation_aborted', proactorArmCancel],
      ['setTimeout', 'setTimeout; clearTimeout (runs nothing)', nodeArmCancel],
      ['setTimeout + notify', 'setTimeout; clearTimeout + queueMicrotask(callback), all callbacks run', nodeArmCancelNotify],
    ],
  ],
  [
    'fire',
    [
      ['proactor SteadyTimer', 'new SteadyTimer, expiresAfter(1-10 ms), asyncWait; run() until the last handler', (n) => proactorFire(n, false)],
      ['setTimeout', 'setTimeout(1-10 ms) until the last callback', nodeFire],
      ['proactor expiresAt', 'as proactor, with expiresAt(start + 1-10 ms): the deadlines setTimeout gets', (n) => proactorFire(n, true)],
    ],
  ],
  [
    're-arm',
    [
      ['proactor SteadyTimer', 'expiresAfter(30 s) on the timer with a pending wait, asyncWait again; poll() every 64 runs the aborted handlers', proactorRearm],
      ['setTimeout', 'timeout.refresh() (no notification)', nodeRearm],
    ],
  ],
];

/**
 * Runs every row of both workloads, alternating them round by round in the
 * same process, and resolves with the medians.
 */
export async function runTimersBenchmark(options: TimersBenchmarkOptions = {}): Promise<TimersBenchmarkResult> {
  const n = options.timers ?? 100_000;
  const warmup = options.warmup ?? 1;
  const rounds = options.rounds ?? 5;
  const rearms = options.rearms ?? 1_000_000;
  const rows: TimersRow[] = [];
  const ratios: Record<string, number> = {};
  for (const [workload, runtimes] of ROWS) {
    const samples = runtimes.map(() => [] as number[]);
    const heaps = runtimes.map(() => [] as number[]);
    const count = workload === 're-arm' ? rearms : n;
    for (let round = 0; round < warmup + rounds; round++) {
      // Alternate the order too, so no row always runs right after the same one.
      for (let k = 0; k < runtimes.length; k++) {
        const i = round % 2 === 0 ? k : runtimes.length - 1 - k;
        const s = await runtimes[i]![2](count);
        if (round < warmup) continue;
        samples[i]!.push(s.ms);
        heaps[i]!.push(s.heap);
      }
    }
    runtimes.forEach(([runtime, does], i) => {
      const ms = median(samples[i]!);
      rows.push({ workload, runtime, does, timers: count, ms, nsPerTimer: (ms * 1e6) / count, heapBytesPerTimer: median(heaps[i]!), samples: samples[i]! });
    });
    ratios[workload] = median(samples[0]!) / median(samples[1]!);
    // The same notification work on both sides: each cancelled waiter is told.
    if (workload === 'arm+cancel') ratios['arm+cancel (vs setTimeout + notify)'] = median(samples[0]!) / median(samples[2]!);
  }
  return { name: 'timers', node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown', timers: n, rows, ratios };
}

/** A markdown table of a result. */
export function formatTimersBenchmark(result: TimersBenchmarkResult): string {
  const lines = [
    `Timers: ${result.timers.toLocaleString('en-US')} timers, Node ${result.node}, ${result.cpu}`,
    '',
    '| workload | runtime | ms (median) | ns/timer (re-arm: ns/re-arm) | heap B/armed timer |',
    '|---|---|---:|---:|---:|',
  ];
  for (const row of result.rows) {
    lines.push(`| ${row.workload} | ${row.runtime} | ${row.ms.toFixed(1)} | ${row.nsPerTimer.toFixed(0)} | ${Number.isNaN(row.heapBytesPerTimer) ? 'n/a' : row.heapBytesPerTimer.toFixed(0)} |`);
  }
  lines.push('');
  for (const [workload, ratio] of Object.entries(result.ratios)) lines.push(`${workload}: proactor/setTimeout time = ${ratio.toFixed(2)}`);
  lines.push('', 'What each row does per timer:');
  for (const row of result.rows) lines.push(`- ${row.workload}, ${row.runtime}: ${row.does}`);
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
