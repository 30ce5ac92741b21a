import { HandlerAllocator, SteadyTimer, UdpSocket, makeCustomAllocHandler, usePromise, type Endpoint, type IoError } from '../src/index.js';
import { DATAGRAM_QUEUE_MAX_BYTES, DATAGRAM_QUEUE_MAX_COUNT } from '../src/index.js';
import { nodePeer, waitFor, withRunningContext } from './support/udp-helpers.js';

/*
 * A flood beyond what a UDP echo server can take: the sender counts its loss,
 * the server neither fails nor keeps more than its bounded queue, and once
 * the flood stops it serves normally.
 */
test('a flood of 1,200-byte datagrams: loss counted by the sender, the server bounded, then serving normally', async () => {
  const flooder = await nodePeer();
  const FLOOD = 20_000;
  const SIZE = 1200;
  const memory = new HandlerAllocator();
  const { result, tracking } = await withRunningContext(async (ctx) => {
    const server = new UdpSocket(ctx);
    await server.bind({ host: '127.0.0.1', port: 0 }, usePromise);
    const port = server.localEndpoint().port;
    const data = Buffer.alloc(65536);
    let serverErrors = 0;
    let maxQueued = 0;
    let maxQueuedBytes = 0;
    const onSent = makeCustomAllocHandler(memory, (err: IoError | null) => {
      if (err?.code === 'operation_aborted' || err?.code === 'bad_descriptor') return;
      if (err) serverErrors++;
      server.asyncReceiveFrom(data, onDatagram);
    });
    const onDatagram = makeCustomAllocHandler(memory, (err: IoError | null, n: number, from: Endpoint) => {
      if (err) {
        if (err.code !== 'operation_aborted' && err.code !== 'bad_descriptor') serverErrors++;
        return;
      }
      const { queued, queuedBytes } = server.datagramStats();
      if (queued > maxQueued) maxQueued = queued;
      if (queuedBytes > maxQueuedBytes) maxQueuedBytes = queuedBytes;
      server.asyncSendTo(data.subarray(0, n), from, onSent);
    });
    server.asyncReceiveFrom(data, onDatagram);

    const payload = Buffer.alloc(SIZE, 0x5a);
    let sent = 0;
    let sendFailures = 0;
    for (let i = 0; i < FLOOD; i++) {
      flooder.socket.send(payload, port, '127.0.0.1', (err) => {
        if (err) sendFailures++;
        else sent++;
      });
      if (i % 500 === 499) await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => sent + sendFailures === FLOOD, 20_000);
    // Let the last echoes arrive: quiet for 200 ms.
    let last = -1;
    while (last !== flooder.got.length) {
      last = flooder.got.length;
      await new Promise((r) => setTimeout(r, 200));
    }
    const echoed = flooder.got.length;
    const during = server.datagramStats();

    // Served normally afterwards: every request answered, one at a time.
    const after: string[] = [];
    for (let i = 0; i < 10; i++) {
      const before = flooder.got.length;
      await flooder.send(Buffer.from(`after ${i}`), port);
      await waitFor(() => flooder.got.length > before, 5000);
      after.push(flooder.got[flooder.got.length - 1]!.msg.toString());
    }
    server.close();
    return { sent, sendFailures, echoed, during, maxQueued, maxQueuedBytes, serverErrors, after };
  });
  flooder.close();
  const loss = result.sent - result.echoed;
  console.log(`udp flood: ${result.sent} sent, ${result.echoed} echoed, ${loss} lost (${((100 * loss) / result.sent).toFixed(1)}%); server received ${result.during.received}, dropped ${result.during.dropped} with no receive pending; max kept ${result.maxQueued} datagrams / ${result.maxQueuedBytes} bytes`);
  expect(result.sent + result.sendFailures).toBe(FLOOD);
  expect(result.echoed).toBeGreaterThan(0);
  expect(loss).toBeGreaterThanOrEqual(0);
  expect(result.echoed).toBeLessThanOrEqual(result.sent);
  expect(result.serverErrors).toBe(0);
  expect(result.maxQueued).toBeLessThanOrEqual(DATAGRAM_QUEUE_MAX_COUNT);
  expect(result.maxQueuedBytes).toBeLessThanOrEqual(DATAGRAM_QUEUE_MAX_BYTES);
  expect(result.during.queued).toBe(0);
  expect(result.after).toEqual(Array.from({ length: 10 }, (_, i) => `after ${i}`));
  expect(tracking.live).toBe(0);
  expect(memory.stats().live).toBe(0);
}, 60_000);

