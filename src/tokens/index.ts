export type {
  Handler,
  NullaryToken,
  Initiation,
  TokenAdapter,
  UsePromise,
  AsTuple,
  Detached,
  WrappedToken,
  Deferred,
  DeferredOperation,
  CompletionToken,
  CompletionResult,
  PromiseValue,
} from './completion-token.js';
export { asyncInitiate } from './async-initiate.js';
export { usePromise } from './use-promise.js';
export { asTuple } from './as-tuple.js';
export { detached } from './detached.js';
export { deferred } from './deferred.js';
