import * as net from 'node:net';
import { getAssociatedAllocator } from '../allocation/associate.js';
import { getAssociatedCancellationSlot } from '../cancellation/bind-cancellation-slot.js';
import type { CancellationType } from '../cancellation/cancellation-type.js';
import { OPERATION_ABORTED } from '../cancellation/operation-aborted.js';
import { IoError } from '../errors/io-error.js';
import type { IoContext, IoService } from '../io-context/io-context.js';
import { AcceptOp } from '../ops/accept-op.js';
import { OpQueue } from '../ops/op-queue.js';
import type { Operation } from '../ops/operation.js';
import { asyncInitiate } from '../tokens/async-initiate.js';
import type { CompletionResult, CompletionToken, Handler } from '../tokens/completion-token.js';
import { checkPort, familyOf, hostOf, type Endpoint, type HostPort } from './endpoint.js';
import { errnoError } from './errno.js';
import { TcpSocket } from './tcp-socket.js';

/**
 * Options for `new TcpAcceptor(ctx, endpoint, options)`.
 *
 * @example
 * ```ts
 * const acceptor = new TcpAcceptor(ctx, { host: '0.0.0.0', port: 8080 }, { backlog: 1024 });
 * ```
 */
export interface TcpAcceptorOptions {
  /**
   * The listen backlog (default 511), which also bounds how many accepted
   * connections wait here for an `asyncAccept` before new ones are closed.
   */
  readonly backlog?: number;
  /**
   * asio's `reuse_address` (default true). On POSIX systems libuv always
   * sets `SO_REUSEADDR` on listening TCP sockets, so `false` cannot be
   * honoured there and is accepted as a no-op.
   */
  readonly reuseAddress?: boolean;
}

/**
 * The default listen backlog (Node's).
 *
 * @example
 * ```ts
 * // Twice the default, for a server that sees bursts of connections.
 * const acceptor = new TcpAcceptor(ctx, { host: '0.0.0.0', port: 8080 }, { backlog: 2 * DEFAULT_BACKLOG });
 * ```
 */
export const DEFAULT_BACKLOG = 511;

/** @internal The parts of libuv's TCP server handle this module drives. */
interface ServerHandle {
  listen(backlog: number): number;
  close(callback?: () => void): void;
  getsockname(out: Record<string, unknown>): number;
  onconnection: ((status: number, client: ClientHandle | undefined) => void) | null;
}

interface ClientHandle {
  close(callback?: () => void): void;
}

type CreateServerHandle = (address: string, port: number, addressType: number, fd?: number, flags?: number) => ServerHandle | number;

function initiateAccept(handler: Handler<[TcpSocket]>, acceptor: TcpAcceptor): void {
  acceptor.startAccept(handler);
}

/**
 * A listening TCP socket: asio's `tcp::acceptor`.
 *
 * Binding happens in the constructor, synchronously: the host must be an IP
 * address literal (resolve names with `Resolver` first) so no lookup is
 * needed, and libuv's bind and listen run inside the call. A failure (for
 * example a port in use) throws an `IoError` (`address_in_use`) from the
 * constructor, and `localEndpoint()` is valid as soon as it returns.
 *
 * Connections are accepted by libuv as they arrive; one that finds no
 * pending `asyncAccept` waits in a queue bounded by the backlog (further
 * connections are closed). Accept failures such as too many open files
 * (`no_descriptors`) go to the next accept handler.
 *
 * Accepted sockets read straight into the caller's buffers (see
 * `TcpSocket`).
 *
 * @example
 * ```ts
 * const ctx = new IoContext();
 * const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 }); // 0: any free port
 * console.log(`listening on port ${acceptor.localEndpoint().port}`);
 * const onAccept = (err: IoError | null, socket: TcpSocket): void => {
 *   if (err) return; // operation_aborted once the acceptor is closed
 *   startSession(socket);
 *   acceptor.asyncAccept(onAccept);
 * };
 * acceptor.asyncAccept(onAccept);
 * await ctx.run();
 * ```
 */
export class TcpAcceptor {
  /** The context whose run loop invokes this acceptor's handlers. */
  readonly context: IoContext;
  readonly #handle: ServerHandle;
  readonly #endpoint: Endpoint;
  readonly #queueLimit: number;
  readonly #accepts = new OpQueue();
  readonly #waiting: ClientHandle[] = [];
  #waitingHead = 0;
  #acceptError: IoError | null = null;
  #open = true;

