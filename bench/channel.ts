/**
 * Channel throughput: a producer chain and a consumer chain passing N
 * values through a `Channel` with callbacks, against the same two chains
 * over a plain array queue whose completions are `post`ed on the same
 * context (what one writes without `Channel`), and heap bytes per value in
 * steady state.
 *
 * Run it on its own (after `npm run build`):
 *
 *     node --expose-gc dist/bench/channel.js
 *
 * or through `npm run bench -- channel` (bench/run-all.ts).
 *
 * Workloads, each at capacity 0 (rendezvous) and 64 (buffered):
 * - producer: `asyncSend(i, onSent)`, and `onSent` sends the next value;
 * - consumer: `asyncReceive(onReceived)`, and `onReceived` receives the next.
 * Each value is one send and one receive completing: two handlers.
 *
 * The baseline does the same with an array of values, an array of waiting
 * senders and one of waiting receivers, `Array.prototype.shift` to take
 * from them and `post(ctx, …)` to run every completion, so both sides run
 * the same number of handlers through the same context; it allocates a
 * closure to carry each received value and a record for each waiting send.
 *
 * Rounds alternate between the rows of a workload (the order flips every
 * round), so a noisy machine disturbs all of them alike; the median of
 * `rounds` measured rounds after `warmup` unmeasured ones is reported, as
 * nanoseconds per value and as a ratio. Heap bytes per value use the
 * method of bench/post-throughput.ts (a `v8.GCProfiler` between two heap
 * readings, run at two lengths and differenced), with the channel's two
 * chains bound to one `HandlerAllocator` each.
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';

import { Channel, HandlerAllocator, IoContext, bindAllocator, post, type IoError } from '../src/index.js';
import { heapAllocatedDuring } from './post-throughput.js';

/** Options for `runChannelBenchmark`; every field has a default. */
export interface ChannelBenchmarkOptions {
  /** Values per measured round (default 200,000). */
  readonly values?: number;
  /** Unmeasured rounds first (default 2). */
  readonly warmup?: number;
  /** Measured rounds; the median is reported (default 7). */
  readonly rounds?: number;
  /** Values per heap measurement; run at this length and at twice it (default 200,000). */
  readonly heapValues?: number;
}

/** One implementation at one capacity. */
export interface ChannelRow {
  /** `capacity 0` or `capacity 64`. */
  readonly workload: string;
  /** `proactor Channel`, `proactor Channel (HandlerAllocator)` or `array queue + post`. */
  readonly runtime: string;
  /** Median nanoseconds per value (one send and one receive). */
  readonly nsPerValue: number;
  /** Values per second at the median. */
  readonly valuesPerSec: number;
  /** The baseline's ns/value divided by this row's: above 1 is faster than the baseline. */
  readonly speedupVsArrayQueue: number;
  /** Every measured round, ns/value. */
  readonly samples: readonly number[];
}

/** Heap bytes per value in steady state. */
export interface ChannelHeapRow {
  readonly workload: string;
  readonly runtime: string;
  /** Bytes allocated on the V8 heap per value passed (fractional: amortised per-run costs). */
  readonly bytesPerValue: number;
  readonly collections: number;
}

/** What `runChannelBenchmark` resolves with. */
export interface ChannelBenchmarkResult {
  readonly name: 'channel';
  readonly node: string;
  readonly cpu: string;
  readonly options: Required<ChannelBenchmarkOptions>;
  readonly rows: readonly ChannelRow[];
  /** `null` when the process was started without `--expose-gc`. */
  readonly heap: readonly ChannelHeapRow[] | null;
}

/** A workload made once (context, channel, handlers) and run once per round. */
interface Workload {
  run(values: number): Promise<void>;
}

/** The producer and consumer chains over a `Channel`. */
function channelChains(capacity: number, bindMemory: boolean): Workload {
  const ctx = new IoContext();
  const channel = new Channel<number>(ctx, capacity);
  let toSend = 0;
  let toReceive = 0;
  let check = 0;
  const sent = (err: IoError | null): void => {
    if (err === null && --toSend > 0) channel.asyncSend(toSend, onSent);
  };
  const received = (err: IoError | null, value: number): void => {
    if (err !== null) return;
    check ^= value; // stays a small integer: no heap number per value
    if (--toReceive > 0) channel.asyncReceive(onReceived);
  };
  const onSent = bindMemory ? bindAllocator(new HandlerAllocator(), sent) : sent;
  const onReceived = bindMemory ? bindAllocator(new HandlerAllocator(), received) : received;
  return {
    async run(values: number): Promise<void> {
      toSend = values;
      toReceive = values;
      ctx.restart();
      channel.asyncSend(toSend, onSent);
      channel.asyncReceive(onReceived);
      await ctx.run();
      if (toReceive !== 0 || check < 0) throw new Error('channel workload did not finish');
    },
  };
}

/** The baseline: what one writes without `Channel` (arrays and `post`). */
class ArrayQueue {
  readonly #ctx: IoContext;
  readonly #capacity: number;
  readonly #values: number[] = [];
  readonly #senders: { value: number; done: () => void }[] = [];
  readonly #receivers: ((value: number) => void)[] = [];

  constructor(ctx: IoContext, capacity: number) {
    this.#ctx = ctx;
    this.#capacity = capacity;
  }

