import * as net from 'node:net';
import { TcpSocket, type IoError } from '../src/index.js';
import { connectedPair, nodeServer, trackedContext } from './support/net-helpers.js';

describe('TcpSocket close, cancel and errors', () => {
  test('close() aborts a pending read; later operations get bad_descriptor', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const codes: string[] = [];
    sock.asyncReadSome(Buffer.alloc(8), (err, n) => {
      codes.push(`read:${err?.code}:${n}`);
      sock.asyncReadSome(Buffer.alloc(8), (e2) => codes.push(`after:${e2?.code}`));
      sock.asyncWriteSome(Buffer.from('x'), (e3) => codes.push(`write:${e3?.code}`));
    });
    sock.close();
    expect(sock.isOpen()).toBe(false);
    expect(codes).toEqual([]);
    await ctx.run();
    expect(codes).toEqual(['read:operation_aborted:0', 'after:bad_descriptor', 'write:bad_descriptor']);
    expect(() => sock.localEndpoint()).toThrow(expect.objectContaining({ code: 'bad_descriptor' }) as Error);
    peer.destroy();
    expect(tracking.live).toBe(0);
  });

  test('cancel() aborts pending reads, leaves the socket open, and the next read gets the data', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const events: string[] = [];
    const buf = Buffer.alloc(8);
    sock.asyncReadSome(Buffer.alloc(8), (err) => events.push(`first:${err?.code}`));
    sock.asyncReadSome(Buffer.alloc(8), (err) => {
      events.push(`second:${err?.code}`);
      expect(sock.isOpen()).toBe(true);
      peer.write('data');
      sock.asyncReadSome(buf, (e, n) => {
        events.push(`third:${e?.code ?? 'ok'}:${buf.subarray(0, n).toString()}`);
        sock.close();
        peer.destroy();
      });
    });
    sock.cancel();
    await ctx.run();
    expect(events).toEqual(['first:operation_aborted', 'second:operation_aborted', 'third:ok:data']);
    expect(tracking.live).toBe(0);
  });

  test('data then eof: the data first, then (eof, 0), never together, and eof again after', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const results: string[] = [];
    const buf = Buffer.alloc(64);
    const onRead = (err: IoError | null, n: number): void => {
      results.push(`${err?.code ?? 'ok'}:${n}`);
      if (results.length < 3) sock.asyncReadSome(buf, onRead);
      else sock.close();
    };
    sock.asyncReadSome(buf, onRead);
    peer.end('xyz');
    await ctx.run();
    expect(results).toEqual(['ok:3', 'eof:0', 'eof:0']);
    expect(tracking.live).toBe(0);
  });

  test('a peer reset is connection_reset', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    let code: string | undefined;
    sock.asyncReadSome(Buffer.alloc(8), (err) => {
      code = err?.code;
      sock.close();
    });
    peer.resetAndDestroy();
    await ctx.run();
    expect(code).toBe('connection_reset');
    expect(tracking.live).toBe(0);
  });

  test('a refused connect is connection_refused and leaves the socket open but unconnected', async () => {
    const { ctx, tracking } = trackedContext();
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => { resolve(); }));
    const sock = new TcpSocket(ctx);
    const codes: string[] = [];
    sock.asyncConnect({ host: '127.0.0.1', port }, (err) => {
      codes.push(String(err?.code));
      codes.push(String(sock.isOpen()));
      sock.asyncReadSome(Buffer.alloc(4), (e) => {
        codes.push(String(e?.code));
        sock.close();
      });
    });
    await ctx.run();
    expect(codes).toEqual(['connection_refused', 'true', 'not_connected']);
    expect(tracking.live).toBe(0);
  });

  test('reads on a never-connected socket are bad_descriptor; connecting twice is already_connected', async () => {
    const { ctx, tracking } = trackedContext();
    const server = await nodeServer(() => undefined);
    const sock = new TcpSocket(ctx);
    const codes: string[] = [];
    sock.asyncReadSome(Buffer.alloc(4), (e) => codes.push(`read:${e?.code}`));
    sock.asyncConnect({ host: '127.0.0.1', port: server.port }, (err) => {
      codes.push(`connect:${err?.code ?? 'ok'}`);
      sock.asyncConnect({ host: '127.0.0.1', port: server.port }, (e2) => {
        codes.push(`again:${e2?.code}`);
        sock.close();
      });
    });
    await ctx.run();
    await server.close();
    expect(codes).toEqual(['read:bad_descriptor', 'connect:ok', 'again:already_connected']);
    expect(tracking.live).toBe(0);
  });

  test('zero-length reads and writes complete with (null, 0) from the run loop, not inside the call', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const results: string[] = [];
    sock.asyncReadSome(Buffer.alloc(0), (err, n) => results.push(`read:${String(err)}:${n}`));
    sock.asyncWriteSome(Buffer.alloc(0), (err, n) => results.push(`write:${String(err)}:${n}`));
    sock.asyncWriteSome([], (err, n) => results.push(`gather:${String(err)}:${n}`));
    expect(results).toEqual([]);
    const ran = await ctx.run();
    expect(ran).toBe(3);
    expect(results).toEqual(['read:null:0', 'write:null:0', 'gather:null:0']);
    sock.close();
    peer.destroy();
    expect(tracking.live).toBe(0);
  });

  test('no completion is delivered inside the initiating call, even for immediate errors', async () => {
    const { ctx, tracking } = trackedContext();
    const sock = new TcpSocket(ctx);
    let calls = 0;
    sock.asyncReadSome(Buffer.alloc(4), () => calls++);
    sock.asyncWriteSome(Buffer.alloc(4), () => calls++);
    expect(calls).toBe(0);
    await ctx.run();
    expect(calls).toBe(2);
    expect(tracking.live).toBe(0);
  });

  test('concurrent reads queue in FIFO order, each getting the next bytes', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const a = Buffer.alloc(3);
    const b = Buffer.alloc(3);
    const order: string[] = [];
    sock.asyncReadSome(a, (err, n) => {
      order.push(`a:${a.subarray(0, n).toString()}`);
      peer.write('def');
    });
    sock.asyncReadSome(b, (err, n) => {
      order.push(`b:${b.subarray(0, n).toString()}`);
      sock.close();
      peer.destroy();
    });
    peer.write('abc');
    await ctx.run();
    expect(order).toEqual(['a:abc', 'b:def']);
    expect(tracking.live).toBe(0);
  });

  test('concurrent writes queue in FIFO order; a gathered write sends its buffers in order', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const chunks: Buffer[] = [];
    peer.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise<void>((resolve) => peer.on('end', resolve));
    const sizes: number[] = [];
    sock.asyncWriteSome(Buffer.from('one,'), (_e, n) => sizes.push(n));
    sock.asyncWriteSome([Buffer.from('two,'), Buffer.alloc(0), Buffer.from('three,')], (_e, n) => sizes.push(n));
    sock.asyncWriteSome(Buffer.from('four'), (_e, n) => {
      sizes.push(n);
      sock.shutdown('send');
      sock.asyncWriteSome(Buffer.from('late'), (e) => {
        sizes.push(e?.code === 'shut_down' ? -1 : 0);
        sock.close();
      });
    });
    await ctx.run();
    await done;
    expect(sizes).toEqual([4, 10, 4, -1]);
    expect(Buffer.concat(chunks).toString()).toBe('one,two,three,four');
    peer.destroy();
    expect(tracking.live).toBe(0);
  });

  test('endpoints, no-delay and keep-alive on a connected socket', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const local = sock.localEndpoint();
    const remote = sock.remoteEndpoint();
    expect(local).toEqual({ address: '127.0.0.1', port: peer.remotePort, family: 'IPv4' });
    expect(remote).toEqual({ address: '127.0.0.1', port: peer.localPort, family: 'IPv4' });
    sock.setNoDelay(true);
    sock.setKeepAlive(true, 1000);
    expect(() => { sock.setKeepAlive(true, -1); }).toThrow(TypeError);
    expect(() => { sock.shutdown('sideways' as 'send'); }).toThrow(TypeError);
    sock.close();
    peer.destroy();
    await ctx.run();
    expect(tracking.live).toBe(0);
  });

  test('ctx.shutdown() destroys pending reads without invoking them', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    let called = 0;
    sock.asyncReadSome(Buffer.alloc(4), () => called++);
    sock.asyncWriteSome(Buffer.alloc(0), () => called++);
    expect(tracking.live).toBe(2);
    ctx.shutdown();
    expect(tracking.live).toBe(0);
    expect(sock.isOpen()).toBe(false);
    expect(called).toBe(0);
    peer.destroy();
  });
});
