import { TcpSocket, asyncRead, asyncWrite, type IoError } from '../src/index.js';
import { collect, localAcceptor, nodeClient, nodeServer, pattern, trackedContext } from './support/net-helpers.js';

describe('TcpSocket reads and writes', () => {
  test('connect, write, read echo with a node:net peer', async () => {
    const { ctx, tracking } = trackedContext();
    const server = await nodeServer((s) => s.pipe(s));
    const sock = new TcpSocket(ctx);
    const buf = Buffer.alloc(64);
    let connected = 0;
    let wrote = -1;
    let read = -1;
    sock.asyncConnect({ host: '127.0.0.1', port: server.port }, (err) => {
      expect(err).toBeNull();
      connected++;
      sock.asyncWriteSome(Buffer.from('hello'), (e, n) => {
        expect(e).toBeNull();
        wrote = n;
        sock.asyncReadSome(buf, (e2, n2) => {
          expect(e2).toBeNull();
          read = n2;
          sock.close();
        });
      });
    });
    expect(connected).toBe(0);
    await ctx.run();
    await server.close();
    expect(connected).toBe(1);
    expect(wrote).toBe(5);
    expect(read).toBe(5);
    expect(buf.subarray(0, 5).toString()).toBe('hello');
    expect(tracking.live).toBe(0);
  });

  test('4 MiB written by node:net arrives byte for byte through accepted-socket reads', async () => {
    const { ctx, tracking } = trackedContext();
    const { acceptor, port } = localAcceptor(ctx);
    const data = pattern(4 * 1024 * 1024, 7);
    const got = Buffer.alloc(data.length);
    let result: [IoError | null, number] | null = null;
    let eof: IoError | null = null;
    acceptor.asyncAccept((err, s) => {
      expect(err).toBeNull();
      acceptor.close();
      asyncRead(s, got, (e, n) => {
        result = [e, n];
        s.asyncReadSome(Buffer.alloc(16), (e2, n2) => {
          eof = e2;
          expect(n2).toBe(0);
          s.close();
        });
      });
    });
    const client = await nodeClient(port);
    client.end(data);
    await ctx.run();
    expect(result).toEqual([null, data.length]);
    expect(got.equals(data)).toBe(true);
    expect((eof as IoError | null)?.code).toBe('eof');
    expect(tracking.live).toBe(0);
  });

  test('4 MiB asyncWrite meets a node:net reader byte for byte', async () => {
    const { ctx, tracking } = trackedContext();
    const { acceptor, port } = localAcceptor(ctx);
    const data = pattern(4 * 1024 * 1024, 3);
    let written = -1;
    acceptor.asyncAccept((err, s) => {
      expect(err).toBeNull();
      acceptor.close();
      asyncWrite(s, data, (e, n) => {
        expect(e).toBeNull();
        written = n;
        s.shutdown('send');
        s.close();
      });
    });
    const client = await nodeClient(port);
    const received = collect(client);
    await ctx.run();
    const bytes = await received;
    expect(written).toBe(data.length);
    expect(bytes.equals(data)).toBe(true);
    expect(tracking.live).toBe(0);
  });
});
