import { constants } from 'node:os';
import type { Allocator } from '../allocation/allocator.js';
import type { Handler } from '../tokens/completion-token.js';
import type { CancellableOpOwner } from './cancellable-op.js';
import { OP_KIND } from './operation-kind.js';
import { ResultOp } from './result-op.js';

/**
 * The operation behind `SignalSet.asyncWait`: completion signature
 * `(err: IoError | null, signal: string) => void`. Cancellable through a
 * slot like `WaitOp` (terminal, partial and total alike).
 *
 * @category Operations (advanced)
 */
export class SignalWaitOp extends ResultOp<string> {
  constructor() {
    super(OP_KIND.signalWait, '');
  }

  /** The signal that arrived (`''` until one does). */
  get signal(): string {
    return this.result;
  }

  /**
   * @internal Prepares the op for one wait; `owner` (the signal set) is asked to
   * withdraw it when its cancellation slot fires.
   */
  init(handler: Handler<[string]>, allocator: Allocator, owner: CancellableOpOwner): this {
    this.prepare(handler, allocator, owner);
    return this;
  }

  override trackingArgs(): string {
    const signo = (constants.signals as Record<string, number | undefined>)[this.result] ?? 0;
    return `${super.trackingArgs()},signal_number=${String(signo)}`;
  }
}
