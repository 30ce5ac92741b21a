import { constants } from 'node:buffer';
import * as fs from 'node:fs';
import {
  DEFAULT_DYNAMIC_BUFFER_MAX_SIZE,
  DynamicBuffer,
  IoContext,
  IoError,
  SteadyTimer,
  TcpAcceptor,
  TcpSocket,
  UnixAcceptor,
  UnixSocket,
  asyncReadUntil,
  cancelAfter,
  fromNodeError,
  makeWorkGuard,
  post,
} from '../src/index.js';
import { trackedContext, unixSocketPath } from './support/net-helpers.js';

/** What `fn` throws (fails the test if it does not throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

/** A TCP port nobody listens on: bound, read, then closed. */
function closedPort(ctx: IoContext): number {
  const a = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
  const { port } = a.localEndpoint();
  a.close();
  return port;
}

describe('errors name their endpoint', () => {
  test('fromNodeError keeps address and port, the path of a Unix socket, and the path of a file', () => {
    const tcp = fromNodeError(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5555'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 5555 }),
    );
    expect([tcp.code, tcp.address, tcp.port, tcp.path]).toEqual(['connection_refused', '127.0.0.1', 5555, undefined]);
    const v6 = fromNodeError(Object.assign(new Error('connect ENETUNREACH ::1'), { code: 'ENETUNREACH', syscall: 'connect', address: '::1' }));
    expect([v6.address, v6.port, v6.path]).toEqual(['::1', undefined, undefined]);
    const pipe = fromNodeError(Object.assign(new Error('connect ENOENT /tmp/x.sock'), { code: 'ENOENT', syscall: 'connect', address: '/tmp/x.sock' }));
    expect([pipe.code, pipe.address, pipe.port, pipe.path]).toEqual(['not_found', undefined, undefined, '/tmp/x.sock']);
    const file = fromNodeError(Object.assign(new Error("ENOENT: no such file, open '/nope'"), { code: 'ENOENT', syscall: 'open', path: '/nope' }));
    expect(file.path).toBe('/nope');
    const plain = new IoError('eof');
    expect([plain.address, plain.port, plain.path]).toEqual([undefined, undefined, undefined]);
  });

  test('a TCP port in use: listen EADDRINUSE 127.0.0.1:<port>, with address and port, and what to do', () => {
    const { ctx } = trackedContext();
    const first = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
    const { port } = first.localEndpoint();
    const err = thrown(() => new TcpAcceptor(ctx, { host: '127.0.0.1', port }));
    first.close();
    expect(err).toBeInstanceOf(IoError);
    const e = err as IoError;
    expect(e.code).toBe('address_in_use');
    expect(e.message.startsWith(`${String(e.syscall)} EADDRINUSE 127.0.0.1:${port}`)).toBe(true);
    expect(e.message).toMatch(/^(listen|bind) EADDRINUSE/);
    expect(e.message).toContain('choose another port');
    expect(e.address).toBe('127.0.0.1');
    expect(e.port).toBe(port);
    expect(e.path).toBeUndefined();
  });

  test('a Unix path in use names the path, in the message and in path', () => {
    const { ctx } = trackedContext();
    const where = unixSocketPath();
    const first = new UnixAcceptor(ctx, { path: where });
    const e = thrown(() => new UnixAcceptor(ctx, { path: where })) as IoError;
    first.close();
    expect(e.code).toBe('address_in_use');
    expect(e.message.startsWith(`${String(e.syscall)} EADDRINUSE ${where}`)).toBe(true);
    expect(e.message).toContain('remove the file');
    expect(e.path).toBe(where);
    expect(e.address).toBeUndefined();
    expect(e.port).toBeUndefined();
  });

  test('connection refused names the peer: TCP address and port, Unix path', async () => {
    const { ctx, tracking } = trackedContext();
    const port = closedPort(ctx);
    const stale = unixSocketPath();
    fs.writeFileSync(stale, '');
    const missing = unixSocketPath();
    const errors: (IoError | null)[] = [];
    const tcp = new TcpSocket(ctx);
    tcp.asyncConnect({ host: '127.0.0.1', port }, (err) => {
      errors[0] = err;
      tcp.close();
    });
    const a = new UnixSocket(ctx);
    a.asyncConnect({ path: stale }, (err) => {
      errors[1] = err;
      a.close();
    });
    const b = new UnixSocket(ctx);
    b.asyncConnect({ path: missing }, (err) => {
      errors[2] = err;
      b.close();
    });
    await ctx.run();
    fs.rmSync(stale, { force: true });
    const [t, s, m] = errors;
    expect(t?.code).toBe('connection_refused');
    expect(t?.message).toBe(`connect ECONNREFUSED 127.0.0.1:${port}`);
    expect([t?.address, t?.port, t?.path]).toEqual(['127.0.0.1', port, undefined]);
    expect(s?.code).toBe('connection_refused');
    expect([s?.path, s?.address, s?.port]).toEqual([stale, undefined, undefined]);
    expect(m?.code).toBe('not_found');
    expect(m?.path).toBe(missing);
    expect(m?.message).toContain(missing);
    expect(tracking.live).toBe(0);
  });

  test('a full DynamicBuffer without a delimiter says its maxSize and what to do', async () => {
    const { ctx, tracking } = trackedContext();
    const stream = {
      asyncReadSome(buf: Uint8Array, handler: (err: IoError | null, n: number) => void): void {
        buf.fill(0x61);
        post(ctx, () => {
          handler(null, buf.length);
        });
      },
    };
    let failure: IoError | null = null;
    asyncReadUntil(stream, new DynamicBuffer(1000), '\n', (err) => {
      failure = err;
    });
    await ctx.run();
    const e = failure as IoError | null;
    expect(e?.code).toBe('not_found');
    expect(e?.message).toContain('maxSize 1000 bytes');
    expect(e?.message).toContain('larger maxSize');
    expect(tracking.live).toBe(0);
  });
});

