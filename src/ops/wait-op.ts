import { OP_KIND } from './operation-kind.js';
import { StatusOp } from './status-op.js';

/**
 * The operation behind `SteadyTimer.asyncWait`: completion signature
 * `(err: IoError | null) => void`. While pending it sits in its timer's
 * wait list (linked through `Operation.next`, so waiting allocates nothing
 * beyond the op) and, when the handler carries a cancellation slot, is itself
 * the slot's handler (so cancelling allocates nothing). It honours
 * terminal, partial and total cancellation alike: a wait has no side effects.
 *
 * @category Operations (advanced)
 */
export class WaitOp extends StatusOp {
  constructor() {
    super(OP_KIND.wait);
  }
}
