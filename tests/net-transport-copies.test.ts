import * as net from 'node:net';
import {
  IDLE_READ_LIMIT,
  READ_RETARGET_LIMIT,
  SteadyTimer,
  TcpSocket,
  type IoError,
} from '../src/index.js';
import { connectedPair, nodeClient, nodeServer, pattern, trackedContext } from './support/net-helpers.js';

/*
 * What each socket's transport copies (`transportStats().bytesCopied`):
 * zero on the handle path when reads land in the caller's buffers (reads
 * started from a read handler, and up to READ_RETARGET_LIMIT other buffers);
 * copies only where they buy something: the idle landing buffer, which
 * keeps the handle reading between reads, and the landing buffer past the
 * retarget limit. The chunk transport copies every byte.
 */

const MESSAGE = 32 * 1024; // larger than IDLE_READ_LIMIT, so the handle stops after each message

/**
 * The server reads `count` messages of MESSAGE bytes, message i into
 * `buffers[i % buffers.length]`, starting each message's first read from a
 * timer (outside any read handler); the client sends a message only once
 * the server has started reading for it (the server's one-byte go-ahead).
 */
async function readMessagesFromTimer(buffers: readonly Buffer[], count: number): Promise<{ sock: TcpSocket; got: Buffer; sent: Buffer }> {
  const { ctx, tracking, sock, peer } = await connectedPair(undefined, 'handle');
  const sent = pattern(MESSAGE * count, 7);
  const got = Buffer.alloc(sent.length);
  const timer = new SteadyTimer(ctx);
  const go = Buffer.from('g');
  let message = 0;
  const readMessage = (): void => {
    const buf = buffers[message % buffers.length]!;
    let have = 0;
    const onRead = (err: IoError | null, n: number): void => {
      expect(err).toBeNull();
      have += n;
      if (have < MESSAGE) {
        sock.asyncReadSome(buf.subarray(have, MESSAGE), onRead); // from the read handler: switched for free
        return;
      }
      buf.copy(got, message * MESSAGE, 0, MESSAGE);
      if (++message === count) {
        sock.close();
        return;
      }
      timer.expiresAfter(1);
      timer.asyncWait(readMessage);
    };
    sock.asyncReadSome(buf.subarray(0, MESSAGE), onRead);
    sock.asyncWriteSome(go, (err) => {
      expect(err).toBeNull();
    });
  };
  peer.on('data', () => {
    const i = sentCount++;
    if (i < count) peer.write(sent.subarray(i * MESSAGE, (i + 1) * MESSAGE));
  });
  let sentCount = 0;
  readMessage();
  await ctx.run();
  peer.destroy();
  expect(tracking.live).toBe(0);
  return { sock, got, sent };
}

