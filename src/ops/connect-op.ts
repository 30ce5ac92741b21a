import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { OP_KIND } from './operation-kind.js';
import { CancellableOp, type CancellableOpOwner } from './cancellable-op.js';

/**
 * A pending `asyncConnect`. Completion signature: `(err)`. Cancellable
 * through a slot while pending (terminal, partial and total: the attempt is
 * abandoned and the socket is left open and unconnected).
 *
 * @example
 * ```ts
 * const memory = new HandlerAllocator();
 * socket.asyncConnect({ host: '127.0.0.1', port: 5555 }, bindAllocator(memory, (err: IoError | null) => { … }));
 * memory.stats().byKind.connect?.live; // 1 until the connect completes
 * ```
 */
export class ConnectOp extends CancellableOp {
  /** The completion handler; `null` while the op is free. */
  handler: Handler | null;
  /** The error the handler gets: `null` once connected. */
  err: IoError | null;

  constructor() {
    super(OP_KIND.connect);
    this.handler = null;
    this.err = null;
  }

  /**
   * Prepares the op for one connect; `owner` (the socket) is asked to
   * withdraw it when its cancellation slot fires.
   *
   * @example
   * ```ts
   * // What TcpSocket.asyncConnect does:
   * const allocator = getAssociatedAllocator(handler, ctx.allocator);
   * const op = allocator.allocate(ConnectOp).init(handler, allocator, socket);
   * ```
   */
  init(handler: Handler, allocator: Allocator, owner: CancellableOpOwner | null = null): this {
    this.owner = owner;
    this.slot = null;
    this.handler = handler;
    this.err = null;
    this.allocator = allocator;
    return this;
  }

  /**
   * Records the result; the owner then queues the op on its context.
   *
   * @example
   * ```ts
   * const op = allocator.allocate(ConnectOp).init(handler, allocator);
   * op.finish(new IoError('connection_refused'));
   * op.complete(); // op back in `allocator` first, then handler(err)
   * ```
   */
  finish(err: IoError | null): this {
    this.detach();
    this.err = err;
    return this;
  }

  override reset(): void {
    this.detach();
    this.handler = null;
    this.err = null;
    this.allocator = null;
    this.next = null;
  }

  override complete(): void {
    const handler = this.handler!;
    const err = this.err;
    const allocator = this.allocator!;
    this.reset();
    // Free before invoking: the handler may start the next operation in this memory.
    this.free(allocator);
    handler(err);
  }
}
