import type { IoContext } from '../io-context/io-context.js';
import type { CancellationSignal } from './cancellation-signal.js';
import type { CancellationHandler, CancellationHandlerFunction, CancellationSlot, SlotWatcher } from './cancellation-slot.js';
import type { CancellationType } from './cancellation-type.js';
import { operationContext } from './operation-context.js';

/**
 * @internal Keeps the slot a wrapped handler had working when a token gives
 * the operation a slot of its own (`withAbortSignal` around a handler with a
 * `cancelAfter` or `bindCancellationSlot` slot): once the operation is
 * pending in `signal`'s slot, requests arriving in `outer` are forwarded to
 * it, and `outer` sees the operation's context (a deadline arms on it).
 */
export class SlotChain implements SlotWatcher, CancellationHandler {
  readonly #signal: CancellationSignal;
  readonly #outer: CancellationSlot;
  #context: IoContext | null = null;

  constructor(signal: CancellationSignal, outer: CancellationSlot) {
    this.#signal = signal;
    this.#outer = outer;
    signal.slot().watcher = this;
  }

  /** The context of the operation pending in the chained slot, once known. */
  get context(): IoContext | null {
    return this.#context;
  }

  installed(handler: CancellationHandler | CancellationHandlerFunction): void {
    this.#context = operationContext(handler);
    this.#outer.assign(this);
  }

  onCancellation(type: CancellationType): void {
    this.#signal.emit(type);
  }

  /** The operation completed: leaves `outer`. */
  unlink(): void {
    this.#outer.clearIf(this);
  }
}
