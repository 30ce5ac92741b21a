import type { Allocator } from '../allocation/allocator.js';
import { associatedAllocator, associatedCancellationSlot } from '../associations/associate.js';
import type { CancellationSlot } from '../cancellation/cancellation-slot.js';
import type { Operation } from './operation.js';

/**
 * @internal The property under which an intermediate handler of a composed
 * operation names the operation that owns it. Destroying an operation
 * destroys its handler (as in asio), so an op destroyed while it holds such a
 * handler (context shutdown) destroys the composed operation too.
 */
export const handlerOwner: unique symbol = Symbol('proactor.handlerOwner');

/** @internal Destroys the composed operation `handler` belongs to, if any. */
export function destroyOwnedHandler(handler: unknown): void {
  if (typeof handler !== 'function') return;
  const owner = (handler as { [handlerOwner]?: Operation })[handlerOwner];
  if (owner !== undefined && owner.allocator !== null) owner.destroy();
}

/**
 * @internal Makes the intermediate handler of composed operation `op`, once,
 * when the op object is constructed: it carries `op`'s current allocator (so
 * every intermediate operation is allocated where the final handler's
 * allocator says), the cancellation slot `innerSlot()` names at the time
 * (so a cancellation request reaches the step in progress), and names `op`
 * as its owner. No allocation per step.
 */
export function makeStepHandler<F extends (...args: never[]) => void>(
  op: Operation,
  step: F,
  innerSlot?: () => CancellationSlot | undefined,
): F {
  Object.defineProperty(step, associatedAllocator, {
    get: (): Allocator | undefined => op.allocator ?? undefined,
  });
  if (innerSlot !== undefined) Object.defineProperty(step, associatedCancellationSlot, { get: innerSlot });
  Object.defineProperty(step, handlerOwner, { value: op });
  return step;
}
