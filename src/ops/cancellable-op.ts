import type { CancellationHandler, CancellationSlot } from '../cancellation/cancellation-slot.js';
import { ANY_CANCELLATION, type CancellationType } from '../cancellation/cancellation-type.js';
import { asioErrorCode } from '../diagnostics/asio-error-code.js';
import type { IoError } from '../errors/io-error.js';
import { Operation } from './operation.js';

/**
 * @internal The I/O object a pending `CancellableOp` waits in (a socket, an
 * acceptor, a resolver). It decides whether it can withdraw the op for the
 * requested type.
 */
export interface CancellableOpOwner {
  /**
   * Withdraws `op` if it is still pending here and `type` is one the op can
   * honour in its current state; the op is then queued with
   * `operation_aborted`, never invoked inline. Returns whether it did.
   */
  abortOperation(op: Operation, type: CancellationType): boolean;
}

/**
 * @internal The base of the socket-level operations that support per-operation
 * cancellation (connect, accept, read-some, write-some, resolve).
 *
 * The op object itself is the handler it installs in its cancellation slot,
 * so supporting cancellation allocates nothing:
 * 1. `init` records the owner; the owner calls `installSlot(slot)` once the
 *    op is pending (after an immediate completion it does nothing);
 * 2. `detach()` runs when the op stops being pending (`finish`) and in
 *    `reset()`: it leaves the owner and uninstalls the op from its slot,
 *    leaving a newer operation's handler in place;
 * 3. `onCancellation(type)` asks the owner to withdraw the op; the owner
 *    knows which types the op can honour where it is (a write Node already
 *    holds honours only terminal).
 */
export abstract class CancellableOp extends Operation implements CancellationHandler {
  // Set in the constructor, not by initializers, for the speed of construction (see Operation).
  /** @internal The object the op is pending in; `null` once it completed. */
  declare owner: CancellableOpOwner | null;
  /** @internal The slot the op is installed in, if any. */
  declare slot: CancellationSlot | null;
  /** The error the handler gets; each subclass declares and clears it. */
  abstract err: IoError | null;

  /** @param kind the op's index in `OPERATION_KINDS`, passed on to `Operation`. */
  constructor(kind?: number) {
    super(kind);
    this.owner = null;
    this.slot = null;
  }

  /** @internal Installs this op as `slot`'s handler, if it is still pending. */
  installSlot(slot: CancellationSlot): void {
    if (this.owner === null) return;
    this.slot = slot;
    slot.assign(this);
  }

  /** @internal Leaves the owner and the slot: the op is no longer cancellable. */
  detach(): void {
    this.owner = null;
    const slot = this.slot;
    if (slot !== null) {
      this.slot = null;
      slot.clearIf(this);
    }
  }

  /** Handler tracking's `>n` arguments: the error as asio writes it (subclasses append their results). */
  override trackingArgs(): string {
    return `ec=${asioErrorCode(this.err)}`;
  }

  /** @internal Asks the owner to withdraw the op: the slot it is installed in fired. */
  onCancellation(type: CancellationType): void {
    if ((type & ANY_CANCELLATION) !== 0) this.owner?.abortOperation(this, type);
  }
}
