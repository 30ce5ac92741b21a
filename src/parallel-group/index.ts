export { ParallelGroup, makeParallelGroup, type AnyDeferredOperation, type MemberResult, type ParallelGroupResults } from './parallel-group.js';
export { waitForAll, waitForOne, waitForOneSuccess, waitForOneError, type ParallelGroupCondition } from './wait-conditions.js';
