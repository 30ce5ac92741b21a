import { runExample, startExample } from './support/example-process.js';

describe('example echo-client', () => {
  test('sends stdin lines to the echo server and prints each echo with its round-trip time', async () => {
    const server = await startExample('echo-server.js', ['--port', '0']);
    try {
      const { code, output } = await runExample('echo-client.js', ['--port', String(server.port)], 'one\ntwo words\nthree\n');
      expect(code).toBe(0);
      expect(output.trim().split('\n')).toEqual([
        expect.stringMatching(/^one {2}\(\d+ µs\)$/),
        expect.stringMatching(/^two words {2}\(\d+ µs\)$/),
        expect.stringMatching(/^three {2}\(\d+ µs\)$/),
      ]);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });

  test('--count/--size sends fixed messages and prints the mean', async () => {
    const server = await startExample('echo-server-await.js', ['--port', '0']);
    try {
      const { code, output } = await runExample('echo-client.js', ['--port', String(server.port), '--count', '200', '--size', '512']);
      expect(code).toBe(0);
      expect(output).toMatch(/^200 round trips of 512 B: mean \d+\.\d µs\n$/);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });

  test('a refused connection is reported with exit code 1', async () => {
    const server = await startExample('echo-server.js', ['--port', '0']);
    const port = server.port;
    expect(await server.stop('SIGTERM')).toBe(0);
    const { code, output } = await runExample('echo-client.js', ['--port', String(port), '--count', '1']);
    expect(code).toBe(1);
    expect(output).toMatch(/ECONNREFUSED|refused/i);
  });
});
