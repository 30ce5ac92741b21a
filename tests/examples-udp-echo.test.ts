import { nodePeer, waitFor } from './support/udp-helpers.js';
import { runExample, startExample } from './support/example-process.js';

describe('example udp-echo-server.js', () => {
  test('echoes node:dgram datagrams (0 bytes and 64 KiB - 29 included) and exits 0 on SIGTERM with nothing live', async () => {
    const server = await startExample('udp-echo-server.js', ['--port', '0']);
    const peer = await nodePeer();
    try {
      const messages = [Buffer.from('hello\n'), Buffer.alloc(0), Buffer.alloc(65_507, 7), Buffer.from('last')];
      for (const [i, m] of messages.entries()) {
        await peer.send(m, server.port);
        await waitFor(() => peer.got.length === i + 1);
      }
      expect(peer.got.map((g) => g.msg)).toEqual(messages);
      expect(peer.got.every((g) => g.from.port === server.port)).toBe(true);
    } finally {
      peer.close();
    }
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.output()).toMatch(/echoed 4 datagrams \(65517 bytes\); received 4, dropped 0/);
    expect(server.output()).toMatch(/handler allocator hits 7, fallbacks 2, live 0/);
    expect(server.output()).toMatch(/^total\s+\d+\s+\d+\s+\d+\s+0$/m);
  });

  test('a port in use: the bind error, exit 1', async () => {
    const peer = await nodePeer();
    try {
      const { code, output } = await runExample('udp-echo-server.js', ['--port', String(peer.port)]);
      expect(code).toBe(1);
      expect(output).toMatch(/bind failed: bind EADDRINUSE 127\.0\.0\.1:\d+/);
    } finally {
      peer.close();
    }
  });
});

describe('example udp-client.js', () => {
  test('gets every reply from the echo server', async () => {
    const server = await startExample('udp-echo-server.js', ['--port', '0']);
    try {
      const { code, output } = await runExample('udp-client.js', ['--port', String(server.port), '--count', '3']);
      expect(output).toMatch(/reply 1: "request 1 at \d+" in [\d.]+ ms \(attempt 1\)/);
      expect(output).toContain('3 of 3 requests answered');
      expect(code).toBe(0);
    } finally {
      await server.stop('SIGTERM');
    }
  });

  test('with nobody there it times out each attempt, retries, gives up and exits 1', async () => {
    const gone = await nodePeer();
    const port = gone.port;
    gone.close();
    const { code, output } = await runExample('udp-client.js', ['--port', String(port), '--timeout', '100', '--retries', '2']);
    expect(output).toContain('request 1: no reply within 100 ms (attempt 1)');
    expect(output).toContain('request 1: no reply within 100 ms (attempt 3)');
    expect(output).toContain('request 1: no reply after 3 attempts');
    expect(output).toContain('0 of 1 requests answered');
    expect(code).toBe(1);
  });

  test('a late reply to an earlier attempt is ignored; the retry is answered', async () => {
    // A server that answers each request twice its timeout late, once: the first attempt's reply lands during the second.
    const slow = await nodePeer();
    const timers = new Set<NodeJS.Timeout>();
    slow.socket.on('message', (msg, from) => {
      const t = setTimeout(() => {
        timers.delete(t);
        slow.socket.send(msg, from.port, from.address);
      }, 150);
      timers.add(t);
    });
    try {
      const { code, output } = await runExample('udp-client.js', ['--port', String(slow.port), '--timeout', '100', '--retries', '3', '--count', '2']);
      expect(output).toMatch(/reply 1: "request 1 at \d+" in [\d.]+ ms \(attempt 2\)/);
      expect(output).toMatch(/reply 2: "request 2 at \d+" in [\d.]+ ms \(attempt 2\)/);
      expect(code).toBe(0);
    } finally {
      for (const t of timers) clearTimeout(t);
      slow.close();
    }
  });
});
