import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { CancellableOp, type CancellableOpOwner } from './cancellable-op.js';

/**
 * A pending `asyncResolve`. Completion signature: `(err, endpoints)`, where
 * `E` is the endpoint type and `endpoints` is empty when `err` is set.
 * Cancellable through a slot while pending (terminal, partial and total:
 * the lookup's result is discarded when it arrives).
 */
export class ResolveOp<E = unknown> extends CancellableOp {
  handler: Handler<[E[]]> | null;
  err: IoError | null;
  endpoints: E[] | null;
  /** The port every endpoint gets. */
  port: number;
  /** Bumped by every `init`, so a late lookup result for an earlier use is recognised. */
  sequence: number;

  constructor() {
    super();
    this.handler = null;
    this.err = null;
    this.endpoints = null;
    this.port = 0;
    this.sequence = 0;
  }

  init(handler: Handler<[E[]]>, port: number, allocator: Allocator, owner: CancellableOpOwner | null = null): this {
    this.owner = owner;
    this.slot = null;
    this.handler = handler;
    this.err = null;
    this.endpoints = null;
    this.port = port;
    this.sequence++;
    this.allocator = allocator;
    return this;
  }

  /** Records the result; the owner then queues the op on its context. */
  finish(err: IoError | null, endpoints: E[] | null): this {
    this.detach();
    this.err = err;
    this.endpoints = endpoints;
    return this;
  }

  override reset(): void {
    this.detach();
    this.handler = null;
    this.err = null;
    this.endpoints = null;
    this.port = 0;
    this.allocator = null;
    this.next = null;
  }

  override complete(): void {
    const handler = this.handler!;
    const err = this.err;
    const endpoints = this.endpoints ?? [];
    const allocator = this.allocator!;
    this.reset();
    // Free before invoking: the handler may start the next operation in this memory.
    allocator.deallocate(this);
    handler(err, endpoints);
  }
}
