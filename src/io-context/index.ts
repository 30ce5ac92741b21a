export { IoContext, DRAIN_BUDGET, DRAIN_TIME_SLICE, type IoContextOptions, type IoService } from './io-context.js';
export type { Executor } from './executor.js';
export { IoExecutor } from './io-executor.js';
export { steadyClock, type Clock, type Alarm } from './clock.js';
export { post, dispatch, defer } from './post.js';
export { WorkGuard, makeWorkGuard } from './work-guard.js';
export type { ExecutionContextLike } from './to-executor.js';
