import * as http from 'node:http';
import { runExample, startExample } from './support/example-process.js';

const names = ['echo-server', 'echo-server-await', 'echo-client', 'chat-server', 'http-server', 'timeouts', 'allocator-walkthrough', 'producer-consumer', 'mini-redis', 'udp-echo-server', 'udp-client'];

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          resolve(body);
        });
      })
      .on('error', reject);
  });
}

describe('example run-example', () => {
  test('with no name it lists every example and exits 0', async () => {
    const { code, output } = await runExample('run-example.js', []);
    expect(code).toBe(0);
    expect(output).toMatch(/^usage: npm run example -- <name> \[args…\]/);
    for (const name of names) expect(output).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
  });

  test('an unknown name is an error (exit 1) that lists the examples', async () => {
    const { code, output } = await runExample('run-example.js', ['no-such-example']);
    expect(code).toBe(1);
    expect(output).toContain('unknown example: no-such-example');
    expect(output).toContain('allocator-walkthrough');
  });

  test('runs an example to completion with its own output', async () => {
    const { code, output } = await runExample('run-example.js', ['timeouts']);
    expect(code).toBe(0);
    expect(output).toContain('read with a 200 ms idle timeout: 3 ticks, then gave up (operation_aborted)');
  });

  test('passes the arguments after the name to the example, and its signals and exit code', async () => {
    const server = await startExample('run-example.js', ['http-server', '--port', '0']);
    expect(await get(server.port, '/')).toBe('hello from proactor\n');
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.output()).toMatch(/stopped after \d+ handlers/);
  });
});
