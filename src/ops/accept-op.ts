import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { Operation } from './operation.js';

/**
 * A pending `asyncAccept`. Completion signature: `(err, socket)`; the
 * socket is `S` (a `TcpSocket`), or `null` when `err` is set.
 */
export class AcceptOp<S = unknown> extends Operation {
  handler: Handler<[S]> | null;
  err: IoError | null;
  socket: S | null;

  constructor() {
    super();
    this.handler = null;
    this.err = null;
    this.socket = null;
  }

  init(handler: Handler<[S]>, allocator: Allocator): this {
    this.handler = handler;
    this.err = null;
    this.socket = null;
    this.allocator = allocator;
    return this;
  }

  /** Records the result; the owner then queues the op on its context. */
  finish(err: IoError | null, socket: S | null): this {
    this.err = err;
    this.socket = socket;
    return this;
  }

  override reset(): void {
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
