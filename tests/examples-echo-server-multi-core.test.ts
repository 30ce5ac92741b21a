import { startExample, type RunningExample } from './support/example-process.js';
import { echoOnce } from './support/net-helpers.js';
import { hasReusePort } from './support/multi-core.js';

async function waitFor(server: RunningExample, pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(server.output());
    if (m !== null) return m;
    if (Date.now() > deadline) throw new Error(`no ${String(pattern)} in:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** 200 connections, 20 at a time, each echoing its own message; true when every one came back whole. */
async function echo200(port: number): Promise<boolean> {
  let whole = 0;
  for (let i = 0; i < 200; i += 20) {
    const batch = Array.from({ length: 20 }, (_, j) => Buffer.from(`message ${String(i + j)} `.repeat(50)));
    const echoes = await Promise.all(batch.map((m) => echoOnce(port, m)));
    whole += echoes.filter((e, j) => e.equals(batch[j]!)).length;
  }
  return whole === 200;
}

/** The per-server exit lines (`<who>: stopped after H handlers; sessions S; … live L`) and the summed line. */
function exitLines(output: string, who: 'worker' | 'thread'): { sessions: number[]; handlers: number[]; live: number[]; sum: { handlers: number; sessions: number; live: number } } {
  const each = [...output.matchAll(new RegExp(`^${who} \\d+(?: \\(pid \\d+\\))?: stopped after (\\d+) handlers; sessions (\\d+);.* live (\\d+)$`, 'gm'))];
  const sum = /reported; the sum:\nstopped after (\d+) handlers; sessions (\d+);.* live (\d+)$/m.exec(output);
  if (sum === null) throw new Error(`no summed line in:\n${output}`);
  return {
    handlers: each.map((m) => Number(m[1])),
    sessions: each.map((m) => Number(m[2])),
    live: each.map((m) => Number(m[3])),
    sum: { handlers: Number(sum[1]), sessions: Number(sum[2]), live: Number(sum[3]) },
  };
}

const add = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

describe('example echo-server.js --workers 2 (node:cluster)', () => {
  test('both workers serve one port over 200 connections; SIGTERM stops both, exit 0, statistics add up with nothing live', async () => {
    const server = await startExample('echo-server.js', ['--port', '0', '--workers', '2']);
    await waitFor(server, /^echo server listening on \S+$/m);
    expect(await echo200(server.port)).toBe(true);
    expect(await server.stop('SIGTERM')).toBe(0);
    const lines = exitLines(server.output(), 'worker');
    expect(lines.sessions).toHaveLength(2);
    for (const s of lines.sessions) expect(s).toBeGreaterThan(0); // each connection went to exactly one: they add up to 200
    expect(add(lines.sessions)).toBe(200);
    expect(lines.sum.sessions).toBe(200);
    expect(lines.sum.handlers).toBe(add(lines.handlers));
    expect(lines.live).toEqual([0, 0]);
    expect(server.output()).toMatch(/^total\s+\d+\s+\d+\s+\d+\s+0$/m);
  });

  test('a worker that crashes is reported, the other keeps serving, and the exit code says a worker died', async () => {
    const server = await startExample('echo-server.js', ['--port', '0', '--workers', '2']);
    await waitFor(server, /^echo server listening on \S+$/m);
    const pid = Number((await waitFor(server, /^worker \d+ \(pid (\d+)\) listening/m))[1]);
    process.kill(pid, 'SIGKILL');
    await waitFor(server, new RegExp(`^worker \\d+ \\(pid ${String(pid)}\\) died \\(killed by SIGKILL\\); 1 still serving$`, 'm'));
    const message = Buffer.from('still here\n');
    for (let i = 0; i < 20; i++) expect((await echoOnce(server.port, message)).equals(message)).toBe(true);
    expect(await server.stop('SIGTERM')).toBe(1);
    expect(server.output()).toMatch(/^1 of 2 workers reported; the sum:$/m);
    expect(exitLines(server.output(), 'worker').sum).toMatchObject({ sessions: 20, live: 0 });
  });
});

describe('example echo-server.js --threads 2 (worker_threads, reusePort)', () => {
  (hasReusePort ? test : test.skip)('both threads serve one port over 200 connections; SIGTERM stops both, exit 0, statistics add up (needs libuv >= 1.49: Node 22.12+)', async () => {
    const server = await startExample('echo-server.js', ['--port', '0', '--threads', '2']);
    await waitFor(server, /^echo server listening on \S+$/m);
    expect(await echo200(server.port)).toBe(true);
    expect(await server.stop('SIGTERM')).toBe(0);
    const lines = exitLines(server.output(), 'thread');
    expect(lines.sessions).toHaveLength(2);
    for (const s of lines.sessions) expect(s).toBeGreaterThan(0);
    expect(add(lines.sessions)).toBe(200);
    expect(lines.sum).toEqual({ handlers: add(lines.handlers), sessions: 200, live: 0 });
    expect(lines.live).toEqual([0, 0]);
  });

  (hasReusePort ? test.skip : test)('where libuv lacks reusePort (Node 20) it says what is needed and exits 1', async () => {
    const server = await startExample('echo-server.js', ['--port', '0', '--threads', '2']).catch((error: unknown) => String(error));
    expect(server).toMatch(/exited \(1\) before listening/);
    expect(server).toMatch(/reusePort needs libuv 1\.49 or later \(Node 22\.12 \/ 23\.1 and later\)/);
  });
});
