export { Operation, type OpClass } from './operation.js';
export { OpQueue } from './op-queue.js';
export { PostOp } from './post-op.js';
export { WaitOp } from './wait-op.js';
export { SignalWaitOp } from './signal-wait-op.js';
