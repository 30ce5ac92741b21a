import type * as net from 'node:net';
import { SslStream, TcpSocket, usePromise, type IoError, type TransportKind } from '../src/index.js';
import { connectedPair, trackedContext } from './support/net-helpers.js';
import { bridgeNextLayer, clientContext, nodeTlsServer, testCerts } from './support/tls-helpers.js';

beforeAll(() => {
  testCerts();
});

/** Everything `peer` receives until its end. */
function collect(peer: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  peer.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    peer.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    peer.on('error', reject);
  });
}

/** `count` writes of `size` bytes, each its own byte value, so order and completeness both show. */
function blocks(count: number, size: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.alloc(size, 0x41 + i));
}

const sent = blocks(4, 1 << 20);
const everything = Buffer.concat(sent);

describe.each<TransportKind>(['native', 'handle', 'chunk'])('shutdown(send) behind queued writes (%s transport)', (transport) => {
  test('every write started before it goes out in full and in order, then the end; a write after it fails with shut_down', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair(trackedContext(), transport);
    peer.pause(); // so the writes queue behind the kernel's buffer
    const received = collect(peer);
    const written: (number | string)[] = [];
    let late = 'pending';
    for (const b of sent) {
      sock.asyncWriteSome(b, (e, n) => written.push(e === null ? n : e.code));
    }
    sock.shutdown('send');
    sock.asyncWriteSome(Buffer.from('late'), (e) => {
      late = e?.code ?? 'written';
    });
    setTimeout(() => peer.resume(), 50);
    await ctx.run();
    expect(written).toEqual(sent.map((b) => b.length));
    expect(late).toBe('shut_down');
    expect((await received).equals(everything)).toBe(true);
    sock.close();
    expect(tracking.live).toBe(0);
  });
});

describe.each<'native' | 'bridge'>(['native', 'bridge'])('SslStream.asyncShutdown behind queued writes (%s route)', (route) => {
  test('the writes go out in full, then close_notify; the shutdown completes after them', async () => {
    const certs = testCerts();
    let received: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
    const server = await nodeTlsServer(certs.serverKey, certs.serverCert, (s) => {
      received = collect(s);
    });
    const { ctx, tracking } = trackedContext();
    const socket = new TcpSocket(ctx, route === 'native' ? { transport: 'handle' } : {});
    const next = route === 'native' ? socket : bridgeNextLayer(socket);
    const stream = new SslStream(next, clientContext(), { servername: 'localhost' });
    const order: string[] = [];
    const done = (async (): Promise<void> => {
      await socket.asyncConnect({ host: '127.0.0.1', port: server.port }, usePromise);
      await stream.asyncHandshake('client', usePromise);
      for (const b of sent) {
        stream.asyncWriteSome(b, (e: IoError | null, n) => order.push(e === null ? `wrote ${String(n)}` : e.code));
      }
      await stream.asyncShutdown(usePromise);
      order.push('shut down');
      stream.close();
    })();
    await ctx.run();
    await done;
    expect(stream.route).toBe(route);
    expect(order).toEqual([...sent.map((b) => `wrote ${String(b.length)}`), 'shut down']);
    expect((await received).equals(everything)).toBe(true);
    expect(tracking.live).toBe(0);
    await server.close();
  });
});

test('cancel() while a shutdown waits behind queued writes aborts them and sends the end at once (handle transport)', async () => {
  const { ctx, tracking, sock, peer } = await connectedPair(trackedContext(), 'handle');
  peer.pause();
  const received = collect(peer);
  const codes: string[] = [];
  for (const b of sent) {
    sock.asyncWriteSome(b, (e) => codes.push(e?.code ?? 'written'));
  }
  sock.shutdown('send');
  sock.cancel();
  peer.resume();
  await ctx.run();
  expect(codes).toContain('operation_aborted');
  const got = await received; // the end arrived: collect resolves on 'end'
  expect(everything.subarray(0, got.length).equals(got)).toBe(true); // in order: the writes handed on before the cancel
  sock.close();
  expect(tracking.live).toBe(0);
});
