import { BroadcastChannel, MessagePort, type Transferable } from 'node:worker_threads';
import { getAssociatedAllocator } from '../associations/associate.js';
import { getAssociatedCancellationSlot } from '../associations/bind-cancellation-slot.js';
import type { CancellationType } from '../cancellation/cancellation-type.js';
import { OPERATION_ABORTED } from '../cancellation/operation-aborted.js';
import { describeValue } from '../errors/describe-value.js';
import { IoError } from '../errors/io-error.js';
import { checkIoContext } from '../io-context/check-context.js';
import type { IoContext, IoService } from '../io-context/io-context.js';
import type { CancellableOpOwner } from '../ops/cancellable-op.js';
import { OpQueue } from '../ops/op-queue.js';
import type { Operation } from '../ops/operation.js';
import { ThreadReceiveOp } from '../ops/thread-receive-op.js';
import { asyncInitiate } from '../tokens/async-initiate.js';
import type { CompletionResult, CompletionToken, Handler } from '../tokens/completion-token.js';

/**
 * What a `ThreadInbox` receives on: one end of a `MessageChannel` (the other
 * end goes to another thread in `workerData` or a message's transfer list),
 * a worker's `parentPort`, or a `BroadcastChannel` (every other channel of
 * the same name, in any thread, hears what one posts).
 *
 * @example
 * ```ts
 * const { port1, port2 } = new MessageChannel();
 * const worker = new Worker(url, { workerData: { port: port2 }, transferList: [port2] });
 * const inbox = new ThreadInbox(ctx, port1 satisfies ThreadEndpoint);
 * ```
 *
 * @category Channels
 */
export type ThreadEndpoint = MessagePort | BroadcastChannel;

/** Shared, frozen errors: a peer's close or a bad message allocates no error per operation. */
const PEER_CLOSED: IoError = Object.freeze(new IoError('eof', 'ThreadInbox: the other end of the port was closed (its thread may have exited)'));
const UNREADABLE: IoError = Object.freeze(new IoError('invalid_argument', 'ThreadInbox: a message could not be deserialized in this thread'));

interface MessageLike {
  readonly data: unknown;
}

/** Both endpoint kinds are event targets delivering `MessageEvent`s. */
interface MessageTarget {
  addEventListener(type: string, listener: (event: MessageLike) => void): void;
  removeEventListener(type: string, listener: (event: MessageLike) => void): void;
}

function initiateReceive(handler: Handler<[unknown]>, inbox: ThreadInbox): void {
  inbox.startReceive(handler);
}

/**
 * Work handed between contexts on different threads: `asyncReceive`
 * completes on this inbox's `IoContext` when another thread posts data to
 * the endpoint's other side (`postMessage`, or `send` on that side's
 * inbox). Built on Node's `MessagePort` and `BroadcastChannel`, so a
 * server with a context per thread can fan messages out (chat, pub/sub,
 * shutdown requests, statistics back to the main thread).
 *
 * What can cross is data: whatever the structured clone algorithm copies
 * (numbers, strings, plain objects and arrays, `Map`, `Set`, `Date`,
 * typed arrays, `ArrayBuffer` and `MessagePort`s moved with a transfer
 * list). Handlers, closures, class instances' methods, sockets, acceptors
 * and contexts do not: each belongs to its thread's event loop, and Node
 * cannot move a socket between threads (send the bytes, not the socket).
 * `send` refuses what cannot be cloned with a `TypeError`.
 *
 * - Messages that arrive with no receive pending wait here, in order.
 * - Handlers run on this inbox's context, never inside `asyncReceive` or
 *   `send`, and never on the sending thread.
 * - A pending receive is outstanding work and keeps the thread's event loop
 *   alive; an inbox with no receive pending does not (the endpoint is
 *   unreferenced), so a thread whose context has nothing left to do exits.
 * - When the other end of a `MessagePort` closes (or its thread exits),
 *   receives complete with `eof` once the waiting messages are taken.
 * - A pending receive is cancellable through its slot (terminal, partial
 *   and total alike: it has taken nothing yet), with `operation_aborted`;
 *   `cancel()` aborts every pending receive; `close()` also closes the
 *   endpoint and drops waiting messages; later receives fail with
 *   `bad_descriptor`. `ctx.shutdown()` destroys the pending receives.
 *
 * Cost: each `asyncReceive` allocates its op from the handler's allocator
 * (recycled); the message itself is Node's copy, made when it was posted.
 *
 * @example
 * ```ts
 * // The main thread: one context, one inbox per worker thread.
 * const { port1, port2 } = new MessageChannel();
 * new Worker(new URL('./worker.js', import.meta.url), { workerData: { port: port2 }, transferList: [port2] });
 * const inbox = new ThreadInbox(ctx, port1);
 * inbox.asyncReceive((err, report) => {
 *   if (!err) console.log('the worker says', report); // completes on ctx, in this thread
 * });
 * inbox.send({ type: 'stop' }); // data crosses; a handler would not
 * await ctx.run();
 * ```
 *
 * @category Channels
 */
