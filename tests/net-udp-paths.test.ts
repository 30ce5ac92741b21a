import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UdpSocket, asTuple, cancelAfter, defaultTransport, usePromise } from '../src/index.js';
import { disableDatagramHandle } from '../src/net/datagram-handle.js';
import { nodePeer, refusedCodes, waitFor, withRunningContext } from './support/udp-helpers.js';

/*
 * The ways a UdpSocket moves datagrams, with the same behaviour: Node's UDP
 * handle driven directly (the default, once the process's first send has
 * taught it Node's request class; with the native addon's reads and sends
 * on top where the native transport is the default, the 'native' path) and
 * node:dgram's public API (the fallback). A datagram that arrives for a
 * pending receive is copied once into the caller's buffer on each, and
 * counted so. The suite runs again with PROACTOR_TRANSPORT=handle, so the
 * plain handle path is tested where the addon is built too.
 */
const PATHS = [defaultTransport() === 'native' ? 'native' : 'handle', 'dgram'] as const;

afterEach(() => {
  disableDatagramHandle(false);
});

describe.each(PATHS)('UdpSocket on the %s path', (path) => {
  beforeEach(() => {
    disableDatagramHandle(path === 'dgram');
  });

  test('0-byte, 1,200-byte and 65,507-byte datagrams both ways, each copied once; message_size for a larger one', async () => {
    const peer = await nodePeer();
    const { result, tracking } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx);
      await s.bind({ host: '127.0.0.1', port: 0 }, usePromise);
      const port = s.localEndpoint().port;
      // The first send of a process goes through node:dgram; the ones after it take the handle path.
      await s.asyncSendTo(Buffer.from('hello'), { host: '127.0.0.1', port: peer.port }, usePromise);
      const sizes = [0, 1200, 65_507];
      const got: number[] = [];
      const buf = Buffer.alloc(65_536);
      for (const size of sizes) {
        const payload = Buffer.alloc(size, size & 0xff);
        const receiving = s.asyncReceiveFrom(buf, cancelAfter(5000, usePromise));
        await peer.send(payload, port);
        const [n, from] = await receiving;
        expect(buf.subarray(0, n).equals(payload)).toBe(true);
        expect(from.port).toBe(peer.port);
        got.push(n);
        expect(await s.asyncSendTo(payload, { host: '127.0.0.1', port: peer.port }, usePromise)).toBe(size);
      }
      const [tooLarge, n] = await s.asyncSendTo(Buffer.alloc(65_508), { host: '127.0.0.1', port: peer.port }, asTuple(usePromise));
      const transport = s.transport;
      const stats = s.datagramStats();
      s.close();
      return { got, tooLarge, n, transport, stats };
    });
    await waitFor(() => peer.got.length === 4);
    peer.close();
    expect(result.transport).toBe(path);
    expect(result.got).toEqual([0, 1200, 65_507]);
    expect(peer.got.map((g) => g.msg.length)).toEqual([5, 0, 1200, 65_507]);
    expect((result.tooLarge)?.code).toBe('message_size');
    expect(result.n).toBe(0);
    expect(result.stats).toMatchObject({ received: 3, copies: 3, bytesCopied: 1200 + 65_507 });
    expect(tracking.live).toBe(0);
  });

  test('connected: asyncSend reaches the peer and an ICMP port unreachable surfaces as connection_refused', async () => {
    const peer = await nodePeer();
    const gone = await nodePeer();
    const gonePort = gone.port;
    gone.close();
    const { result, tracking } = await withRunningContext(async (ctx) => {
      const warm = new UdpSocket(ctx);
      await warm.asyncSendTo(Buffer.from('warm'), { host: '127.0.0.1', port: peer.port }, usePromise);
      const s = new UdpSocket(ctx);
      await s.asyncConnect({ host: '127.0.0.1', port: peer.port }, usePromise);
      await s.asyncSend(Buffer.from('one'), usePromise);
      await s.asyncSend(Buffer.from('two'), usePromise);
      const transport = s.transport;
      const refused = new UdpSocket(ctx);
      await refused.asyncConnect({ host: '127.0.0.1', port: gonePort }, usePromise);
      const codes = await refusedCodes(refused);
      for (const x of [warm, s, refused]) x.close();
      return { transport, codes };
    });
    await waitFor(() => peer.got.length === 3);
    peer.close();
    expect(result.transport).toBe(path);
    expect(peer.got.map((g) => g.msg.toString())).toEqual(['warm', 'one', 'two']);
    if (process.platform === 'linux') expect(result.codes).toContain('connection_refused');
    expect(result.codes.every((c) => c === undefined || c === 'connection_refused' || c === 'operation_aborted')).toBe(true);
    expect(tracking.live).toBe(0);
  });
});

