import {
  HandlerAllocator,
  IoContext,
  UdpSocket,
  asTuple,
  cancelAfter,
  deferred,
  detached,
  makeCustomAllocHandler,
  makeWorkGuard,
  usePromise,
  type Endpoint,
  type IoError,
} from '../src/index.js';
import { nodePeer, waitFor, withRunningContext } from './support/udp-helpers.js';

describe('UdpSocket bad arguments throw TypeError at initiation, naming what they got', () => {
  const ctx = new IoContext();
  const s = new UdpSocket(ctx);
  const to = { host: '127.0.0.1', port: 5555 };
  afterAll(() => {
    s.close();
  });

  test.each([
    ['asyncSendTo with a string', () => { s.asyncSendTo('hi' as unknown as Buffer, to, () => undefined); }, /asyncSendTo: the buffer must be a Uint8Array \(or Buffer\), got string "hi"/],
    ['asyncReceiveFrom with null', () => { s.asyncReceiveFrom(null as unknown as Buffer, () => undefined); }, /asyncReceiveFrom: .*got null/],
    ['asyncReceive with a number', () => { s.asyncReceive(5 as unknown as Buffer, () => undefined); }, /asyncReceive: .*got number 5/],
    ['asyncSend with an array', () => { s.asyncSend([] as unknown as Buffer, () => undefined); }, /asyncSend: .*got array of length 0/],
    ['a port out of range', () => { s.asyncSendTo(Buffer.alloc(1), { host: '127.0.0.1', port: 70000 }, () => undefined); }, /port must be an integer from 0 to 65535, got number 70000/],
    ['port 0 as a destination', () => { s.asyncSendTo(Buffer.alloc(1), { host: '127.0.0.1', port: 0 }, () => undefined); }, /port must be an integer from 1 to 65535, got number 0/],
    ['a port string', () => { s.asyncConnect({ host: '127.0.0.1', port: '80' as unknown as number }, () => undefined); }, /got string "80"/],
    ['an IPv6 address on a udp4 socket', () => { s.asyncSendTo(Buffer.alloc(1), { host: '::1', port: 5555 }, () => undefined); }, /a udp4 socket needs an IPv4 address, got string "::1"/],
    ['a host name', () => { s.bind({ host: 'localhost', port: 0 }); }, /host must be an IP address .*got string "localhost"/],
    ['no endpoint', () => { s.asyncConnect(undefined as unknown as Endpoint, () => undefined); }, /expected \{ host, port \}, got undefined/],
    ['a family that is not udp4/udp6', () => new UdpSocket(ctx, { family: 'tcp' as 'udp4' }), /family must be 'udp4' or 'udp6', got string "tcp"/],
    ['a TTL out of range', () => { s.setTtl(300); }, /setTtl: the TTL must be an integer from 1 to 255, got number 300/],
    ['a broadcast flag that is not a boolean', () => { s.setBroadcast(1 as unknown as boolean); }, /setBroadcast: expected a boolean, got number 1/],
    ['a membership group of the wrong family', () => { s.addMembership('ff02::1'); }, /group must be an IPv4 multicast address, got string "ff02::1"/],
  ])('%s', (_name, call, message) => {
    expect(call).toThrow(TypeError);
    expect(call).toThrow(message);
  });

  test('an IPv4 address on a udp6 socket', () => {
    const s6 = new UdpSocket(ctx, { family: 'udp6' });
    expect(() => { s6.asyncSendTo(Buffer.alloc(1), { host: '127.0.0.1', port: 5555 }, () => undefined); }).toThrow(/a udp6 socket needs an IPv6 address, got string "127.0.0.1"/);
    s6.close();
  });
});

describe('UdpSocket with every completion token', () => {
  test('callback, usePromise, asTuple(usePromise), detached, deferred and cancelAfter', async () => {
    const peer = await nodePeer();
    const { result, tracking } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx);
      await s.bind({ host: '127.0.0.1', port: 0 }, usePromise);
      const port = s.localEndpoint().port;
      const dest = { host: '127.0.0.1', port: peer.port };
      const viaCallback = await new Promise<number>((resolve, reject) => {
        s.asyncSendTo(Buffer.from('a'), dest, (err, n) => {
          if (err) reject(err);
          else resolve(n);
        });
      });
      const viaPromise = await s.asyncSendTo(Buffer.from('bb'), dest, usePromise);
      const viaTuple = await s.asyncSendTo(Buffer.from('ccc'), dest, asTuple(usePromise));
      s.asyncSendTo(Buffer.from('dddd'), dest, detached);
      const op = s.asyncSendTo(Buffer.from('eeeee'), dest, deferred);
      const viaDeferred = await op(usePromise);
      await waitFor(() => peer.got.length === 5);
      await peer.send(Buffer.from('r1'), port);
      await peer.send(Buffer.from('r2'), port);
      const buf = Buffer.alloc(8);
      const tuple = await s.asyncReceiveFrom(buf, asTuple(usePromise));
      const receiveOp = s.asyncReceive(buf, deferred);
      const viaDeferredReceive = await receiveOp(cancelAfter(5000, usePromise));
      s.close();
      return { viaCallback, viaPromise, viaTuple, viaDeferred, tuple, viaDeferredReceive };
    });
    peer.close();
    expect(result.viaCallback).toBe(1);
    expect(result.viaPromise).toBe(2);
    expect(result.viaTuple).toEqual([null, 3]);
    expect(result.viaDeferred).toBe(5);
    expect(peer.got.map((g) => g.msg.toString()).sort()).toEqual(['a', 'bb', 'ccc', 'dddd', 'eeeee']);
    expect(result.tuple).toEqual([null, 2, expect.objectContaining({ address: '127.0.0.1', port: peer.port })]);
    expect(result.viaDeferredReceive).toBe(2);
    expect(tracking.live).toBe(0);
  });
});