  send(value: number, done: () => void): void {
    const receiver = this.#receivers.shift();
    if (receiver !== undefined) {
      post(this.#ctx, () => {
        receiver(value);
      });
      post(this.#ctx, done);
    } else if (this.#values.length < this.#capacity) {
      this.#values.push(value);
      post(this.#ctx, done);
    } else {
      this.#senders.push({ value, done });
    }
  }

  receive(fn: (value: number) => void): void {
    if (this.#values.length > 0) {
      const value = this.#values.shift()!;
      const sender = this.#senders.shift();
      if (sender !== undefined) {
        this.#values.push(sender.value);
        post(this.#ctx, sender.done);
      }
      post(this.#ctx, () => {
        fn(value);
      });
      return;
    }
    const sender = this.#senders.shift();
    if (sender !== undefined) {
      post(this.#ctx, sender.done);
      post(this.#ctx, () => {
        fn(sender.value);
      });
      return;
    }
    this.#receivers.push(fn);
  }
}

function arrayQueueChains(capacity: number): Workload {
  const ctx = new IoContext();
  const queue = new ArrayQueue(ctx, capacity);
  let toSend = 0;
  let toReceive = 0;
  let check = 0;
  const onSent = (): void => {
    if (--toSend > 0) queue.send(toSend, onSent);
  };
  const onReceived = (value: number): void => {
    check ^= value; // stays a small integer: no heap number per value
    if (--toReceive > 0) queue.receive(onReceived);
  };
  return {
    async run(values: number): Promise<void> {
      toSend = values;
      toReceive = values;
      ctx.restart();
      queue.send(toSend, onSent);
      queue.receive(onReceived);
      await ctx.run();
      if (toReceive !== 0 || check < 0) throw new Error('array-queue workload did not finish');
    },
  };
}

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const BASELINE = 'array queue + post';

function rowsFor(capacity: number): readonly (readonly [string, Workload])[] {
  return [
    ['proactor Channel', channelChains(capacity, false)],
    ['proactor Channel (HandlerAllocator)', channelChains(capacity, true)],
    [BASELINE, arrayQueueChains(capacity)],
  ];
}

async function bytesPerValue(workload: Workload, values: number): Promise<{ bytesPerValue: number; collections: number }> {
  await workload.run(values);
  await workload.run(values);
  const short = await heapAllocatedDuring(() => workload.run(values));
  const long = await heapAllocatedDuring(() => workload.run(2 * values));
  return { bytesPerValue: Math.max(0, (long.bytes - short.bytes) / values), collections: short.collections + long.collections };
}

/** Runs the channel benchmark and resolves with its results (heap figures need `--expose-gc`). */
export async function runChannelBenchmark(options: ChannelBenchmarkOptions = {}): Promise<ChannelBenchmarkResult> {
  const opts: Required<ChannelBenchmarkOptions> = {
    values: options.values ?? 200_000,
    warmup: options.warmup ?? 2,
    rounds: options.rounds ?? 7,
    heapValues: options.heapValues ?? 200_000,
  };
  const rows: ChannelRow[] = [];
  const capacities = [0, 64];
  for (const capacity of capacities) {
    const workload = `capacity ${String(capacity)}`;
    const runtimes = rowsFor(capacity);
    const samples = runtimes.map(() => [] as number[]);
    for (let round = 0; round < opts.warmup + opts.rounds; round++) {
      for (let k = 0; k < runtimes.length; k++) {
        const i = round % 2 === 0 ? k : runtimes.length - 1 - k;
        gc?.();
        const start = process.hrtime.bigint();
        await runtimes[i]![1].run(opts.values);
        const ns = Number(process.hrtime.bigint() - start) / opts.values;
        if (round >= opts.warmup) samples[i]!.push(ns);
      }
    }
    const baseline = median(samples[runtimes.findIndex(([name]) => name === BASELINE)]!);
    runtimes.forEach(([runtime], i) => {
      const nsPerValue = median(samples[i]!);
      rows.push({ workload, runtime, nsPerValue, valuesPerSec: 1e9 / nsPerValue, speedupVsArrayQueue: baseline / nsPerValue, samples: samples[i]! });
    });
  }

  let heap: ChannelHeapRow[] | null = null;
  if (gc !== undefined) {
    heap = [];
    for (const capacity of capacities) {
      for (const [runtime, workload] of rowsFor(capacity)) {
        const r = await bytesPerValue(workload, opts.heapValues);
        heap.push({ workload: `capacity ${String(capacity)}`, runtime, bytesPerValue: r.bytesPerValue, collections: r.collections });
      }
    }
  }
  return { name: 'channel', node: process.version, cpu: os.cpus()[0]?.model.trim() ?? 'unknown', options: opts, rows, heap };
}

/** Renders a result as Markdown tables. */
export function formatChannelBenchmark(result: ChannelBenchmarkResult): string {
  const { options } = result;
  const lines = [
    `Channel: ${options.values.toLocaleString('en-US')} values per round through a producer chain and a consumer chain, Node ${result.node}, ${result.cpu}; median of ${String(options.rounds)} interleaved rounds after ${String(options.warmup)} warm-up rounds`,
    '',
    '| workload | runtime | ns/value | values/s | vs array queue + post |',
    '|---|---|---:|---:|---:|',
  ];
  for (const row of result.rows) {
    lines.push(`| ${row.workload} | ${row.runtime} | ${row.nsPerValue.toFixed(1)} | ${(row.valuesPerSec / 1e6).toFixed(2)} M | ${row.speedupVsArrayQueue.toFixed(2)}× |`);
  }
  lines.push('');
  if (result.heap === null) {
    lines.push('Heap bytes per value: not measured (start node with --expose-gc).');
  } else {
    lines.push('| workload | runtime | heap bytes/value (steady state) | collections during measurement |', '|---|---|---:|---:|');
    for (const row of result.heap) lines.push(`| ${row.workload} | ${row.runtime} | ${row.bytesPerValue.toFixed(3)} | ${String(row.collections)} |`);
  }
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runChannelBenchmark()
    .then((result) => {
      console.log(formatChannelBenchmark(result));
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
