export { Strand } from './strand.js';
export { bindExecutor, getAssociatedExecutor } from './bind-executor.js';
