/**
 * What a deadline costs per operation on the callback path: a ping-pong of
 * 64-byte messages between two proactor TCP sockets on 127.0.0.1 (one
 * context, one process), each side reading with
 *
 * - `plain`: a callback bound to a `HandlerAllocator`, no deadline;
 * - `cancelAfter`: the same callback wrapped once in `cancelAfter(60 s, …)`
 *   and reused for every read;
 * - `timer + signal`: the same by hand: one `SteadyTimer` and one
 *   `CancellationSignal` per socket, `expiresAfter` + `asyncWait` before
 *   each read, `timer.cancel()` when the read completes.
 *
 * Two more rows repeat the comparison on a `Channel` receive chain, with no
 * socket, where the deadline's own cost is not hidden by the socket path's.
 *
 * A fourth row is the reference the floor is stated in: one timer wait's
 * whole life (`expiresAfter`, `asyncWait`, `cancel`, its aborted handler
 * run by `poll`) on one reused timer.
 *
 * Rounds alternate between the rows (order reversed every other round), and
 * the medians of `rounds` measured rounds after `warmup` are reported. Time
 * is nanoseconds per read (a round trip has two). Heap is bytes allocated
 * on the V8 heap per read, whether collected or not: the growth of the used
 * heap plus what every collection in the window freed (a `v8.GCProfiler`),
 * so garbage that a collection already took is counted.
 *
 * Run on its own (after `npm run build`): `node --expose-gc dist/bench/cancel-after.js`,
 * or as part of `npm run bench -- cancel-after`.
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';

import {
  CancellationSignal,
  Channel,
  CancellationType,
  HandlerAllocator,
  IoContext,
  SteadyTimer,
  TcpAcceptor,
  TcpSocket,
  bindCancellationSlot,
  cancelAfter,
  makeCustomAllocHandler,
  type IoError,
} from '../src/index.js';
import { heapAllocatedDuring } from './post-throughput.js';

/** Options for `runCancelAfterBenchmark`; every field has a default. */
export interface CancelAfterBenchmarkOptions {
  /** Round trips per round (default 20,000: 40,000 reads). */
  readonly roundTrips?: number;
  readonly warmup?: number;
  readonly rounds?: number;
}

export interface CancelAfterRow {
  readonly row: string;
  readonly does: string;
  /** Median nanoseconds per read (per timer wait for the reference row). */
  readonly nsPerOp: number;
  /** Median heap bytes allocated per read (per wait). */
  readonly heapBytesPerOp: number;
  readonly samples: readonly number[];
}

export interface CancelAfterBenchmarkResult {
  readonly name: 'cancel-after';
  readonly node: string;
  readonly cpu: string;
  readonly roundTrips: number;
  readonly rows: readonly CancelAfterRow[];
  /** ns per read added by cancelAfter, by the hand-written deadline, and one timer wait's ns. */
  readonly addedNs: { readonly cancelAfter: number; readonly timerAndSignal: number; readonly oneTimerWait: number; readonly onChannel: number };
  /** Heap bytes per receive that cancelAfter adds on the channel chain. */
  readonly addedHeapOnChannel: number;
}

type Variant = 'plain' | 'cancelAfter' | 'timer + signal';
const DEADLINE_MS = 60_000;
const MESSAGE = 64;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? Number.NaN;
}

interface Pair {
  readonly ctx: IoContext;
  readonly a: TcpSocket;
  readonly b: TcpSocket;
}

async function connectPair(): Promise<Pair> {
  const ctx = new IoContext();
  const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
  const a = new TcpSocket(ctx);
  let b: TcpSocket | null = null;
  acceptor.asyncAccept((err, s) => {
    if (err) throw err;
    b = s;
  });
  a.asyncConnect(acceptor.localEndpoint(), (err) => {
    if (err) throw err;
  });
  await ctx.run();
  acceptor.close();
  ctx.restart();
  a.setNoDelay(true);
  if (b === null) throw new Error('no connection');
  const accepted: TcpSocket = b;
  accepted.setNoDelay(true);
  return { ctx, a, b: accepted };
}

/**
 * One side of the ping-pong: read a message, write it back, until `stop` reads are done.
 * `a` starts by writing; both sides read with the variant's deadline.
 */
