import { associate, associatedCancellationSlot, getAssociated } from './associate.js';
import { CancellationSlot } from '../cancellation/cancellation-slot.js';

/**
 * Binds `slot` to `handler` once: the returned handler is called exactly
 * like `handler`, and an operation started with it installs its cancellation
 * handler in `slot`, so `signal.emit(type)` cancels that operation. No
 * per-call allocation (a bound function).
 *
 * @typeParam F - the handler's type, which the result keeps. Inferred from
 * the operation the result is passed to, so an unannotated `(err, n) => …`
 * gets that operation's completion signature, also through nested helpers.
 * @example
 * ```ts
 * const cancel = new CancellationSignal();
 * timer.asyncWait(bindCancellationSlot(cancel.slot(), (err: IoError | null) => { … }));
 * ```
 *
 * @category Cancellation
 */
export function bindCancellationSlot<F>(slot: CancellationSlot, handler: F & CallableFunction): F {
  if (!(slot instanceof CancellationSlot)) throw new TypeError('bindCancellationSlot: the first argument must be a CancellationSlot');
  return associate(handler, associatedCancellationSlot, slot);
}

/**
 * The connected cancellation slot `handler` carries, or `null`. Operations
 * that support cancellation call this once at initiation.
 *
 * @example
 * ```ts
 * const cancel = new CancellationSignal();
 * const h = bindCancellationSlot(cancel.slot(), () => undefined);
 * getAssociatedCancellationSlot(h) === cancel.slot(); // true
 * getAssociatedCancellationSlot(() => undefined);      // null
 * ```
 *
 * @category Cancellation
 */
export function getAssociatedCancellationSlot(handler: unknown): CancellationSlot | null {
  const slot = getAssociated(handler, associatedCancellationSlot);
  return slot instanceof CancellationSlot && slot.isConnected() ? slot : null;
}
