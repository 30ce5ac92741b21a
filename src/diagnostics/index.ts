export { CHANNELS, type AllocationStatsMessage, type TransportFallbackMessage } from './channels.js';
export type { HandlerTrackingSink } from './handler-tracker.js';
export { formatAllocationStats } from './format-allocation-stats.js';
export {
  parseHandlerTrace,
  type HandlerTrace,
  type TracedHandler,
  type HandlerTraceEdge,
  type TraceOperation,
  type HandlerState,
} from './handler-trace.js';
export { handlerTrackingToDot, handlerTraceToDot } from './handlerviz.js';
