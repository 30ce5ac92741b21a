import { IoContext } from '../io-context/io-context.js';
import { Operation } from '../ops/operation.js';
import type { CancellationHandler, CancellationHandlerFunction } from './cancellation-slot.js';

/**
 * @internal The context of the operation that just installed `handler` in a
 * slot: the one that started it (every runtime op is counted by its context
 * before it installs itself), or a `context` the handler names. `null` when
 * neither is known (a hand-written handler function).
 */
export function operationContext(handler: CancellationHandler | CancellationHandlerFunction): IoContext | null {
  if (handler instanceof Operation) {
    const observer = handler.observer;
    if (observer instanceof IoContext) return observer;
  }
  const named = (handler as { context?: unknown }).context;
  return named instanceof IoContext ? named : null;
}
