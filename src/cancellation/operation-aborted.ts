import { IoError } from '../errors/io-error.js';

/**
 * @internal The one `operation_aborted` error every cancelled wait completes
 * with: cancelling allocates nothing (no new Error, no stack capture). It is
 * frozen, so no handler can alter what the others see.
 */
export const OPERATION_ABORTED: IoError = Object.freeze(new IoError('operation_aborted', 'Operation aborted'));