export class ThreadInbox implements CancellableOpOwner {
  /** The context whose run loop invokes this inbox's handlers. */
  readonly context: IoContext;
  readonly #endpoint: ThreadEndpoint;
  readonly #receives = new OpQueue();
  /** Messages that arrived with no receive pending, oldest at `#head`. */
  readonly #waiting: unknown[] = [];
  #head = 0;
  /** The peer closed the port: receives get `eof` once `#waiting` is drained. */
  #ended = false;
  #open = true;
  #referenced = false;

  readonly #service: IoService = {
    shutdown: (): void => {
      for (let op = this.#receives.shift(); op !== null; op = this.#receives.shift()) op.destroy();
      this.#detach();
    },
  };

  readonly #onMessage = (event: MessageLike): void => {
    const op = this.#receives.shift() as ThreadReceiveOp | null;
    if (op !== null) {
      this.context.completeFromIo(op.finish(null, event.data));
      this.#updateRef();
    } else {
      this.#waiting.push(event.data);
    }
  };

  readonly #onMessageError = (): void => {
    const op = this.#receives.shift() as ThreadReceiveOp | null;
    if (op !== null) {
      this.context.completeFromIo(op.fail(UNREADABLE));
      this.#updateRef();
    }
  };

  readonly #onClose = (): void => {
    this.#ended = true;
    for (let op = this.#receives.shift() as ThreadReceiveOp | null; op !== null; op = this.#receives.shift() as ThreadReceiveOp | null) {
      this.context.completeFromIo(op.fail(PEER_CLOSED));
    }
    this.#updateRef();
  };

  /**
   * Receives on `endpoint` for `ctx`; the inbox owns the endpoint from now on (`close()` closes it).
   *
   * @example
   * ```ts
   * import { parentPort } from 'node:worker_threads';
   * const inbox = new ThreadInbox(ctx, parentPort!); // in a worker thread: what the main thread posts to the Worker
   * ```
   */
  constructor(ctx: IoContext, endpoint: ThreadEndpoint) {
    checkIoContext(ctx, 'ThreadInbox');
    if (!(endpoint instanceof MessagePort) && !(endpoint instanceof BroadcastChannel)) {
      throw new TypeError(`ThreadInbox: endpoint must be a MessagePort or a BroadcastChannel, got ${describeValue(endpoint)}`);
    }
    this.context = ctx;
    this.#endpoint = endpoint;
    const target = endpoint as unknown as MessageTarget;
    target.addEventListener('message', this.#onMessage);
    target.addEventListener('messageerror', this.#onMessageError);
    if (endpoint instanceof MessagePort) endpoint.on('close', this.#onClose);
    this.#referenced = true; // a message listener references the endpoint
    this.#updateRef();
    ctx.addService(this.#service);
  }

  /**
   * Whether the inbox is open (`close()` has not been called).
   *
   * @example
   * ```ts
   * inbox.close();
   * inbox.isOpen(); // false
   * ```
   */
  isOpen(): boolean {
    return this.#open;
  }

  /**
   * Receives the next message another thread posted. Completion signature:
   * `(err, value)`: `value` is the structured clone of what was posted;
   * `eof` once the other end of a `MessagePort` has closed and every
   * message before it was taken, `operation_aborted` when cancelled or
   * closed meanwhile, `bad_descriptor` on a closed inbox, `invalid_argument`
   * for a message this thread could not deserialize. Receives complete in
   * the order they started, each with one message.
   *
   * @example
   * ```ts
   * const onMessage = (err: IoError | null, message: unknown): void => {
   *   if (err) return; // eof: the other thread has gone
   *   for (const session of sessions) session.deliver(message as string);
   *   inbox.asyncReceive(onMessage);
   * };
   * inbox.asyncReceive(onMessage);
   * ```
   */
  asyncReceive<T extends CompletionToken<[unknown]>>(token: T): CompletionResult<T, [unknown]> {
    return asyncInitiate<[unknown], T, ThreadInbox>(initiateReceive, token, this);
  }

  /** @internal The initiation behind `asyncReceive`. */
  startReceive(handler: Handler<[unknown]>): void {
    const ctx = this.context;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(ThreadReceiveOp).init(handler, allocator, this);
    ctx.startOperation(op, 'thread_inbox', this, 'async_receive');
    if (!this.#open) {
      ctx.enqueue(op.fail(new IoError('bad_descriptor', 'ThreadInbox.asyncReceive: the inbox is closed')));
      return;
    }
    if (this.#head < this.#waiting.length && this.#receives.isEmpty()) {
      ctx.enqueue(op.finish(null, this.#shiftWaiting()));
      return;
    }
    if (this.#ended) {
      ctx.enqueue(op.fail(PEER_CLOSED));
      return;
    }
    this.#receives.push(op);
    const slot = getAssociatedCancellationSlot(handler);
    if (slot !== null) op.installSlot(slot);
    this.#updateRef();
  }

  /**
   * Posts `value` to the other side: the other end of the `MessagePort`, or
   * every other `BroadcastChannel` of this name. `transfer` moves
   * `ArrayBuffer`s and `MessagePort`s instead of copying them (a port only;
   * a `BroadcastChannel` copies). Throws a `TypeError` for what cannot
   * cross (a function, a socket, an object with methods), and `IoError`
   * `bad_descriptor` once closed.
   *
   * @example
   * ```ts
   * inbox.send({ room: 'lobby', text: 'hello' }); // data: copied to the other thread
   * inbox.send(() => 1);                          // TypeError: functions do not cross threads
   * ```
   */
  send(value: unknown, transfer?: readonly Transferable[]): void {
    if (!this.#open) throw new IoError('bad_descriptor', 'ThreadInbox.send: the inbox is closed');
    try {
      if (this.#endpoint instanceof MessagePort) this.#endpoint.postMessage(value, transfer);
      else this.#endpoint.postMessage(value);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new TypeError(`ThreadInbox.send: ${describeValue(value)} cannot cross to another thread (${reason}); send data, not handlers or sockets`, {
        cause: error,
      });
    }
  }

  /**
   * Withdraws one pending receive with `operation_aborted`, queued (the
   * per-operation cancellation path; every type is honoured). Returns false
   * when `op` is not pending here.
   * @internal
   */
  abortOperation(op: Operation, _type: CancellationType): boolean {
    if (!(op instanceof ThreadReceiveOp) || !this.#receives.remove(op)) return false;
    this.context.enqueue(op.fail(OPERATION_ABORTED));
    this.#updateRef();
    return true;
  }

  /**
   * Aborts every pending receive with `operation_aborted` (queued); the
   * inbox stays open and waiting messages stay. Returns how many.
   *
   * @example
   * ```ts
   * inbox.asyncReceive((err) => {
   *   if (err?.code === 'operation_aborted') console.log('stopped listening to the other threads');
   * });
   * inbox.cancel(); // 1
   * ```
   */
  cancel(): number {
    let n = 0;
    for (let op = this.#receives.shift() as ThreadReceiveOp | null; op !== null; op = this.#receives.shift() as ThreadReceiveOp | null) {
      this.context.enqueue(op.fail(OPERATION_ABORTED));
      n++;
    }
    this.#updateRef();
    return n;
  }

  /**
   * Closes the inbox and its endpoint: pending receives complete with
   * `operation_aborted`, waiting messages are dropped, and the other end of
   * a `MessagePort` sees it closed (its receives get `eof`). Closing twice
   * does nothing.
   *
   * @example
   * ```ts
   * inbox.close(); // a thread's last close: its event loop can end
   * ```
   */
  close(): void {
    if (!this.#open) return;
    this.cancel();
    this.#detach();
    this.context.removeService(this.#service);
  }

  /**
   * Closes the inbox when a `using` declaration goes out of scope: `[Symbol.dispose]()` is `close()`.
   *
   * @example
   * ```ts
   * using inbox = new ThreadInbox(ctx, port);
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  #shiftWaiting(): unknown {
    const waiting = this.#waiting;
    const value = waiting[this.#head];
    waiting[this.#head++] = undefined;
    if (this.#head === waiting.length) {
      waiting.length = 0;
      this.#head = 0;
    }
    return value;
  }

  /** A pending receive keeps the thread alive; an idle inbox must not, or a finished thread would never exit. */
  #updateRef(): void {
    const wanted = this.#open && !this.#receives.isEmpty();
    if (wanted === this.#referenced) return;
    this.#referenced = wanted;
    if (wanted) this.#endpoint.ref();
    else this.#endpoint.unref();
  }

  #detach(): void {
    this.#open = false;
    this.#waiting.length = 0;
    this.#head = 0;
    const target = this.#endpoint as unknown as MessageTarget;
    target.removeEventListener('message', this.#onMessage);
    target.removeEventListener('messageerror', this.#onMessageError);
    if (this.#endpoint instanceof MessagePort) this.#endpoint.off('close', this.#onClose);
    this.#endpoint.close();
  }
}
