import type * as net from 'node:net';
import { IoContext, TcpAcceptor, TrackingAllocator, post, type IoError, type TcpSocket } from '../src/index.js';
import { nodeClient, pattern } from './support/net-helpers.js';

/** Collects what `s` receives until `size` bytes have arrived. */
function receive(s: net.Socket, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  return new Promise((resolve) => {
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= size) resolve(Buffer.concat(chunks));
    });
  });
}

test('a handler that throws rejects run() with that error; run() again serves every other connection', async () => {
  const tracking = new TrackingAllocator();
  const ctx = new IoContext({ allocator: tracking });
  const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
  const port = acceptor.localEndpoint().port;
  const CLIENTS = 6;
  const THROWER = 2;
  const boom = new Error('handler failure');
  const sockets: TcpSocket[] = [];
  let ended = 0;

  const serve = (socket: TcpSocket, index: number): void => {
    const buf = Buffer.alloc(64 * 1024);
    const onRead = (err: IoError | null, n: number): void => {
      if (err !== null) {
        socket.close();
        ended++;
        return;
      }
      if (index === THROWER) throw boom;
      socket.asyncWriteSome(buf.subarray(0, n), (werr) => {
        if (werr !== null) socket.close();
        else socket.asyncReadSome(buf, onRead);
      });
    };
    socket.asyncReadSome(buf, onRead);
  };
  const onAccept = (err: IoError | null, socket: TcpSocket): void => {
    expect(err).toBeNull();
    sockets.push(socket);
    serve(socket, sockets.length - 1);
    if (sockets.length < CLIENTS) acceptor.asyncAccept(onAccept);
    else acceptor.close();
  };
  acceptor.asyncAccept(onAccept);

  // Accept every client first, so the throw happens with all sessions live.
  const clients: net.Socket[] = [];
  for (let i = 0; i < CLIENTS; i++) clients.push(await nodeClient(port));
  const firstRun = ctx.run();
  await new Promise((r) => setTimeout(r, 50));
  expect(sockets).toHaveLength(CLIENTS);

  // Handlers queued behind the failing one must survive it.
  let postedRan = 0;
  const payloads = clients.map((_c, i) => pattern(200_000, i + 1));
  const echoes = clients.map((c, i) => receive(c, payloads[i]!.length));
  clients[THROWER]!.write('x');
  await expect(firstRun).rejects.toBe(boom);
  for (let i = 0; i < 3; i++) post(ctx, () => postedRan++);
  expect(ctx.stopped()).toBe(false);

  // Traffic that arrives while no run is active waits in the queue.
  for (let i = 0; i < CLIENTS; i++) if (i !== THROWER) clients[i]!.write(payloads[i]!);
  await new Promise((r) => setTimeout(r, 50));
  sockets[THROWER]!.close();

  const secondRun = ctx.run();
  for (let i = 0; i < CLIENTS; i++) {
    if (i === THROWER) continue;
    expect((await echoes[i]!).equals(payloads[i]!)).toBe(true);
    clients[i]!.end();
  }
  await secondRun;
  expect(postedRan).toBe(3);
  expect(ended).toBe(CLIENTS - 1);
  expect(tracking.live).toBe(0);
  for (const c of clients) c.destroy();
});
