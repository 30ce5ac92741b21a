import { IoError } from './io-error.js';

/**
 * @internal The one `eof` error every stream whose peer finished sending
 * reports: a connection that ends makes no new Error (no stack capture,
 * which costs more than the rest of a close). Frozen, as `OPERATION_ABORTED`,
 * so no handler can alter what the others see.
 */
export const END_OF_STREAM: IoError = Object.freeze(new IoError('eof'));
