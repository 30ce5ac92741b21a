import cluster from 'node:cluster';
import * as net from 'node:net';
import { fromNodeError } from '../errors/from-node-error.js';
import type { IoError } from '../errors/io-error.js';
import type { ClientHandle, ServerHandle } from './basic-acceptor.js';

/**
 * @internal Whether listening sockets here belong to a `node:cluster`
 * primary: in a cluster worker `net.Server.listen` asks the primary, which
 * binds once and hands out connections (round robin) or the shared socket.
 */
export function inClusterWorker(): boolean {
  return cluster.isWorker;
}

/** The listening handle `net.Server` keeps once it listens: the primary's round-robin stand-in, or the shared socket. */
interface ListeningHandle extends ServerHandle {
  getsockname?: (out: Record<string, unknown>) => number;
}

/**
 * @internal A cluster worker's listening handle, closed through its
 * `net.Server` so Node's bookkeeping (and the primary) hear of it.
 */
export class ClusterServerHandle implements ServerHandle {
  readonly #server: net.Server;
  readonly #inner: ListeningHandle;

  constructor(server: net.Server, inner: ListeningHandle) {
    this.#server = server;
    this.#inner = inner;
  }

  get onconnection(): ((status: number, client: ClientHandle | undefined) => void) | null {
    return this.#inner.onconnection;
  }

  set onconnection(callback: ((status: number, client: ClientHandle | undefined) => void) | null) {
    this.#inner.onconnection = callback;
  }

  listen(): number {
    return 0; // already listening: the primary applied the backlog
  }

  close(): void {
    this.#server.close();
  }

  /** Fills `out` with the address the primary bound (TCP; a pipe has none). */
  getsockname(out: Record<string, unknown>): number {
    return this.#inner.getsockname?.(out) ?? 0;
  }
}

/**
 * @internal Listens the way Node's own servers do in a cluster worker,
 * through `net.Server.listen`, so the primary's distribution applies; then
 * takes over the listening handle, so accepted connections arrive as libuv
 * handles (the handle transport) rather than as `net.Socket`s. `done` runs
 * once, from Node's callback.
 */
export function listenThroughCluster(options: net.ListenOptions, done: (err: IoError | null, handle: ClusterServerHandle | null) => void): void {
  const server = new net.Server();
  const onError = (error: unknown): void => {
    server.off('listening', onListening);
    done(fromNodeError(error), null);
  };
  const onListening = (): void => {
    server.off('error', onError);
    const inner = (server as unknown as { _handle?: ListeningHandle | null })._handle;
    if (inner === null || inner === undefined) {
      done(fromNodeError({ code: 'EBADF', syscall: 'listen', message: 'listen EBADF: net.Server listened without a handle' }), null);
      return;
    }
    done(null, new ClusterServerHandle(server, inner));
  };
  server.once('error', onError);
  server.once('listening', onListening);
  server.listen({ ...options, exclusive: false });
}
