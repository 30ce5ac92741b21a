/**
 * Faults: peers that reset mid-write, half-close, stay silent or read
 * slowly, and an acceptor that runs out of file descriptors.
 */
import { readFileSync } from 'node:fs';
import type * as net from 'node:net';
import {
  closed,
  connect,
  delay,
  echoServerScript,
  eventually,
  fileLimits,
  heapOf,
  mib,
  openFds,
  pattern,
  pool,
  random,
  residentMemory,
  roundTrip,
  startEchoServer,
  summarizeErrors,
  withDeadline,
  type EchoServer,
  type ScenarioContext,
  type ScenarioResult,
} from './support.js';

/** A healthy client can still do a verified round trip. */
async function stillServes(server: EchoServer): Promise<boolean> {
  try {
    const s = await connect(server.port);
    try {
      await roundTrip(s, pattern(4096, 99), 10_000);
      return true;
    } finally {
      s.destroy();
    }
  } catch {
    return false;
  }
}

export async function resetScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const clients = ctx.count(1000, 100);
  const limits = await fileLimits();
  const server = await startEchoServer(ctx, [], limits.hard);
  const baseFds = openFds(server.pid);
  const payload = pattern(256 * 1024, 3);
  const rnd = random(0x5e7);
  let resetWithDataInFlight = 0;
  const failures = await pool(clients, 100, async () => {
    const s = await connect(server.port);
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    // Keep writing until the reset: the server is reading and echoing when it arrives.
    s.write(payload);
    s.write(payload);
    await delay(rnd(10));
    if (s.writableLength > 0 || s.bytesRead < 2 * payload.length) resetWithDataInFlight++;
    s.resetAndDestroy();
    await closed(s, 5_000);
  });
  const released = await eventually(() => openFds(server.pid) <= baseFds, 15_000);
  const serves = await stillServes(server);
  const alive = server.child.exitCode === null;
  return {
    name: 'fault: RST mid-write',
    target: `${clients} clients reset (RST) while writing 2 × 256 KiB`,
    reached: `${clients - failures.length} reset, ${resetWithDataInFlight} with data in flight`,
    figures: `server fds ${baseFds} → ${openFds(server.pid)} after; still serving: ${serves ? 'yes' : 'no'}`,
    ok: failures.length === 0 && released && serves && alive,
    notes: failures.length > 0 ? summarizeErrors(failures) : 'every session closed; no crash',
  };
}

export async function halfCloseScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const clients = ctx.count(1000, 50);
  const size = 100 * 1024;
  const limits = await fileLimits();
  const server = await startEchoServer(ctx, [], limits.hard);
  const baseFds = openFds(server.pid);
  let complete = 0;
  const failures = await pool(clients, 100, async (i) => {
    const data = pattern(size, 1000 + i);
    const s = await connect(server.port, { allowHalfOpen: true });
    const chunks: Buffer[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', resolve);
      s.on('error', reject);
    });
    s.end(data);
    await withDeadline(ended, 30_000, 'half-close echo');
    s.destroy();
    const got = Buffer.concat(chunks);
    if (!got.equals(data)) throw new Error(`received ${got.length} of ${size} bytes (or different bytes)`);
    complete++;
  });
  const released = await eventually(() => openFds(server.pid) <= baseFds, 15_000);
  return {
    name: 'fault: half-close after 100 KiB',
    target: `${clients} clients send 100 KiB then FIN; every byte must come back before the server's FIN`,
    reached: `${complete} complete and byte-exact`,
    figures: `${mib(complete * size)} echoed; server fds ${baseFds} → ${openFds(server.pid)} after`,
    ok: complete === clients && released,
    notes: failures.length > 0 ? summarizeErrors(failures) : 'no byte lost',
  };
}