describe('TypeErrors name the type and the value they got', () => {
  const ctx = new IoContext();
  test.each<[string, () => unknown, RegExp]>([
    ['a port as a string', () => new TcpAcceptor(ctx, { host: '127.0.0.1', port: '100' as unknown as number }), /port must be an integer from 0 to 65535, got string "100"$/],
    ['a host name where an address is needed', () => new TcpAcceptor(ctx, { host: 'localhost', port: 0 }), /got string "localhost"$/],
    ['no endpoint', () => { new TcpSocket(ctx).asyncConnect(null as unknown as { host: string; port: number }, () => undefined); }, /expected \{ host, port \}, got null$/],
    ['runFor with a string', () => ctx.runFor('5' as unknown as number), /runFor: ms must be a non-negative number, got string "5"$/],
    ['a timer delay of NaN', () => new SteadyTimer(ctx).expiresAfter(NaN), /got number NaN$/],
    ['a DynamicBuffer size as a string', () => new DynamicBuffer('64' as unknown as number), /maxSize must be a positive integer or Infinity, got string "64"$/],
    ['a handler that is not a function', () => { post(ctx, 42 as unknown as () => void); }, /got number 42$/],
    ['a context that is not one', () => makeWorkGuard({ post: 5 } as unknown as IoContext), /expected an IoContext or an executor, got object$/],
    ['a token that is a string', () => cancelAfter(5, 'usePromise' as unknown as () => void), /completion token, got string "usePromise"$/],
    ['an options object that is a string', () => new IoContext('fast' as never), /options must be an object, got string "fast"$/],
    ['a class instance', () => new SteadyTimer(new Date() as unknown as IoContext), /must be an IoContext, got Date$/],
  ])('%s', (_name, fn, message) => {
    const e = thrown(fn);
    expect(e).toBeInstanceOf(TypeError);
    expect((e as TypeError).message).toMatch(message);
  });
});

describe('DynamicBuffer bound', () => {
  test('the default bound is 1 MiB; prepare beyond it is the RangeError a maxSize gives; Infinity is no bound', () => {
    expect(DEFAULT_DYNAMIC_BUFFER_MAX_SIZE).toBe(1024 * 1024);
    const d = new DynamicBuffer();
    expect(d.maxSize).toBe(DEFAULT_DYNAMIC_BUFFER_MAX_SIZE);
    expect(d.prepare(DEFAULT_DYNAMIC_BUFFER_MAX_SIZE).length).toBe(DEFAULT_DYNAMIC_BUFFER_MAX_SIZE);
    d.commit(DEFAULT_DYNAMIC_BUFFER_MAX_SIZE - 1);
    expect(() => d.prepare(2)).toThrow(RangeError);
    expect(() => d.prepare(2)).toThrow(`exceed maxSize ${DEFAULT_DYNAMIC_BUFFER_MAX_SIZE}`);
    const unbounded = new DynamicBuffer(Infinity);
    expect(unbounded.maxSize).toBe(constants.MAX_LENGTH);
    expect(unbounded.prepare(2 * DEFAULT_DYNAMIC_BUFFER_MAX_SIZE).length).toBe(2 * DEFAULT_DYNAMIC_BUFFER_MAX_SIZE);
    expect(() => new DynamicBuffer(-Infinity)).toThrow(TypeError);
  });
});
