import { getAssociatedAllocator } from '../associations/associate.js';
import { getAssociatedCancellationSlot } from '../associations/bind-cancellation-slot.js';
import type { CancellationType } from '../cancellation/cancellation-type.js';
import { OPERATION_ABORTED } from '../cancellation/operation-aborted.js';
import { IoError } from '../errors/io-error.js';
import type { IoContext, IoService } from '../io-context/io-context.js';
import { AcceptOp } from '../ops/accept-op.js';
import { ListenWaitOp } from '../ops/listen-wait-op.js';
import { OpQueue } from '../ops/op-queue.js';
import type { Operation } from '../ops/operation.js';
import { asyncInitiate } from '../tokens/async-initiate.js';
import type { CompletionResult, CompletionToken, Handler } from '../tokens/completion-token.js';
import { describeValue as describe } from '../errors/describe-value.js';
import { errnoError, type ErrnoEndpoint } from './errno.js';

/**
 * The default listen backlog (Node's).
 *
 * @example
 * ```ts
 * // Twice the default, for a server that sees bursts of connections.
 * const acceptor = new TcpAcceptor(ctx, { host: '0.0.0.0', port: 8080 }, { backlog: 2 * DEFAULT_BACKLOG });
 * ```
 *
 * @category Stream sockets
 */
export const DEFAULT_BACKLOG = 511;

/** @internal The parts of a libuv server handle (TCP or pipe) an acceptor drives. */
export interface ServerHandle {
  listen(backlog: number): number;
  close(callback?: () => void): void;
  onconnection: ((status: number, client: ClientHandle | undefined) => void) | null;
}

/** @internal An accepted libuv stream handle, before it is wrapped in a socket. */
export interface ClientHandle {
  close(callback?: () => void): void;
}