function side(ctx: IoContext, socket: TcpSocket, variant: Variant, reads: number, starts: boolean): void {
  const memory = new HandlerAllocator();
  const buf = Buffer.alloc(MESSAGE);
  let left = reads;
  const timer = new SteadyTimer(ctx);
  const signal = new CancellationSignal();
  const onTimer = makeCustomAllocHandler(memory, (err: IoError | null) => {
    if (err === null) signal.emit(CancellationType.terminal);
  });
  const onWrite = makeCustomAllocHandler(memory, (err: IoError | null) => {
    if (err !== null) throw err;
    if (left > 0) read();
  });
  const onRead = makeCustomAllocHandler(memory, (err: IoError | null, n: number) => {
    if (variant === 'timer + signal') timer.cancel();
    if (err !== null) throw err;
    left--;
    if (left > 0 || !starts) socket.asyncWriteSome(buf.subarray(0, n), onWrite);
  });
  const timedRead = cancelAfter(DEADLINE_MS, onRead);
  const boundRead = bindCancellationSlot(signal.slot(), onRead);
  function read(): void {
    if (variant === 'plain') socket.asyncReadSome(buf, onRead);
    else if (variant === 'cancelAfter') socket.asyncReadSome(buf, timedRead);
    else {
      timer.expiresAfter(DEADLINE_MS);
      timer.asyncWait(onTimer);
      socket.asyncReadSome(buf, boundRead);
    }
  }
  if (starts) socket.asyncWriteSome(buf, onWrite);
  else read();
}

async function pingPong(pair: Pair, variant: Variant, roundTrips: number): Promise<{ ns: number; heap: number }> {
  let ms = 0;
  const { bytes: heap } = await heapAllocatedDuring(async () => {
    const start = performance.now();
    side(pair.ctx, pair.a, variant, roundTrips, true);
    side(pair.ctx, pair.b, variant, roundTrips, false);
    await pair.ctx.run();
    ms = performance.now() - start;
    pair.ctx.restart();
  });
  const reads = roundTrips * 2;
  return { ns: (ms * 1e6) / reads, heap: heap / reads };
}

/** The reference: one timer wait's whole life, `n` times, on one reused timer. */
async function timerWaits(n: number): Promise<{ ns: number; heap: number }> {
  const ctx = new IoContext();
  const timer = new SteadyTimer(ctx);
  const memory = new HandlerAllocator();
  const onWait = makeCustomAllocHandler(memory, (): void => undefined);
  let ms = 0;
  const { bytes: heap } = await heapAllocatedDuring(() => {
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      timer.expiresAfter(DEADLINE_MS);
      timer.asyncWait(onWait);
      timer.cancel();
      ctx.poll();
      ctx.restart();
    }
    ms = performance.now() - start;
    return Promise.resolve();
  });
  ctx.shutdown();
  return { ns: (ms * 1e6) / n, heap: heap / n };
}

/**
 * The same comparison without a socket: a receiver chain on a rendezvous
 * `Channel` (each receive is pending when the value comes), with and
 * without `cancelAfter`, so what the deadline allocates is not hidden
 * behind what the socket path does.
 */
async function channelChain(withDeadline: boolean, n: number): Promise<{ ns: number; heap: number }> {
  const ctx = new IoContext();
  const channel = new Channel<number>(ctx);
  const memory = new HandlerAllocator();
  let received = 0;
  let sent = 0;
  const onReceive = makeCustomAllocHandler(memory, (err: IoError | null): void => {
    if (err !== null) throw err;
    if (++received < n) channel.asyncReceive(receive);
  });
  const receive = withDeadline ? cancelAfter(DEADLINE_MS, onReceive) : onReceive;
  const onSent = makeCustomAllocHandler(memory, (err: IoError | null): void => {
    if (err !== null) throw err;
    if (++sent < n) channel.asyncSend(sent, onSent);
  });
  const run = async (count: number): Promise<number> => {
    received = 0;
    sent = 0;
    n = count;
    const start = performance.now();
    channel.asyncReceive(receive);
    channel.asyncSend(0, onSent);
    await ctx.run();
    ctx.restart();
    return performance.now() - start;
  };
  await run(50_000); // warm: the chain runs optimised, its ops and the deadline's timer exist from here on
  let ms = 0;
  const total = n;
  const { bytes: heap } = await heapAllocatedDuring(async () => {
    ms = await run(total);
  });
  ctx.shutdown();
  return { ns: (ms * 1e6) / total, heap: heap / total };
}

