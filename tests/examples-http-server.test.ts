import * as http from 'node:http';
import * as net from 'node:net';
import { startExample, type RunningExample } from './support/example-process.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  reusedSocket: boolean;
}

function request(port: number, options: http.RequestOptions, body?: Buffer | string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), reusedSocket: req.reusedSocket });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends raw bytes and collects everything until the server closes the connection. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', () => {
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    s.on('error', reject);
  });
}

describe('example http-server', () => {
  let server: RunningExample | null = null;

  afterEach(async () => {
    if (server !== null && server.child.exitCode === null) await server.stop('SIGKILL');
    server = null;
  });

  test('routes over one keep-alive connection, then exits 0 on SIGTERM', async () => {
    server = await startExample('http-server.js', ['--port', '0']);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const port = server.port;

    const hello = await request(port, { path: '/', agent });
    expect(hello.status).toBe(200);
    expect(hello.headers.connection).toBe('keep-alive');
    expect(hello.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(hello.body.toString()).toBe('hello from proactor\n');

    const payload = Buffer.alloc(200_000, 'abc');
    const echo = await request(port, { path: '/echo', method: 'POST', agent, headers: { 'Content-Type': 'application/x-test' } }, payload);
    expect(echo.status).toBe(200);
    expect(echo.reusedSocket).toBe(true);
    expect(echo.headers['content-type']).toBe('application/x-test');
    expect(echo.body.equals(payload)).toBe(true);

    const stats = await request(port, { path: '/stats', agent });
    expect(stats.reusedSocket).toBe(true);
    expect(JSON.parse(stats.body.toString())).toMatchObject({ connections: 1, open: 1, requests: 3 });

    const head = await request(port, { path: '/', method: 'HEAD', agent });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('20');
    expect(head.body.length).toBe(0);

    expect((await request(port, { path: '/missing', agent })).status).toBe(404);
    const wrongMethod = await request(port, { path: '/echo', method: 'GET', agent });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');

    // The keep-alive connection is idle in the agent: SIGTERM closes it and the server exits 0.
    expect(await server.stop('SIGTERM')).toBe(0);
    agent.destroy();
    expect(server.output()).toMatch(/SIGTERM: shutting down \(1 connections\)/);
    expect(server.output()).toMatch(/stopped after \d+ handlers; 1 connections, 6 requests/);
  });

  test('pipelined requests are answered in order on one connection; Connection: close ends it', async () => {
    server = await startExample('http-server.js', ['--port', '0']);
    const text = await raw(
      server.port,
      'GET / HTTP/1.1\r\nHost: x\r\n\r\n' + 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' + 'GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
    expect(statuses).toEqual(['200', '200', '404']);
    expect(text).toContain('\r\n\r\nhello from proactor\n');
    expect(text).toContain('Content-Length: 5\r\nConnection: keep-alive\r\n\r\nhello');
    expect(text).toMatch(/Connection: close\r\n\r\nno route for \/nowhere\n$/);
    expect(await server.stop()).toBe(0);
  });

  test('HTTP/1.0 closes after the response unless it asks for keep-alive', async () => {
    server = await startExample('http-server.js', ['--port', '0']);
    const text = await raw(server.port, 'GET / HTTP/1.0\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('Connection: close');
    expect(await server.stop()).toBe(0);
  });

  test('malformed requests get 400, Transfer-Encoding 501, and the connection is closed', async () => {
    server = await startExample('http-server.js', ['--port', '0']);
    expect(await raw(server.port, 'garbage\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[^]*Connection: close\r\n\r\nmalformed request line\n$/);
    expect(await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 [^]*malformed header line/);
    expect(await raw(server.port, 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 [^]*malformed Content-Length/);
    expect(await raw(server.port, 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')).toMatch(/^HTTP\/1\.1 501 /);
    expect(await server.stop()).toBe(0);
  });

  test('a malformed request line is 400 even when it ends in HTTP/1.x; only a well-formed line of another version is 505', async () => {
    server = await startExample('http-server.js', ['--port', '0']);
    for (const line of ['GET /a b HTTP/1.1', 'GET  /a HTTP/1.1', 'GET /a  HTTP/1.1', 'GET /a HTTP/1.1 ', 'GET /a HTTP/1.10', 'GET /a b HTTP/2.0']) {
      expect(await raw(server.port, `${line}\r\nHost: x\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[^]*\r\n\r\nmalformed request line\n$/);
    }
    expect(await raw(server.port, 'GET / HTTP/2.0\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 505 HTTP Version Not Supported\r\n/);
    expect(await raw(server.port, 'GET / HTTP/1.2\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(await server.stop()).toBe(0);
  });

  test('HTTP/1.1 needs exactly one Host header (400 without one or with several); HTTP/1.0 may omit it', async () => {
    server = await startExample('http-server.js', ['--port', '0']);
    expect(await raw(server.port, 'GET / HTTP/1.1\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 [^]*Connection: close\r\n\r\nmissing Host header\n$/);
    expect(await raw(server.port, 'GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 [^]*\r\n\r\nmore than one Host header\n$/);
    expect(await raw(server.port, 'GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 [^]*\r\n\r\nmore than one Host header\n$/);
    expect(await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(await raw(server.port, 'GET / HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(await server.stop()).toBe(0);
  });

  test('a request head larger than --max-header gets 413 (the DynamicBuffer is full); so does a body over --max-body', async () => {
    server = await startExample('http-server.js', ['--port', '0', '--max-header', '1024', '--max-body', '100']);
    const big = await request(server.port, { path: '/', headers: { 'X-Filler': 'f'.repeat(4000) } });
    expect(big.status).toBe(413);
    expect(big.headers.connection).toBe('close');
    expect(big.body.toString()).toBe('request head larger than 1024 bytes\n');
    const body = await request(server.port, { path: '/echo', method: 'POST' }, Buffer.alloc(101));
    expect(body.status).toBe(413);
    // A head that fits is still served.
    expect((await request(server.port, { path: '/', headers: { 'X-Filler': 'f'.repeat(500) } })).status).toBe(200);
    expect(await server.stop()).toBe(0);
  });

  test('a connection that sends nothing for --idle-timeout ms is closed by the server', async () => {
    server = await startExample('http-server.js', ['--port', '0', '--idle-timeout', '300']);
    const started = Date.now();
    const text = await raw(server.port, '');
    const elapsed = Date.now() - started;
    expect(text).toBe('');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5000);
    // A client that keeps its connection busy is not cut off, across several idle periods' worth of requests.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 4; i++) {
      const reply = await request(server.port, { path: '/', agent });
      expect(reply.status).toBe(200);
      if (i > 0) expect(reply.reusedSocket).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    agent.destroy();
    expect(await server.stop()).toBe(0);
  });
});
