import { getEventListeners } from 'node:events';
import {
  CancellationSignal,
  CancellationType,
  IoError,
  Resolver,
  TcpSocket,
  asTuple,
  bindAbortSignal,
  bindCancellationSlot,
  usePromise,
  withAbortSignal,
  type Endpoint,
} from '../src/index.js';
import { STUCK_WRITE_SIZE, bulk, connectedPair, received, until } from './support/cancellation-helpers.js';
import { localAcceptor, nodeClient, trackedContext } from './support/net-helpers.js';

const EVERY_TYPE = [
  ['terminal', CancellationType.terminal],
  ['partial', CancellationType.partial],
  ['total', CancellationType.total],
  ['all', CancellationType.all],
] as const;

const code = (err: IoError | null): string => err?.code ?? 'ok';

describe('per-operation cancellation: asyncReadSome', () => {
  test.each(EVERY_TYPE)('emit(%s) aborts only that read, queued; the socket stays usable and loses no byte', async (_name, type) => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const signal = new CancellationSignal();
    const events: string[] = [];
    sock.asyncReadSome(
      Buffer.alloc(16),
      bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => events.push(`read:${code(err)}:${n}`)),
    );
    expect(signal.slot().hasHandler()).toBe(true);
    signal.emit(type);
    expect(events).toEqual([]); // never inside emit
    expect(signal.slot().hasHandler()).toBe(false);
    expect(sock.isOpen()).toBe(true);
    expect(ctx.poll()).toBe(1);
    expect(events).toEqual(['read:operation_aborted:0']);

    ctx.restart();
    const buf = Buffer.alloc(16);
    sock.asyncReadSome(buf, (err, n) => {
      events.push(`next:${code(err)}:${buf.subarray(0, n).toString()}`);
      sock.close();
    });
    peer.write('abc');
    await ctx.run();
    expect(events).toEqual(['read:operation_aborted:0', 'next:ok:abc']);
    peer.destroy();
    expect(tracking.live).toBe(0);
  });

  test('cancelling the read behind another leaves the front read alone', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const signal = new CancellationSignal();
    const events: string[] = [];
    const front = Buffer.alloc(16);
    sock.asyncReadSome(front, (err, n) => {
      events.push(`front:${code(err)}:${front.subarray(0, n).toString()}`);
      sock.close();
    });
    sock.asyncReadSome(
      Buffer.alloc(16),
      bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => events.push(`behind:${code(err)}:${n}`)),
    );
    signal.emit(CancellationType.terminal);
    peer.write('xyz');
    await ctx.run();
    expect(events).toEqual(['behind:operation_aborted:0', 'front:ok:xyz']);
    peer.destroy();
    expect(tracking.live).toBe(0);
  });

  test('cancelling the front read hands the stream to the read behind it', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const signal = new CancellationSignal();
    const events: string[] = [];
    sock.asyncReadSome(
      Buffer.alloc(16),
      bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => events.push(`front:${code(err)}:${n}`)),
    );
    const behind = Buffer.alloc(16);
    sock.asyncReadSome(behind, (err, n) => {
      events.push(`behind:${code(err)}:${behind.subarray(0, n).toString()}`);
      sock.close();
    });
    signal.emit(CancellationType.partial);
    peer.write('xyz');
    await ctx.run();
    expect(events).toEqual(['front:operation_aborted:0', 'behind:ok:xyz']);
    peer.destroy();
    expect(tracking.live).toBe(0);
  });

  test('emit before initiation, with none, and after completion does nothing', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const signal = new CancellationSignal();
    const events: string[] = [];
    signal.emit(CancellationType.all); // before initiation: nobody listens
    const buf = Buffer.alloc(16);
    sock.asyncReadSome(
      buf,
      bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => events.push(`read:${code(err)}:${buf.subarray(0, n).toString()}`)),
    );
    signal.emit(CancellationType.none);
    expect(signal.slot().hasHandler()).toBe(true);
    expect(ctx.poll()).toBe(0);
    peer.write('hi');
    // No run is active, so the completed read waits in the queue with its result.
    await until(() => !signal.slot().hasHandler(), 'the read to complete');
    signal.emit(CancellationType.terminal); // completed, handler not run yet
    ctx.restart();
    expect(ctx.poll()).toBe(1);
    expect(events).toEqual(['read:ok:hi']);
    signal.emit(CancellationType.all); // after the handler ran
    expect(ctx.poll()).toBe(0);
    sock.close();
    peer.destroy();
    expect(tracking.live).toBe(0);
  });

  test('a reused slot serves the newest operation', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const { sock: sock2, peer: peer2 } = await connectedPair({ ctx, tracking });

    const signal = new CancellationSignal();
    const events: string[] = [];
    const buf = Buffer.alloc(16);
    sock.asyncReadSome(
      buf,
      bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => {
        events.push(`first:${code(err)}:${buf.subarray(0, n).toString()}`);
        sock.close();
      }),
    );
    sock2.asyncReadSome(
      Buffer.alloc(16),
      bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => {
        events.push(`second:${code(err)}:${n}`);
        sock2.close();
      }),
    );
    signal.emit(CancellationType.terminal);
    expect(signal.slot().hasHandler()).toBe(false);
    peer.write('one');
    await ctx.run();
    expect(events).toEqual(['second:operation_aborted:0', 'first:ok:one']);
    peer.destroy();
    peer2.destroy();
    expect(tracking.live).toBe(0);
  });
});