const ROWS: readonly (readonly [string, string])[] = [
  ['plain', 'asyncReadSome with a callback bound to a HandlerAllocator'],
  ['cancelAfter', 'the same callback wrapped once in cancelAfter(60 s) and reused for every read'],
  ['timer + signal', 'by hand: expiresAfter + asyncWait before each read, a bound CancellationSignal, timer.cancel() after it'],
  ['one timer wait', 'reference: expiresAfter, asyncWait, cancel, poll runs its aborted handler (per wait, no socket)'],
  ['channel receive', 'no socket: a receive chain on a rendezvous Channel, callbacks on a HandlerAllocator'],
  ['channel receive + cancelAfter', 'the same receive callback wrapped once in cancelAfter(60 s)'],
];

export async function runCancelAfterBenchmark(options: CancelAfterBenchmarkOptions = {}): Promise<CancelAfterBenchmarkResult> {
  const roundTrips = options.roundTrips ?? 20_000;
  const warmup = options.warmup ?? 1;
  const rounds = options.rounds ?? 5;
  const pair = await connectPair();
  const ns = ROWS.map(() => [] as number[]);
  const heaps = ROWS.map(() => [] as number[]);
  for (let round = 0; round < warmup + rounds; round++) {
    for (let k = 0; k < ROWS.length; k++) {
      const i = round % 2 === 0 ? k : ROWS.length - 1 - k;
      const name = ROWS[i]![0];
      const s =
        name === 'one timer wait'
          ? await timerWaits(roundTrips * 2)
          : name.startsWith('channel receive')
            ? await channelChain(name.endsWith('cancelAfter'), roundTrips * 5)
            : await pingPong(pair, name as Variant, roundTrips);
      if (round < warmup) continue;
      ns[i]!.push(s.ns);
      heaps[i]!.push(s.heap);
    }
  }
  pair.a.close();
  pair.b.close();
  const rows = ROWS.map(([row, does], i) => ({ row, does, nsPerOp: median(ns[i]!), heapBytesPerOp: median(heaps[i]!), samples: ns[i]! }));
  const plain = rows[0]!.nsPerOp;
  return {
    name: 'cancel-after',
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    roundTrips,
    rows,
    addedNs: {
      cancelAfter: rows[1]!.nsPerOp - plain,
      timerAndSignal: rows[2]!.nsPerOp - plain,
      oneTimerWait: rows[3]!.nsPerOp,
      onChannel: rows[5]!.nsPerOp - rows[4]!.nsPerOp,
    },
    addedHeapOnChannel: rows[5]!.heapBytesPerOp - rows[4]!.heapBytesPerOp,
  };
}

export function formatCancelAfterBenchmark(result: CancelAfterBenchmarkResult): string {
  const lines = [
    `cancelAfter: ${result.roundTrips.toLocaleString('en-US')} round trips of ${MESSAGE} B per round (two reads each), Node ${result.node}, ${result.cpu}`,
    '',
    '| row | ns/read (median) | heap B/read |',
    '|---|---:|---:|',
  ];
  for (const row of result.rows) lines.push(`| ${row.row} | ${row.nsPerOp.toFixed(0)} | ${row.heapBytesPerOp.toFixed(1)} |`);
  const { cancelAfter: added, timerAndSignal, oneTimerWait, onChannel } = result.addedNs;
  lines.push(
    '',
    `On a socket read cancelAfter adds ${added.toFixed(0)} ns (${(added / oneTimerWait).toFixed(2)}× one timer wait of ${oneTimerWait.toFixed(0)} ns); the hand-written timer + signal adds ${timerAndSignal.toFixed(0)} ns.`,
    `On a channel receive it adds ${onChannel.toFixed(0)} ns (${(onChannel / oneTimerWait).toFixed(2)}× one timer wait) and ${result.addedHeapOnChannel.toFixed(1)} heap bytes.`,
    '',
    'What each row does:',
  );
  for (const row of result.rows) lines.push(`- ${row.row}: ${row.does}`);
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCancelAfterBenchmark()
    .then((result) => {
      console.log(formatCancelAfterBenchmark(result));
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
