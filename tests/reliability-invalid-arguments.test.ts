import {
  DynamicBuffer,
  IoContext,
  IoError,
  Resolver,
  SteadyTimer,
  TcpAcceptor,
  TcpSocket,
  asTuple,
  asyncRead,
  asyncReadUntil,
  asyncWrite,
  transferAtLeast,
  transferExactly,
  usePromise,
} from '../src/index.js';
import { nodeClient, trackedContext } from './support/net-helpers.js';

const notAnObject: unknown = { what: 'a plain object' };

/** A Uint8Array whose ArrayBuffer has been transferred away (detached). */
function detached(size = 16): Uint8Array {
  const b = new Uint8Array(size);
  structuredClone(b.buffer, { transfer: [b.buffer] });
  return b;
}

/** A connected pair: a proactor socket accepted from a node:net client. */
async function connectedSocket(ctx: IoContext): Promise<{ socket: TcpSocket; done: () => void }> {
  const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
  const client = await nodeClient(acceptor.localEndpoint().port);
  let socket: TcpSocket | null = null;
  acceptor.asyncAccept((err, s) => {
    expect(err).toBeNull();
    socket = s;
    acceptor.close();
  });
  await ctx.run();
  ctx.restart();
  if (socket === null) throw new Error('no connection accepted');
  const accepted: TcpSocket = socket;
  return {
    socket: accepted,
    done: () => {
      accepted.close();
      client.destroy();
    },
  };
}

