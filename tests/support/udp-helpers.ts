import * as dgram from 'node:dgram';
import { IoContext, TrackingAllocator, asTuple, cancelAfter, makeWorkGuard, usePromise, type UdpSocket } from '../../src/index.js';

/** A node:dgram socket bound to `host` port 0, with what it receives collected. */
export interface NodePeer {
  readonly socket: dgram.Socket;
  readonly port: number;
  readonly got: { msg: Buffer; from: dgram.RemoteInfo }[];
  send(data: Uint8Array, port: number, host?: string): Promise<void>;
  close(): void;
}

export async function nodePeer(type: 'udp4' | 'udp6' = 'udp4', host = type === 'udp4' ? '127.0.0.1' : '::1'): Promise<NodePeer> {
  const socket = dgram.createSocket(type);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const got: { msg: Buffer; from: dgram.RemoteInfo }[] = [];
  socket.on('message', (msg, from) => got.push({ msg, from }));
  return {
    socket,
    port: socket.address().port,
    got,
    send: (data, port, to = host) =>
      new Promise<void>((resolve, reject) => {
        socket.send(data, port, to, (err) => {
          if (err) reject(err);
          else resolve();
        });
      }),
    close: () => {
      socket.close();
    },
  };
}

/** Resolves once `cond()` holds, polling every few ms; rejects after `ms`. */
export async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Whether ::1 can be bound for UDP here. */
export async function ipv6Available(): Promise<boolean> {
  const s = dgram.createSocket('udp6');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, '::1', () => {
        resolve();
      });
    });
    return true;
  } catch {
    return false;
  } finally {
    try {
      s.close();
    } catch {
      // never bound
    }
  }
}

/** A context over a TrackingAllocator, running (held by a work guard) while `flow` runs; resolves with its result once run() returned. */
export async function withRunningContext<T>(flow: (ctx: IoContext) => Promise<T>): Promise<{ result: T; ctx: IoContext; tracking: TrackingAllocator }> {
  const tracking = new TrackingAllocator();
  const ctx = new IoContext({ allocator: tracking });
  const guard = makeWorkGuard(ctx);
  const running = ctx.run();
  let result: T;
  try {
    result = await flow(ctx);
  } finally {
    guard.reset();
  }
  await running;
  return { result, ctx, tracking };
}

/**
 * Sends three datagrams on `socket` (connected to a port nobody listens on),
 * each followed by a receive with a 300 ms deadline; the codes they got
 * (undefined: success), where Linux reports the ICMP port unreachable as
 * connection_refused.
 */
export async function refusedCodes(socket: UdpSocket): Promise<(string | undefined)[]> {
  const codes: (string | undefined)[] = [];
  for (let i = 0; i < 3; i++) {
    const [sendErr] = await socket.asyncSend(Buffer.from('anyone?'), asTuple(usePromise));
    codes.push(sendErr?.code);
    const [err] = await socket.asyncReceive(Buffer.alloc(16), cancelAfter(300, asTuple(usePromise)));
    codes.push(err?.code);
  }
  return codes;
}
