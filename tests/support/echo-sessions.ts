import { HandlerAllocator, TcpAcceptor, makeCustomAllocHandler, type IoContext, type IoError, type TcpSocket } from '../../src/index.js';

/** How the sessions of an `echoSessions` server ended, by error code. */
export interface EchoStats {
  accepted: number;
  ended: Map<string, number>;
  /** Live ops left in the sessions' handler allocators when they ended. */
  liveAtEnd: number;
}

/** One echo session: read → write → read … on a HandlerAllocator, closing on the first error. */
export class EchoSession {
  /** Called with every session as it starts (tests hook it). */
  static onStart: ((session: EchoSession) => void) | null = null;
  readonly socket: TcpSocket;
  readonly allocator = new HandlerAllocator();
  readonly #data: Buffer;
  readonly #onRead: (err: IoError | null, n: number) => void;
  readonly #onWrite: (err: IoError | null) => void;

  constructor(socket: TcpSocket, bufferSize: number, onEnd: (session: EchoSession, err: IoError) => void) {
    this.socket = socket;
    this.#data = Buffer.allocUnsafe(bufferSize);
    this.#onRead = makeCustomAllocHandler(this.allocator, (err: IoError | null, n: number): void => {
      if (err !== null) {
        socket.close();
        onEnd(this, err);
        return;
      }
      socket.asyncWriteSome(this.#data.subarray(0, n), this.#onWrite);
    });
    this.#onWrite = makeCustomAllocHandler(this.allocator, (err: IoError | null): void => {
      if (err !== null) {
        socket.close();
        onEnd(this, err);
        return;
      }
      socket.asyncReadSome(this.#data, this.#onRead);
    });
  }

  start(): void {
    EchoSession.onStart?.(this);
    this.socket.asyncReadSome(this.#data, this.#onRead);
  }
}

/**
 * An echo server on `ctx` (127.0.0.1, port 0) that accepts `limit`
 * connections, then closes its acceptor so `run()` can finish.
 */
export function echoSessions(ctx: IoContext, limit: number, bufferSize = 16384): { port: number; stats: EchoStats; acceptor: TcpAcceptor } {
  const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
  const stats: EchoStats = { accepted: 0, ended: new Map(), liveAtEnd: 0 };
  const onEnd = (session: EchoSession, err: IoError): void => {
    stats.ended.set(err.code, (stats.ended.get(err.code) ?? 0) + 1);
    stats.liveAtEnd += session.allocator.stats().live;
  };
  const onAccept = (err: IoError | null, socket: TcpSocket): void => {
    if (err !== null) return;
    stats.accepted++;
    new EchoSession(socket, bufferSize, onEnd).start();
    if (stats.accepted < limit) acceptor.asyncAccept(onAccept);
    else acceptor.close();
  };
  acceptor.asyncAccept(onAccept);
  return { port: acceptor.localEndpoint().port, stats, acceptor };
}
