/**
 * Post throughput: how fast an `IoContext` runs posted handlers, measured
 * against `queueMicrotask` and `setImmediate` running the same workload in the
 * same process, and how many heap bytes one post allocates in steady state.
 *
 * Run it on its own (after `npm run build`):
 *
 *     node --expose-gc dist/bench/post-throughput.js
 *
 * or import `runPostBenchmark` (bench/run-all.ts does).
 *
 * Workloads:
 * - chain: each handler posts the next, one at a time (a half-duplex session);
 * - chains×64: 64 such chains interleaved, so 64 handlers are queued at once.
 *
 * The reference is Boost.Asio: `bench/asio/post-chains.cpp`, a single-threaded
 * `io_context` running the same chains (built by `bench/asio/build-asio.ts`,
 * which installs Debian's libboost-dev when the headers are missing). Its
 * rows are left out, with the reason printed, when it cannot be built.
 *
 * Every workload runs `warmup` unmeasured rounds, then `rounds` measured
 * ones, each round running every runtime once in turn (the order reversed
 * every other round), so a noisy machine disturbs them alike; the median
 * round is reported as CPU nanoseconds per handler. The asio program times its
 * own `run()` in a fresh process per round (one unmeasured pass first).
 *
 * Heap bytes per post: Node 20 has no counter of total bytes allocated, so
 * the benchmark derives one. Between two readings of the heap's used size a
 * `v8.GCProfiler` records the used size before and after every collection;
 * allocated = used(end) − used(start) + Σ (before − after) over those
 * collections. The chain is run at two lengths and the difference divided by
 * the difference in posts, so the fixed cost of a run (its promise, its
 * timers) cancels out and what remains is the cost of one more post.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';

import { buildAsioProgram } from './asio/build-asio.js';

import { HandlerAllocator, IoContext, makeCustomAllocHandler, post } from '../src/index.js';

/** Options for `runPostBenchmark`; every field has a default. */
export interface PostBenchmarkOptions {
  /** Handlers per measured round of the posting workloads (default 1,000,000). */
  readonly handlers?: number;
  /** Handlers per round of the `setImmediate` baseline, which is much slower (default 200,000). */
  readonly immediateHandlers?: number;
  /** How many chains the concurrent workload interleaves (default 64). */
  readonly concurrency?: number;
  /** Unmeasured rounds before the measured ones (default 3). */
  readonly warmup?: number;
  /** Measured rounds; the median is reported (default 7). */
  readonly rounds?: number;
  /** Posts per heap measurement; run at this length and at twice it (default 1,000,000). */
  readonly heapPosts?: number;
}

/** One runtime on one workload. */
export interface ThroughputRow {
  /** `chain` or `chains×64`. */
  readonly workload: string;
  /** `proactor post`, `proactor post (HandlerAllocator)`, `Boost.Asio io_context`, `queueMicrotask` or `setImmediate`. */
  readonly runtime: string;
  /** Median nanoseconds per handler over the measured rounds. */
  readonly nsPerOp: number;
  /** Handlers per second at the median. */
  readonly opsPerSec: number;
  /** Every measured round, nanoseconds per handler. */
  readonly samples: readonly number[];
  /** `queueMicrotask`'s ns/op on the same workload divided by this one's: above 1 is faster. */
  readonly speedupVsQueueMicrotask: number;
  /** `setImmediate`'s ns/op on the same workload divided by this one's. */
  readonly speedupVsSetImmediate: number;
  /** Boost.Asio's ns/op on the same workload divided by this one's (≥ 1: as fast as asio or faster); NaN without asio. */
  readonly speedupVsAsio: number;
}

/** Heap bytes one post allocates in steady state, per allocator. */
export interface HeapRow {
  /** `RecyclingAllocator (default)` or `HandlerAllocator (bound handler)`. */
  readonly allocator: string;
  /** Bytes allocated on the V8 heap per post (can be fractional: amortised per-run costs). */
  readonly bytesPerPost: number;
  /** Posts in the longer of the two measured runs. */
  readonly posts: number;
  /** Garbage collections during the two measured runs. */
  readonly collections: number;
}

/** What `runPostBenchmark` resolves with. */
export interface PostBenchmarkResult {
  readonly node: string;
  readonly cpu: string;
  readonly platform: string;
  readonly options: Required<PostBenchmarkOptions>;
  readonly throughput: readonly ThroughputRow[];
  /** `null` when the process was started without `--expose-gc`. */
  readonly heap: readonly HeapRow[] | null;
  /** Why the Boost.Asio rows are missing, or `null` when they ran. */
  readonly asioMissing: string | null;
}

/**
 * A workload prepared once (its context and handler closures are made up
 * front, as in a long-lived server) and run once per round: `run(handlers)`
 * resolves when every chain has finished.
 */
interface Workload {
  run(handlers: number): Promise<void>;
}

type WorkloadFactory = (concurrency: number) => Workload;

