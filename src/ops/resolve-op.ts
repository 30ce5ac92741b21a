import type { Allocator } from '../allocation/allocator.js';
import type { Handler } from '../tokens/completion-token.js';
import type { CancellableOpOwner } from './cancellable-op.js';
import { OP_KIND } from './operation-kind.js';
import { ResultOp } from './result-op.js';

/**
 * A pending `asyncResolve`. Completion signature: `(err, endpoints)`, where
 * `E` is the endpoint type and `endpoints` is empty when `err` is set.
 * Cancellable through a slot while pending (terminal, partial and total:
 * the lookup's result is discarded when it arrives).
 *
 * @category Operations (advanced)
 */
export class ResolveOp<E = unknown> extends ResultOp<E[]> {
  /** The port every endpoint gets. */
  port: number;
  /** Bumped by every `init`, so a late lookup result for an earlier use is recognised. */
  sequence: number;

  constructor() {
    super(OP_KIND.resolve, NO_ENDPOINTS as E[]);
    this.port = 0;
    this.sequence = 0;
  }

  /** The endpoints found (empty until the lookup completes, or when `err` is set). */
  get endpoints(): E[] {
    return this.result;
  }

  /**
   * @internal Prepares the op for one lookup whose endpoints all get `port`; `owner`
   * (the resolver) is asked to withdraw it when its cancellation slot fires.
   */
  init(handler: Handler<[E[]]>, port: number, allocator: Allocator, owner: CancellableOpOwner | null = null): this {
    this.prepare(handler, allocator, owner);
    this.port = port;
    this.sequence++;
    return this;
  }

  override reset(): void {
    this.port = 0;
    super.reset();
  }
}

/** The result of a lookup that found nothing, or failed: shared, never written to. */
const NO_ENDPOINTS: readonly unknown[] = Object.freeze([]);
