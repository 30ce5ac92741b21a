import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';

/**
 * The echo load generator's measured window holds round trips only: it
 * opens once every connection has been echoed (a server still setting up
 * connections is not measured doing so), its opening signal has been
 * rehearsed during the warm-up, and the server has read its closing signal
 * before any connection closes. The server here is a plain
 * node:net echo that holds back each connection's first echo for 300 ms,
 * much longer than the 0.1 s warm-up asked for, spends 2 ms on every later
 * echo, and on every SIGUSR2 prints how many connections are open and how
 * many have been echoed.
 */
const SERVER = `
const net = require('node:net');
let open = 0, echoed = 0;
// Busy, the server finds the closing signal and the generator's FINs in one poll, where libuv runs signals last.
const busy = () => { const until = Date.now() + 2; while (Date.now() < until); };
const server = net.createServer((s) => {
  open++;
  let first = true;
  s.on('data', (d) => {
    if (!first) { busy(); s.write(d); return; }
    first = false;
    setTimeout(() => { echoed++; s.write(d); }, 300);
  });
  s.on('error', () => {});
  s.on('end', () => { open--; }); // the client hung up
});
process.on('SIGUSR2', () => console.log('signal ' + JSON.stringify({ open, echoed })));
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
`;

const source = path.join(__dirname, '..', 'bench', 'load', 'echo-load.c');
const work = mkdtempSync(path.join(os.tmpdir(), 'proactor-load-test-'));
const binary = path.join(work, 'echo-load');
const compiled = spawnSync(process.env.CC ?? 'cc', ['-O2', '-o', binary, source], { encoding: 'utf8', timeout: 60_000 });
const haveCompiler = compiled.error === undefined && compiled.status === 0;

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

(haveCompiler ? test : test.skip)('the window opens after every first echo, and the connections close after the server read the closing signal', async () => {
  const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buffered = '';
  const port = await new Promise<number>((resolve, reject) => {
    server.stdout.setEncoding('utf8');
    server.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (line.startsWith('port ')) resolve(Number(line.slice(5)));
      }
    });
    server.on('exit', () => {
      reject(new Error('the echo server exited early'));
    });
  });
  try {
    const load = spawnSync(
      binary,
      ['--host', '127.0.0.1', '--port', String(port), '--connections', '40', '--size', '64', '--warmup', '0.1', '--duration', '0.3', '--signal-pid', String(server.pid)],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(load.status).toBe(0);
    const result = JSON.parse(load.stdout.trim()) as { connected: number; errors: number; unwarmedAtStart: number; signalsSent: number; warmupSeconds: number; roundTrips: number };
    expect(result).toMatchObject({ connected: 40, errors: 0, unwarmedAtStart: 0, signalsSent: 3 });
    expect(result.warmupSeconds).toBeGreaterThanOrEqual(0.3);
    expect(result.roundTrips).toBeGreaterThan(0);
    // Let the server print whatever it still has to say.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const signals = lines.filter((l) => l.startsWith('signal ')).map((l) => JSON.parse(l.slice(7)) as { open: number; echoed: number });
    // A rehearsal at the start of the warm-up (before any echo), then the window's two.
    expect(signals).toHaveLength(3);
    expect(signals[0]!.echoed).toBe(0);
    expect(signals.slice(1)).toEqual([
      { open: 40, echoed: 40 },
      { open: 40, echoed: 40 },
    ]);
  } finally {
    server.kill();
  }
}, 40_000);
