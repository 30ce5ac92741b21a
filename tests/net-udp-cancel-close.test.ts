import {
  CancellationSignal,
  CancellationType,
  HandlerAllocator,
  IoContext,
  TrackingAllocator,
  UdpSocket,
  asTuple,
  bindCancellationSlot,
  cancelAfter,
  makeCustomAllocHandler,
  makeWorkGuard,
  usePromise,
  type IoError,
} from '../src/index.js';
import { nodePeer, waitFor, withRunningContext } from './support/udp-helpers.js';

describe('UdpSocket cancel and close', () => {
  test('cancel() aborts every pending receive with operation_aborted; the socket stays usable', async () => {
    const peer = await nodePeer();
    const { result, tracking } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx);
      await s.bind({ host: '127.0.0.1', port: 0 }, usePromise);
      const a = s.asyncReceiveFrom(Buffer.alloc(8), asTuple(usePromise));
      const b = s.asyncReceive(Buffer.alloc(8), asTuple(usePromise));
      s.cancel();
      const codes = [(await a)[0]?.code, (await b)[0]?.code];
      await peer.send(Buffer.from('after'), s.localEndpoint().port);
      const buf = Buffer.alloc(8);
      const n = await s.asyncReceive(buf, usePromise);
      s.close();
      return { codes, text: buf.toString('utf8', 0, n), open: s.isOpen() };
    });
    peer.close();
    expect(result).toEqual({ codes: ['operation_aborted', 'operation_aborted'], text: 'after', open: false });
    expect(tracking.live).toBe(0);
  });

  test('close() aborts pending receives and a send waiting for the bind; later operations are bad_descriptor; dispose closes', async () => {
    const { result, tracking } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx);
      s.bind({ host: '127.0.0.1', port: 0 });
      const r1 = s.asyncReceive(Buffer.alloc(8), asTuple(usePromise));
      const r2 = s.asyncReceiveFrom(Buffer.alloc(8), asTuple(usePromise));
      const w = s.asyncSendTo(Buffer.from('x'), { host: '127.0.0.1', port: 9 }, asTuple(usePromise));
      s.close();
      s.close(); // again: nothing
      const codes = [(await r1)[0]?.code, (await r2)[0]?.code, (await w)[0]?.code];
      const [later] = await s.asyncReceive(Buffer.alloc(8), asTuple(usePromise));
      let kept: UdpSocket | null = null;
      let openInside = false;
      {
        using d = new UdpSocket(ctx);
        d.bind({ host: '127.0.0.1', port: 0 });
        openInside = d.isOpen();
        kept = d;
      }
      const disposed = { openInside, openAfter: kept.isOpen() };
      return { codes, later: later?.code, disposed };
    });
    expect(result).toEqual({ codes: ['operation_aborted', 'operation_aborted', 'operation_aborted'], later: 'bad_descriptor', disposed: { openInside: true, openAfter: false } });
    expect(tracking.live).toBe(0);
  });

  test('cancelAfter on a receive: operation_aborted after the time, and the next datagram goes to the next receive', async () => {
    const peer = await nodePeer();
    const { result } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx);
      await s.bind({ host: '127.0.0.1', port: 0 }, usePromise);
      const t0 = Date.now();
      const [err, n, from] = await s.asyncReceiveFrom(Buffer.alloc(8), cancelAfter(50, asTuple(usePromise)));
      const waited = Date.now() - t0;
      await peer.send(Buffer.from('late'), s.localEndpoint().port);
      const buf = Buffer.alloc(8);
      const m = await s.asyncReceive(buf, cancelAfter(5000, usePromise));
      s.close();
      return { code: err?.code, n, from, waited, text: buf.toString('utf8', 0, m) };
    });
    peer.close();
    expect(result.code).toBe('operation_aborted');
    expect(result.n).toBe(0);
    expect(result.from).toEqual({ address: '0.0.0.0', port: 0, family: 'IPv4' });
    expect(result.waited).toBeGreaterThanOrEqual(40);
    expect(result.text).toBe('late');
  });

  test.each([CancellationType.terminal, CancellationType.partial, CancellationType.total])(
    'per-operation cancellation (type %s) withdraws only that receive',
    async (type) => {
      const peer = await nodePeer();
      const { result } = await withRunningContext(async (ctx) => {
        const s = new UdpSocket(ctx);
        await s.bind({ host: '127.0.0.1', port: 0 }, usePromise);
        const signal = new CancellationSignal();
        const first = new Promise<string | undefined>((resolve) => {
          s.asyncReceive(
            Buffer.alloc(8),
            bindCancellationSlot(signal.slot(), (err: IoError | null) => {
              resolve(err?.code);
            }),
          );
        });
        const buf = Buffer.alloc(8);
        const second = s.asyncReceive(buf, usePromise);
        signal.emit(type);
        const code = await first;
        await peer.send(Buffer.from('two'), s.localEndpoint().port);
        const n = await second;
        s.close();
        return { code, text: buf.toString('utf8', 0, n) };
      });
      peer.close();
      expect(result).toEqual({ code: 'operation_aborted', text: 'two' });
    },
  );

  test('a connect withdrawn by cancellation leaves the socket unconnected', async () => {
    const { result } = await withRunningContext(async (ctx) => {
      const s = new UdpSocket(ctx);
      const signal = new CancellationSignal();
      const code = await new Promise<string | undefined>((resolve) => {
        s.asyncConnect(
          { host: '127.0.0.1', port: 9 },
          bindCancellationSlot(signal.slot(), (err: IoError | null) => {
            resolve(err?.code);
          }),
        );
        signal.emit(CancellationType.terminal);
      });
      await waitFor(() => s.isBound());
      await new Promise((r) => setTimeout(r, 20));
      const connected = s.isConnected();
      const [sendErr] = await s.asyncSend(Buffer.from('x'), asTuple(usePromise));
      s.close();
      return { code, connected, sendErr: sendErr?.code };
    });
    expect(result).toEqual({ code: 'operation_aborted', connected: false, sendErr: 'not_connected' });
  });
});

describe('UdpSocket and context shutdown', () => {
  test('shutdown with pending receives, binds and sends invokes nothing and leaves zero live operations', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const guard = makeWorkGuard(ctx);
    const running = ctx.run();
    const sockets: UdpSocket[] = [];
    for (let i = 0; i < 20; i++) {
      const s = new UdpSocket(ctx);
      await s.bind({ host: '127.0.0.1', port: 0 }, usePromise);
      sockets.push(s);
    }
    guard.reset();
    ctx.stop();
    await running;
    let invoked = 0;
    const onAny = (): void => {
      invoked++;
    };
    const memory = new HandlerAllocator();
    for (const s of sockets) {
      s.asyncReceiveFrom(Buffer.alloc(64), makeCustomAllocHandler(memory, onAny));
      for (let k = 0; k < 5; k++) s.asyncReceive(Buffer.alloc(64), onAny);
    }
    const late = new UdpSocket(ctx);
    late.bind({ host: '127.0.0.1', port: 0 }, onAny);
    late.asyncSendTo(Buffer.from('x'), { host: '127.0.0.1', port: 9 }, onAny);
    late.asyncReceive(Buffer.alloc(4), onAny);
    expect(tracking.live).toBeGreaterThan(100);
    ctx.shutdown();
    expect(invoked).toBe(0);
    expect(tracking.live).toBe(0);
    expect(memory.stats().live).toBe(0);
    expect(ctx.allocationStats().live).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(invoked).toBe(0);
  });
});
