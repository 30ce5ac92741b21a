import { CancellationType } from './cancellation-type.js';

/**
 * What an operation installs in a slot to hear about cancellation requests.
 * An operation object implements it itself, so installing and removing it
 * allocates nothing.
 *
 * @example
 * ```ts
 * class Download implements CancellationHandler {
 *   readonly #controller = new AbortController();
 *   onCancellation(type: CancellationType): void {
 *     if (type & CancellationType.terminal) this.#controller.abort();
 *   }
 * }
 * signal.slot().assign(new Download());
 * ```
 *
 * @category Cancellation
 */
export interface CancellationHandler {
  /** Called by `CancellationSignal.emit(type)` with a type other than `none`. */
  onCancellation(type: CancellationType): void;
}

/**
 * A cancellation handler written as a function of the requested type.
 *
 * @example
 * ```ts
 * const onCancel: CancellationHandlerFunction = (type) => {
 *   if (type & CancellationType.terminal) socket.close();
 * };
 * signal.slot().assign(onCancel);
 * ```
 *
 * @category Cancellation
 */
export type CancellationHandlerFunction = (type: CancellationType) => void;

/**
 * @internal Told each time an operation installs itself in a slot, that is
 * when it becomes pending: how `cancelAfter` starts its deadline on the
 * operation's own context, and how a wrapping token chains the slot it
 * replaced, without a closure per operation.
 */
export interface SlotWatcher {
  installed(handler: CancellationHandler | CancellationHandlerFunction): void;
}

/**
 * The receiving end of a `CancellationSignal` (asio's `cancellation_slot`).
 * It holds at most one handler: the one of the operation started last with
 * this slot, so a reused slot serves the newest operation.
 *
 * How an operation uses it (no allocation per operation):
 * 1. at initiation, once the operation is pending: `slot.assign(op)`;
 * 2. when the operation stops being pending (completed, aborted,
 *    destroyed): `slot.clearIf(op)`, which leaves a newer operation's
 *    handler in place.
 *
 * A slot made with `new CancellationSlot()` is not connected to a signal:
 * nothing can ever be emitted to it, so it keeps no handler.
 *
 * @example
 * ```ts
 * const signal = new CancellationSignal();
 * const slot = signal.slot();
 * slot.assign((type) => console.log(`cancellation requested: ${type}`));
 * signal.emit(CancellationType.terminal); // logs 1
 * slot.clear();
 * ```
 *
 * @category Cancellation
 */
export class CancellationSlot {
  #connected = false;
  #handler: CancellationHandler | CancellationHandlerFunction | null = null;
  #latched: CancellationType = CancellationType.none;
  /** @internal See `SlotWatcher`; `null` for a plain slot. */
  watcher: SlotWatcher | null = null;

  /** @internal A slot connected to a signal (made by `CancellationSignal`). */
  static connected(): CancellationSlot {
    const slot = new CancellationSlot();
    slot.#connected = true;
    return slot;
  }

  /**
   * Installs `handler`, replacing the one installed before. A handler is
   * an object with `onCancellation(type)` or a function `(type) => void`.
   * On a slot not connected to a signal it does nothing.
   *
   * @example
   * ```ts
   * const signal = new CancellationSignal();
   * signal.slot().assign((type) => console.log(`cancel ${type}`));
   * signal.emit(CancellationType.partial); // cancel 2
   * ```
   */
  assign(handler: CancellationHandler | CancellationHandlerFunction): void {
    if (typeof handler !== 'function' && (typeof handler !== 'object' || handler === null || typeof handler.onCancellation !== 'function')) {
      throw new TypeError('CancellationSlot.assign: expected a function or an object with onCancellation(type)');
    }
    if (!this.#connected) return;
    this.#handler = handler;
    if (this.#latched !== CancellationType.none) this.deliver(this.#latched);
    if (this.watcher !== null && this.#handler === handler) this.watcher.installed(handler);
  }

  /**
   * Removes the installed handler, whoever installed it.
   *
   * @example
   * ```ts
   * slot.clear();
   * slot.hasHandler(); // false: an emit now reaches nobody
   * ```
   */
  clear(): void {
    this.#handler = null;
  }

  /**
   * Removes `handler` if it is the one installed; returns whether it was.
   *
   * @example
   * ```ts
   * const mine = (): void => undefined;
   * slot.assign(mine);
   * // … when my operation stops being pending:
   * slot.clearIf(mine); // true, unless a newer operation has installed its own handler
   * ```
   */
  clearIf(handler: CancellationHandler | CancellationHandlerFunction): boolean {
    if (this.#handler !== handler) return false;
    this.#handler = null;
    return true;
  }

  /**
   * Whether the slot is connected to a `CancellationSignal`.
   *
   * @example
   * ```ts
   * new CancellationSignal().slot().isConnected(); // true
   * new CancellationSlot().isConnected();          // false
   * ```
   */
  isConnected(): boolean {
    return this.#connected;
  }

  /**
   * Whether an operation (or anyone) has a handler installed.
   *
   * @example
   * ```ts
   * const cancel = new CancellationSignal();
   * timer.asyncWait(bindCancellationSlot(cancel.slot(), () => undefined));
   * cancel.slot().hasHandler(); // true while the wait is pending
   * ```
   */
  hasHandler(): boolean {
    return this.#handler !== null;
  }

  /** @internal Calls the installed handler with `type`, unless `type` is `none` or none is installed. */
  deliver(type: CancellationType): void {
    if ((type & CancellationType.all) === 0) return;
    const handler = this.#handler;
    if (handler === null) return;
    if (typeof handler === 'function') handler(type);
    else handler.onCancellation(type);
  }

  /**
   * @internal Delivers `type` now and to every handler installed from now on
   * (an aborted `AbortSignal` aborts every operation started with it).
   */
  latch(type: CancellationType): void {
    this.#latched = type;
    this.deliver(type);
  }
}
