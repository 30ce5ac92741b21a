import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { resolve } from 'node:path';
import { IoContext, TrackingAllocator } from '../src/index.js';
import { echoSessions } from './support/echo-sessions.js';
import { echoOnce, nodeClient, pattern } from './support/net-helpers.js';

const root = resolve(__dirname, '..');

function connectAllowingHalfOpen(port: number): Promise<net.Socket> {
  return new Promise((ok, fail) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => {
      ok(s);
    });
    s.once('error', fail);
  });
}

test('50 clients that reset mid-write: every session ends, nothing leaks, the server keeps serving', async () => {
  const tracking = new TrackingAllocator();
  const ctx = new IoContext({ allocator: tracking });
  const CLIENTS = 50;
  const { port, stats } = echoSessions(ctx, CLIENTS + 1);
  const running = ctx.run();
  const payload = pattern(512 * 1024, 3);
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_x, i) => {
      const s = await nodeClient(port);
      s.on('error', () => undefined);
      s.write(payload);
      await new Promise((r) => setTimeout(r, i % 5));
      s.resetAndDestroy();
    }),
  );
  const data = pattern(8192, 9);
  expect((await echoOnce(port, data)).equals(data)).toBe(true);
  await running;
  expect(stats.accepted).toBe(CLIENTS + 1);
  let ended = 0;
  for (const n of stats.ended.values()) ended += n;
  expect(ended).toBe(CLIENTS + 1);
  expect([...stats.ended.keys()].every((code) => ['connection_reset', 'eof', 'broken_pipe'].includes(code))).toBe(true);
  expect(stats.ended.get('connection_reset') ?? 0).toBeGreaterThan(0);
  expect(stats.liveAtEnd).toBe(0);
  expect(tracking.live).toBe(0);
});

test('20 clients that half-close after 100 KiB get every byte back before the server closes', async () => {
  const tracking = new TrackingAllocator();
  const ctx = new IoContext({ allocator: tracking });
  const CLIENTS = 20;
  const { port, stats } = echoSessions(ctx, CLIENTS, 4096);
  const running = ctx.run();
  const results = await Promise.all(
    Array.from({ length: CLIENTS }, async (_x, i) => {
      const data = pattern(100 * 1024, 100 + i);
      const s = await connectAllowingHalfOpen(port);
      const chunks: Buffer[] = [];
      const ended = new Promise<void>((ok) => {
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('end', ok);
      });
      s.end(data);
      await ended;
      s.destroy();
      return Buffer.concat(chunks).equals(data);
    }),
  );
  await running;
  expect(results.every(Boolean)).toBe(true);
  expect(stats.ended.get('eof')).toBe(CLIENTS);
  expect(tracking.live).toBe(0);
});

test('the acceptor survives file-descriptor exhaustion and serves again once descriptors are free', async () => {
  // The example echo server in a child process with a low open-file limit.
  const NOFILE = 48;
  const program = `require(${JSON.stringify(resolve(root, 'tests/support/ts-require.cjs'))}); require(${JSON.stringify(resolve(root, 'examples/echo-server.ts'))});`;
  const child = spawn('sh', ['-c', `ulimit -n ${NOFILE} && exec "$0" "$@"`, process.execPath, '-e', program, '--', 'echo-server', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((ok) => child.on('exit', ok));
  try {
    const port = await new Promise<number>((ok, fail) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on [^\s]+:(\d+)/.exec(out);
        if (m) ok(Number(m[1]));
      });
      void exited.then(() => {
        fail(new Error(`the server exited: ${out}`));
      });
    });
    // Hold more connections than the server has descriptors for.
    const held: net.Socket[] = [];
    let served = 0;
    let turnedAway = 0;
    for (let i = 0; i < NOFILE + 20; i++) {
      const s = await nodeClient(port);
      s.on('error', () => undefined);
      held.push(s);
      const ok = await new Promise<boolean>((done) => {
        const timer = setTimeout(() => {
          done(false);
        }, 1000);
        s.once('data', () => {
          clearTimeout(timer);
          done(true);
        });
        s.once('close', () => {
          clearTimeout(timer);
          done(false);
        });
        s.write('ping');
      });
      if (ok) served++;
      else turnedAway++;
    }
    expect(served).toBeGreaterThan(0);
    expect(turnedAway).toBeGreaterThan(0);
    expect(child.exitCode).toBeNull();
    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 300));
    // Recovered: as many fresh clients as it had room for are served.
    for (let i = 0; i < served; i++) {
      const data = pattern(4096, i + 1);
      expect((await echoOnce(port, data)).equals(data)).toBe(true);
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    child.kill('SIGKILL');
  }
});
