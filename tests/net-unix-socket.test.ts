import * as fs from 'node:fs';
import * as net from 'node:net';
import {
  CancellationSignal,
  CancellationType,
  DynamicBuffer,
  IoError,
  MAX_LOCAL_PATH,
  UnixAcceptor,
  UnixSocket,
  asTuple,
  asyncRead,
  asyncReadUntil,
  asyncWrite,
  bindCancellationSlot,
  transferExactly,
  usePromise,
} from '../src/index.js';
import { TRANSPORT, pattern, trackedContext, unixSocketPath } from './support/net-helpers.js';

/*
 * Unix-domain stream sockets: asio's local::stream_protocol on the same
 * stream core and handle transport as TCP.
 */

describe('UnixSocket and UnixAcceptor', () => {
  test('an echo over a path: composed operations, tokens, endpoints, the default transport, zero live operations', async () => {
    const { ctx, tracking } = trackedContext();
    const where = unixSocketPath();
    const acceptor = new UnixAcceptor(ctx, { path: where });
    expect(acceptor.localEndpoint()).toEqual({ path: where });
    expect(fs.statSync(where).isSocket()).toBe(true);
    const data = pattern(300_000, 5);
    let served = 0;
    acceptor.asyncAccept((err, s) => {
      expect(err).toBeNull();
      expect(s).toBeInstanceOf(UnixSocket);
      expect(s.transport).toBe(TRANSPORT);
      expect(s.localEndpoint()).toEqual({ path: where });
      acceptor.close();
      const buf = Buffer.alloc(4096);
      const onRead = (e: IoError | null, n: number): void => {
        if (e !== null) {
          expect(e.code).toBe('eof');
          s.close();
          return;
        }
        served += n;
        asyncWrite(s, buf.subarray(0, n), (e2) => {
          expect(e2).toBeNull();
          s.asyncReadSome(buf, onRead);
        });
      };
      s.asyncReadSome(buf, onRead);
    });
    const client = new UnixSocket(ctx);
    const back = Buffer.alloc(data.length);
    const finished = (async (): Promise<number> => {
      await client.asyncConnect({ path: where }, usePromise);
      expect(client.transport).toBe(TRANSPORT);
      expect(client.remoteEndpoint()).toEqual({ path: where });
      expect(client.localEndpoint()).toEqual({ path: '' });
      const [werr, written] = await asyncWrite(client, data, asTuple(usePromise));
      expect(werr).toBeNull();
      expect(written).toBe(data.length);
      const n = await asyncRead(client, back, transferExactly(data.length), usePromise);
      client.shutdown('send');
      const [eofErr] = await client.asyncReadSome(Buffer.alloc(1), asTuple(usePromise));
      expect(eofErr?.code).toBe('eof');
      client.close();
      return n;
    })();
    await ctx.run();
    expect(await finished).toBe(data.length);
    expect(back.equals(data)).toBe(true);
    expect(served).toBe(data.length);
    expect(fs.existsSync(where)).toBe(false); // close() removed the socket file
    expect(tracking.live).toBe(0);
  });

  test('node:net clients and servers interoperate with it, and asyncReadUntil works on it', async () => {
    const { ctx, tracking } = trackedContext();
    const where = unixSocketPath();
    const server = net.createServer((c) => {
      c.end('hello from node\nrest');
    });
    await new Promise<void>((resolve) => server.listen(where, resolve));
    const s = new UnixSocket(ctx);
    const line = new DynamicBuffer(1024);
    let got = '';
    s.asyncConnect({ path: where }, (err) => {
      expect(err).toBeNull();
      asyncReadUntil(s, line, '\n', (e, n) => {
        expect(e).toBeNull();
        got = Buffer.from(line.data().subarray(0, n)).toString();
        s.close();
      });
    });
    await ctx.run();
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    expect(got).toBe('hello from node\n');

    const where2 = unixSocketPath();
    const acceptor = new UnixAcceptor(ctx, { path: where2 });
    acceptor.asyncAccept((err, sock) => {
      expect(err).toBeNull();
      acceptor.close();
      asyncWrite(sock, Buffer.from('from proactor'), (e) => {
        expect(e).toBeNull();
        sock.close();
      });
    });
    const received = new Promise<string>((resolve) => {
      const c = net.connect(where2);
      let text = '';
      c.on('data', (d: Buffer) => (text += d.toString()));
      c.on('close', () => { resolve(text); });
    });
    ctx.restart();
    await ctx.run();
    expect(await received).toBe('from proactor');
    expect(tracking.live).toBe(0);
  });

  test('a path in use is address_in_use; nobody at a path is not_found or connection_refused', async () => {
    const { ctx, tracking } = trackedContext();
    const where = unixSocketPath();
    const acceptor = new UnixAcceptor(ctx, { path: where });
    let inUse: unknown = null;
    try {
      new UnixAcceptor(ctx, { path: where });
    } catch (e) {
      inUse = e;
    }
    expect(inUse).toBeInstanceOf(IoError);
    expect((inUse as IoError).code).toBe('address_in_use');
    acceptor.close();

    const stale = unixSocketPath();
    fs.writeFileSync(stale, ''); // a file nobody accepts on
    const codes: string[] = [];
    const a = new UnixSocket(ctx);
    a.asyncConnect({ path: unixSocketPath() }, (err) => {
      codes.push(`missing:${String(err?.code)}`);
      a.close();
    });
    const b = new UnixSocket(ctx);
    b.asyncConnect({ path: stale }, (err) => {
      codes.push(`stale:${String(err?.code)}`);
      expect(err?.message).toContain(stale);
      b.close();
    });
    await ctx.run();
    expect(codes.sort()).toEqual(['missing:not_found', 'stale:connection_refused']);
    expect(tracking.live).toBe(0);
  });

  test('a path too long for the platform, or not a path, is a TypeError at initiation', () => {
    const { ctx } = trackedContext();
    const long = `/tmp/${'x'.repeat(MAX_LOCAL_PATH)}`;
    expect(() => new UnixAcceptor(ctx, { path: long })).toThrow(TypeError);
    expect(() => new UnixAcceptor(ctx, { path: '' })).toThrow(TypeError);
    expect(() => new UnixAcceptor(ctx, { path: 5 } as unknown as { path: string })).toThrow(/got number 5/);
    const s = new UnixSocket(ctx);
    expect(() => { s.asyncConnect({ path: long }, () => undefined); }).toThrow(/longer than/);
    expect(() => { s.asyncConnect({ port: 5 } as unknown as { path: string }, () => undefined); }).toThrow(TypeError);
    expect(ctx.outstandingWork()).toBe(0);
  });

  test('per-operation cancellation and close work as on TCP', async () => {
    const { ctx, tracking } = trackedContext();
    const where = unixSocketPath();
    const acceptor = new UnixAcceptor(ctx, { path: where });
    const codes: string[] = [];
    const signal = new CancellationSignal();
    acceptor.asyncAccept((err, s) => {
      expect(err).toBeNull();
      acceptor.close();
      s.asyncReadSome(Buffer.alloc(16), bindCancellationSlot(signal.slot(), (e, n) => {
        codes.push(`cancelled:${String(e?.code)}:${String(n)}`);
        const buf = Buffer.alloc(16);
        s.asyncReadSome(buf, (e2, n2) => {
          codes.push(`next:${String(e2?.code)}:${buf.toString('utf8', 0, n2)}`);
          s.close();
        });
      }));
      signal.emit(CancellationType.terminal);
    });
    const c = new UnixSocket(ctx);
    c.asyncConnect({ path: where }, (err) => {
      expect(err).toBeNull();
      setTimeout(() => {
        c.asyncWriteSome(Buffer.from('after'), (e) => {
          expect(e).toBeNull();
          c.close();
        });
      }, 20);
    });
    await ctx.run();
    expect(codes).toEqual(['cancelled:operation_aborted:0', 'next:undefined:after']);
    expect(tracking.live).toBe(0);
  });
});