describe('bytes copied by the transports', () => {
  test('reads started from the read handler land in their buffers: zero copies, even over more buffers than the retarget limit', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair(undefined, 'handle');
    const data = pattern(8 * 1024 * 1024, 5);
    const got = Buffer.alloc(data.length);
    const buffers = Array.from({ length: READ_RETARGET_LIMIT + 36 }, () => Buffer.alloc(65536));
    let filled = 0;
    let reads = 0;
    const onRead = (err: IoError | null, n: number): void => {
      if (err !== null) {
        expect(err.code).toBe('eof');
        sock.close();
        return;
      }
      buffers[reads % buffers.length]!.copy(got, filled, 0, n);
      filled += n;
      reads++;
      sock.asyncReadSome(buffers[reads % buffers.length]!, onRead);
    };
    sock.asyncReadSome(buffers[0]!, onRead);
    peer.end(data);
    await ctx.run();
    expect(got.equals(data)).toBe(true);
    expect(reads).toBeGreaterThan(buffers.length); // every buffer was used
    const stats = sock.transportStats();
    expect(stats.transport).toBe('handle');
    expect(stats.bytesCopied).toBe(0);
    expect(tracking.live).toBe(0);
  });

  test('reads into other buffers started outside read handlers are retargeted: zero copies up to the limit', async () => {
    const buffers = Array.from({ length: 10 }, () => Buffer.alloc(MESSAGE));
    const { sock, got, sent } = await readMessagesFromTimer(buffers, 30);
    expect(got.equals(sent)).toBe(true);
    expect(sock.transportStats().bytesCopied).toBe(0);
  });

  test('past READ_RETARGET_LIMIT new buffers, reads land in the socket-owned buffer and are copied, bytes exact', async () => {
    const buffers = Array.from({ length: READ_RETARGET_LIMIT + 16 }, () => Buffer.alloc(MESSAGE));
    const { sock, got, sent } = await readMessagesFromTimer(buffers, READ_RETARGET_LIMIT + 16);
    expect(got.equals(sent)).toBe(true);
    const copied = sock.transportStats().bytesCopied;
    expect(copied).toBeGreaterThan(0);
    expect(copied).toBeLessThanOrEqual(16 * MESSAGE);
  });

  test('after a small read with none pending, the handle keeps reading: bytes are kept (copied once), then reading stops', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair(undefined, 'handle');
    const first = Buffer.alloc(64);
    let firstN = 0;
    sock.asyncReadSome(first, (err, n) => {
      expect(err).toBeNull();
      firstN = n;
    });
    peer.write(Buffer.from('x'.repeat(10)));
    await ctx.run();
    expect(firstN).toBe(10);
    const startsAfterFirst = sock.transportStats().readStarts;
    expect(sock.transportStats().bytesCopied).toBe(0);
    // No read is pending now. Bytes the peer sends are still taken from the kernel and kept.
    const early = pattern(100, 8);
    peer.write(early);
    await new Promise((r) => setTimeout(r, 100));
    expect(sock.transportStats().bytesCopied).toBe(early.length);
    // With bytes kept, the handle has stopped: what comes next stays in the kernel.
    const late = pattern(3 * IDLE_READ_LIMIT, 9);
    peer.write(late);
    await new Promise((r) => setTimeout(r, 100));
    expect(sock.transportStats().bytesCopied).toBe(early.length);
    expect(sock.transportStats().readStarts).toBe(startsAfterFirst);
    // Reads now get every byte in order: the kept ones (copied out once more), then the rest.
    const got: Buffer[] = [];
    let total = 0;
    const buf = Buffer.alloc(8192);
    const onRead = (err: IoError | null, n: number): void => {
      expect(err).toBeNull();
      got.push(Buffer.from(buf.subarray(0, n)));
      total += n;
      if (total < early.length + late.length) sock.asyncReadSome(buf, onRead);
      else sock.close();
    };
    sock.asyncReadSome(buf, onRead);
    ctx.restart();
    await ctx.run();
    expect(Buffer.concat(got).equals(Buffer.concat([early, late]))).toBe(true);
    expect(got[0]!.length).toBe(early.length); // the kept bytes first, alone
    peer.destroy();
    expect(tracking.live).toBe(0);
  });

  test('the chunk transport (an adopted net.Socket) copies every byte it delivers', async () => {
    const { ctx, tracking } = trackedContext();
    const data = pattern(200_000, 6);
    const server = await nodeServer((s) => {
      s.end(data);
    });
    const raw: net.Socket = await nodeClient(server.port);
    const sock = TcpSocket.fromNetSocket(ctx, raw);
    expect(sock.transport).toBe('chunk');
    const got = Buffer.alloc(data.length);
    let filled = 0;
    const onRead = (err: IoError | null, n: number): void => {
      if (err !== null) {
        sock.close();
        return;
      }
      filled += n;
      if (filled < data.length) sock.asyncReadSome(got.subarray(filled), onRead);
      else sock.close();
    };
    sock.asyncReadSome(got, onRead);
    await ctx.run();
    await server.close();
    expect(got.equals(data)).toBe(true);
    const stats = sock.transportStats();
    expect(stats.transport).toBe('chunk');
    expect(stats.bytesCopied).toBe(data.length);
    expect(stats.readStarts).toBe(0);
    expect(tracking.live).toBe(0);
  });
});