/**
 * Runs `body` in a child `node --test-udp-no-try-send` (Node's switch that
 * makes every UDP send go through libuv's send queue instead of completing
 * within the call, as it does when the kernel's send buffer is full), with
 * the built package's names in scope; resolves with the JSON it prints.
 */
function runWithQueuedSends(body: string): Promise<Record<string, unknown>> {
  const entry = pathToFileURL(path.join(__dirname, '..', 'dist', 'src', 'index.js')).href;
  const script = `import { IoContext, TrackingAllocator, UdpSocket, makeWorkGuard, usePromise } from ${JSON.stringify(entry)};\nimport dgram from 'node:dgram';\n${body}`;
  // The handle's own send queue is what is tested: the native path would send at once.
  const child = spawn(process.execPath, ['--test-udp-no-try-send', '--input-type=module', '-e', script], { env: { ...process.env, PROACTOR_TRANSPORT: 'handle' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`child exited ${String(code)}: ${err}`));
      else resolve(JSON.parse(line) as Record<string, unknown>);
    });
  });
}

test('sends the handle queues (none completes within its call) complete later, in order, each with its length; close aborts the queued ones once each', async () => {
  const result = await runWithQueuedSends(`
    const peer = dgram.createSocket('udp4');
    await new Promise((r) => peer.bind(0, '127.0.0.1', r));
    let got = 0;
    peer.on('message', () => got++);
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const guard = makeWorkGuard(ctx);
    const running = ctx.run();
    const to = { host: '127.0.0.1', port: peer.address().port };
    const s = new UdpSocket(ctx);
    await s.asyncSendTo(Buffer.from('warm'), to, usePromise);
    const order = [];
    const errors = [];
    let bytes = 0;
    const payload = Buffer.alloc(1200, 7);
    await new Promise((resolve) => {
      for (let i = 0; i < 400; i++) {
        s.asyncSendTo(payload, to, (err, n) => {
          if (err) errors.push(err.code);
          order.push(i);
          bytes += n;
          if (order.length === 400) resolve();
        });
      }
    });
    const transport = s.transport;
    const c = new UdpSocket(ctx);
    await c.asyncConnect(to, usePromise);
    const connectedSent = await c.asyncSend(Buffer.alloc(64), usePromise);
    const codes = {};
    let calls = 0;
    for (let i = 0; i < 200; i++) {
      s.asyncSendTo(payload, to, (err) => {
        calls++;
        const code = err ? err.code : 'ok';
        codes[code] = (codes[code] ?? 0) + 1;
      });
    }
    s.close();
    c.close();
    guard.reset();
    await running;
    await new Promise((r) => setTimeout(r, 200));
    peer.close();
    console.log(JSON.stringify({ transport, inOrder: order.every((v, i) => v === i), n: order.length, errors, bytes, connectedSent, calls, codes, live: tracking.live, got }));
  `);
  expect(result).toMatchObject({ transport: 'handle', inOrder: true, n: 400, errors: [], bytes: 400 * 1200, connectedSent: 64, calls: 200, codes: { operation_aborted: 200 }, live: 0 });
  expect(result.got).toBeGreaterThan(0);
});
