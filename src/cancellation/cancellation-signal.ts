import { CancellationSlot } from './cancellation-slot.js';
import type { CancellationType } from './cancellation-type.js';
import { describeValue } from '../errors/describe-value.js';

function checkType(type: unknown, caller: string): asserts type is CancellationType {
  if (typeof type !== 'number' || !Number.isInteger(type) || type < 0 || type > 0xffffffff) {
    throw new TypeError(`${caller}: the type must be CancellationType flags, got ${describeValue(type)}`);
  }
}

/**
 * The sending end of per-operation cancellation (asio's
 * `cancellation_signal`). Bind its `slot()` to an operation's handler with
 * `bindCancellationSlot`, then `emit(type)` to cancel that operation.
 *
 * - A signal serves one operation at a time: the newest started with its slot.
 * - `emit` before the operation starts, after it completed, or with
 *   `CancellationType.none` does nothing.
 * - A cancelled operation completes with `operation_aborted`; its handler is
 *   queued on its context, never run inside `emit`.
 *
 * @example
 * ```ts
 * const cancel = new CancellationSignal();
 * timer.asyncWait(bindCancellationSlot(cancel.slot(), (err: IoError | null) => {
 *   // err?.code === 'operation_aborted'
 * }));
 * cancel.emit(CancellationType.terminal);
 * ```
 *
 * @category Cancellation
 */
export class CancellationSignal {
  readonly #slot = CancellationSlot.connected();

  /**
   * The slot connected to this signal (the same object on every call).
   *
   * @example
   * ```ts
   * const cancel = new CancellationSignal();
   * const onRead = bindCancellationSlot(cancel.slot(), (err: IoError | null, n: number) => { … });
   * ```
   */
  slot(): CancellationSlot {
    return this.#slot;
  }

  /**
   * Requests cancellation of type `type` from the operation installed in the slot, if any.
   *
   * @example
   * ```ts
   * const cancel = new CancellationSignal();
   * socket.asyncReadSome(buf, bindCancellationSlot(cancel.slot(), (err: IoError | null, n: number) => {
   *   // err?.code === 'operation_aborted', n === 0; the socket stays usable
   * }));
   * cancel.emit(CancellationType.total);
   * ```
   */
  emit(type: CancellationType): void {
    checkType(type, 'CancellationSignal.emit');
    this.#slot.deliver(type);
  }

  /** @internal Emits `type` now and to every operation started later with this signal's slot. */
  latch(type: CancellationType): void {
    checkType(type, 'CancellationSignal.latch');
    this.#slot.latch(type);
  }
}