describe('UdpSocket handler tracking, statistics and handler memory', () => {
  test('operations are tracked as udp_socket@….async_send_to etc., and counted per kind', async () => {
    const lines: string[] = [];
    const ctx = new IoContext({ handlerTracking: (line) => lines.push(line) });
    const guard = makeWorkGuard(ctx);
    const running = ctx.run();
    const a = new UdpSocket(ctx);
    const b = new UdpSocket(ctx);
    await a.bind({ host: '127.0.0.1', port: 0 }, usePromise);
    await b.asyncConnect(a.localEndpoint(), usePromise);
    const got = a.asyncReceiveFrom(Buffer.alloc(8), usePromise);
    await b.asyncSend(Buffer.from('x'), usePromise);
    const [, from] = await got;
    await a.asyncSendTo(Buffer.from('y'), from, usePromise);
    await b.asyncReceive(Buffer.alloc(8), usePromise);
    a.cancel();
    a.close();
    b.close();
    guard.reset();
    await running;
    const text = lines.join('\n');
    for (const name of ['bind', 'async_connect', 'async_receive_from', 'async_send', 'async_send_to', 'async_receive', 'cancel', 'close']) {
      expect(text).toMatch(new RegExp(`udp_socket@0x[0-9a-f]+\\.${name}\\b`));
    }
    const { byKind } = ctx.allocationStats();
    for (const kind of ['bind', 'connect', 'receiveFrom', 'send', 'sendTo', 'receive']) {
      expect(byKind[kind]).toMatchObject({ allocations: 1, deallocations: 1, live: 0 });
    }
  });

  test('each op is freed before its handler runs: a receive started from a receive handler (and a send from a send handler) reuses the same op object', async () => {
    const peer = await nodePeer();
    const memory = new HandlerAllocator();
    const N = 20;
    const { result } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx);
      await s.bind({ host: '127.0.0.1', port: 0 }, usePromise);
      const buf = Buffer.alloc(16);
      const got: string[] = [];
      const received = new Promise<void>((resolve) => {
        const onPlain = makeCustomAllocHandler(memory, (err: IoError | null, n: number) => {
          if (err) {
            resolve();
            return;
          }
          got.push(buf.toString('utf8', 0, n));
          if (got.length === N) resolve();
          else s.asyncReceive(buf, onPlain);
        });
        const onFrom = makeCustomAllocHandler(memory, (err: IoError | null, n: number) => {
          if (err) {
            resolve();
            return;
          }
          got.push(buf.toString('utf8', 0, n));
          if (got.length === N / 2) s.asyncReceive(buf, onPlain);
          else s.asyncReceiveFrom(buf, onFrom);
        });
        s.asyncReceiveFrom(buf, onFrom);
      });
      for (let i = 0; i < N; i++) await peer.send(Buffer.from(String(i)), s.localEndpoint().port);
      await received;
      let sent = 0;
      await new Promise<void>((resolve) => {
        const onSent = makeCustomAllocHandler(memory, (err: IoError | null) => {
          if (err || ++sent === N) {
            resolve();
            return;
          }
          s.asyncSendTo(Buffer.from('x'), { host: '127.0.0.1', port: peer.port }, onSent);
        });
        s.asyncSendTo(Buffer.from('x'), { host: '127.0.0.1', port: peer.port }, onSent);
      });
      s.close();
      return got;
    });
    peer.close();
    expect(result).toEqual(Array.from({ length: N }, (_, i) => String(i)));
    // One op object per kind (receiveFrom, receive, sendTo): every later operation reused it.
    expect(memory.stats()).toMatchObject({ fallbacks: 3, hits: 2 * N - 3, live: 0 });
  });

  test('a receive → send chain on one HandlerAllocator reuses its op objects (each freed before its handler runs)', async () => {
    const peer = await nodePeer();
    const memory = new HandlerAllocator();
    const ROUNDS = 50;
    const { result } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx);
      await s.bind({ host: '127.0.0.1', port: 0 }, usePromise);
      const buf = Buffer.alloc(64);
      let rounds = 0;
      const done = new Promise<void>((resolve) => {
        const onSent = makeCustomAllocHandler(memory, (err: IoError | null) => {
          if (err || ++rounds === ROUNDS) {
            resolve();
            return;
          }
          s.asyncReceiveFrom(buf, onDatagram);
        });
        const onDatagram = makeCustomAllocHandler(memory, (err: IoError | null, n: number, from: Endpoint) => {
          if (err) {
            resolve();
            return;
          }
          s.asyncSendTo(buf.subarray(0, n), from, onSent);
        });
        s.asyncReceiveFrom(buf, onDatagram);
      });
      peer.socket.on('message', (msg, from) => {
        if (peer.got.length < ROUNDS) peer.socket.send(msg, from.port, from.address);
      });
      await peer.send(Buffer.from('ping'), s.localEndpoint().port);
      await done;
      s.close();
      return rounds;
    });
    peer.close();
    expect(result).toBe(ROUNDS);
    expect(memory.stats()).toMatchObject({ fallbacks: 2, live: 0 });
    expect(memory.stats().hits).toBe(2 * ROUNDS - 2);
  });
});
