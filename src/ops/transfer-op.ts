import { ResultOp } from './result-op.js';

/**
 * The base of `ReadSomeOp` and `WriteSomeOp`: a socket operation that moves
 * bytes and completes with `(err, n)`, the number of bytes transferred.
 * It holds the handler and the result; each subclass adds its buffers.
 *
 * @example
 * ```ts
 * const op = allocator.allocate(ReadSomeOp).init(handler, buf, allocator);
 * op.finish(null, 5); // a TransferOp's result: (err, bytes)
 * op.complete();      // freed first, then handler(null, 5)
 * ```
 */
export abstract class TransferOp extends ResultOp<number> {
  protected constructor(kind: number) {
    super(kind, 0);
  }

  /** How many bytes were transferred (the result). */
  get bytes(): number {
    return this.result;
  }

  override trackingArgs(): string {
    return `${super.trackingArgs()},bytes_transferred=${String(this.result)}`;
  }
}
