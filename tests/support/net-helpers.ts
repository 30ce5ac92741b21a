import * as net from 'node:net';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  IoContext,
  TcpAcceptor,
  TrackingAllocator,
  UnixAcceptor,
  defaultTransport,
  type BasicAcceptor,
  type BasicStreamSocket,
  type TcpSocket,
  type TransportKind,
} from '../../src/index.js';

/** The transport this run's sockets use unless a test asks for one (PROACTOR_TRANSPORT, else native where built). */
export const TRANSPORT: TransportKind = defaultTransport();

/** A context over a TrackingAllocator, the tests' usual start. */
export function trackedContext(): { ctx: IoContext; tracking: TrackingAllocator } {
  const tracking = new TrackingAllocator();
  return { ctx: new IoContext({ allocator: tracking }), tracking };
}

/** A node:net server on 127.0.0.1, port 0, calling `onSocket` per connection. */
export async function nodeServer(onSocket: (s: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A node:net client connected to 127.0.0.1:port. */
export function nodeClient(port: number): Promise<net.Socket> {
  return connected(net.connect(port, '127.0.0.1'));
}

/** Resolves with `s` once it is connected; rejects on its error. */
function connected(s: net.Socket): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    s.once('connect', () => {
      resolve(s);
    });
    s.on('error', reject);
  });
}

/**
 * A fresh node:net client sends `data` to 127.0.0.1:`port` and resolves with
 * what came back: `data.length` bytes, or fewer if the server closed first.
 * The client then ends its side.
 */
export async function echoOnce(port: number, data: Buffer): Promise<Buffer> {
  return echoOver(await nodeClient(port), data);
}

/** Sends `data` on the connected `s` and resolves with what came back (`data.length` bytes, or fewer if the peer closed first); then ends `s`. */
export async function echoOver(s: net.Socket, data: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const back = new Promise<Buffer>((resolve) => {
    let size = 0;
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (size >= data.length) resolve(Buffer.concat(chunks));
    });
    s.on('close', () => {
      resolve(Buffer.concat(chunks));
    });
  });
  s.write(data);
  const result = await back;
  s.end();
  return result;
}

/** Collects everything a node:net socket receives until it ends. */
export function collect(s: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    s.on('close', () => {
      resolve(Buffer.concat(chunks));
    });
  });
}

/** An acceptor on 127.0.0.1 port 0 and its port (its sockets on `transport`, else the default one). */
export function localAcceptor(ctx: IoContext, transport?: TransportKind): { acceptor: TcpAcceptor; port: number } {
  const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 }, transport === undefined ? {} : { transport });
  return { acceptor, port: acceptor.localEndpoint().port };
}

/** Deterministic pseudo-random bytes. */
export function pattern(size: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** Accepts one connection with the project's acceptor, as a promise (for set-up code). */
export function acceptOne<S>(acceptor: BasicAcceptor<S>): Promise<S> {
  return new Promise((resolve, reject) => {
    acceptor.asyncAccept((err, s) => {
      if (err) reject(err);
      else resolve(s);
    });
  });
}

/**
 * One of the project's sockets (accepted) and its node:net peer (no Nagle
 * delay), on a fresh tracked context or on `on`; the context is restarted
 * and ready to run again.
 */
export async function connectedPair(
  on: { ctx: IoContext; tracking: TrackingAllocator } = trackedContext(),
  transport?: TransportKind,
): Promise<{ ctx: IoContext; tracking: TrackingAllocator; sock: TcpSocket; peer: net.Socket }> {
  const { acceptor, port } = localAcceptor(on.ctx, transport);
  const pair = await acceptedPair(on, acceptor, () => nodeClient(port));
  pair.peer.setNoDelay(true);
  return pair;
}

/**
 * Accepts one connection on `acceptor` while `connect()` makes the node:net
 * peer, then closes the acceptor and leaves the context restarted.
 */
async function acceptedPair<S>(
  on: { ctx: IoContext; tracking: TrackingAllocator },
  acceptor: BasicAcceptor<S>,
  connect: () => Promise<net.Socket>,
): Promise<{ ctx: IoContext; tracking: TrackingAllocator; sock: S; peer: net.Socket }> {
  const { ctx, tracking } = on;
  const accepted = acceptOne(acceptor);
  const peerPromise = connect();
  await ctx.runOne();
  const sock = await accepted;
  const peer = await peerPromise;
  acceptor.close();
  await ctx.run();
  ctx.restart();
  return { ctx, tracking, sock, peer };
}

/** The stream sockets the stream tests run on: TCP, and Unix-domain on the same core and transport. */
export const STREAM_KINDS = ['tcp', 'unix'] as const;
export type StreamKind = (typeof STREAM_KINDS)[number];

let unixDir = '';
let unixSerial = 0;

/** A fresh Unix socket path in a folder of the test process's own (removed at exit). */
export function unixSocketPath(): string {
  if (unixDir === '') {
    unixDir = fs.mkdtempSync(path.join(os.tmpdir(), 'proactor-test-'));
    const dir = unixDir;
    process.on('exit', () => {
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }
  return path.join(unixDir, `p${String(unixSerial++)}.sock`);
}

/**
 * `connectedPair` for either kind of stream socket: one of the project's
 * sockets (accepted by a TcpAcceptor or a UnixAcceptor) and its node:net
 * peer, the context restarted and ready to run again.
 */
export async function streamPair(
  kind: StreamKind,
  on: { ctx: IoContext; tracking: TrackingAllocator } = trackedContext(),
): Promise<{ ctx: IoContext; tracking: TrackingAllocator; sock: BasicStreamSocket; peer: net.Socket }> {
  if (kind === 'tcp') return connectedPair(on);
  const where = unixSocketPath();
  return acceptedPair(on, new UnixAcceptor(on.ctx, { path: where }), () => connected(net.connect(where)));
}
