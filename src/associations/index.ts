export {
  associatedAllocator,
  associatedExecutor,
  associatedCancellationSlot,
  getAssociatedAllocator,
  bindAllocator,
  makeCustomAllocHandler,
  type AllocatorCarrier,
} from './associate.js';
export { bindCancellationSlot, getAssociatedCancellationSlot } from './bind-cancellation-slot.js';
export { bindExecutor, getAssociatedExecutor } from './bind-executor.js';
