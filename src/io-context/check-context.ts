import type { IoContext } from './io-context.js';
import { describeValue } from '../errors/describe-value.js';

/** @internal Throws a TypeError naming `what` unless `ctx` is an IoContext (an object that completes I/O). */
export function checkIoContext(ctx: unknown, what: string): asserts ctx is IoContext {
  if (typeof ctx !== 'object' || ctx === null || typeof (ctx as Partial<IoContext>).completeFromIo !== 'function') {
    throw new TypeError(`${what}: the first argument must be an IoContext, got ${describeValue(ctx)}`);
  }
}
