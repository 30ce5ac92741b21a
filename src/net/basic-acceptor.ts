import { getAssociatedAllocator } from '../associations/associate.js';
import { getAssociatedCancellationSlot } from '../associations/bind-cancellation-slot.js';
import type { CancellationType } from '../cancellation/cancellation-type.js';
import { OPERATION_ABORTED } from '../cancellation/operation-aborted.js';
import { IoError } from '../errors/io-error.js';
import type { IoContext, IoService } from '../io-context/io-context.js';
import { AcceptOp } from '../ops/accept-op.js';
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
  readonly #handle: ServerHandle;
  readonly #wrap: (ctx: IoContext, client: ClientHandle) => S;
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
   * Takes over a bound, listening `handle`; `wrap` makes the socket of an
   * accepted client handle.
   */
  protected constructor(
    ctx: IoContext,
    typeName: string,
    handle: ServerHandle,
    backlog: number,
    wrap: (ctx: IoContext, client: ClientHandle) => S,
  ) {
    this.context = ctx;
    this.#typeName = typeName;
    this.#handle = handle;
    this.#queueLimit = backlog;
    this.#wrap = wrap;
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
    const aborted = new IoError('operation_aborted');
    for (let op = this.#accepts.shift(); op !== null; op = this.#accepts.shift()) {
      this.context.enqueue(asAccept<S>(op)!.finish(aborted, null));
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
    this.#handle.onconnection = null;
    this.#handle.close();
    for (let client = this.#shiftWaiting(); client !== null; client = this.#shiftWaiting()) client.close();
  }
}

function asAccept<S>(op: Operation | null): AcceptOp<S> | null {
  return op instanceof AcceptOp ? (op as AcceptOp<S>) : null;
}
