import { DATAGRAM_QUEUE_MAX_BYTES, DATAGRAM_QUEUE_MAX_COUNT, UdpSocket, asTuple, usePromise, type Endpoint } from '../src/index.js';
import { ipv6Available, nodePeer, refusedCodes, waitFor, withRunningContext } from './support/udp-helpers.js';

const LOOPBACK = { udp4: '127.0.0.1', udp6: '::1' } as const;

describe.each(['udp4', 'udp6'] as const)('UdpSocket (%s) with plain node:dgram', (family) => {
  let skip = false;
  beforeAll(async () => {
    skip = family === 'udp6' && !(await ipv6Available());
  });
  const host = LOOPBACK[family];

  test('receives from node:dgram with the sender, and sends to it', async () => {
    if (skip) return;
    const peer = await nodePeer(family);
    const { result, tracking } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx, { family });
      await s.bind({ host, port: 0 }, usePromise);
      const local = s.localEndpoint();
      await peer.send(Buffer.from('from node'), local.port);
      const buf = Buffer.alloc(100);
      const [n, from] = await s.asyncReceiveFrom(buf, usePromise);
      const sent = await s.asyncSendTo(Buffer.from('to node'), { host, port: peer.port }, usePromise);
      await waitFor(() => peer.got.length === 1);
      s.close();
      return { local, text: buf.toString('utf8', 0, n), from, sent };
    });
    peer.close();
    expect(result.local).toEqual({ address: host, port: expect.any(Number), family: family === 'udp4' ? 'IPv4' : 'IPv6' });
    expect(result.local.port).toBeGreaterThan(0);
    expect(result.text).toBe('from node');
    expect(result.from).toMatchObject({ address: host, port: peer.port, family: family === 'udp4' ? 'IPv4' : 'IPv6' });
    expect(result.sent).toBe(7);
    expect(peer.got[0]!.msg.toString()).toBe('to node');
    expect(peer.got[0]!.from.port).toBe(result.local.port);
    expect(tracking.live).toBe(0);
  });

  test('a datagram longer than the buffer delivers its first buf.length bytes; the rest is dropped, not delivered next', async () => {
    if (skip) return;
    const peer = await nodePeer(family);
    const { result } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx, { family });
      await s.bind({ host, port: 0 }, usePromise);
      const port = s.localEndpoint().port;
      await peer.send(Buffer.from('0123456789'), port);
      await peer.send(Buffer.from('next'), port);
      const buf = Buffer.alloc(4);
      const first = await s.asyncReceive(buf, usePromise);
      const firstText = buf.toString('utf8', 0, first);
      const second = await s.asyncReceive(buf, usePromise);
      s.close();
      return { first, firstText, second, secondText: buf.toString('utf8', 0, second) };
    });
    peer.close();
    expect(result).toEqual({ first: 4, firstText: '0123', second: 4, secondText: 'next' });
  });

  test('0-byte datagrams go both ways, and a 0-length buffer takes one datagram', async () => {
    if (skip) return;
    const peer = await nodePeer(family);
    const { result } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx, { family });
      await s.bind({ host, port: 0 }, usePromise);
      const port = s.localEndpoint().port;
      await peer.send(Buffer.alloc(0), port);
      const [n, from] = await s.asyncReceiveFrom(Buffer.alloc(16), usePromise);
      await peer.send(Buffer.from('abc'), port);
      const m = await s.asyncReceive(Buffer.alloc(0), usePromise);
      const sent = await s.asyncSendTo(Buffer.alloc(0), { host, port: peer.port }, usePromise);
      await waitFor(() => peer.got.length === 1);
      s.close();
      return { n, fromPort: from.port, m, sent };
    });
    peer.close();
    expect(result).toEqual({ n: 0, fromPort: peer.port, m: 0, sent: 0 });
    expect(peer.got[0]!.msg.length).toBe(0);
  });
});

