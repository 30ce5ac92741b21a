import { associatedAllocator, associatedCancellationSlot, associatedExecutor, getAssociated } from '../associations/associate.js';
import type { Allocator } from '../allocation/allocator.js';
import type { IoError } from '../errors/io-error.js';
import type { IoContext } from '../io-context/io-context.js';
import { SteadyTimer } from '../timer/steady-timer.js';
import { CancellationSignal } from './cancellation-signal.js';
import type { CancellationHandler, CancellationHandlerFunction, CancellationSlot, SlotWatcher } from './cancellation-slot.js';
import type { CancellationType } from './cancellation-type.js';
import { operationContext } from './operation-context.js';

/** @internal What a `Deadline` needs from the token that owns it: when the deadline falls, and where to go back once its operation completed. */
export interface DeadlineOwner {
  /** The cancellation type the deadline requests. */
  readonly type: CancellationType;
  /** Sets `timer`'s expiry for an operation starting now. */
  arm(timer: SteadyTimer): void;
  /** Takes `deadline` back for the next operation. */
  release(deadline: Deadline): void;
}

type AnyHandler = (err: IoError | null, ...results: unknown[]) => void;

/**
 * @internal The state `cancelAfter`/`cancelAt` keep for one operation in
 * flight, reused from one operation to the next (a token used by a chain
 * keeps one), so the callback path allocates nothing per operation:
 *
 * 1. `begin(target)`: the operation is being started with `handler`, which
 *    carries `target`'s allocator and executor and this deadline's slot.
 * 2. The operation installs itself in the slot once it is pending:
 *    `installed` starts the timer on that operation's own context (its
 *    clock, `ManualClock` included) and chains the slot `target` had, so
 *    an outer cancellation still reaches the operation. An operation that
 *    completes at once never installs itself and never starts the timer.
 * 3. The timer expires first: the slot gets `type`, the operation aborts.
 * 4. The operation completes first: `handler` withdraws the timer's wait
 *    (no handler of its own runs, so `run()` ends with the real work), gives
 *    the deadline back, then calls `target`.
 *
 * A timer completion already queued when the operation completed (both in
 * one drain pass) is stale: it is counted and ignored, so it cannot cancel
 * the next operation.
 */
export class Deadline implements SlotWatcher, CancellationHandler {
  /** The completion the operation is started with: made once. */
  readonly handler: AnyHandler;
  /** The handler the operation's results go to; `null` between operations. */
  target: AnyHandler | null = null;
  readonly #owner: DeadlineOwner;
  readonly #signal = new CancellationSignal();
  readonly #onTimer: (err: IoError | null) => void;
  #timer: SteadyTimer | null = null;
  /** Between `begin` and the completion. */
  #pending = false;
  /** The timer has a wait for the current operation. */
  #armed = false;
  /** Timer waits started whose handler has not run. */
  #waits = 0;
  /** Of those, how many belong to operations already completed. */
  #stale = 0;
  /** The slot `target` had, chained while the operation is pending. */
  #outer: CancellationSlot | null = null;

  constructor(owner: DeadlineOwner) {
    this.#owner = owner;
    const slot = this.#signal.slot();
    slot.watcher = this;
    const finish = (): AnyHandler => this.#finish();
    // A function, not an arrow: `arguments` keeps the arity the operation completed with, and no rest array is made.
    const handler = function deadlineCompletion(err: IoError | null, a?: unknown, b?: unknown, c?: unknown): void {
      const arity = arguments.length;
      const target = finish();
      if (arity <= 1) target(err);
      else if (arity === 2) target(err, a);
      else if (arity === 3) target(err, a, b);
      else if (arity === 4) target(err, a, b, c);
      else {
        // The rare long signature (a parallel group's with three or more members).
        const all = new Array<unknown>(arity);
        // eslint-disable-next-line prefer-rest-params -- see above
        for (let i = 0; i < arity; i++) all[i] = arguments[i];
        Reflect.apply(target, undefined, all);
      }
    };
    // Data properties set once per operation by `begin`: reading them is a plain load, not a getter and a lookup on the target.
    // All data properties, no accessor: every deadline's handler then has the same shape, so the
    // places that read a handler's associations stay monomorphic (a getter per instance gave each its own).
    Object.defineProperty(handler, associatedAllocator, { value: undefined, writable: true });
    Object.defineProperty(handler, associatedExecutor, { value: undefined, writable: true });
    Object.defineProperty(handler, associatedCancellationSlot, { value: slot });
    this.handler = handler;
    const onTimer = (err: IoError | null): void => {
      this.#waits--;
      if (this.#stale > 0) {
        this.#stale--;
        return;
      }
      if (err === null && this.#pending) this.#signal.emit(this.#owner.type);
    };
    Object.defineProperty(onTimer, associatedAllocator, { value: undefined, writable: true });
    this.#onTimer = onTimer;
  }

  /** Gives the operation's handler the allocator and executor `target` carries, and the timer's the allocator. */
  #carry(allocator: Allocator | undefined, executor: unknown): void {
    const handler = this.handler as { [associatedAllocator]?: Allocator | undefined; [associatedExecutor]?: unknown };
    handler[associatedAllocator] = allocator;
    handler[associatedExecutor] = executor;
    (this.#onTimer as { [associatedAllocator]?: Allocator | undefined })[associatedAllocator] = allocator;
  }

  /** The context of the operation in flight, once it is pending (so a deadline chained to another can arm on it). */
  get context(): IoContext | null {
    return this.#armed ? (this.#timer?.context ?? null) : null;
  }

  /** An operation is about to start with `handler`; its results go to `target`, which carries `allocator` and the slot `outer`. */
  begin(target: AnyHandler, allocator: Allocator | undefined, outer: CancellationSlot | null): void {
    this.target = target;
    this.#carry(allocator, getAssociated(target, associatedExecutor));
    this.#pending = true;
    this.#armed = false;
    this.#outer = outer;
  }

  /** The start threw before the operation existed: nothing will complete. */
  abandon(): void {
    if (this.#pending) this.#finish();
  }

  installed(handler: CancellationHandler | CancellationHandlerFunction): void {
    if (!this.#pending || this.#armed) return;
    let timer = this.#timer;
    // The common case first: an operation on the context the last one was on.
    if (timer === null || (handler as { observer?: unknown }).observer !== timer.context) {
      const ctx = operationContext(handler);
      if (ctx === null) return;
      if (timer === null || timer.context !== ctx) timer = this.#timer = new SteadyTimer(ctx);
    }
    this.#armed = true;
    this.#owner.arm(timer);
    this.#waits++;
    timer.asyncWait(this.#onTimer);
    // Last: a request already latched in the outer slot reaches the operation through ours at once.
    this.#outer?.assign(this);
  }

  onCancellation(type: CancellationType): void {
    if (this.#pending) this.#signal.emit(type);
  }

  #finish(): AnyHandler {
    const target = this.target!;
    this.#pending = false;
    if (this.#armed) {
      this.#armed = false;
      this.#waits -= this.#timer!.discardWaits();
      this.#stale = this.#waits;
    }
    const outer = this.#outer;
    if (outer !== null) {
      this.#outer = null;
      outer.clearIf(this);
    }
    this.target = null;
    this.#carry(undefined, undefined);
    this.#owner.release(this);
    return target;
  }
}
