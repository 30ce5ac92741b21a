import { UdpSocket, defaultTransport, usePromise, type Endpoint, type IoError } from '../src/index.js';
import { ipv6Available, nodePeer, waitFor, withRunningContext } from './support/udp-helpers.js';

/*
 * The native datagram path: a receive started with nothing kept reads the
 * kernel's queue itself (straight into its buffer, no copy), and sends go
 * out at once through the addon. In a burst most datagrams take that way;
 * every one arrives once, in order, cut to the buffer as on the other paths.
 */
const native = defaultTransport() === 'native';
const nativeTest = native ? test : test.skip;

const BURST = 100;
const BUFFER = 24;

/** Datagram i: its index in the first two bytes, then bytes i & 0xff; sizes 0, 2 … 40 in turn (0 carries no index). */
function datagram(i: number): Buffer {
  const size = i % 21 === 0 ? 0 : 2 + (i % 20) * 2;
  const b = Buffer.alloc(size, i & 0xff);
  if (size >= 2) b.writeUInt16BE(i, 0);
  return b;
}

/**
 * A proactor socket on `host` echoes what it receives (a receive chain on a
 * `BUFFER`-byte buffer) while a node:dgram peer sends a burst at once; the
 * peer's replies and the socket's counters.
 */
async function echoBurst(type: 'udp4' | 'udp6', host: string) {
  const peer = await nodePeer(type, host);
  const { result, tracking } = await withRunningContext(async (ctx) => {
    const s = new UdpSocket(ctx, { family: type });
    await s.bind({ host, port: 0 }, usePromise);
    const port = s.localEndpoint().port;
    // The first send of a process teaches the handle path; the native path comes with it.
    await s.asyncSendTo(Buffer.from('hi'), { host, port: peer.port }, usePromise);
    await waitFor(() => peer.got.length === 1);
    peer.got.length = 0;
    const buf = Buffer.alloc(BUFFER);
    const senders = new Set<Endpoint>();
    const lengths: number[] = [];
    const errors: string[] = [];
    let sending = 0;
    const done = new Promise<void>((resolve) => {
      const receive = (): void => {
        s.asyncReceiveFrom(buf, (err: IoError | null, n: number, from: Endpoint) => {
          if (err !== null) {
            errors.push(err.code);
            resolve();
            return;
          }
          lengths.push(n);
          senders.add(from);
          const reply = Buffer.from(buf.subarray(0, n));
          sending++;
          s.asyncSendTo(reply, { host: from.address, port: from.port }, (sendErr: IoError | null) => {
            if (sendErr !== null) errors.push(sendErr.code);
            sending--;
          });
          if (lengths.length === BURST) resolve();
          else receive();
        });
      };
      receive();
    });
    const sent: Buffer[] = [];
    for (let i = 0; i < BURST; i++) sent.push(datagram(i));
    for (const d of sent) void peer.send(d, port);
    await done;
    await waitFor(() => sending === 0 && peer.got.length === BURST);
    const transport = s.transport;
    const stats = s.datagramStats();
    s.close();
    return { transport, stats, lengths, senders: [...senders], errors, sent };
  });
  peer.close();
  return { ...result, replies: peer.got.map((g) => g.msg), peerPort: peer.port, live: tracking.live };
}

describe('UdpSocket on the native path', () => {
  nativeTest('a burst is read mostly in place, every datagram once and in order, cut to the buffer, echoed back in order', async () => {
    const r = await echoBurst('udp4', '127.0.0.1');
    expect(r.transport).toBe('native');
    expect(r.errors).toEqual([]);
    const expected = r.sent.map((d) => d.subarray(0, BUFFER));
    expect(r.lengths).toEqual(expected.map((d) => d.length));
    expect(r.replies).toEqual(expected);
    // Each datagram was delivered one way only: copied from Node's buffer, or read in place.
    expect(r.stats.received).toBe(BURST);
    expect(r.stats.copies + r.stats.directReads).toBe(BURST);
    expect(r.stats.directReads).toBeGreaterThan(0);
    expect(r.stats.dropped).toBe(0);
    // One peer: the sender of the datagrams read in place is one endpoint object, reused.
    for (const from of r.senders) expect(from).toMatchObject({ address: '127.0.0.1', port: r.peerPort, family: 'IPv4' });
    expect(r.senders.length).toBeLessThanOrEqual(1 + r.stats.copies);
    expect(r.live).toBe(0);
  });

  nativeTest('the same over IPv6: the sender is ::1 as Node writes it', async () => {
    if (!(await ipv6Available())) return;
    const r = await echoBurst('udp6', '::1');
    expect(r.transport).toBe('native');
    expect(r.errors).toEqual([]);
    expect(r.replies).toEqual(r.sent.map((d) => d.subarray(0, BUFFER)));
    expect(r.stats.directReads).toBeGreaterThan(0);
    for (const from of r.senders) expect(from).toMatchObject({ address: '::1', port: r.peerPort, family: 'IPv6' });
    expect(r.live).toBe(0);
  });

  test('the path is named: native where the native transport is the default, else handle', async () => {
    const { result } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx);
      // A process's first send goes through node:dgram; the next one takes the path.
      await s.asyncSendTo(Buffer.from('x'), { host: '127.0.0.1', port: 9 }, usePromise);
      await s.asyncSendTo(Buffer.from('y'), { host: '127.0.0.1', port: 9 }, usePromise);
      const transport = s.transport;
      s.close();
      return transport;
    });
    expect(result).toBe(native ? 'native' : 'handle');
  });
});
