import type { Allocator } from '../allocation/allocator.js';
import { associatedAllocator, associatedCancellationSlot, associatedExecutor, getAssociated } from './associate.js';

/**
 * @internal The allocator `handler` carries (property or `getAllocator()`),
 * or `undefined` when it carries none.
 */
export function carriedAllocator(handler: unknown): Allocator | undefined {
  const allocator = getAssociated(handler, associatedAllocator);
  if (allocator !== undefined) return allocator as Allocator;
  const getAllocator = (handler as { getAllocator?: unknown } | null)?.getAllocator;
  if (typeof getAllocator === 'function') return (getAllocator as () => Allocator).call(handler);
  return undefined;
}

/**
 * @internal Copies the associations of `from` (allocator, executor,
 * cancellation slot) onto the wrapper `to`, so wrapping a handler does not
 * lose what it carries.
 */
export function carryAssociations(from: unknown, to: object): void {
  const allocator = carriedAllocator(from);
  if (allocator !== undefined) Object.defineProperty(to, associatedAllocator, { value: allocator, configurable: true });
  const executor = getAssociated(from, associatedExecutor);
  if (executor !== undefined) Object.defineProperty(to, associatedExecutor, { value: executor, configurable: true });
  const slot = getAssociated(from, associatedCancellationSlot);
  if (slot !== undefined) Object.defineProperty(to, associatedCancellationSlot, { value: slot, configurable: true });
}
