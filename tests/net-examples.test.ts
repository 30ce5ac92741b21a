import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type * as net from 'node:net';
import * as path from 'node:path';
import { echoOnce, nodeClient, pattern } from './support/net-helpers.js';

const root = path.join(__dirname, '..');

function start(example: string, args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; port: number; output: () => string }> {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'examples', example), ...args]);
  let out = '';
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^\s]+:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]), output: () => out });
    });
    child.on('exit', () => {
      reject(new Error(`exited early: ${out}`));
    });
  });
}

describe.each(['echo-server.js', 'echo-server-await.js'])('example %s', (example) => {
  test('echoes bytes and exits 0 on SIGTERM, printing its statistics', async () => {
    const { child, port, output } = await start(example, ['--port', '0', '--buffer-size', '1024']);
    expect((await echoOnce(port, Buffer.from('hello\n'))).toString()).toBe('hello\n');
    const big = pattern(200_000, 5);
    expect((await echoOnce(port, big)).equals(big)).toBe(true);
    const idle = await nodeClient(port);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    idle.destroy();
    expect(output()).toMatch(/stopped after \d+ handlers/);
    if (example === 'echo-server.js') expect(output()).toMatch(/hits \d+, fallbacks \d+, live 0/);
  });
});

describe('example echo-server.js --idle-timeout', () => {
  /** Sends `line` and resolves with the echo (the socket must have no other data listener). */
  function roundTrip(s: net.Socket, line: string): Promise<string> {
    return new Promise((resolve) => {
      let got = '';
      const onData = (d: Buffer): void => {
        got += d.toString();
        if (got.length >= line.length) {
          s.off('data', onData);
          resolve(got);
        }
      };
      s.on('data', onData);
      s.write(line);
    });
  }

  test('closes a connection silent for the timeout while an active one is still served', async () => {
    const idleMs = 300;
    const { child, port, output } = await start('echo-server.js', ['--port', '0', '--idle-timeout', String(idleMs)]);
    const idle = await nodeClient(port);
    const active = await nodeClient(port);
    const idleStart = Date.now();
    let idleClosedAfter = -1;
    const idleClosed = new Promise<void>((resolve) => {
      idle.on('close', () => {
        idleClosedAfter = Date.now() - idleStart;
        resolve();
      });
    });
    // The active client talks every 100 ms, well inside the timeout, for several timeouts' worth.
    let rounds = 0;
    while (idleClosedAfter < 0 || rounds < 5) {
      expect(await roundTrip(active, `ping ${rounds}\n`)).toBe(`ping ${rounds}\n`);
      rounds++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (rounds > 200) throw new Error('the idle connection was never closed');
    }
    await idleClosed;
    // Closed by the server, not before the timeout (generous upper bound: only that it happened).
    expect(idleClosedAfter).toBeGreaterThanOrEqual(idleMs - 20);
    expect(rounds * 100).toBeGreaterThan(idleMs); // the active one outlived a timeout's worth of time
    expect(await roundTrip(active, 'still here\n')).toBe('still here\n');
    expect(output()).toMatch(/closing a connection idle for 300 ms/);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    active.destroy();
    expect(output()).toMatch(/sessions 2; handler allocator hits \d+, fallbacks \d+, live 0/);
  });
});
