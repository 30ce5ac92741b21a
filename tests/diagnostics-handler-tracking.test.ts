import { execFile } from 'node:child_process';
import diagnosticsChannel from 'node:diagnostics_channel';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import {
  CHANNELS,
  IoContext,
  SignalSet,
  SteadyTimer,
  Strand,
  TcpSocket,
  TrackingAllocator,
  asyncWrite,
  defer,
  dispatch,
  post,
  type IoError,
} from '../src/index.js';
import { collect, localAcceptor, nodeClient } from './support/net-helpers.js';

/** One parsed `@asio|time|action|description` line. */
interface TraceLine {
  time: number;
  action: string;
  description: string;
}

const LINE = /^@asio\|(\d+)\.(\d{6})\|([^|]*)\|(.*)$/;

/**
 * Parses the lines. Handler ids are shared by every context of the process,
 * so they are renumbered 1, 2, … in order of first appearance (0 stays 0).
 */
function parse(lines: readonly string[]): TraceLine[] {
  const ids = new Map<string, string>([['0', '0']]);
  const renumber = (id: string): string => {
    let n = ids.get(id);
    if (n === undefined) {
      n = String(ids.size);
      ids.set(id, n);
    }
    return n;
  };
  return lines.map((line) => {
    const m = LINE.exec(line);
    if (m === null) throw new Error(`not a handler-tracking line: ${line}`);
    return { time: Number(m[1]) + Number(m[2]) / 1e6, action: m[3]!.replace(/\d+/g, renumber), description: m[4]! };
  });
}

/** The creations: child id → { parent, description }. */
function creations(trace: readonly TraceLine[]): Map<number, { parent: number; description: string }> {
  const out = new Map<number, { parent: number; description: string }>();
  for (const t of trace) {
    const m = /^(\d+)\*(\d+)$/.exec(t.action);
    if (m !== null) out.set(Number(m[2]), { parent: Number(m[1]), description: t.description });
  }
  return out;
}

function tracked(): { ctx: IoContext; lines: string[]; tracking: TrackingAllocator } {
  const lines: string[] = [];
  const tracking = new TrackingAllocator();
  return { ctx: new IoContext({ allocator: tracking, handlerTracking: (line) => lines.push(line) }), lines, tracking };
}

/**
 * Checks the invariants every trace keeps: each created handler ends exactly
 * once (invoked and exited, threw, or destroyed), invocations nest, and time
 * never goes backwards.
 */
function checkWellFormed(trace: readonly TraceLine[]): void {
  const created = creations(trace);
  const ended = new Map<number, string>();
  const stack: number[] = [];
  let last = 0;
  for (const t of trace) {
    expect(t.time).toBeGreaterThanOrEqual(last);
    last = t.time;
    const m = /^([><!~])(\d+)$/.exec(t.action);
    if (m === null) continue;
    const id = Number(m[2]);
    expect(created.has(id)).toBe(true);
    if (m[1] === '>') {
      stack.push(id);
    } else if (m[1] === '<' || m[1] === '!') {
      expect(stack.pop()).toBe(id);
      expect(ended.has(id)).toBe(false);
      ended.set(id, m[1]);
    } else {
      expect(ended.has(id)).toBe(false);
      ended.set(id, '~');
    }
  }
  expect(stack).toEqual([]);
  expect([...created.keys()].filter((id) => !ended.has(id))).toEqual([]);
}

