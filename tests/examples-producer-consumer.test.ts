import * as net from 'node:net';
import { startExample } from './support/example-process.js';

/** Sends `lines` in one write, half-closes, and resolves with everything received until the server closes. */
function exchange(port: number, lines: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.end(lines.map((l) => `${l}\n`).join(''));
    });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('close', () => {
      resolve(received);
    });
    socket.on('error', reject);
  });
}

describe('example producer-consumer', () => {
  test('a bounded channel between a fast reader and a slow writer: every line comes back in order, the reader waits when the channel is full', async () => {
    const server = await startExample('producer-consumer.js', ['--port', '0', '--delay', '20', '--sessions', '1']);
    const lines = Array.from({ length: 10 }, (_, i) => `line ${String(i + 1)}`);
    const started = Date.now();
    const received = await exchange(server.port, lines);
    const elapsed = Date.now() - started;
    expect(received).toBe(lines.map((l) => `echo: ${l}\n`).join(''));
    expect(elapsed).toBeGreaterThanOrEqual(10 * 20 - 20); // one line per delay: the writer sets the pace
    expect(await server.exited).toBe(0);
    const out = server.output().trim().split('\n');
    expect(out[0]).toMatch(/^producer-consumer server listening on 127\.0\.0\.1:\d+$/);
    expect(out[1]).toBe('session 1: connected');
    // The reader never gets more than the channel's capacity (4) ahead of the line being written.
    const full = out.filter((l) => l.includes('channel full (4 waiting), the reader waits'));
    expect(full.length).toBeGreaterThanOrEqual(1);
    expect(out.filter((l) => l.startsWith('session 1: wrote ')).map((l) => /"(.*)"/.exec(l)?.[1])).toEqual(lines);
    expect(out).toContain('session 1: the client has sent everything; closing the channel');
    const summary = out.find((l) => l.includes('channel closed and drained'));
    expect(summary).toMatch(/^session 1: channel closed and drained: 10 lines read, 10 written, the reader waited (\d+) times$/);
    expect(Number(/waited (\d+) times/.exec(summary!)?.[1])).toBe(full.length);
    // The channel is closed before the writer has drained it: some writes come after the close.
    const closedAt = out.indexOf('session 1: the client has sent everything; closing the channel');
    expect(out.slice(closedAt).filter((l) => l.startsWith('session 1: wrote ')).length).toBeGreaterThanOrEqual(1);
    expect(out[out.length - 1]).toMatch(/^run\(\) executed \d+ handlers$/);
  });
});
