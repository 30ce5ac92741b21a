import { IoError, UdpSocket, asTuple, cancelAfter, usePromise } from '../src/index.js';
import { ipv6Available, withRunningContext } from './support/udp-helpers.js';

/*
 * The socket options reach the kernel: broadcast, multicast membership,
 * interface, loopback and TTLs, and the buffer sizes, each shown by what
 * the kernel then does (or refuses). Multicast runs on the loopback
 * interface, so nothing leaves the host.
 */
const linux = process.platform === 'linux';
const GROUP = '239.255.42.99';

/** Receives one datagram within `ms`: its text, or null when none came. */
async function receiveWithin(s: UdpSocket, ms: number): Promise<string | null> {
  const buf = Buffer.alloc(64);
  const [err, n] = await s.asyncReceiveFrom(buf, cancelAfter(ms, asTuple(usePromise)));
  if (err !== null) {
    expect(err.code).toBe('operation_aborted');
    return null;
  }
  return buf.toString('utf8', 0, n);
}

describe('UdpSocket broadcast', () => {
  (linux ? test : test.skip)('without setBroadcast(true) a broadcast send is access_denied; with it the datagram arrives; off again, refused again', async () => {
    const { result, tracking } = await withRunningContext(async (ctx) => {
      const rx = new UdpSocket(ctx);
      await rx.bind({ host: '0.0.0.0', port: 0 }, usePromise);
      const to = { host: '127.255.255.255', port: rx.localEndpoint().port }; // the loopback network's broadcast address
      const tx = new UdpSocket(ctx);
      const [before] = await tx.asyncSendTo(Buffer.from('one'), to, asTuple(usePromise));
      tx.setBroadcast(true);
      const [on] = await tx.asyncSendTo(Buffer.from('two'), to, asTuple(usePromise));
      const got = await receiveWithin(rx, 2000);
      tx.setBroadcast(false);
      const [after] = await tx.asyncSendTo(Buffer.from('three'), to, asTuple(usePromise));
      rx.close();
      tx.close();
      return { before: before?.code, on, got, after: after?.code };
    });
    expect(result).toEqual({ before: 'access_denied', on: null, got: 'two', after: 'access_denied' });
    expect(tracking.live).toBe(0);
  });
});

describe('UdpSocket multicast', () => {
  (linux ? test : test.skip)('a member receives the group on the chosen interface; after dropMembership it does not', async () => {
    const { result, tracking } = await withRunningContext(async (ctx) => {
      const rx = new UdpSocket(ctx);
      await rx.bind({ host: '0.0.0.0', port: 0 }, usePromise);
      rx.addMembership(GROUP, '127.0.0.1');
      const to = { host: GROUP, port: rx.localEndpoint().port };
      const tx = new UdpSocket(ctx);
      tx.setMulticastInterface('127.0.0.1');
      tx.setMulticastTtl(0); // not even a router on this host forwards it
      const sent = await tx.asyncSendTo(Buffer.from('member'), to, usePromise);
      const member = await receiveWithin(rx, 2000);
      tx.setMulticastLoopback(true); // the default; on the loopback interface delivery does not depend on it
      rx.dropMembership(GROUP, '127.0.0.1');
      await tx.asyncSendTo(Buffer.from('left'), to, usePromise);
      const left = await receiveWithin(rx, 300);
      let dropTwice: unknown = null;
      try {
        rx.dropMembership(GROUP, '127.0.0.1');
      } catch (e) {
        dropTwice = e;
      }
      rx.close();
      tx.close();
      return { sent, member, left, dropTwice };
    });
    expect(result.sent).toBe(6);
    expect(result.member).toBe('member');
    expect(result.left).toBeNull();
    expect(result.dropTwice).toBeInstanceOf(IoError); // the kernel knows the group was left
    expect(tracking.live).toBe(0);
  });

  test('IPv6: joining and leaving a group reach the kernel (leaving one never joined is refused)', async () => {
    if (!(await ipv6Available())) return;
    const { result, tracking } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx, { family: 'udp6' });
      await s.bind({ host: '::', port: 0 }, usePromise);
      s.addMembership('ff02::4242', '::%lo');
      s.dropMembership('ff02::4242', '::%lo');
      let error: unknown = null;
      try {
        s.dropMembership('ff02::4242', '::%lo');
      } catch (e) {
        error = e;
      }
      s.close();
      return { error };
    });
    expect(result.error).toBeInstanceOf(IoError);
    expect(tracking.live).toBe(0);
  });

  test('options set before the bind completes are applied once it has; one the kernel refuses is reported to the bind', async () => {
    const { result, tracking } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx);
      const bound = s.bind({ host: '127.0.0.1', port: 0 }, asTuple(usePromise));
      s.setTtl(7);
      s.setReceiveBufferSize(65_536);
      s.dropMembership(GROUP, '127.0.0.1'); // never joined: the kernel refuses it once bound
      const [err] = await bound;
      const receiveBufferSize = s.receiveBufferSize();
      const [next] = await s.asyncSendTo(Buffer.from('x'), { host: '127.0.0.1', port: s.localEndpoint().port }, asTuple(usePromise));
      s.close();
      return { err, receiveBufferSize, next };
    });
    expect(result.err).toBeInstanceOf(IoError);
    expect(result.receiveBufferSize).toBeGreaterThanOrEqual(65_536);
    expect(result.next).toBeNull(); // reported once
    expect(tracking.live).toBe(0);
  });
});

describe('UdpSocket TTL and buffer sizes', () => {
  test('TTLs in range are accepted by the kernel; buffer sizes read back at least what was set', async () => {
    const { result, tracking } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx);
      await s.bind({ host: '127.0.0.1', port: 0 }, usePromise);
      s.setTtl(1);
      s.setTtl(255);
      s.setMulticastTtl(0);
      s.setMulticastTtl(255);
      s.setReceiveBufferSize(256 * 1024);
      s.setSendBufferSize(128 * 1024);
      const sizes = { receive: s.receiveBufferSize(), send: s.sendBufferSize() };
      s.close();
      return sizes;
    });
    expect(result.receive).toBeGreaterThanOrEqual(256 * 1024);
    expect(result.send).toBeGreaterThanOrEqual(128 * 1024);
    expect(tracking.live).toBe(0);
  });
});
