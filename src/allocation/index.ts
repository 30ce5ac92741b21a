export type { Allocator, AllocationCounts, AllocatorStats, InstrumentedAllocator } from './allocator.js';
export { NewAllocator, defaultAllocator } from './new-allocator.js';
export { HandlerAllocator, HANDLER_ALLOCATOR_SLOTS } from './handler-allocator.js';
export { RecyclingAllocator, RECYCLING_ALLOCATOR_CAPACITY } from './recycling-allocator.js';
export { TrackingAllocator, type TrackingAllocatorOptions } from './tracking-allocator.js';