describe('per-operation cancellation: asyncWriteSome', () => {
  test.each(EVERY_TYPE)('emit(%s) withdraws a write still waiting behind another; its bytes never leave', async (_name, type) => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    peer.pause(); // the first write cannot finish until the peer reads, so the second waits behind it
    const signal = new CancellationSignal();
    const events: string[] = [];
    const first = bulk(STUCK_WRITE_SIZE, 1);
    sock.asyncWriteSome(first, (err, n) => events.push(`first:${code(err)}:${n}`));
    sock.asyncWriteSome(
      Buffer.from('BBBB'),
      bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => events.push(`second:${code(err)}:${n}`)),
    );
    sock.asyncWriteSome(Buffer.from('CCCC'), (err, n) => events.push(`third:${code(err)}:${n}`));
    signal.emit(type);
    expect(events).toEqual([]);
    const got = received(peer);
    await ctx.run();
    expect(events).toEqual(['second:operation_aborted:0', `first:ok:${first.length}`, 'third:ok:4']);
    await until(() => got.bytes().length >= first.length + 4, 'the peer to receive the bytes');
    sock.close();
    await until(() => peer.readableEnded || peer.destroyed, 'the peer to see the close');
    expect(got.bytes().equals(Buffer.concat([first, Buffer.from('CCCC')]))).toBe(true);
    peer.destroy();
    expect(tracking.live).toBe(0);
  });

  test.each([
    ['partial', CancellationType.partial],
    ['total', CancellationType.total],
  ])('emit(%s) cannot recall a write Node already holds: it completes as usual', async (_name, type) => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    peer.pause(); // the write stays in progress until the peer reads
    const signal = new CancellationSignal();
    const data = bulk(STUCK_WRITE_SIZE, 3);
    const events: string[] = [];
    sock.asyncWriteSome(
      data,
      bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => events.push(`write:${code(err)}:${n}`)),
    );
    signal.emit(type);
    expect(signal.slot().hasHandler()).toBe(true); // still installed: nothing happened
    const got = received(peer);
    await ctx.run();
    expect(events).toEqual([`write:ok:${data.length}`]);
    expect(signal.slot().hasHandler()).toBe(false);
    await until(() => got.bytes().length >= data.length, 'the peer to receive the bytes');
    expect(got.bytes().equals(data)).toBe(true);
    sock.close();
    peer.destroy();
    expect(tracking.live).toBe(0);
  });

  test('emit(terminal) abandons a write Node already holds: (operation_aborted, 0), and its bytes still go out', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    peer.pause(); // the write stays in progress until the peer reads
    const signal = new CancellationSignal();
    const data = bulk(STUCK_WRITE_SIZE, 4);
    const events: string[] = [];
    sock.asyncWriteSome(
      data,
      bindCancellationSlot(signal.slot(), (err: IoError | null, n: number) => events.push(`write:${code(err)}:${n}`)),
    );
    sock.asyncWriteSome(Buffer.from('tail'), (err, n) => events.push(`tail:${code(err)}:${n}`));
    signal.emit(CancellationType.terminal);
    expect(events).toEqual([]);
    const got = received(peer);
    await ctx.run();
    expect(events).toEqual(['write:operation_aborted:0', 'tail:ok:4']);
    // As documented: Node still sends the abandoned bytes, in order, before the later write.
    await until(() => got.bytes().length >= data.length + 4, 'the peer to receive the bytes');
    expect(got.bytes().equals(Buffer.concat([data, Buffer.from('tail')]))).toBe(true);
    sock.close();
    peer.destroy();
    expect(tracking.live).toBe(0);
  });
});

