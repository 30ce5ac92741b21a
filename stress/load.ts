/**
 * Load: the echo server holds many concurrent connections (10,000 at full
 * size), each doing verified round trips of random sizes while all are open.
 */
import { readFileSync } from 'node:fs';
import type * as net from 'node:net';
import {
  connect,
  eventually,
  fileLimits,
  mib,
  openFds,
  pattern,
  pool,
  random,
  residentMemory,
  roundTrip,
  startEchoServer,
  summarizeErrors,
  type ScenarioContext,
  type ScenarioResult,
} from './support.js';

const MAX_ROUND_TRIP_BYTES = 8192;

function ephemeralPorts(): number {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return (high ?? 0) - (low ?? 0) + 1;
  } catch {
    return -1;
  }
}

export async function loadScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const target = ctx.count(10_000, 300);
  const rounds = ctx.scale >= 1 ? 3 : 2;
  const limits = await fileLimits();
  const server = await startEchoServer(ctx, ['--buffer-size', '16384'], limits.hard);
  const baseFds = openFds(server.pid);
  const sockets: net.Socket[] = [];
  ctx.defer(() => {
    for (const s of sockets) s.destroy();
  });

  const started = Date.now();
  let stopConnecting = false;
  const connectFailures = await pool(target, 200, async () => {
    if (stopConnecting) return;
    try {
      const s = await connect(server.port);
      s.on('error', () => undefined);
      sockets.push(s);
    } catch (e) {
      stopConnecting = true;
      throw e;
    }
  });
  const connectMs = Date.now() - started;
  const held = sockets.length;
  ctx.log(`load: ${held} of ${target} connected in ${connectMs} ms`);

  const rnd = random(0x10ad);
  const block = pattern(MAX_ROUND_TRIP_BYTES, 7);
  let verified = 0;
  let bytes = 0;
  const rtStarted = Date.now();
  const rtFailures = await pool(held, held, async (i) => {
    const s = sockets[i]!;
    for (let r = 0; r < rounds; r++) {
      const size = 1 + rnd(MAX_ROUND_TRIP_BYTES);
      const offset = rnd(MAX_ROUND_TRIP_BYTES - size + 1);
      await roundTrip(s, block.subarray(offset, offset + size), 120_000);
      verified++;
      bytes += size;
    }
  });
  const rtMs = Date.now() - rtStarted;
  const peakFds = openFds(server.pid);
  const memory = residentMemory(server.pid);
  const stillOpen = sockets.filter((s) => !s.destroyed).length;

  for (const s of sockets) s.end();
  const released = await eventually(() => openFds(server.pid) <= baseFds, 30_000);

  let limit: string;
  if (held === target) limit = `none hit (server nofile ${limits.hard}, ephemeral ports ${ephemeralPorts()})`;
  else limit = `connect failed: ${summarizeErrors(connectFailures)} (nofile ${limits.hard}, ephemeral ports ${ephemeralPorts()})`;

  const ok = held === target && rtFailures.length === 0 && verified === held * rounds && stillOpen === held && released;
  return {
    name: 'load: concurrent connections',
    target: `${target} connections × ${rounds} verified round trips (1..${MAX_ROUND_TRIP_BYTES} B)`,
    reached: `${held} held at once; ${verified} round trips verified`,
    figures:
      `connect ${connectMs} ms; round trips ${rtMs} ms (${mib(bytes)} each way); server fds ${baseFds} → ${peakFds} → ` +
      `${openFds(server.pid)} after close; server RSS ${mib(memory.rss)} (peak ${mib(memory.peak)})`,
    ok,
    notes: `limit: ${limit}${rtFailures.length > 0 ? `; round-trip failures: ${summarizeErrors(rtFailures)}` : ''}`,
  };
}
