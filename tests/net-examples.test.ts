import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { nodeClient, pattern } from './support/net-helpers.js';

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

async function echoOnce(port: number, data: Buffer): Promise<Buffer> {
  const c = await nodeClient(port);
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve) => {
    c.on('data', (d: Buffer) => {
      chunks.push(d);
      size += d.length;
      if (size >= data.length) resolve();
    });
    c.write(data);
  });
  c.end();
  return Buffer.concat(chunks);
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