describe('per-operation cancellation: asyncConnect', () => {
  test.each(EVERY_TYPE)('emit(%s) abandons the connect; the socket is left open and unconnected, and can connect again', async (_name, type) => {
    const { ctx, tracking } = trackedContext();
    const { acceptor, port } = localAcceptor(ctx);
    const sock = new TcpSocket(ctx);
    const signal = new CancellationSignal();
    const events: string[] = [];
    sock.asyncConnect({ host: '127.0.0.1', port }, bindCancellationSlot(signal.slot(), (err: IoError | null) => events.push(`connect:${code(err)}`)));
    signal.emit(type);
    expect(events).toEqual([]);
    expect(ctx.poll()).toBe(1);
    expect(events).toEqual(['connect:operation_aborted']);
    expect(sock.isOpen()).toBe(true);
    expect(() => sock.remoteEndpoint()).toThrow(expect.objectContaining({ code: 'not_connected' }) as Error);

    ctx.restart();
    // The acceptor closes once both ends are done: closing it earlier would reset a connection still waiting in it.
    let ends = 0;
    sock.asyncConnect({ host: '127.0.0.1', port }, (err) => {
      events.push(`again:${code(err)}`);
      events.push(`peer:${sock.remoteEndpoint().port === port}`);
      sock.close();
      if (++ends === 2) acceptor.close();
    });
    acceptor.asyncAccept((err, s) => {
      events.push(`accept:${code(err)}`);
      s.close();
      if (++ends === 2) acceptor.close();
    });
    await ctx.run();
    expect(events).toEqual(expect.arrayContaining(['again:ok', 'peer:true', 'accept:ok']));
    expect(tracking.live).toBe(0);
  });

  test('an already-aborted AbortSignal aborts the connect at initiation, queued', async () => {
    const { ctx, tracking } = trackedContext();
    const { acceptor, port } = localAcceptor(ctx);
    const sock = new TcpSocket(ctx);
    let result = 'not run';
    sock.asyncConnect({ host: '127.0.0.1', port }, withAbortSignal(AbortSignal.abort(), (err: IoError | null) => (result = code(err))));
    expect(result).toBe('not run');
    await ctx.run();
    expect(result).toBe('operation_aborted');
    sock.close();
    acceptor.close();
    expect(tracking.live).toBe(0);
  });
});

describe('per-operation cancellation: asyncAccept', () => {
  test.each(EVERY_TYPE)('emit(%s) withdraws that accept; the acceptor keeps listening', async (_name, type) => {
    const { ctx, tracking } = trackedContext();
    const { acceptor, port } = localAcceptor(ctx);
    const signal = new CancellationSignal();
    const events: string[] = [];
    acceptor.asyncAccept(bindCancellationSlot(signal.slot(), (err: IoError | null) => events.push(`first:${code(err)}`)));
    signal.emit(type);
    expect(events).toEqual([]);
    expect(ctx.poll()).toBe(1);
    expect(events).toEqual(['first:operation_aborted']);
    expect(acceptor.isOpen()).toBe(true);

    ctx.restart();
    acceptor.asyncAccept((err, s) => {
      events.push(`second:${code(err)}`);
      s.close();
      acceptor.close();
    });
    const client = await nodeClient(port);
    await ctx.run();
    expect(events).toEqual(['first:operation_aborted', 'second:ok']);
    client.destroy();
    expect(tracking.live).toBe(0);
  });

  test('cancelling one of two pending accepts: the connection goes to the other', async () => {
    const { ctx, tracking } = trackedContext();
    const { acceptor, port } = localAcceptor(ctx);
    const signal = new CancellationSignal();
    const events: string[] = [];
    acceptor.asyncAccept(bindCancellationSlot(signal.slot(), (err: IoError | null) => events.push(`first:${code(err)}`)));
    acceptor.asyncAccept((err, s) => {
      events.push(`second:${code(err)}`);
      s.close();
      acceptor.close();
    });
    signal.emit(CancellationType.terminal);
    const client = await nodeClient(port);
    await ctx.run();
    expect(events).toEqual(['first:operation_aborted', 'second:ok']);
    client.destroy();
    expect(tracking.live).toBe(0);
  });
});

describe('per-operation cancellation: Resolver', () => {
  test.each(EVERY_TYPE)('emit(%s) aborts the lookup; its late result is discarded, even when the op memory is reused', async (_name, type) => {
    const { ctx, tracking } = trackedContext();
    const resolver = new Resolver(ctx);
    const signal = new CancellationSignal();
    const events: string[] = [];
    resolver.asyncResolve('localhost', 80, bindCancellationSlot(signal.slot(), (err: IoError | null) => events.push(`first:${code(err)}`)));
    signal.emit(type);
    expect(events).toEqual([]);
    expect(ctx.poll()).toBe(1);
    expect(events).toEqual(['first:operation_aborted']);
    ctx.restart();
    // The freed op is recycled for this lookup; the first lookup's answer must not complete it.
    resolver.asyncResolve('127.0.0.1', 8080, (err: IoError | null, endpoints: Endpoint[]) => {
      events.push(`second:${code(err)}:${endpoints.map((e) => `${e.address}:${e.port}`).join(',')}`);
    });
    await ctx.run();
    expect(events).toEqual(['first:operation_aborted', 'second:ok:127.0.0.1:8080']);
    expect(tracking.live).toBe(0);
  });
});