describe('UdpSocket datagrams kept while no receive is pending', () => {
  test(`up to ${DATAGRAM_QUEUE_MAX_COUNT} are kept in order; the rest are dropped and counted`, async () => {
    const peer = await nodePeer();
    const { result, tracking } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx);
      await s.bind({ host: '127.0.0.1', port: 0 }, usePromise);
      const port = s.localEndpoint().port;
      const total = DATAGRAM_QUEUE_MAX_COUNT + 10;
      for (let i = 0; i < total; i++) {
        await peer.send(Buffer.from(String(i)), port);
        await waitFor(() => s.datagramStats().received === i + 1);
      }
      const stats = s.datagramStats();
      const order: string[] = [];
      const buf = Buffer.alloc(8);
      for (let i = 0; i < DATAGRAM_QUEUE_MAX_COUNT; i++) {
        const n = await s.asyncReceive(buf, usePromise);
        order.push(buf.toString('utf8', 0, n));
      }
      const after = s.datagramStats();
      s.close();
      return { stats, order, after };
    });
    peer.close();
    expect(result.stats).toMatchObject({ received: DATAGRAM_QUEUE_MAX_COUNT + 10, dropped: 10, queued: DATAGRAM_QUEUE_MAX_COUNT });
    expect(result.order).toEqual(Array.from({ length: DATAGRAM_QUEUE_MAX_COUNT }, (_, i) => String(i)));
    expect(result.after).toMatchObject({ queued: 0, queuedBytes: 0 });
    expect(tracking.live).toBe(0);
  });

  test(`at most ${DATAGRAM_QUEUE_MAX_BYTES} bytes are kept`, async () => {
    const peer = await nodePeer();
    const { result } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx);
      await s.bind({ host: '127.0.0.1', port: 0 }, usePromise);
      const port = s.localEndpoint().port;
      const size = 60_000;
      for (let i = 0; i < 6; i++) {
        await peer.send(Buffer.alloc(size, i), port);
        await waitFor(() => s.datagramStats().received === i + 1);
      }
      const stats = s.datagramStats();
      s.close();
      return { stats, fits: Math.floor(DATAGRAM_QUEUE_MAX_BYTES / size) };
    });
    peer.close();
    expect(result.stats.queued).toBe(result.fits);
    expect(result.stats.queuedBytes).toBe(result.fits * 60_000);
    expect(result.stats.dropped).toBe(6 - result.fits);
  });
});

describe('UdpSocket errors from the kernel', () => {
  test('a datagram too large to send is message_size; the socket still works', async () => {
    const peer = await nodePeer();
    const { result } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx);
      const [err, n] = await s.asyncSendTo(Buffer.alloc(70_000), { host: '127.0.0.1', port: peer.port }, asTuple(usePromise));
      const ok = await s.asyncSendTo(Buffer.alloc(65_507), { host: '127.0.0.1', port: peer.port }, usePromise);
      s.close();
      return { code: err?.code, n, ok };
    });
    await waitFor(() => peer.got.length === 1);
    peer.close();
    expect(result).toEqual({ code: 'message_size', n: 0, ok: 65_507 });
  });

  test('bind: port 0 picks one; a port in use is address_in_use (to the bind, or to the next operation); binding twice throws', async () => {
    const peer = await nodePeer();
    const { result } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx);
      const before = s.localEndpoint();
      s.bind({ host: '127.0.0.1', port: 0 });
      let during: unknown;
      try {
        s.localEndpoint();
      } catch (e) {
        during = e;
      }
      let twice: unknown;
      try {
        s.bind({ host: '127.0.0.1', port: 0 });
      } catch (e) {
        twice = e;
      }
      const a = new UdpSocket(ctx);
      const [inUse] = await a.bind({ host: '127.0.0.1', port: peer.port }, asTuple(usePromise));
      const b = new UdpSocket(ctx);
      b.bind({ host: '127.0.0.1', port: peer.port });
      const [pending] = await b.asyncReceive(Buffer.alloc(4), asTuple(usePromise)); // waits for the bind, gets its error
      const c = new UdpSocket(ctx);
      c.bind({ host: '127.0.0.1', port: peer.port });
      await waitFor(() => c.core.isUnbound());
      const [next] = await c.asyncSendTo(Buffer.from('x'), { host: '127.0.0.1', port: peer.port }, asTuple(usePromise));
      const [afterThat] = await c.asyncSendTo(Buffer.from('y'), { host: '127.0.0.1', port: peer.port }, asTuple(usePromise));
      for (const x of [s, a, b, c]) x.close();
      return { before, during, twice, inUse, pending, next, afterThat };
    });
    peer.close();
    expect(result.before).toEqual({ address: '0.0.0.0', port: 0, family: 'IPv4' });
    expect(result.during).toMatchObject({ name: 'IoError', code: 'try_again' });
    expect(result.twice).toMatchObject({ name: 'IoError', code: 'invalid_argument' });
    expect(result.inUse).toMatchObject({ code: 'address_in_use', port: peer.port });
    expect(result.pending).toMatchObject({ code: 'address_in_use' });
    expect(result.next).toMatchObject({ code: 'address_in_use' });
    expect(result.afterThat).toBeNull(); // reported once; the send then bound the socket to port 0
  });
});