/*
 * A server slower than the flood (each reply waits a millisecond on a
 * timer, with no receive pending meanwhile): what it keeps for its next
 * receives reaches its bound and stops there (the count bound with
 * 1,200-byte datagrams, the byte bound with 8 KiB ones); the rest is
 * dropped and counted, and it serves normally afterwards.
 */
test.each([
  [1200, 'count'],
  [8192, 'bytes'],
] as const)('a flood of %i-byte datagrams on a slow server: its kept datagrams reach the %s bound and stay within it', async (SIZE, bound) => {
  const flooder = await nodePeer();
  const FLOOD = 3000;
  const { result, tracking } = await withRunningContext(async (ctx) => {
    const server = new UdpSocket(ctx);
    await server.bind({ host: '127.0.0.1', port: 0 }, usePromise);
    server.setReceiveBufferSize(4 << 20);
    const port = server.localEndpoint().port;
    const data = Buffer.alloc(65536);
    const timer = new SteadyTimer(ctx);
    let maxQueued = 0;
    let maxQueuedBytes = 0;
    let serverErrors = 0;
    const receive = (): void => {
      server.asyncReceiveFrom(data, (err, n, from) => {
        if (err) {
          if (err.code !== 'operation_aborted' && err.code !== 'bad_descriptor') serverErrors++;
          return;
        }
        timer.expiresAfter(1);
        timer.asyncWait((waitErr) => {
          if (waitErr) return;
          const { queued, queuedBytes } = server.datagramStats();
          maxQueued = Math.max(maxQueued, queued);
          maxQueuedBytes = Math.max(maxQueuedBytes, queuedBytes);
          server.asyncSendTo(data.subarray(0, n), from, (sendErr) => {
            if (sendErr?.code === 'operation_aborted' || sendErr?.code === 'bad_descriptor') return;
            if (sendErr) serverErrors++;
            receive();
          });
        });
      });
    };
    receive();
    const payload = Buffer.alloc(SIZE, 0x33);
    let sent = 0;
    for (let i = 0; i < FLOOD; i++) {
      flooder.socket.send(payload, port, '127.0.0.1', (err) => {
        if (!err) sent++;
      });
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => server.datagramStats().dropped > 0 || sent === FLOOD, 20_000);
    await waitFor(() => server.datagramStats().queued === 0, 20_000);
    const during = server.datagramStats();
    const before = flooder.got.length;
    await flooder.send(Buffer.from('after the flood'), port);
    await waitFor(() => flooder.got.some((g, i) => i >= before && g.msg.toString() === 'after the flood'), 5000);
    server.close();
    timer.cancel();
    return { sent, during, maxQueued, maxQueuedBytes, serverErrors, echoed: flooder.got.length };
  });
  flooder.close();
  console.log(`udp flood on a slow server (${SIZE} B): ${result.sent} sent, ${result.echoed} echoed; received ${result.during.received}, dropped ${result.during.dropped}; max kept ${result.maxQueued} datagrams / ${result.maxQueuedBytes} bytes`);
  expect(result.serverErrors).toBe(0);
  expect(result.during.dropped).toBeGreaterThan(0);
  expect(result.maxQueued).toBeLessThanOrEqual(DATAGRAM_QUEUE_MAX_COUNT);
  expect(result.maxQueuedBytes).toBeLessThanOrEqual(DATAGRAM_QUEUE_MAX_BYTES);
  if (bound === 'count') expect(result.maxQueued).toBe(DATAGRAM_QUEUE_MAX_COUNT);
  else expect(result.maxQueuedBytes).toBeGreaterThan(DATAGRAM_QUEUE_MAX_BYTES - SIZE);
  // Every datagram not dropped was delivered once: copied from Node's buffer, or (native path) read in place.
  expect(result.during.copies + result.during.directReads).toBe(result.during.received - result.during.dropped);
  expect(tracking.live).toBe(0);
}, 60_000);