describe('AbortSignal on socket operations', () => {
  test('withAbortSignal + callback: abort() cancels a pending read, queued; the listener is removed', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const ac = new AbortController();
    const events: string[] = [];
    sock.asyncReadSome(Buffer.alloc(8), withAbortSignal(ac.signal, (err: IoError | null, n: number) => events.push(`read:${code(err)}:${n}`)));
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    ac.abort();
    expect(events).toEqual([]);
    await ctx.run();
    expect(events).toEqual(['read:operation_aborted:0']);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    sock.close();
    peer.destroy();
    expect(tracking.live).toBe(0);
  });

  test('withAbortSignal + usePromise: the awaited read rejects with operation_aborted; a completed one removes its listener', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const ac = new AbortController();
    const buf = Buffer.alloc(8);
    const task = (async () => {
      peer.write('ok');
      const n = await sock.asyncReadSome(buf, withAbortSignal(ac.signal, usePromise));
      const first = buf.subarray(0, n).toString();
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
      const pending = sock.asyncReadSome(buf, withAbortSignal(ac.signal, usePromise));
      ac.abort();
      const error = await pending.then(
        () => null,
        (e: unknown) => e,
      );
      sock.close();
      return { first, error };
    })();
    await ctx.run();
    const { first, error } = await task;
    expect(first).toBe('ok');
    expect(error).toBeInstanceOf(IoError);
    expect((error as IoError).code).toBe('operation_aborted');
    peer.destroy();
    expect(tracking.live).toBe(0);
  });

  test('withAbortSignal + asTuple on a write waiting behind another: [operation_aborted, 0]', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    peer.pause(); // the first write stays in progress until the peer reads
    const ac = new AbortController();
    const first = sock.asyncWriteSome(bulk(STUCK_WRITE_SIZE, 5), asTuple(usePromise));
    const second = sock.asyncWriteSome(Buffer.from('second'), withAbortSignal(ac.signal, asTuple(usePromise)));
    ac.abort();
    peer.resume();
    await ctx.run();
    const [e1, n1] = await first;
    const [e2, n2] = await second;
    expect([e1, n1]).toEqual([null, STUCK_WRITE_SIZE]);
    expect([e2?.code, n2]).toEqual(['operation_aborted', 0]);
    sock.close();
    peer.destroy();
    expect(tracking.live).toBe(0);
  });

  test('an AbortSignal.timeout bounds an accept that never gets a connection', async () => {
    const { ctx, tracking } = trackedContext();
    const { acceptor } = localAcceptor(ctx);
    const task = acceptor.asyncAccept(withAbortSignal(AbortSignal.timeout(20), asTuple(usePromise)));
    await ctx.run();
    const [err] = await task;
    expect(err?.code).toBe('operation_aborted');
    acceptor.close();
    expect(tracking.live).toBe(0);
  });

  test('bindAbortSignal, bound once, serves a re-arming read loop; abort() cancels the newest read', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const ac = new AbortController();
    const buf = Buffer.alloc(8);
    const events: string[] = [];
    const onRead = bindAbortSignal(ac.signal, (err: IoError | null, n: number): void => {
      events.push(`${code(err)}:${buf.subarray(0, n).toString()}`);
      if (err !== null) {
        sock.close();
        return;
      }
      sock.asyncReadSome(buf, onRead);
      if (events.length === 1) peer.write('b');
      else ac.abort(); // cancels the read just started, and with it the loop
    });
    sock.asyncReadSome(buf, onRead);
    peer.write('a');
    await ctx.run();
    expect(events).toEqual(['ok:a', 'ok:b', 'operation_aborted:']);
    peer.destroy();
    expect(tracking.live).toBe(0);
  });

  test('an already-aborted signal: the read is aborted at initiation, queued, never inline', async () => {
    const { ctx, tracking, sock, peer } = await connectedPair();
    const events: string[] = [];
    sock.asyncReadSome(Buffer.alloc(8), withAbortSignal(AbortSignal.abort(), (err: IoError | null) => events.push(code(err))));
    expect(events).toEqual([]);
    await ctx.run();
    expect(events).toEqual(['operation_aborted']);
    sock.close();
    peer.destroy();
    expect(tracking.live).toBe(0);
  });
});
