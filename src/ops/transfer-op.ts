import { ResultOp } from './result-op.js';

/**
 * The base of `ReadSomeOp` and `WriteSomeOp`: a socket operation that moves
 * bytes and completes with `(err, n)`, the number of bytes transferred.
 * It holds the handler and the result; each subclass adds its buffers.
 *
 * @category Operations (advanced)
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
