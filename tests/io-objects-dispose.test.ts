import * as fs from 'node:fs';
import {
  IoContext,
  Resolver,
  SignalSet,
  SteadyTimer,
  TcpAcceptor,
  TcpSocket,
  TrackingAllocator,
  UnixAcceptor,
  type IoError,
} from '../src/index.js';
import { unixSocketPath } from './support/net-helpers.js';

/*
 * `using` (Symbol.dispose): I/O objects close, timers and resolvers cancel,
 * and a context shuts down at the end of the block.
 */

describe('Symbol.dispose', () => {
  test('I/O objects declared with `using` are closed at the end of the block; their pending operations abort', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const codes: string[] = [];
    const where = unixSocketPath();
    let tcp: TcpAcceptor | null = null;
    let socket: TcpSocket | null = null;
    {
      using acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
      using unix = new UnixAcceptor(ctx, { path: where });
      using timer = new SteadyTimer(ctx);
      timer.expiresAfter(60_000);
      using signals = new SignalSet(ctx, 'SIGUSR2');
      using resolver = new Resolver(ctx);
      using s = new TcpSocket(ctx);
      tcp = acceptor;
      socket = s;
      acceptor.asyncAccept((err: IoError | null) => codes.push(`accept:${String(err?.code)}`));
      unix.asyncAccept((err: IoError | null) => codes.push(`unix:${String(err?.code)}`));
      timer.asyncWait((err) => codes.push(`wait:${String(err?.code)}`));
      signals.asyncWait((err) => codes.push(`signal:${String(err?.code)}`));
      resolver.asyncResolve('localhost', 80, (err) => codes.push(`resolve:${String(err?.code)}`));
      s.asyncConnect({ host: '127.0.0.1', port: acceptor.localEndpoint().port }, (err) => codes.push(`connect:${String(err?.code)}`));
      expect(fs.existsSync(where)).toBe(true);
    }
    expect(tcp.isOpen()).toBe(false);
    expect(socket.isOpen()).toBe(false);
    expect(fs.existsSync(where)).toBe(false);
    await ctx.run();
    expect(codes.sort()).toEqual(
      ['accept', 'connect', 'resolve', 'signal', 'unix', 'wait'].map((k) => `${k}:operation_aborted`),
    );
    expect(tracking.live).toBe(0);
  });

  test('a context declared with `using` shuts down: pending operations destroyed, never invoked', () => {
    const tracking = new TrackingAllocator();
    let called = 0;
    {
      using ctx = new IoContext({ allocator: tracking });
      const timer = new SteadyTimer(ctx);
      timer.expiresAfter(60_000);
      timer.asyncWait(() => called++);
      expect(tracking.live).toBe(1);
    }
    expect(tracking.live).toBe(0);
    expect(called).toBe(0);
  });
});
