/**
 * Custom allocation, measured: the same echo workload three times, once per
 * allocator, and a table of what each allocator did.
 *
 * The workload: an echo server and `--sessions` clients in this process,
 * talking over 127.0.0.1. Each client makes `--round-trips` round trips of
 * `--size` bytes (`asyncWrite` the message, `asyncRead` the echo with
 * `transferExactly`); each server session reads some and writes it back
 * with `asyncWrite`. The code is identical in the three runs; only where
 * the operations get their memory changes:
 *
 * 1. `NewAllocator` as the context's allocator: every operation is a new
 *    object, left to the garbage collector once freed.
 * 2. `RecyclingAllocator` (the default) as the context's allocator: freed
 *    operations go to a small free list per operation kind, shared by all
 *    sessions of the context.
 * 3. `HandlerAllocator`, one per session (client and server side alike),
 *    bound to the session's handlers once with `makeCustomAllocHandler`:
 *    one slot per operation kind, owned by the session. Operations started
 *    by unbound handlers (the accepts) still use the context's allocator.
 *
 * Run it:   npm run example -- allocator-walkthrough [--round-trips 2000] [--sessions 4] [--size 64]
 */
import {
  HandlerAllocator,
  IoContext,
  NewAllocator,
  OPERATION_KINDS,
  RecyclingAllocator,
  TcpAcceptor,
  TcpSocket,
  asyncRead,
  asyncWrite,
  makeCustomAllocHandler,
  transferExactly,
  type AllocatorStats,
  type InstrumentedAllocator,
  type IoError,
} from '../src/index.js';

interface Options {
  roundTrips: number;
  sessions: number;
  size: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { roundTrips: 2000, sessions: 4, size: 64 };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    if (flag === '--round-trips') options.roundTrips = value;
    else if (flag === '--sessions') options.sessions = value;
    else if (flag === '--size') options.size = value;
    else throw new Error(`unknown argument: ${String(flag)} (use --round-trips N --sessions N --size BYTES)`);
  }
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  }
  return options;
}

/**
 * How a run gives its sessions memory: `null` means "use the context's
 * allocator"; otherwise a fresh allocator per session, bound to each of its
 * handlers once.
 */
type SessionMemory = (() => InstrumentedAllocator) | null;

/** Binds `handler` to `memory` when there is one; returns it unchanged otherwise. */
function bind<F extends (err: IoError | null, n: number) => void>(memory: InstrumentedAllocator | null, handler: F): F {
  return memory === null ? handler : makeCustomAllocHandler(memory, handler);
}

/** The server side of one connection: read some → write it all back → read some …, until eof. */
function serverSession(socket: TcpSocket, memory: InstrumentedAllocator | null, size: number): void {
  const data = Buffer.allocUnsafe(size);
  const onWrite = bind(memory, (err: IoError | null) => {
    if (err !== null) socket.close();
    else socket.asyncReadSome(data, onRead);
  });
  const onRead = bind(memory, (err: IoError | null, n: number) => {
    if (err !== null) socket.close();
    else asyncWrite(socket, data.subarray(0, n), onWrite);
  });
  socket.asyncReadSome(data, onRead);
}

/** One client: connect, then `roundTrips` × (write the message, read the whole echo), then close. */
function client(ctx: IoContext, port: number, memory: InstrumentedAllocator | null, options: Options, failures: string[]): void {
  const socket = new TcpSocket(ctx);
  const message = Buffer.alloc(options.size, 0x2a);
  const reply = Buffer.alloc(options.size);
  const exactly = transferExactly(options.size);
  let left = options.roundTrips;
  const onRead = bind(memory, (err: IoError | null) => {
    if (err !== null || !reply.equals(message)) {
      failures.push(err?.message ?? 'echo mismatch');
      socket.close();
    } else if (--left === 0) {
      socket.close(); // the server session reads eof and ends too
    } else {
      asyncWrite(socket, message, onWrite);
    }
  });
  const onWrite = bind(memory, (err: IoError | null) => {
    if (err !== null) {
      failures.push(err.message);
      socket.close();
    } else {
      asyncRead(socket, reply, exactly, onRead);
    }
  });
  const onConnect = bind(memory, (err: IoError | null) => {
    if (err !== null) failures.push(err.message);
    else asyncWrite(socket, message, onWrite);
  });
  socket.asyncConnect({ host: '127.0.0.1', port }, onConnect);
}

interface Row {
  allocator: string;
  usedFor: string;
  stats: AllocatorStats;
}