  readonly #service: IoService = {
    shutdown: (): void => {
      for (let op = this.#accepts.shift(); op !== null; op = this.#accepts.shift()) op.destroy();
      this.#closeHandles();
    },
  };

  readonly #onConnection = (status: number, client: ClientHandle | undefined): void => {
    if (!this.#open) {
      client?.close();
      return;
    }
    const op = this.#asAccept(this.#accepts.shift());
    if (status < 0 || client === undefined) {
      const err = errnoError(status < 0 ? status : -22, 'accept');
      if (op !== null) this.context.completeFromIo(op.finish(err, null));
      else this.#acceptError ??= err;
      return;
    }
    if (op !== null) {
      this.context.completeFromIo(op.finish(null, TcpSocket.fromAcceptedHandle(this.context, client)));
    } else if (this.#waiting.length - this.#waitingHead < this.#queueLimit) {
      this.#waiting.push(client);
    } else {
      client.close();
    }
  };

  constructor(ctx: IoContext, endpoint: HostPort, options: TcpAcceptorOptions = {}) {
    if (typeof ctx !== 'object' || ctx === null || typeof ctx.completeFromIo !== 'function') {
      throw new TypeError('TcpAcceptor: the first argument must be an IoContext');
    }
    const host = hostOf(endpoint, 'TcpAcceptor');
    const port = checkPort((endpoint as { port?: unknown }).port, 'TcpAcceptor');
    const family = net.isIP(host);
    if (family === 0) throw new TypeError(`TcpAcceptor: host must be an IP address literal (resolve names with Resolver), got '${host}'`);
    if (typeof options !== 'object' || options === null) throw new TypeError('TcpAcceptor: options must be an object');
    const backlog = options.backlog ?? DEFAULT_BACKLOG;
    if (!Number.isInteger(backlog) || backlog < 1) throw new TypeError(`TcpAcceptor: backlog must be a positive integer, got ${String(backlog)}`);
    if (options.reuseAddress !== undefined && typeof options.reuseAddress !== 'boolean') throw new TypeError('TcpAcceptor: reuseAddress must be a boolean');
    const create = (net as unknown as { _createServerHandle?: CreateServerHandle })._createServerHandle;
    if (typeof create !== 'function') throw new IoError('unknown', 'TcpAcceptor: this Node.js version does not expose a TCP server handle');
    const handle = create(host, port, family);
    if (typeof handle === 'number') throw errnoError(handle, 'bind');
    const status = handle.listen(backlog);
    if (status < 0) {
      handle.close();
      throw errnoError(status, 'listen');
    }
    const name: Record<string, unknown> = {};
    handle.getsockname(name);
    const address = typeof name.address === 'string' ? name.address : host;
    this.#endpoint = { address, port: typeof name.port === 'number' ? name.port : port, family: familyOf(name.family, address) };
    this.context = ctx;
    this.#handle = handle;
    this.#queueLimit = backlog;
    handle.onconnection = this.#onConnection;
    ctx.addService(this.#service);
  }

  /**
   * Whether the acceptor is still listening.
   *
   * @example
   * ```ts
   * acceptor.close();
   * acceptor.isOpen(); // false
   * ```
   */
  isOpen(): boolean {
    return this.#open;
  }

  /**
   * The address and port the acceptor listens on (the real port when bound
   * to port 0). Throws `IoError` `bad_descriptor` once closed.
   *
   * @example
   * ```ts
   * const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
   * const { port } = acceptor.localEndpoint();
   * await new TcpSocket(ctx).asyncConnect({ host: '127.0.0.1', port }, usePromise);
   * ```
   */
  localEndpoint(): Endpoint {
    if (!this.#open) throw new IoError('bad_descriptor', 'TcpAcceptor.localEndpoint: the acceptor is closed');
    return this.#endpoint;
  }

  /**
   * Accepts the next connection. Completion signature: `(err, socket)`;
   * `operation_aborted` when the acceptor is closed or cancelled meanwhile,
   * `bad_descriptor` on a closed acceptor. Accepts queue in FIFO order.
   *
   * Per-operation cancellation (a slot bound with `bindCancellationSlot`,
   * or an `AbortSignal` through `withAbortSignal`/`bindAbortSignal`):
   * terminal, partial and total. Only this accept is withdrawn, with
   * `operation_aborted`; the acceptor keeps listening and a connection that
   * arrives later waits for the next accept.
   *
   * @example
   * ```ts
   * for (;;) {
   *   const [err, socket] = await acceptor.asyncAccept(asTuple(usePromise));
   *   if (err?.code === 'operation_aborted' || err?.code === 'bad_descriptor') break; // closed
   *   if (err) continue; // for example no_descriptors: try again
   *   void serve(socket!);
   * }
   * ```
   */
  asyncAccept<T extends CompletionToken<[TcpSocket]>>(token: T): CompletionResult<T, [TcpSocket]> {
    return asyncInitiate<[TcpSocket], T, TcpAcceptor>(initiateAccept, token, this);
  }

  /** @internal The initiation behind `asyncAccept`. */
  startAccept(handler: Handler<[TcpSocket]>): void {
    const ctx = this.context;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(AcceptOp<TcpSocket>).init(handler, allocator, this);
    ctx.operationStarted(op, 'socket', this, 'async_accept');
    ctx.workStarted();
    if (!this.#open) {
      ctx.enqueue(op.finish(new IoError('bad_descriptor'), null));
      return;
    }
    const err = this.#acceptError;
    if (err !== null && this.#accepts.isEmpty()) {
      this.#acceptError = null;
      ctx.enqueue(op.finish(err, null));
      return;
    }
    const client = this.#shiftWaiting();
    if (client !== null) {
      ctx.enqueue(op.finish(null, TcpSocket.fromAcceptedHandle(ctx, client)));
      return;
    }
    this.#accepts.push(op);
    const slot = getAssociatedCancellationSlot(handler);
    if (slot !== null) op.installSlot(slot);
  }

  /**
   * Withdraws one pending accept with `operation_aborted`, queued (the
   * per-operation cancellation path; every type is honoured). Returns false
   * when `op` is not pending here.
   * @internal
   */
  abortOperation(op: Operation, _type: CancellationType): boolean {
    if (!this.#accepts.remove(op)) return false;
    this.context.enqueue(this.#asAccept(op)!.finish(OPERATION_ABORTED, null));
    return true;
  }

  /**
   * Aborts every pending accept with `operation_aborted`; the acceptor keeps listening.
   *
   * @example
   * ```ts
   * acceptor.asyncAccept((err) => {
   *   if (err?.code === 'operation_aborted') console.log('stopped accepting; still listening');
   * });
   * acceptor.cancel();
   * ```
   */
  cancel(): void {
    this.context.tracker?.operation('socket', this, 'cancel');
    this.#abortPending();
  }

  #abortPending(): void {
    const aborted = new IoError('operation_aborted');
    for (let op = this.#accepts.shift(); op !== null; op = this.#accepts.shift()) {
      this.context.enqueue((op instanceof AcceptOp ? op : null)!.finish(aborted, null));
    }
  }

  /**
   * Stops listening: pending accepts complete with `operation_aborted`,
   * connections waiting to be accepted are closed, and later accepts fail
   * with `bad_descriptor`. Closing twice does nothing.
   *
   * @example
   * ```ts
   * const signals = new SignalSet(ctx, 'SIGINT', 'SIGTERM');
   * signals.asyncWait(() => {
   *   acceptor.close(); // the pending accept completes with operation_aborted
   * });
   * ```
   */
  close(): void {
    if (!this.#open) return;
    this.context.tracker?.operation('socket', this, 'close');
    this.#abortPending();
    this.#closeHandles();
    this.context.removeService(this.#service);
  }

  #asAccept(op: Operation | null): AcceptOp<TcpSocket> | null {
    return op instanceof AcceptOp ? (op as AcceptOp<TcpSocket>) : null;
  }

  #shiftWaiting(): ClientHandle | null {
    const waiting = this.#waiting;
    if (this.#waitingHead >= waiting.length) return null;
    const client = waiting[this.#waitingHead]!;
    waiting[this.#waitingHead++] = undefined as unknown as ClientHandle;
    if (this.#waitingHead === waiting.length) {
      waiting.length = 0;
      this.#waitingHead = 0;
    }
    return client;
  }

  #closeHandles(): void {
    this.#open = false;
    this.#acceptError = null;
    this.#handle.onconnection = null;
    this.#handle.close();
    for (let client = this.#shiftWaiting(); client !== null; client = this.#shiftWaiting()) client.close();
  }
}