/** Proactor: `post(ctx, step)` where each step posts the next (the context's default allocator). */
function proactorChains(concurrency: number, bindMemory: boolean): Workload {
  const ctx = new IoContext();
  const left = new Array<number>(concurrency).fill(0);
  const steps: (() => void)[] = [];
  for (let c = 0; c < concurrency; c++) {
    const step = (): void => {
      if (--left[c]! > 0) post(ctx, chain);
    };
    const chain = bindMemory ? makeCustomAllocHandler(new HandlerAllocator(), step) : step;
    steps.push(chain);
  }
  return {
    run(handlers: number): Promise<void> {
      const perChain = Math.ceil(handlers / concurrency);
      ctx.restart();
      for (let c = 0; c < concurrency; c++) {
        left[c] = perChain;
        post(ctx, steps[c]!);
      }
      return ctx.run().then(() => undefined);
    },
  };
}

/** The same chains driven by a Node scheduling primitive instead of a context. */
function schedulerChains(schedule: (fn: () => void) => void, concurrency: number): Workload {
  const left = new Array<number>(concurrency).fill(0);
  const steps: (() => void)[] = [];
  let chainsLeft = 0;
  let done: () => void = () => undefined;
  for (let c = 0; c < concurrency; c++) {
    const step = (): void => {
      if (--left[c]! > 0) schedule(step);
      else if (--chainsLeft === 0) done();
    };
    steps.push(step);
  }
  return {
    run(handlers: number): Promise<void> {
      const perChain = Math.ceil(handlers / concurrency);
      return new Promise<void>((resolve) => {
        done = resolve;
        chainsLeft = concurrency;
        for (let c = 0; c < concurrency; c++) {
          left[c] = perChain;
          schedule(steps[c]!);
        }
      });
    },
  };
}

/** The Boost.Asio program on the same chains: one process per round, its second (warm) pass timed. */
function asioChains(binary: string, concurrency: number): Workload & { nsPerHandler: number } {
  const workload = {
    nsPerHandler: Number.NaN,
    run(handlers: number): Promise<void> {
      const r = spawnSync(binary, [String(concurrency), String(handlers), '2'], { encoding: 'utf8', timeout: 120_000 });
      if (r.error !== undefined) return Promise.reject(r.error);
      const lines = [...r.stdout.matchAll(/ns_per_handler=([0-9.]+)/g)];
      const last = lines[lines.length - 1]?.[1];
      if (r.status !== 0 || last === undefined) return Promise.reject(new Error(`${binary} failed: ${r.stderr}`));
      workload.nsPerHandler = Number(last);
      return Promise.resolve();
    },
  };
  return workload;
}

const ASIO = 'Boost.Asio io_context';

const runtimes: readonly (readonly [string, WorkloadFactory])[] = [
  ['proactor post', (k) => proactorChains(k, false)],
  ['proactor post (HandlerAllocator)', (k) => proactorChains(k, true)],
  ['queueMicrotask', (k) => schedulerChains(queueMicrotask, k)],
  [
    'setImmediate',
    (k) =>
      schedulerChains((fn) => {
        setImmediate(fn);
      }, k),
  ],
];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

/**
 * One round of `workload`: CPU nanoseconds per handler (`process.cpuUsage`,
 * as the asio program reads its process CPU clock), so time spent waiting
 * for a core the machine's other work holds counts against no runtime.
 */
async function measureRound(workload: Workload, handlers: number, concurrency: number): Promise<number> {
  const total = Math.ceil(handlers / concurrency) * concurrency;
  gc?.();
  const start = process.cpuUsage();
  await workload.run(handlers);
  const used = process.cpuUsage(start);
  if ('nsPerHandler' in workload) return (workload as { nsPerHandler: number }).nsPerHandler;
  return ((used.user + used.system) * 1000) / total;
}

/** Bytes allocated on the V8 heap while `fn` runs (see the file header for the method). */
export async function heapAllocatedDuring(fn: () => Promise<void>): Promise<{ bytes: number; collections: number }> {
  gc?.();
  const profiler = new v8.GCProfiler();
  profiler.start();
  const before = v8.getHeapStatistics().used_heap_size;
  await fn();
  const after = v8.getHeapStatistics().used_heap_size;
  const result = profiler.stop();
  let freed = 0;
  for (const s of result.statistics) freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
  return { bytes: after - before + freed, collections: result.statistics.length };
}

async function bytesPerPost(workload: Workload, posts: number): Promise<{ bytesPerPost: number; collections: number }> {
  await workload.run(posts);
  await workload.run(posts);
  const short = await heapAllocatedDuring(() => workload.run(posts));
  const long = await heapAllocatedDuring(() => workload.run(2 * posts));
  return {
    bytesPerPost: Math.max(0, (long.bytes - short.bytes) / posts),
    collections: short.collections + long.collections,
  };
}

/**
 * Runs the post-throughput benchmark and resolves with its results.
 * Start Node with `--expose-gc` to get the heap figures (`heap` is `null` otherwise).
 */