/** Runs the workload on a context whose allocator is `contextAllocator`; returns its rows of the table. */
async function run(name: string, contextAllocator: InstrumentedAllocator, sessionMemory: SessionMemory, options: Options): Promise<{ rows: Row[]; ms: number; byContext: AllocatorStats }> {
  const ctx = new IoContext({ allocator: contextAllocator });
  const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
  const perSession: InstrumentedAllocator[] = [];
  const memoryFor = (): InstrumentedAllocator | null => {
    if (sessionMemory === null) return null;
    const memory = sessionMemory();
    perSession.push(memory);
    return memory;
  };
  const failures: string[] = [];

  let toAccept = options.sessions;
  const onAccept = (err: IoError | null, socket: TcpSocket): void => {
    if (err !== null) {
      failures.push(err.message);
      return;
    }
    socket.setNoDelay(true);
    serverSession(socket, memoryFor(), options.size);
    if (--toAccept > 0) acceptor.asyncAccept(onAccept);
    else acceptor.close();
  };
  acceptor.asyncAccept(onAccept);
  const { port } = acceptor.localEndpoint();
  for (let i = 0; i < options.sessions; i++) client(ctx, port, memoryFor(), options, failures);

  const start = performance.now();
  await ctx.run();
  const ms = performance.now() - start;
  if (failures.length > 0) throw new Error(`${name}: ${failures.join('; ')}`);

  const rows: Row[] = [];
  if (perSession.length > 0) {
    rows.push({ allocator: name, usedFor: `${perSession.length} sessions' chains (sum)`, stats: sum(perSession.map((m) => m.stats())) });
    rows.push({ allocator: `  + context's ${contextAllocator.constructor.name}`, usedFor: 'unbound handlers (accepts)', stats: contextAllocator.stats() });
  } else {
    rows.push({ allocator: name, usedFor: 'every operation', stats: contextAllocator.stats() });
  }
  return { rows, ms, byContext: ctx.allocationStats() };
}

function sum(all: AllocatorStats[]): AllocatorStats {
  const total = { allocations: 0, deallocations: 0, hits: 0, fallbacks: 0, live: 0 };
  for (const s of all) {
    total.allocations += s.allocations;
    total.deallocations += s.deallocations;
    total.hits += s.hits;
    total.fallbacks += s.fallbacks;
    total.live += s.live;
  }
  return { ...total, byKind: {} };
}

/** One row per operation kind, one column per run: `hits / fallbacks`. */
function kindTable(byRun: readonly AllocatorStats[]): string {
  const names = ['NewAllocator', 'RecyclingAllocator', 'HandlerAllocator'];
  const header = ['kind', ...names];
  const cells = OPERATION_KINDS.filter((kind) => byRun.some((s) => s.byKind[kind] !== undefined)).map((kind) => [
    kind,
    ...byRun.map((s) => {
      const c = s.byKind[kind];
      return c === undefined ? '-' : `${String(c.hits)} / ${String(c.fallbacks)}`;
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [line(header), ...cells.map(line)].join('\n');
}

function table(rows: Row[]): string {
  const header = ['allocator', 'used for', 'allocations', 'hits', 'fallbacks', 'live'];
  const cells = rows.map((r) => [r.allocator, r.usedFor, String(r.stats.allocations), String(r.stats.hits), String(r.stats.fallbacks), String(r.stats.live)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const trips = options.sessions * options.roundTrips;
  console.log(`echo workload: ${options.sessions} sessions × ${options.roundTrips} round trips of ${options.size} B over 127.0.0.1\n`);

  const runs = [
    await run('NewAllocator', new NewAllocator(), null, options),
    await run('RecyclingAllocator', new RecyclingAllocator(), null, options),
    await run('HandlerAllocator', new RecyclingAllocator(), () => new HandlerAllocator(), options),
  ];
  console.log(table(runs.flatMap((r) => r.rows)));
  console.log('');
  console.log('By operation kind, as each context counted them (ctx.allocationStats()): recycled / constructed new');
  console.log(kindTable(runs.map((r) => r.byContext)));
  console.log('');
  for (const [i, name] of ['NewAllocator', 'RecyclingAllocator', 'HandlerAllocator'].entries()) {
    const { rows, ms } = runs[i]!;
    const constructed = rows.reduce((n, r) => n + r.stats.fallbacks, 0);
    console.log(`${name.padEnd(18)}  ${(constructed / trips).toFixed(3)} op objects constructed per round trip, ${ms.toFixed(0)} ms`);
  }
  console.log(`
What the numbers mean:
  allocations  operations started: one per asynchronous call, plus the
               intermediate reads and writes of composed ones. A round trip
               here is usually 7: the client's asyncWrite (a WriteOp and its
               WriteSomeOp) and asyncRead (a ReadOp and its ReadSomeOp), the
               server's asyncReadSome, and its asyncWrite (two more).
  hits         allocations served from an operation object the allocator
               already held: no new object, nothing for the garbage collector.
  fallbacks    allocations that constructed a new operation object.
  live         operations handed out and not yet returned. 0 after every run:
               each operation is freed before its handler is invoked, and
               every handler has run.

NewAllocator falls back every time. RecyclingAllocator hits once its free
lists are warm. A HandlerAllocator owns one slot per operation kind, so a
session constructs each kind once and then reuses it for the whole chain:
its fallbacks are a handful per session, whatever the number of round trips.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
