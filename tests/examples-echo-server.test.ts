import * as net from 'node:net';
import { startExample } from './support/example-process.js';

/** One node:net client: sends `data`, resolves with everything echoed once `data.length` bytes came back. */
function echo(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const s = net.connect(port, '127.0.0.1', () => s.write(data));
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (size >= data.length) {
        s.end();
        resolve(Buffer.concat(chunks));
      }
    });
    s.on('error', reject);
  });
}

describe.each(['echo-server.js', 'echo-server-await.js'])('example %s', (script) => {
  test('serves several clients at once and exits 0 on SIGTERM', async () => {
    const server = await startExample(script, ['--port', '0']);
    const messages = Array.from({ length: 8 }, (_, i) => Buffer.alloc(10_000 * (i + 1), String(i)));
    const echoes = await Promise.all(messages.map((m) => echo(server.port, m)));
    for (const [i, e] of echoes.entries()) expect(e.equals(messages[i]!)).toBe(true);
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.output()).toMatch(/stopped after \d+ handlers/);
  });
});
