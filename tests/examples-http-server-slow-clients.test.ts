import { RawClient, startExample, type RunningExample } from './support/example-process.js';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('example http-server with slow and waiting clients', () => {
  let server: RunningExample | null = null;

  afterEach(async () => {
    if (server !== null && server.child.exitCode === null) await server.stop('SIGKILL');
    server = null;
  });

  test('at SIGTERM a request whose head has partly arrived is finished and answered (Connection: close); an idle connection is closed', async () => {
    server = await startExample('http-server.js', ['--port', '0']);
    const idle = await RawClient.connect(server.port);
    const partial = await RawClient.connect(server.port);
    partial.write('GET / HTTP/1.1\r\nHo');
    await sleep(300); // the server has read the first bytes
    server.child.kill('SIGTERM');
    const running = server;
    while (!running.output().includes('shutting down')) await sleep(20);

    expect(await idle.closed()).toBe('');
    expect(partial.ended).toBe(false);
    partial.write('st: x\r\n\r\n');
    const text = await partial.closed();
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Connection: close\r\n\r\nhello from proactor\n$/);
    expect(await server.exited).toBe(0);
    expect(server.output()).toMatch(/SIGTERM: shutting down \(2 connections\)/);
  });

  test('--idle-timeout is reset by every read: a request trickling in slower than the timeout overall is served', async () => {
    server = await startExample('http-server.js', ['--port', '0', '--idle-timeout', '500']);
    const c = await RawClient.connect(server.port);
    const started = Date.now();
    await c.trickle('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nslow bytes', 25);
    const text = await c.waitFor(/\r\n\r\nslow bytes$/);
    expect(Date.now() - started).toBeGreaterThan(1000); // two idle timeouts' worth, without a gap as long as one
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Connection: keep-alive\r\n/);
    c.socket.destroy();
    expect(await server.stop()).toBe(0);
  });

  test('a request that stops arriving midway gets 408 after --idle-timeout ms', async () => {
    server = await startExample('http-server.js', ['--port', '0', '--idle-timeout', '300']);
    const inHead = await RawClient.connect(server.port);
    const inBody = await RawClient.connect(server.port);
    const started = Date.now();
    inHead.write('GET / HTTP/1.1\r\nHost: x\r\n');
    inBody.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
    for (const c of [inHead, inBody]) {
      expect(await c.closed()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n[^]*Connection: close\r\n\r\nnothing received for 300 ms in the middle of a request\n$/);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await server.stop()).toBe(0);
  });

  test('--request-timeout bounds the whole request, even one that keeps sending', async () => {
    server = await startExample('http-server.js', ['--port', '0', '--idle-timeout', '500', '--request-timeout', '800']);
    const c = await RawClient.connect(server.port);
    const started = Date.now();
    void c.trickle(`GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(1000)}\r\n\r\n`, 25);
    expect(await c.closed()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n[^]*\r\n\r\nrequest not received within 800 ms\n$/);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(750);
    expect(elapsed).toBeLessThan(5000);
    expect(await server.stop()).toBe(0);
  });

  test('Expect: 100-continue gets 100 Continue before the body is read', async () => {
    server = await startExample('http-server.js', ['--port', '0']);
    const c = await RawClient.connect(server.port);
    c.write('POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    expect(await c.waitFor(/\r\n\r\n/, 2000)).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    c.write('hello');
    const text = await c.waitFor(/\r\n\r\nhello$/);
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n[^]*Content-Length: 5\r\nConnection: keep-alive\r\n\r\nhello$/);
    c.socket.destroy();
    expect(await server.stop()).toBe(0);
  });

  test('Expect: 100-continue with a body over --max-body gets 413 at once, without 100 Continue, and the connection is closed', async () => {
    server = await startExample('http-server.js', ['--port', '0', '--max-body', '1000']);
    const c = await RawClient.connect(server.port);
    c.write('POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n');
    expect(await c.closed()).toMatch(/^HTTP\/1\.1 413 Content Too Large\r\n[^]*Connection: close\r\n\r\nbody larger than 1000 bytes\n$/);
    expect(await server.stop()).toBe(0);
  });

  test('Expect: 100-continue in an HTTP/1.0 request is ignored', async () => {
    server = await startExample('http-server.js', ['--port', '0']);
    const c = await RawClient.connect(server.port);
    c.write('POST /echo HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    await sleep(300);
    expect(c.text).toBe('');
    c.write('hello');
    expect(await c.closed()).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Connection: close\r\n\r\nhello$/);
    expect(await server.stop()).toBe(0);
  });
});