describe('UdpSocket connected', () => {
  test('asyncSend goes to the peer; only its datagrams are received, kept ones included', async () => {
    const a = await nodePeer();
    const b = await nodePeer();
    const { result } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx);
      await s.bind({ host: '127.0.0.1', port: 0 }, usePromise);
      const port = s.localEndpoint().port;
      await b.send(Buffer.from('b-before'), port);
      await a.send(Buffer.from('a-before'), port);
      await waitFor(() => s.datagramStats().received === 2);
      await s.asyncConnect({ host: '127.0.0.1', port: a.port }, usePromise);
      const remote: Endpoint = s.remoteEndpoint();
      await b.send(Buffer.from('b-after'), port);
      await a.send(Buffer.from('a-after'), port);
      const buf = Buffer.alloc(32);
      const texts: string[] = [];
      for (let i = 0; i < 2; i++) {
        const n = await s.asyncReceive(buf, usePromise);
        texts.push(buf.toString('utf8', 0, n));
      }
      await s.asyncSend(Buffer.from('to a'), usePromise);
      const [sendToErr] = await s.asyncSendTo(Buffer.from('x'), { host: '127.0.0.1', port: b.port }, asTuple(usePromise));
      await waitFor(() => a.got.length === 1);
      const stats = s.datagramStats();
      s.close();
      return { remote, texts, stats, sendToErr };
    });
    a.close();
    b.close();
    expect(result.remote).toEqual({ address: '127.0.0.1', port: a.port, family: 'IPv4' });
    expect(result.texts).toEqual(['a-before', 'a-after']);
    // b-before was kept and is dropped at the connect; b-after the kernel filters itself (or we do).
    expect(result.stats.filtered).toBeGreaterThanOrEqual(1);
    expect(result.sendToErr).toMatchObject({ code: 'already_connected' });
    expect(a.got.map((g) => g.msg.toString())).toEqual(['to a']);
    expect(b.got).toEqual([]);
  });

  test('asyncSend on an unconnected socket is not_connected', async () => {
    const { result } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx);
      const [err] = await s.asyncSend(Buffer.from('x'), asTuple(usePromise));
      s.close();
      return err?.code;
    });
    expect(result).toBe('not_connected');
  });

  test('ICMP port unreachable on a connected socket surfaces as connection_refused (Linux reports it)', async () => {
    const gone = await nodePeer();
    const port = gone.port;
    gone.close();
    const { result } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx);
      await s.asyncConnect({ host: '127.0.0.1', port }, usePromise);
      const codes = await refusedCodes(s);
      s.close();
      return codes;
    });
    if (process.platform === 'linux') expect(result).toContain('connection_refused');
    expect(result.every((c) => c === undefined || c === 'connection_refused' || c === 'operation_aborted')).toBe(true);
  });
});