export async function runPostBenchmark(options: PostBenchmarkOptions = {}): Promise<PostBenchmarkResult> {
  const opts: Required<PostBenchmarkOptions> = {
    handlers: options.handlers ?? 1_000_000,
    immediateHandlers: options.immediateHandlers ?? 200_000,
    concurrency: options.concurrency ?? 64,
    warmup: options.warmup ?? 3,
    rounds: options.rounds ?? 7,
    heapPosts: options.heapPosts ?? 1_000_000,
  };
  const throughput: ThroughputRow[] = [];
  const workloads: [string, number][] = [
    ['chain', 1],
    [`chains×${opts.concurrency}`, opts.concurrency],
  ];
  let asioBinary: string | null = null;
  let asioMissing: string | null = null;
  try {
    asioBinary = buildAsioProgram('post-chains');
  } catch (error) {
    asioMissing = error instanceof Error ? error.message : String(error);
    process.stderr.write(`post: no Boost.Asio rows: ${asioMissing}\n`);
  }
  const all: (readonly [string, WorkloadFactory])[] = [...runtimes];
  if (asioBinary !== null) {
    const binary = asioBinary;
    all.splice(2, 0, [ASIO, (k) => asioChains(binary, k)]);
  }
  for (const [workload, concurrency] of workloads) {
    const prepared = all.map(([runtime, factory]) => ({ runtime, workload: factory(concurrency), samples: [] as number[] }));
    for (let round = 0; round < opts.warmup + opts.rounds; round++) {
      for (let k = 0; k < prepared.length; k++) {
        const p = prepared[round % 2 === 0 ? k : prepared.length - 1 - k]!;
        const handlers = p.runtime === 'setImmediate' ? opts.immediateHandlers : opts.handlers;
        const ns = await measureRound(p.workload, handlers, concurrency);
        if (round >= opts.warmup) p.samples.push(ns);
      }
    }
    const measured = prepared.map((p) => ({ runtime: p.runtime, samples: p.samples, nsPerOp: median(p.samples) }));
    const microtask = measured.find((m) => m.runtime === 'queueMicrotask')!.nsPerOp;
    const immediate = measured.find((m) => m.runtime === 'setImmediate')!.nsPerOp;
    const asio = measured.find((m) => m.runtime === ASIO)?.nsPerOp ?? Number.NaN;
    for (const m of measured) {
      throughput.push({
        workload,
        runtime: m.runtime,
        nsPerOp: m.nsPerOp,
        opsPerSec: 1e9 / m.nsPerOp,
        samples: m.samples,
        speedupVsQueueMicrotask: microtask / m.nsPerOp,
        speedupVsSetImmediate: immediate / m.nsPerOp,
        speedupVsAsio: asio / m.nsPerOp,
      });
    }
  }

  let heap: HeapRow[] | null = null;
  if (gc !== undefined) {
    const recycling = await bytesPerPost(proactorChains(1, false), opts.heapPosts);
    const bound = await bytesPerPost(proactorChains(1, true), opts.heapPosts);
    heap = [
      { allocator: 'RecyclingAllocator (default)', bytesPerPost: recycling.bytesPerPost, posts: 2 * opts.heapPosts, collections: recycling.collections },
      { allocator: 'HandlerAllocator (bound handler)', bytesPerPost: bound.bytesPerPost, posts: 2 * opts.heapPosts, collections: bound.collections },
    ];
  }

  return {
    node: process.version,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    platform: `${os.platform()} ${os.arch()}`,
    options: opts,
    throughput,
    heap,
    asioMissing,
  };
}

/** Renders a result as Markdown tables (what the README shows). */
export function formatPostBenchmark(result: PostBenchmarkResult): string {
  const lines: string[] = [];
  lines.push(`Node ${result.node}, ${result.cpu}, ${result.platform}; median of ${result.options.rounds} rounds after ${result.options.warmup} warm-up rounds`);
  lines.push('');
  lines.push('| workload | runtime | ns/handler | handlers/s | vs Boost.Asio | vs queueMicrotask | vs setImmediate |');
  lines.push('|---|---|---:|---:|---:|---:|---:|');
  for (const row of result.throughput) {
    const asio = Number.isNaN(row.speedupVsAsio) ? 'n/a' : `${row.speedupVsAsio.toFixed(2)}×`;
    lines.push(
      `| ${row.workload} | ${row.runtime} | ${row.nsPerOp.toFixed(1)} | ${(row.opsPerSec / 1e6).toFixed(1)} M | ${asio} | ${row.speedupVsQueueMicrotask.toFixed(2)}× | ${row.speedupVsSetImmediate.toFixed(1)}× |`,
    );
  }
  lines.push('');
  lines.push('"vs" columns: that runtime\'s ns/handler divided by this row\'s (above 1: this row is faster). Rounds interleave the runtimes.');
  if (result.asioMissing !== null) lines.push(`Boost.Asio rows missing: ${result.asioMissing}`);
  lines.push('');
  if (result.heap === null) {
    lines.push('Heap bytes per post: not measured (start node with --expose-gc).');
  } else {
    lines.push('| allocator | heap bytes/post (steady state) | collections during measurement |');
    lines.push('|---|---:|---:|');
    for (const row of result.heap) lines.push(`| ${row.allocator} | ${row.bytesPerPost.toFixed(3)} | ${row.collections} |`);
  }
  return lines.join('\n');
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const result = await runPostBenchmark();
  console.log(formatPostBenchmark(result));
}