describe('invalid arguments give a TypeError or IoError, never a crash or hang', () => {
  test('negative, fractional and non-numeric sizes', () => {
    for (const bad of [-1, 1.5, NaN, '4' as unknown as number]) {
      expect(() => transferExactly(bad)).toThrow(TypeError);
      expect(() => transferAtLeast(bad)).toThrow(TypeError);
      expect(() => new DynamicBuffer(bad)).toThrow(TypeError);
      const d = new DynamicBuffer(64);
      expect(() => d.prepare(bad)).toThrow(TypeError);
      expect(() => { d.commit(bad); }).toThrow(TypeError);
      expect(() => { d.consume(bad); }).toThrow(TypeError);
    }
    expect(() => new DynamicBuffer(0)).toThrow(TypeError);
    expect(() => new DynamicBuffer(8).prepare(9)).toThrow(RangeError);
    const ctx = new IoContext();
    expect(() => new SteadyTimer(ctx).expiresAfter(NaN)).toThrow(TypeError);
    expect(() => ctx.runFor(-1)).toThrow(TypeError);
  });

  test('bad ports and hosts', () => {
    const { ctx } = trackedContext();
    const s = new TcpSocket(ctx);
    for (const port of [-1, 65536, 1.5, NaN, '80' as unknown as number, undefined as unknown as number]) {
      expect(() => { s.asyncConnect({ host: '127.0.0.1', port }, () => undefined); }).toThrow(TypeError);
      expect(() => new TcpAcceptor(ctx, { host: '127.0.0.1', port })).toThrow(TypeError);
    }
    for (const host of ['', 42 as unknown as string, null as unknown as string]) {
      expect(() => { s.asyncConnect({ host, port: 80 }, () => undefined); }).toThrow(TypeError);
      expect(() => new TcpAcceptor(ctx, { host, port: 0 })).toThrow(TypeError);
    }
    expect(() => new TcpAcceptor(ctx, { host: 'localhost', port: 0 })).toThrow(TypeError);
    expect(() => new TcpAcceptor(ctx, { host: '999.0.0.1', port: 0 })).toThrow(TypeError);
    expect(() => { s.asyncConnect(null as unknown as { host: string; port: number }, () => undefined); }).toThrow(TypeError);
    expect(() => { new Resolver(ctx).asyncResolve('127.0.0.1', 'no-such-service', () => undefined); }).toThrow(TypeError);
    expect(() => { s.asyncReadSome(Buffer.alloc(1), 42 as unknown as () => void); }).toThrow(TypeError);
    expect(() => new TcpSocket(notAnObject as IoContext)).toThrow(TypeError);
    expect(ctx.outstandingWork()).toBe(0);
  });

  test('a port nobody listens on is connection_refused; an address in use is address_in_use', async () => {
    const { ctx, tracking } = trackedContext();
    const a = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
    const port = a.localEndpoint().port;
    let err: unknown = null;
    try {
      new TcpAcceptor(ctx, { host: '127.0.0.1', port });
    } catch (e) {
      err = e;
    }
    expect(IoError.is(err, 'address_in_use')).toBe(true);
    a.close();
    const s = new TcpSocket(ctx);
    const result = s.asyncConnect({ host: '127.0.0.1', port }, asTuple(usePromise));
    await ctx.run();
    const [connectErr] = await result;
    expect(connectErr?.code).toBe('connection_refused');
    s.close();
    expect(tracking.live).toBe(0);
  });

  test('closed and unconnected sockets complete with bad_descriptor / not_connected; sync calls throw IoError', async () => {
    const { ctx, tracking } = trackedContext();
    const { socket, done } = await connectedSocket(ctx);
    const fresh = new TcpSocket(ctx);
    const closed = new TcpSocket(ctx);
    const codes: (string | undefined)[] = [];
    const record = (e: IoError | null): void => {
      codes.push(e?.code);
    };
    fresh.asyncReadSome(Buffer.alloc(4), record);
    fresh.asyncWriteSome(Buffer.alloc(4), record);
    socket.close();
    socket.asyncReadSome(Buffer.alloc(4), record);
    socket.asyncWriteSome(Buffer.alloc(4), record);
    asyncRead(socket, Buffer.alloc(4), record);
    asyncWrite(socket, [Buffer.alloc(4)], record);
    asyncReadUntil(socket, new DynamicBuffer(16), '\n', record);
    closed.close();
    expect(() => { socket.shutdown('send'); }).toThrow(IoError);
    expect(() => socket.localEndpoint()).toThrow(IoError);
    expect(() => socket.remoteEndpoint()).toThrow(IoError);
    expect(() => { fresh.setNoDelay(true); }).toThrow(IoError);
    expect(() => { socket.shutdown('sideways' as 'send'); }).toThrow(TypeError);
    await ctx.run();
    expect(codes).toEqual(new Array(7).fill('bad_descriptor'));
    done();
    expect(tracking.live).toBe(0);
  });

  test('detached buffers are rejected with a TypeError before any I/O starts', async () => {
    const { ctx, tracking } = trackedContext();
    const { socket, done } = await connectedSocket(ctx);
    const cb = (): void => {
      throw new Error('must not be invoked');
    };
    expect(() => { socket.asyncReadSome(detached(), cb); }).toThrow(TypeError);
    expect(() => { socket.asyncWriteSome(detached(), cb); }).toThrow(TypeError);
    expect(() => { socket.asyncWriteSome([Buffer.from('a'), detached()], cb); }).toThrow(TypeError);
    expect(() => { asyncRead(socket, detached(), cb); }).toThrow(TypeError);
    expect(() => { asyncRead(socket, detached(), transferExactly(4), cb); }).toThrow(TypeError);
    expect(() => { asyncWrite(socket, detached(), cb); }).toThrow(TypeError);
    expect(() => { asyncWrite(socket, [detached()], cb); }).toThrow(TypeError);
    expect(() => { asyncReadUntil(socket, new DynamicBuffer(8), detached(), cb); }).toThrow(TypeError);
    // A genuinely empty buffer is still fine: it completes with (null, 0).
    let zero = -1;
    socket.asyncReadSome(new Uint8Array(0), (err, n) => {
      expect(err).toBeNull();
      zero = n;
    });
    expect(ctx.outstandingWork()).toBe(1);
    await ctx.run();
    expect(zero).toBe(0);
    done();
    expect(tracking.live).toBe(0);
  });

  test('buffers that are not Uint8Array, and empty delimiters', async () => {
    const { ctx } = trackedContext();
    const { socket, done } = await connectedSocket(ctx);
    const cb = (): void => undefined;
    for (const bad of [null, 'text', [1, 2, 3], new ArrayBuffer(4), new Uint16Array(2)]) {
      expect(() => { socket.asyncReadSome(bad as unknown as Uint8Array, cb); }).toThrow(TypeError);
      expect(() => { socket.asyncWriteSome(bad as unknown as Uint8Array, cb); }).toThrow(TypeError);
      expect(() => { asyncRead(socket, bad as unknown as Uint8Array, cb); }).toThrow(TypeError);
      expect(() => { asyncWrite(socket, bad as unknown as Uint8Array, cb); }).toThrow(TypeError);
    }
    expect(() => { asyncReadUntil(socket, new DynamicBuffer(8), '', cb); }).toThrow(TypeError);
    expect(() => { asyncReadUntil(socket, new DynamicBuffer(8), new Uint8Array(0), cb); }).toThrow(TypeError);
    expect(() => { asyncReadUntil(socket, notAnObject as DynamicBuffer, '\n', cb); }).toThrow(TypeError);
    expect(() => { asyncRead(notAnObject as TcpSocket, Buffer.alloc(1), cb); }).toThrow(TypeError);
    expect(ctx.outstandingWork()).toBe(0);
    done();
  });
});
