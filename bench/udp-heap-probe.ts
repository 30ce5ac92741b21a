/**
 * One measurement for the UDP benchmark's heap table, run as its own
 * process (`node --expose-gc dist/bench/udp-heap-probe.js <server> <send|receive> <size> <udp-load>`):
 * the V8 heap bytes allocated per datagram sent, or per datagram received,
 * by a proactor UdpSocket (on its default path, or the handle path under
 * PROACTOR_TRANSPORT=handle) or by a plain node:dgram socket. Prints one
 * JSON line.
 *
 * Sending: 300,000 datagrams, one after another from the completion of the
 * last, to a node:dgram sink in a child process (its allocations are not in
 * this heap). Receiving: a receive chain (or a 'message' listener) while
 * bench/load/udp-load.c floods the socket for 2 s; per datagram received.
 * Bytes allocated are counted as bench/heap-probe.ts counts them: the used
 * heap's growth plus what every collection in between freed.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import v8 from 'node:v8';
import { HandlerAllocator, IoContext, UdpSocket, makeCustomAllocHandler, makeWorkGuard, type IoError } from '../src/index.js';

const SENDS = 300_000;
const WARMUP_SENDS = 20_000;
const FLOOD_SECONDS = 2;

type Server = 'proactor' | 'node:dgram';

async function allocatedDuring(work: () => Promise<number>): Promise<{ count: number; bytes: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const profiler = new v8.GCProfiler();
  const before = v8.getHeapStatistics().used_heap_size;
  profiler.start();
  const count = await work();
  const data = profiler.stop();
  const after = v8.getHeapStatistics().used_heap_size;
  let freed = 0;
  for (const s of data.statistics) freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
  return { count, bytes: after - before + freed };
}

/** A node:dgram socket in a child process that takes datagrams and drops them; resolves with its port. */
async function startSink(): Promise<{ port: number; stop: () => void }> {
  const script = "const s=require('node:dgram').createSocket('udp4');s.on('message',()=>{});s.bind(0,'127.0.0.1',()=>console.log(s.address().port));";
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => { resolve(Number(d.toString().trim())); }));
  return { port, stop: () => child.kill() };
}

function flood(load: string, port: number, size: number, seconds: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(load, ['--port', String(port), '--mode', 'flood', '--size', String(size), '--duration', String(seconds)], { stdio: 'ignore' });
    child.on('exit', () => { resolve(); });
  });
}

/** A warm-up flood of `port`, then the bytes allocated over a measured one and the datagrams `received()` counted meanwhile. */
async function allocatedPerFlood(load: string, port: number, size: number, received: () => number): Promise<{ count: number; bytes: number }> {
  await flood(load, port, size, 0.5);
  return allocatedDuring(async () => {
    const start = received();
    await flood(load, port, size, FLOOD_SECONDS);
    await new Promise((r) => setTimeout(r, 300));
    return received() - start;
  });
}

async function proactorSend(payload: Buffer, port: number): Promise<{ count: number; bytes: number; path: string | null }> {
  const ctx = new IoContext();
  const guard = makeWorkGuard(ctx);
  const running = ctx.run();
  const socket = new UdpSocket(ctx);
  const to = { host: '127.0.0.1', port };
  const memory = new HandlerAllocator();
  const sendMany = (count: number): Promise<number> =>
    new Promise((resolve, reject) => {
      let left = count;
      const onSent = makeCustomAllocHandler(memory, (err: IoError | null) => {
        if (err !== null) reject(err);
        else if (--left > 0) socket.asyncSendTo(payload, to, onSent);
        else resolve(count);
      });
      socket.asyncSendTo(payload, to, onSent);
    });
  await sendMany(WARMUP_SENDS); // the first send teaches the handle path
  const result = await allocatedDuring(() => sendMany(SENDS));
  const path = socket.transport;
  socket.close();
  guard.reset();
  await running;
  return { ...result, path };
}

function dgramSend(payload: Buffer, port: number): Promise<{ count: number; bytes: number; path: string | null }> {
  const socket = dgram.createSocket('udp4');
  const sendMany = (count: number): Promise<number> =>
    new Promise((resolve, reject) => {
      let left = count;
      const onSent = (err: Error | null): void => {
        if (err !== null) reject(err);
        else if (--left > 0) socket.send(payload, port, '127.0.0.1', onSent);
        else resolve(count);
      };
      socket.send(payload, port, '127.0.0.1', onSent);
    });
  return sendMany(WARMUP_SENDS).then(async () => {
    const result = await allocatedDuring(() => sendMany(SENDS));
    socket.close();
    return { ...result, path: null };
  });
}

async function proactorReceive(load: string, size: number): Promise<{ count: number; bytes: number; path: string | null }> {
  const ctx = new IoContext();
  const guard = makeWorkGuard(ctx);
  const running = ctx.run();
  const socket = new UdpSocket(ctx);
  await new Promise<void>((resolve, reject) => {
    socket.bind({ host: '127.0.0.1', port: 0 }, (err: IoError | null) => {
      if (err === null) resolve();
      else reject(err);
    });
  });
  // A process's first send teaches the handle path: two to the discard port.
  for (let i = 0; i < 2; i++) {
    await new Promise<void>((resolve) => {
      socket.asyncSendTo(Buffer.alloc(1), { host: '127.0.0.1', port: 9 }, () => { resolve(); });
    });
  }
  let received = 0;
  const buf = Buffer.alloc(65_536);
  const memory = new HandlerAllocator();
  const onDatagram = makeCustomAllocHandler(memory, (err: IoError | null) => {
    if (err !== null) return;
    received++;
    socket.asyncReceiveFrom(buf, onDatagram);
  });
  socket.asyncReceiveFrom(buf, onDatagram);
  const port = socket.localEndpoint().port;
  const result = await allocatedPerFlood(load, port, size, () => received);
  const path = socket.transport;
  socket.close();
  guard.reset();
  await running;
  return { ...result, path };
}

async function dgramReceive(load: string, size: number): Promise<{ count: number; bytes: number; path: string | null }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  let received = 0;
  socket.on('message', () => {
    received++;
  });
  const port = socket.address().port;
  const result = await allocatedPerFlood(load, port, size, () => received);
  socket.close();
  return { ...result, path: null };
}

async function main(): Promise<void> {
  const [server, mode, sizeText, load] = process.argv.slice(2) as [Server, 'send' | 'receive', string, string];
  const size = Number(sizeText);
  let result: { count: number; bytes: number; path: string | null };
  if (mode === 'send') {
    const sink = await startSink();
    const payload = Buffer.alloc(size, 0x5a);
    try {
      result = server === 'proactor' ? await proactorSend(payload, sink.port) : await dgramSend(payload, sink.port);
    } finally {
      sink.stop();
    }
  } else {
    result = server === 'proactor' ? await proactorReceive(load, size) : await dgramReceive(load, size);
  }
  console.log(JSON.stringify({ server, mode, size, path: result.path, datagrams: result.count, bytesPerDatagram: result.count > 0 ? result.bytes / result.count : null }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