/** @internal Checks the backlog option: a positive integer, `DEFAULT_BACKLOG` when absent. */
export function backlogOf(options: unknown, what: string): number {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${what}: options must be an object, got ${describe(options)}`);
  const backlog = (options as { backlog?: unknown }).backlog ?? DEFAULT_BACKLOG;
  if (typeof backlog !== 'number' || !Number.isInteger(backlog) || backlog < 1) {
    throw new TypeError(`${what}: backlog must be a positive integer, got ${describe(backlog)}`);
  }
  return backlog;
}

/**
 * @internal Starts listening on a bound handle; closes it and throws the
 * `IoError` on failure, naming `endpoint` (`listen EADDRINUSE 127.0.0.1:5555`).
 */
export function listenOn(handle: ServerHandle, backlog: number, endpoint: ErrnoEndpoint): void {
  const status = handle.listen(backlog);
  if (status < 0) {
    handle.close();
    throw errnoError(status, 'listen', endpoint);
  }
}

function initiateAccept<S>(handler: Handler<[S]>, acceptor: BasicAcceptor<S>): void {
  acceptor.startAccept(handler);
}

function initiateWaitListening(handler: Handler, acceptor: BasicAcceptor<unknown>): void {
  acceptor.startWaitListening(handler);
}

/**
 * What every acceptor has, whatever its protocol (asio's
 * `basic_socket_acceptor`): accepting into sockets of type `S`,
 * cancellation and close. `TcpAcceptor` and `UnixAcceptor` add only how to
 * bind and their endpoints.
 *
 * Connections are accepted by libuv as they arrive; one that finds no
 * pending `asyncAccept` waits in a queue bounded by the backlog (further
 * connections are closed). Accept failures such as too many open files
 * (`no_descriptors`) go to the next accept handler.
 *
 * @example
 * ```ts
 * function serve<S extends BasicStreamSocket>(acceptor: BasicAcceptor<S>, session: (s: S) => void): void {
 *   acceptor.asyncAccept((err, socket) => {
 *     if (err) return; // operation_aborted once the acceptor is closed
 *     session(socket);
 *     serve(acceptor, session);
 *   });
 * }
 * ```
 *
 * @category Stream sockets
 */
export abstract class BasicAcceptor<S> {
  /** The context whose run loop invokes this acceptor's handlers. */
  readonly context: IoContext;
  readonly #typeName: string;
  /** `null` until a cluster worker's primary has answered. */
  #handle: ServerHandle | null;
  readonly #wrap: (ctx: IoContext, client: ClientHandle) => S;
  readonly #queueLimit: number;
  readonly #accepts = new OpQueue();
  readonly #listenWaits = new OpQueue();
  /** Why listening failed (a cluster worker's primary could not bind); accepts then fail with it. */
  #listenError: IoError | null = null;
  readonly #waiting: ClientHandle[] = [];
  #waitingHead = 0;
  #acceptError: IoError | null = null;
  #open = true;

  readonly #service: IoService = {
    shutdown: (): void => {
      for (let op = this.#accepts.shift(); op !== null; op = this.#accepts.shift()) op.destroy();
      for (let op = this.#listenWaits.shift(); op !== null; op = this.#listenWaits.shift()) op.destroy();
      this.#closeHandles();
    },
  };

  readonly #onConnection = (status: number, client: ClientHandle | undefined): void => {
    if (!this.#open) {
      client?.close();
      return;
    }
    const op = asAccept<S>(this.#accepts.shift());
    if (status < 0 || client === undefined) {
      const err = errnoError(status < 0 ? status : -22, 'accept');
      if (op !== null) this.context.completeFromIo(op.finish(err, null));
      else this.#acceptError ??= err;
      return;
    }
    if (op !== null) {
      this.context.completeFromIo(op.finish(null, this.#wrap(this.context, client)));
    } else if (this.#waiting.length - this.#waitingHead < this.#queueLimit) {
      this.#waiting.push(client);
    } else {
      client.close();
    }
  };

  /**
   * Takes over a bound, listening `handle` (`null`: it comes later, through
   * `attachHandle` or `failListen`); `wrap` makes the socket of an accepted
   * client handle.
   */
  protected constructor(
    ctx: IoContext,
    typeName: string,
    handle: ServerHandle | null,
    backlog: number,
    wrap: (ctx: IoContext, client: ClientHandle) => S,
  ) {
    this.context = ctx;
    this.#typeName = typeName;
    this.#handle = handle;
    this.#queueLimit = backlog;
    this.#wrap = wrap;
    if (handle !== null) handle.onconnection = this.#onConnection;
    ctx.addService(this.#service);
  }

  /**
   * The listening handle has arrived (a cluster worker's, from the
   * primary): connections flow to the accepts from now on, and the
   * listening waits complete. Called from Node's callback.
   */
  protected attachHandle(handle: ServerHandle): void {
    if (!this.#open || this.#handle !== null) {
      handle.close();
      return;
    }
    this.#handle = handle;
    handle.onconnection = this.#onConnection;
    for (let op = this.#listenWaits.shift() as ListenWaitOp | null; op !== null; op = this.#listenWaits.shift() as ListenWaitOp | null) {
      this.context.completeFromIo(op.finish(null));
    }
  }

  /**
   * Listening failed (a cluster worker's primary could not bind): pending
   * and later accepts and listening waits complete with `err`. Called from
   * Node's callback.
   */
  protected failListen(err: IoError): void {
    if (!this.#open) return;
    this.#open = false;
    this.#listenError = err;
    for (let op = this.#accepts.shift(); op !== null; op = this.#accepts.shift()) this.context.completeFromIo(asAccept<S>(op)!.finish(err, null));
    for (let op = this.#listenWaits.shift() as ListenWaitOp | null; op !== null; op = this.#listenWaits.shift() as ListenWaitOp | null) {
      this.context.completeFromIo(op.finish(err));
    }
    this.context.removeService(this.#service);
  }

  /**
   * Whether connections can arrive: true at once for an acceptor that
   * bound in its constructor, and in a cluster worker once the primary has
   * answered; false once closed or failed.
   *
   * @example
   * ```ts
   * if (!acceptor.listening()) await acceptor.asyncWaitListening(usePromise);
   * console.log(acceptor.localEndpoint());
   * ```
   */
  listening(): boolean {
    return this.#open && this.#handle !== null;
  }

  /**
   * Waits until the acceptor listens. Completion signature: `(err)`. An
   * acceptor made in a `node:cluster` worker listens once the primary has
   * bound the address (asynchronously); every other acceptor already
   * listens, and the wait completes at once (queued). `err` is the
   * primary's bind error (for example `address_in_use`),
   * `operation_aborted` when the acceptor is closed meanwhile (or the wait
   * is cancelled through its slot: terminal, partial and total), and
   * `bad_descriptor` on a closed acceptor.
   *
   * @example
   * ```ts
   * const acceptor = new TcpAcceptor(ctx, { host: '0.0.0.0', port: 8080 }); // in a cluster worker
   * acceptor.asyncWaitListening((err) => {
   *   if (err) return console.error(`cannot listen: ${err.message}`);
   *   console.log(`worker ${process.pid} serving port ${acceptor.localEndpoint().port}`);
   * });
   * ```
   */
  asyncWaitListening<T extends CompletionToken>(token: T): CompletionResult<T, []> {
    return asyncInitiate<[], T, BasicAcceptor<unknown>>(initiateWaitListening, token, this);
  }

  /** @internal The initiation behind `asyncWaitListening`. */
  startWaitListening(handler: Handler): void {
    const ctx = this.context;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(ListenWaitOp).init(handler, allocator, this);
    ctx.startOperation(op, 'socket', this, 'async_wait_listening');
    if (!this.#open) {
      ctx.enqueue(op.finish(this.#listenError ?? new IoError('bad_descriptor')));
      return;
    }
    if (this.#handle !== null) {
      ctx.enqueue(op.finish(null));
      return;
    }
    this.#listenWaits.push(op);
    const slot = getAssociatedCancellationSlot(handler);
    if (slot !== null) op.installSlot(slot);
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

  /** Throws `bad_descriptor` once closed (for `localEndpoint`). */
  protected checkOpen(what: string): void {
    if (!this.#open) throw new IoError('bad_descriptor', `${this.#typeName}.${what}: the acceptor is closed`);
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
  asyncAccept<T extends CompletionToken<[S]>>(token: T): CompletionResult<T, [S]> {
    return asyncInitiate<[S], T, BasicAcceptor<S>>(initiateAccept, token, this);
  }

  /** @internal The initiation behind `asyncAccept`. */
  startAccept(handler: Handler<[S]>): void {
    const ctx = this.context;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(AcceptOp<S>).init(handler, allocator, this);
    ctx.startOperation(op, 'socket', this, 'async_accept');
    if (!this.#open) {
      ctx.enqueue(op.finish(this.#listenError ?? new IoError('bad_descriptor'), null));
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
      ctx.enqueue(op.finish(null, this.#wrap(ctx, client)));
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
    if (op instanceof ListenWaitOp && this.#listenWaits.remove(op)) {
      this.context.enqueue(op.finish(OPERATION_ABORTED));
      return true;
    }
    if (!this.#accepts.remove(op)) return false;
    this.context.enqueue(asAccept<S>(op)!.finish(OPERATION_ABORTED, null));
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
    this.#abortListenWaits();
    this.#closeHandles();
    this.context.removeService(this.#service);
  }

  /**
   * Stops listening when a `using` declaration goes out of scope, so `using` works: `[Symbol.dispose]()` is `close()`.
   *
   * @example
   * ```ts
   * using acceptor = new UnixAcceptor(ctx, { path }); // closed, and its socket file removed, at the end of the block
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  #abortPending(): void {
    const aborted = OPERATION_ABORTED;
    for (let op = this.#accepts.shift(); op !== null; op = this.#accepts.shift()) {
      this.context.enqueue(asAccept<S>(op)!.finish(aborted, null));
    }
  }

  /** Closing ends the listening waits too; cancel() leaves them (they wait for the listening socket, not for a connection). */
  #abortListenWaits(): void {
    for (let op = this.#listenWaits.shift() as ListenWaitOp | null; op !== null; op = this.#listenWaits.shift() as ListenWaitOp | null) {
      this.context.enqueue(op.finish(OPERATION_ABORTED));
    }
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
    const handle = this.#handle;
    if (handle !== null) {
      handle.onconnection = null;
      handle.close();
    }
    for (let client = this.#shiftWaiting(); client !== null; client = this.#shiftWaiting()) client.close();
  }
}

function asAccept<S>(op: Operation | null): AcceptOp<S> | null {
  return op instanceof AcceptOp ? (op as AcceptOp<S>) : null;
}
