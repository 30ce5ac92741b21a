import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { CancellableOp, type CancellableOpOwner } from './cancellable-op.js';

/**
 * A pending `asyncAccept`. Completion signature: `(err, socket)`; the
 * socket is `S` (a `TcpSocket`), or `null` when `err` is set. Cancellable
 * through a slot while pending (terminal, partial and total: a connection
 * that arrives later waits for the next accept).
 */
export class AcceptOp<S = unknown> extends CancellableOp {
  handler: Handler<[S]> | null;
  err: IoError | null;
  socket: S | null;

  constructor() {
    super();
    this.handler = null;
    this.err = null;
    this.socket = null;
  }

  init(handler: Handler<[S]>, allocator: Allocator, owner: CancellableOpOwner | null = null): this {
    this.owner = owner;
    this.slot = null;
    this.handler = handler;
    this.err = null;
    this.socket = null;
    this.allocator = allocator;
    return this;
  }

  /** Records the result; the owner then queues the op on its context. */
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
    allocator.deallocate(this);
    handler(err, socket);
  }
}