describe('handler tracking', () => {
  test('an echo over real sockets writes asio lines: creation, invocation with arguments, exit, and the chain of parents', async () => {
    const { ctx, lines, tracking } = tracked();
    const { acceptor, port } = localAcceptor(ctx);
    const data = Buffer.alloc(64);
    acceptor.asyncAccept((err: IoError | null, socket: TcpSocket) => {
      expect(err).toBeNull();
      socket.asyncReadSome(data, (readErr: IoError | null, n: number) => {
        expect(readErr).toBeNull();
        asyncWrite(socket, data.subarray(0, n), () => {
          socket.asyncReadSome(data, () => {
            socket.close();
            acceptor.close();
          });
        });
      });
    });
    const client = await nodeClient(port);
    const echoed = collect(client);
    client.write('hello');
    setTimeout(() => client.end(), 50);
    await ctx.run();
    expect((await echoed).toString()).toBe('hello');

    const trace = parse(lines);
    checkWellFormed(trace);
    const created = creations(trace);
    const ops = [...created.values()].map((c) => c.description.replace(/@0x[0-9a-f]+\./, '@.'));
    expect(ops).toEqual(['socket@.async_accept', 'socket@.async_receive', 'socket@.async_send', 'socket@.async_receive']);
    // Each operation was started by the handler before it: 0*1, 1*2, 2*3, 3*4.
    expect([...created.entries()].map(([child, c]) => [c.parent, child])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
    // The accepted socket keeps one address; the acceptor has another.
    const addresses = [...created.values()].map((c) => /@(0x[0-9a-f]+)\./.exec(c.description)![1]);
    expect(new Set(addresses.slice(1)).size).toBe(1);
    expect(addresses[0]).not.toBe(addresses[1]);
    // Invocations carry the completion arguments, in asio's format.
    const invoked = trace.filter((t) => t.action.startsWith('>')).map((t) => t.description);
    expect(invoked).toEqual([
      'ec=asio.system:0',
      'ec=asio.system:0,bytes_transferred=5',
      'ec=asio.system:0,bytes_transferred=5',
      'ec=asio.misc:2,bytes_transferred=0',
    ]);
    // Synchronous operations are attributed to the handler that ran them.
    expect(trace.filter((t) => /^\d+$/.test(t.action)).map((t) => `${t.action}|${t.description.replace(/0x[0-9a-f]+/, 'X')}`)).toEqual([
      '4|socket@X.close',
      '4|socket@X.close',
    ]);
    expect(tracking.live).toBe(0);
  });

  test('post, defer, dispatch and strands are named; a nested post names its parent', async () => {
    const { ctx, lines, tracking } = tracked();
    const strand = new Strand(ctx);
    post(ctx, () => {
      post(strand, () => undefined);
      defer(ctx, () => undefined);
    });
    dispatch(ctx, () => undefined); // queued: not called from a handler
    await ctx.run();
    const trace = parse(lines);
    checkWellFormed(trace);
    const created = [...creations(trace).entries()].map(([id, c]) => `${String(c.parent)}*${String(id)} ${c.description.replace(/0x[0-9a-f]+/, 'X')}`);
    expect(created[0]).toBe('0*1 io_context@X.post');
    expect(created[1]).toBe('0*2 io_context@X.dispatch');
    expect(created).toContain('1*3 strand@X.post');
    expect(created).toContain('1*5 io_context@X.defer');
    expect(tracking.live).toBe(0);
  });

  test('a handler that throws gets !n, not <n; the context runs on afterwards', async () => {
    const { ctx, lines } = tracked();
    post(ctx, () => {
      throw new Error('boom');
    });
    post(ctx, () => undefined);
    await expect(ctx.run()).rejects.toThrow('boom');
    await ctx.run();
    const trace = parse(lines);
    checkWellFormed(trace);
    expect(trace.map((t) => t.action)).toEqual(['0*1', '0*2', '>1', '!1', '>2', '<2']);
  });

  test('operations destroyed without invocation get ~n: shutdown with a pending timer wait and a queued post', () => {
    const { ctx, lines, tracking } = tracked();
    const timer = new SteadyTimer(ctx);
    timer.expiresAfter(60_000);
    timer.asyncWait(() => undefined);
    post(ctx, () => undefined);
    ctx.shutdown();
    const trace = parse(lines);
    checkWellFormed(trace);
    expect(trace.map((t) => t.action).sort()).toEqual(['0', '0*1', '0*2', '~1', '~2'].sort());
    expect(trace.find((t) => t.action === '0')!.description).toMatch(/^io_context@0x[0-9a-f]+\.shutdown$/);
    expect(tracking.live).toBe(0);
  });

  test('timer cancel and signal waits: the aborted wait shows ECANCELED, cancel is an operation line', async () => {
    const { ctx, lines } = tracked();
    const timer = new SteadyTimer(ctx);
    timer.expiresAfter(60_000);
    timer.asyncWait(() => undefined);
    timer.cancel();
    const signals = new SignalSet(ctx, 'SIGUSR2');
    signals.asyncWait(() => undefined);
    signals.cancel();
    await ctx.run();
    const trace = parse(lines);
    checkWellFormed(trace);
    const text = trace.map((t) => `${t.action}|${t.description.replace(/0x[0-9a-f]+/, 'X')}`);
    expect(text).toContain('0*1|deadline_timer@X.async_wait');
    expect(text).toContain('0|deadline_timer@X.cancel');
    expect(text).toContain('0*2|signal_set@X.async_wait');
    const cancelled = `asio.system:${String(constants.errno.ECANCELED)}`;
    expect(text).toContain(`>1|ec=${cancelled}`);
    expect(text).toContain(`>2|ec=${cancelled},signal_number=0`);
  });

  test('lines are published on the proactor:handler-tracking diagnostics channel too', async () => {
    const published: unknown[] = [];
    const listener = (message: unknown): void => {
      published.push(message);
    };
    diagnosticsChannel.subscribe(CHANNELS.handlerTracking, listener);
    try {
      const { ctx, lines } = tracked();
      post(ctx, () => undefined);
      await ctx.run();
      expect(published).toEqual(lines);
      expect(lines).toHaveLength(3);
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.handlerTracking, listener);
    }
  });

  test('off by default; a bad option is a TypeError', async () => {
    const published: unknown[] = [];
    const listener = (message: unknown): void => {
      published.push(message);
    };
    diagnosticsChannel.subscribe(CHANNELS.handlerTracking, listener);
    try {
      const ctx = new IoContext({ handlerTracking: false });
      post(ctx, () => undefined);
      await ctx.run();
      expect(published).toEqual([]);
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.handlerTracking, listener);
    }
    expect(() => new IoContext({ handlerTracking: 'yes' as unknown as boolean })).toThrow(TypeError);
  });

  test('PROACTOR_HANDLER_TRACKING=1 writes the lines to stderr; handlerTracking: false overrides it', async () => {
    const root = resolve(__dirname, '..');
    const program = `require(${JSON.stringify(resolve(root, 'tests/support/ts-require.cjs'))});
const { IoContext, post } = require(${JSON.stringify(resolve(root, 'src/index.ts'))});
const on = new IoContext();
post(on, () => post(on, () => undefined));
const off = new IoContext({ handlerTracking: false });
post(off, () => undefined);
on.run().then(() => off.run());`;
    const stderr = await new Promise<string>((ok, fail) => {
      execFile(process.execPath, ['-e', program], { env: { ...process.env, PROACTOR_HANDLER_TRACKING: '1' }, timeout: 20_000 }, (err, _out, errText) => {
        if (err) fail(new Error(`${err.message}\n${errText}`));
        else ok(errText);
      });
    });
    const trace = parse(stderr.trim().split('\n'));
    checkWellFormed(trace);
    expect(trace.map((t) => t.action)).toEqual(['0*1', '>1', '1*2', '<1', '>2', '<2']);
  });
});
