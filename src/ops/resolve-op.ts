import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { OP_KIND } from './operation-kind.js';
import { CancellableOp, type CancellableOpOwner } from './cancellable-op.js';

/**
 * A pending `asyncResolve`. Completion signature: `(err, endpoints)`, where
 * `E` is the endpoint type and `endpoints` is empty when `err` is set.
 * Cancellable through a slot while pending (terminal, partial and total:
 * the lookup's result is discarded when it arrives).
 *
 * @example
 * ```ts
 * const tracking = new TrackingAllocator();
 * const resolver = new Resolver(ctx);
 * resolver.asyncResolve('localhost', 80, bindAllocator(tracking, (err: IoError | null, endpoints: Endpoint[]) => {
 *   tracking.live; // 0: the ResolveOp was freed before this handler ran
 * }));
 * ```
 */
export class ResolveOp<E = unknown> extends CancellableOp {
  /** The completion handler; `null` while the op is free. */
  handler: Handler<[E[]]> | null;
  /** The error the handler gets: `null` on success, `host_not_found` for an unknown name. */
  err: IoError | null;
  /** The endpoints found, `null` until the lookup completes or when `err` is set. */
  endpoints: E[] | null;
  /** The port every endpoint gets. */
  port: number;
  /** Bumped by every `init`, so a late lookup result for an earlier use is recognised. */
  sequence: number;

  constructor() {
    super(OP_KIND.resolve);
    this.handler = null;
    this.err = null;
    this.endpoints = null;
    this.port = 0;
    this.sequence = 0;
  }

  /**
   * Prepares the op for one lookup whose endpoints all get `port`; `owner`
   * (the resolver) is asked to withdraw it when its cancellation slot fires.
   *
   * @example
   * ```ts
   * // What Resolver.asyncResolve does:
   * const allocator = getAssociatedAllocator(handler, ctx.allocator);
   * const op = allocator.allocate(ResolveOp<Endpoint>).init(handler, 443, allocator, resolver);
   * ```
   */
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

  /**
   * Records the result; the owner then queues the op on its context.
   *
   * @example
   * ```ts
   * const op = allocator.allocate(ResolveOp<Endpoint>).init(handler, 80, allocator);
   * op.finish(null, [{ address: '127.0.0.1', port: op.port, family: 'IPv4' }]);
   * op.complete(); // op back in `allocator` first, then handler(null, endpoints)
   * ```
   */
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
    this.free(allocator);
    handler(err, endpoints);
  }
}