export async function idleScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const clients = ctx.count(1000, 100);
  const idleMs = 1000;
  if (!readFileSync(echoServerScript, 'utf8').includes('--idle-timeout')) {
    return {
      name: 'fault: silent clients',
      target: `${clients} clients connect and send nothing; --idle-timeout ${idleMs} ms`,
      reached: '-',
      figures: '-',
      ok: true,
      notes: 'skipped: this build of the echo server has no --idle-timeout flag',
    };
  }
  const limits = await fileLimits();
  const server = await startEchoServer(ctx, ['--idle-timeout', String(idleMs)], limits.hard);
  const silent: net.Socket[] = [];
  ctx.defer(() => {
    for (const s of silent) s.destroy();
  });
  const started = Date.now();
  const connectFailures = await pool(clients, 200, async () => {
    const s = await connect(server.port);
    s.on('error', () => undefined);
    silent.push(s);
  });
  // Meanwhile an active client keeps being served.
  const active = await connect(server.port);
  let activeRounds = 0;
  const activeFailures: Error[] = [];
  const closedAll = Promise.all(silent.map((s) => closed(s, idleMs * 10 + 10_000)));
  const activeLoop = (async (): Promise<void> => {
    const until = Date.now() + idleMs * 2;
    while (Date.now() < until) {
      try {
        await roundTrip(active, pattern(1024, activeRounds + 1), 5_000);
        activeRounds++;
      } catch (e) {
        activeFailures.push(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      await delay(idleMs / 5);
    }
  })();
  const results = await closedAll;
  const closedMs = Date.now() - started;
  await activeLoop;
  active.destroy();
  const closedCount = results.filter(Boolean).length;
  return {
    name: 'fault: silent clients',
    target: `${clients} clients connect and send nothing; --idle-timeout ${idleMs} ms`,
    reached: `${closedCount} closed by the server`,
    figures: `all closed ${closedMs} ms after the first connect; an active client did ${activeRounds} round trips meanwhile`,
    ok: closedCount === clients && connectFailures.length === 0 && activeFailures.length === 0 && activeRounds >= 2,
    notes: [...connectFailures, ...activeFailures].length > 0 ? summarizeErrors([...connectFailures, ...activeFailures]) : 'others kept being served',
  };
}

/**
 * Slow readers: each client pushes `size` bytes through the echo server and
 * reads the echo slowly (in short bursts), so the server's writes back up.
 * Server memory must stay bounded: it only reads again once its write has
 * been handed to the kernel.
 */
export async function slowReaderScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const clients = ctx.scale >= 1 ? 8 : 2;
  const size = ctx.scale >= 1 ? 64 * 1048576 : 16 * 1048576;
  const limits = await fileLimits();
  const server = await startEchoServer(ctx, [], limits.hard);
  const before = await heapOf(server);
  const baseRss = residentMemory(server.pid);
  const block = pattern(1048576, 11);
  let maxRss = baseRss.rss;
  let sampling = true;
  const sampler = (async (): Promise<void> => {
    while (sampling) {
      maxRss = Math.max(maxRss, residentMemory(server.pid).rss);
      await delay(50);
    }
  })();
  const started = Date.now();
  const failures = await pool(clients, clients, async () => {
    const s = await connect(server.port);
    let received = 0;
    const done = new Promise<void>((resolve, reject) => {
      s.on('data', (c: Buffer) => {
        let at = 0;
        while (at < c.length) {
          const off = (received + at) % block.length;
          const n = Math.min(c.length - at, block.length - off);
          if (!c.subarray(at, at + n).equals(block.subarray(off, off + n))) {
            reject(new Error(`mismatch near byte ${received + at}`));
            return;
          }
          at += n;
        }
        received += c.length;
        if (received === size) resolve();
      });
      s.on('error', reject);
      s.on('end', () => {
        reject(new Error(`ended after ${received} bytes`));
      });
    });
    // The slow reader: after every chunk, stop reading for 2 ms.
    s.on('data', () => {
      s.pause();
      setTimeout(() => s.resume(), 2);
    });
    const writer = (async (): Promise<void> => {
      for (let sent = 0; sent < size; sent += block.length) {
        if (!s.write(block)) await new Promise((resolve) => s.once('drain', resolve));
      }
    })();
    try {
      await withDeadline(Promise.all([done, writer]), 120_000, 'slow reader');
    } finally {
      s.destroy();
    }
  });
  const elapsed = Date.now() - started;
  sampling = false;
  await sampler;
  const after = await heapOf(server);
  const growth = maxRss - baseRss.rss;
  // Bounded: the server never holds more than a small multiple of its read buffers plus the heap's own slack.
  const bounded = growth < 64 * 1048576;
  return {
    name: 'fault: slow readers',
    target: `${clients} clients × ${mib(size)} through the server, read in bursts`,
    reached: `${clients - failures.length} × ${mib(size)} delivered byte-exact`,
    figures:
      `server RSS ${mib(baseRss.rss)} → peak ${mib(maxRss)} (+${mib(growth)}) while ${mib(clients * size)} passed; ` +
      `heap ${mib(before.heapUsed)} → ${mib(after.heapUsed)}; ${elapsed} ms`,
    ok: failures.length === 0 && bounded,
    notes: failures.length > 0 ? summarizeErrors(failures) : 'backpressure holds: the server reads only after its write drained',
  };
}

/**
 * Accept under descriptor exhaustion: the server runs with a low open-file
 * limit; more clients connect than it has descriptors for. Clients beyond
 * the limit are turned away (libuv closes them), the acceptor keeps running,
 * and once the held connections close new clients are served again.
 */
export async function fdExhaustionScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const nofile = 64;
  const clients = ctx.scale >= 1 ? 200 : 100;
  const server = await startEchoServer(ctx, [], nofile);
  const held: net.Socket[] = [];
  ctx.defer(() => {
    for (const s of held) s.destroy();
  });
  let served = 0;
  let refused = 0;
  await pool(clients, 20, async (i) => {
    try {
      const s = await connect(server.port);
      s.on('error', () => undefined);
      held.push(s);
      await roundTrip(s, pattern(512, i + 1), 2_000);
      served++;
    } catch {
      refused++;
    }
  });
  // libuv answers EMFILE by accepting and closing the waiting connections with
  // its reserve descriptor, so the accept handler sees no error on Linux.
  const errorsLogged = (server.stderr().match(/accept failed/g) ?? []).length;
  for (const s of held) s.destroy();
  held.length = 0;
  await delay(500);
  let recovered = 0;
  const again = Math.min(40, nofile - 30);
  const failures = await pool(again, 10, async (i) => {
    const s = await connect(server.port);
    try {
      await roundTrip(s, pattern(2048, 500 + i), 5_000);
      recovered++;
    } finally {
      s.destroy();
    }
  });
  const alive = server.child.exitCode === null;
  return {
    name: 'fault: accept under fd exhaustion',
    target: `${clients} clients against a server with ulimit -n ${nofile}, then ${again} more after they close`,
    reached: `${served} served, ${refused} turned away; afterwards ${recovered} of ${again} served`,
    figures: `libuv closed the clients it had no descriptor for; accept errors seen by the handler: ${errorsLogged}; server alive: ${alive ? 'yes' : 'no'}`,
    ok: alive && served > 0 && refused > 0 && recovered === again,
    notes: failures.length > 0 ? summarizeErrors(failures) : 'the acceptor recovered once descriptors were free',
  };
}
