import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { OP_KIND } from './operation-kind.js';
import { CancellableOp, type CancellableOpOwner } from './cancellable-op.js';

/**
 * A pending `asyncAccept`. Completion signature: `(err, socket)`; the
 * socket is `S` (a `TcpSocket`), or `null` when `err` is set. Cancellable
 * through a slot while pending (terminal, partial and total: a connection
 * that arrives later waits for the next accept).
 *
 * @example
 * ```ts
 * const memory = new HandlerAllocator();
 * const onAccept = makeCustomAllocHandler(memory, (err: IoError | null, socket: TcpSocket) => {
 *   if (err) return;
 *   startSession(socket);
 *   acceptor.asyncAccept(onAccept); // reuses the AcceptOp freed just before this handler ran
 * });
 * acceptor.asyncAccept(onAccept);
 * ```
 */
export class AcceptOp<S = unknown> extends CancellableOp {
  /** The completion handler; `null` while the op is free. */
  handler: Handler<[S]> | null;
  /** The error the handler gets: `null` when a connection was accepted. */
  err: IoError | null;
  /** The accepted socket, `null` when `err` is set. */
  socket: S | null;

  constructor() {
    super(OP_KIND.accept);
    this.handler = null;
    this.err = null;
    this.socket = null;
  }

  /**
   * Prepares the op for one accept; `owner` (the acceptor) is asked to
   * withdraw it when its cancellation slot fires.
   *
   * @example
   * ```ts
   * // What TcpAcceptor.asyncAccept does:
   * const allocator = getAssociatedAllocator(handler, ctx.allocator);
   * const op = allocator.allocate(AcceptOp<TcpSocket>).init(handler, allocator, acceptor);
   * ```
   */
  init(handler: Handler<[S]>, allocator: Allocator, owner: CancellableOpOwner | null = null): this {
    this.owner = owner;
    this.slot = null;
    this.handler = handler;
    this.err = null;
    this.socket = null;
    this.allocator = allocator;
    return this;
  }

  /**
   * Records the result; the owner then queues the op on its context.
   *
   * @example
   * ```ts
   * const op = allocator.allocate(AcceptOp<TcpSocket>).init(handler, allocator);
   * op.finish(null, socket);
   * op.complete(); // op back in `allocator` first, then handler(null, socket)
   * ```
   */
  finish(err: IoError | null, socket: S | null): this {
    this.detach();
    this.err = err;
    this.socket = socket;
    return this;
  }

  override reset(): void {
    this.detach();
    this.handler = null;
    this.err = null;
    this.socket = null;
    this.allocator = null;
    this.next = null;
  }

  override complete(): void {
    const handler = this.handler!;
    const err = this.err;
    const socket = this.socket as S;
    const allocator = this.allocator!;
    this.reset();
    // Free before invoking: the handler may start the next operation in this memory.
    this.free(allocator);
    handler(err, socket);
  }
}
