export { DynamicBuffer, DEFAULT_DYNAMIC_BUFFER_MAX_SIZE } from './dynamic-buffer.js';
export {
  asyncWrite,
  asyncRead,
  asyncReadUntil,
  transferAll,
  transferAtLeast,
  transferExactly,
  DEFAULT_MAX_TRANSFER,
  type AsyncReadStream,
  type AsyncWriteStream,
  type CompletionCondition,
} from './composed.js';
export { asyncCompose } from './async-compose.js';
export type { ComposeSelf, ComposeStep, ComposeImplementation } from '../ops/compose-op.js';
