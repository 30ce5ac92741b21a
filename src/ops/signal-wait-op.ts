import { constants } from 'node:os';
import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { OP_KIND } from './operation-kind.js';
import { CancellableOp, type CancellableOpOwner } from './cancellable-op.js';

/**
 * The operation behind `SignalSet.asyncWait`: completion signature
 * `(err: IoError | null, signal: string) => void`. Cancellable through a
 * slot like `WaitOp` (terminal, partial and total alike).
 *
 * @example
 * ```ts
 * const tracking = new TrackingAllocator(undefined, { log: true });
 * const signals = new SignalSet(ctx, 'SIGINT');
 * signals.asyncWait(bindAllocator(tracking, (err: IoError | null, signal: string) => { … }));
 * tracking.events; // ['allocate:SignalWaitOp']; 'deallocate:SignalWaitOp' comes before the handler runs
 * ```
 */
export class SignalWaitOp extends CancellableOp {
  /** The completion handler; `null` while the op is free. */
  handler: Handler<[string]> | null;
  /** `null` when a signal was delivered, `operation_aborted` when the wait was cancelled. */
  err: IoError | null;
  /** The signal name delivered, `''` until one is. */
  signal: string;

  constructor() {
    super(OP_KIND.signalWait);
    this.handler = null;
    this.err = null;
    this.signal = '';
  }

  /**
   * Prepares the op for one wait on `owner` (the signal set), with `handler`
   * and the allocator it goes back to.
   *
   * @example
   * ```ts
   * // What SignalSet.asyncWait does:
   * const allocator = getAssociatedAllocator(handler, ctx.allocator);
   * const op = allocator.allocate(SignalWaitOp).init(handler, allocator, signals);
   * ```
   */
  init(handler: Handler<[string]>, allocator: Allocator, owner: CancellableOpOwner): this {
    this.handler = handler;
    this.allocator = allocator;
    this.err = null;
    this.signal = '';
    this.owner = owner;
    this.slot = null;
    return this;
  }

  override reset(): void {
    this.detach();
    this.handler = null;
    this.err = null;
    this.signal = '';
    this.allocator = null;
    this.next = null;
  }

  override trackingArgs(): string {
    const signo = (constants.signals as Record<string, number | undefined>)[this.signal] ?? 0;
    return `${super.trackingArgs()},signal_number=${String(signo)}`;
  }

  override complete(): void {
    const handler = this.handler!;
    const err = this.err;
    const signal = this.signal;
    const allocator = this.allocator!;
    this.reset();
    // Free before invoking: the handler may start the next operation in this memory.
    this.free(allocator);
    handler(err, signal);
  }
}
