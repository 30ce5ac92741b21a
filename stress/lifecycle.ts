/**
 * Shutdown and memory: SIGTERM with many open connections, and the heap
 * after many connections have come and gone.
 */
import type * as net from 'node:net';
import {
  closed,
  connect,
  fileLimits,
  heapOf,
  mib,
  pattern,
  pool,
  roundTrip,
  startEchoServer,
  summarizeErrors,
  withDeadline,
  type ScenarioContext,
  type ScenarioResult,
} from './support.js';

export async function sigtermScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const clients = ctx.count(2000, 200);
  const limits = await fileLimits();
  const server = await startEchoServer(ctx, [], limits.hard);
  const sockets: net.Socket[] = [];
  ctx.defer(() => {
    for (const s of sockets) s.destroy();
  });
  const failures = await pool(clients, 200, async (i) => {
    const s = await connect(server.port);
    s.on('error', () => undefined);
    sockets.push(s);
    await roundTrip(s, pattern(256, i + 1), 30_000);
  });
  const allClosed = Promise.all(sockets.map((s) => closed(s, 15_000)));
  const started = Date.now();
  process.kill(server.pid, 'SIGTERM');
  const code = await withDeadline(server.exited, 15_000, 'echo server exit after SIGTERM');
  const exitMs = Date.now() - started;
  const closedCount = (await allClosed).filter(Boolean).length;
  const stats = /stopped after (\d+) handlers; sessions (\d+); .*live (\d+)/.exec(server.stdout());
  return {
    name: 'shutdown: SIGTERM',
    target: `SIGTERM with ${clients} open connections`,
    reached: `${closedCount} of ${sockets.length} connections closed; exit code ${String(code)}`,
    figures: `exited ${exitMs} ms after the signal; ${stats === null ? 'no statistics line' : `${stats[2]} sessions ended, handler-allocator live ops ${stats[3]}`}`,
    ok: code === 0 && failures.length === 0 && closedCount === clients && stats?.[3] === '0',
    notes: failures.length > 0 ? summarizeErrors(failures) : 'every session ended before run() resolved',
  };
}

export async function churnScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const total = ctx.count(100_000, 10_000);
  const warmup = 2000;
  const limits = await fileLimits();
  const server = await startEchoServer(ctx, [], limits.hard);
  const message = pattern(64, 5);
  const once = async (): Promise<void> => {
    const s = await connect(server.port);
    try {
      await roundTrip(s, message, 30_000);
      s.end();
      await closed(s, 30_000);
    } finally {
      s.destroy();
    }
  };
  const warmFailures = await pool(warmup, 100, once);
  const start = await heapOf(server);
  let peakHeap = start.heapUsed;
  const started = Date.now();
  const failures: Error[] = [];
  const step = Math.ceil(total / 4);
  for (let done = 0; done < total; done += step) {
    failures.push(...(await pool(Math.min(step, total - done), 100, once)));
    peakHeap = Math.max(peakHeap, (await heapOf(server)).heapUsed);
  }
  const elapsed = Date.now() - started;
  const end = await heapOf(server);
  const growth = end.heapUsed - start.heapUsed;
  return {
    name: 'memory: connection churn',
    target: `${total} connections opened, echoed once and closed (100 at a time); heap back within 10 MB`,
    reached: `${total - failures.length} completed`,
    figures: `heap after gc ${mib(start.heapUsed)} → ${mib(end.heapUsed)} (${growth >= 0 ? '+' : ''}${mib(growth)}); ` + `RSS ${mib(start.rss)} → ${mib(end.rss)}; ${Math.round((total / elapsed) * 1000)} conn/s`,
    ok: failures.length === 0 && warmFailures.length === 0 && growth < 10 * 1000 * 1000,
    notes: failures.length > 0 ? summarizeErrors(failures) : `largest heap between batches after gc ${mib(peakHeap)}`,
  };
}
