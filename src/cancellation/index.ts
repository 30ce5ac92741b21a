export { CancellationType } from './cancellation-type.js';
export { CancellationSlot, type CancellationHandler, type CancellationHandlerFunction } from './cancellation-slot.js';
export { CancellationSignal } from './cancellation-signal.js';
export { bindAbortSignal, withAbortSignal } from './abort-signal.js';
export { cancelAfter, cancelAt } from './cancel-after.js';
