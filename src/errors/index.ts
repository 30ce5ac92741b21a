export { IoError, type IoErrorCode, type IoErrorDetails } from './io-error.js';
export { fromNodeError } from './from-node-error.js';
