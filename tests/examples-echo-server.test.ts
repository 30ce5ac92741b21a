import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startExample } from './support/example-process.js';
import { echoOnce, pattern } from './support/net-helpers.js';

describe.each(['echo-server.js', 'echo-server-await.js'])('example %s', (script) => {
  test('serves several clients at once and exits 0 on SIGTERM', async () => {
    const server = await startExample(script, ['--port', '0']);
    const messages = Array.from({ length: 8 }, (_, i) => Buffer.alloc(10_000 * (i + 1), String(i)));
    const echoes = await Promise.all(messages.map((m) => echoOnce(server.port, m)));
    for (const [i, e] of echoes.entries()) expect(e.equals(messages[i]!)).toBe(true);
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.output()).toMatch(/stopped after \d+ handlers/);
  });
});

describe('example echo-server.js --path', () => {
  test('serves a Unix socket path to node:net clients, and removes the socket file at exit', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proactor-echo-'));
    const where = path.join(dir, 'echo.sock');
    try {
      const server = await startExample('echo-server.js', ['--path', where]);
      expect(server.address).toBe(where);
      const messages = [pattern(300_000, 3), Buffer.from('hello\n')];
      const echoes = await Promise.all(messages.map((m) => unixEcho(where, m)));
      for (const [i, e] of echoes.entries()) expect(e.equals(messages[i]!)).toBe(true);
      expect(await server.stop('SIGTERM')).toBe(0);
      expect(server.output()).toMatch(/^total\s+\d+\s+\d+\s+\d+\s+0$/m);
      expect(fs.existsSync(where)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Sends `data` over the Unix socket at `where` and resolves with what came back. */
function unixEcho(where: string, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const c = net.connect(where, () => {
      c.write(data);
    });
    c.on('error', reject);
    c.on('data', (d: Buffer) => {
      chunks.push(d);
      size += d.length;
      if (size >= data.length) c.end();
    });
    c.on('close', () => {
      resolve(Buffer.concat(chunks));
    });
  });
}

describe('example echo-server.js allocation statistics', () => {
  test('SIGUSR2 prints the context statistics by operation kind while it runs; exit prints them with nothing live', async () => {
    const server = await startExample('echo-server.js', ['--port', '0']);
    const message = Buffer.alloc(5_000, 'x');
    expect((await echoOnce(server.port, message)).equals(message)).toBe(true);
    server.child.kill('SIGUSR2');
    await waitFor(() => /allocation statistics \(\d+ sessions open\)/.test(server.output()));
    await waitFor(() => /^total\s/m.test(server.output()));
    expect(await server.stop('SIGTERM')).toBe(0);
    const [running, atExit] = server.output().split(/stopped after \d+ handlers/);
    // While running: the accept waiting for the next client is live.
    expect(row(running!, 'accept')).toMatchObject({ live: 1 });
    expect(row(running!, 'readSome').allocated).toBeGreaterThanOrEqual(2);
    // At exit: every operation freed; one op object per kind and session at most (the HandlerAllocator's slot).
    const total = row(atExit!, 'total');
    expect(total.live).toBe(0);
    expect(total.allocated).toBe(total.recycled + total.fresh);
    expect(row(atExit!, 'readSome').recycled).toBeGreaterThan(0);
    expect(row(atExit!, 'signalWait').allocated).toBe(2); // the SIGUSR2 wait, then the SIGTERM one
  });
});

/** Resolves once `predicate` holds, polling every 20 ms (the test's timeout bounds it). */
async function waitFor(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((r) => setTimeout(r, 20));
}

/** One row of a printed `formatAllocationStats` table. */
function row(text: string, kind: string): { allocated: number; recycled: number; fresh: number; live: number } {
  const m = new RegExp(`^${kind}\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)$`, 'm').exec(text);
  if (m === null) throw new Error(`no ${kind} row in:\n${text}`);
  return { allocated: Number(m[1]), recycled: Number(m[2]), fresh: Number(m[3]), live: Number(m[4]) };
}
