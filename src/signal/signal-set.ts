import { constants } from 'node:os';
import type { CancellationType } from '../cancellation/cancellation-type.js';
import { getAssociatedAllocator } from '../associations/associate.js';
import { getAssociatedCancellationSlot } from '../associations/bind-cancellation-slot.js';
import { OPERATION_ABORTED } from '../cancellation/operation-aborted.js';
import { IoError } from '../errors/io-error.js';
import { IoContext, type IoService } from '../io-context/io-context.js';
import { OpQueue } from '../ops/op-queue.js';
import type { CancellableOpOwner } from '../ops/cancellable-op.js';
import type { Operation } from '../ops/operation.js';
import { SignalWaitOp } from '../ops/signal-wait-op.js';
import { asyncInitiate } from '../tokens/async-initiate.js';
import type { CompletionResult, CompletionToken, Handler } from '../tokens/completion-token.js';
import { describeValue } from '../errors/describe-value.js';

/**
 * How many signals a set remembers while no wait is pending; older ones are dropped beyond it.
 *
 * @example
 * ```ts
 * const signals = new SignalSet(ctx, 'SIGUSR2');
 * // Up to SIGNAL_SET_MEMORY SIGUSR2s sent before this wait each complete one wait, in order:
 * signals.asyncWait((err, signal) => console.log(signal));
 * ```
 *
 * @category Signals
 */
export const SIGNAL_SET_MEMORY = 64;

const uncatchable = new Set(['SIGKILL', 'SIGSTOP']);

function checkSignalName(name: unknown, caller: string): asserts name is NodeJS.Signals {
  if (typeof name !== 'string' || !Object.hasOwn(constants.signals, name) || uncatchable.has(name)) {
    throw new TypeError(`${caller}: expected a catchable signal name such as 'SIGINT', got ${describeValue(name)}`);
  }
}

/**
 * Waits for process signals on an `IoContext` (asio's `signal_set`).
 *
 * - While a signal is in the set, the set's listener replaces Node's default
 *   action for it (for `SIGINT`/`SIGTERM`: exiting); `remove`/`clear`/`close`
 *   give it back.
 * - A signal delivered while waits are pending completes all of them; one
 *   delivered while none is pending is remembered (up to
 *   `SIGNAL_SET_MEMORY`, in arrival order) and completes the next wait,
 *   queued on the context, never inside `asyncWait`.
 * - A pending wait is outstanding work: `run()` keeps running (and the
 *   process alive) until it completes. A set without a pending wait keeps
 *   nothing alive: Node's signal listeners do not hold the loop open.
 * - Waits are cancellable per operation through a cancellation slot.
 *
 * @example
 * ```ts
 * const signals = new SignalSet(ctx, 'SIGINT', 'SIGTERM');
 * signals.asyncWait((err, signal) => {
 *   if (!err) { console.log(`${signal}: shutting down`); acceptor.close(); }
 * });
 * ```
 *
 * @category Signals
 */
export class SignalSet implements CancellableOpOwner {
  readonly #ctx: IoContext;
  readonly #names = new Set<NodeJS.Signals>();
  readonly #waits = new OpQueue();
  readonly #remembered: string[] = [];
  #closed = false;

  readonly #listener = (signal: NodeJS.Signals): void => {
    this.#deliver(signal);
  };
  readonly #service: IoService = {
    shutdown: (): void => {
      this.#removeAll();
      for (let op = this.#waits.shift(); op !== null; op = this.#waits.shift()) op.destroy();
      this.#closed = true;
    },
  };

  /** @param names the signals to add at once, for example `'SIGINT', 'SIGTERM'`. */
  constructor(ctx: IoContext, ...names: string[]) {
    if (!(ctx instanceof IoContext)) throw new TypeError(`SignalSet: the first argument must be an IoContext, got ${describeValue(ctx)}`);
    for (const name of names) checkSignalName(name, 'SignalSet');
    this.#ctx = ctx;
    ctx.addService(this.#service);
    for (const name of names) this.add(name);
  }

  /**
   * The signals in the set.
   *
   * @example
   * ```ts
   * new SignalSet(ctx, 'SIGINT', 'SIGTERM').signals(); // ['SIGINT', 'SIGTERM']
   * ```
   */
  signals(): string[] {
    return [...this.#names];
  }

  /**
   * Adds `name` (for example `'SIGUSR2'`) to the set; adding it twice does
   * nothing. Throws a TypeError for a name that is not a catchable signal,
   * and `IoError` `bad_descriptor` after `close()`.
   *
   * @example
   * ```ts
   * const signals = new SignalSet(ctx);
   * signals.add('SIGHUP'); // from now on SIGHUP completes a wait instead of ending the process
   * ```
   */
  add(name: string): void {
    checkSignalName(name, 'SignalSet.add');
    this.#checkOpen('SignalSet.add');
    if (this.#names.has(name)) return;
    this.#names.add(name);
    process.on(name, this.#listener);
  }

  /**
   * Removes `name` from the set and forgets its undelivered occurrences.
   *
   * @example
   * ```ts
   * signals.remove('SIGINT'); // Ctrl-C ends the process again
   * ```
   */
  remove(name: string): void {
    checkSignalName(name, 'SignalSet.remove');
    if (!this.#names.delete(name)) return;
    process.removeListener(name, this.#listener);
    const remembered = this.#remembered;
    for (let i = remembered.length - 1; i >= 0; i--) if (remembered[i] === name) remembered.splice(i, 1);
  }

  /**
   * Removes every signal from the set; pending waits stay pending.
   *
   * @example
   * ```ts
   * await signals.asyncWait(usePromise);
   * signals.clear(); // a second Ctrl-C gets Node's default action again
   * ```
   */
  clear(): void {
    this.#removeAll();
  }

  /**
   * Waits for a signal in the set. Completion signature:
   * `(err: IoError | null, signal: string) => void`: the signal's name, or
   * `operation_aborted` (with `''`) when cancelled, `bad_descriptor` after
   * `close()`. With `usePromise`, resolves the signal name.
   *
   * @example
   * ```ts
   * const signals = new SignalSet(ctx, 'SIGINT', 'SIGTERM');
   * const signal = await signals.asyncWait(usePromise); // 'SIGINT' or 'SIGTERM'
   * console.log(`${signal}: closing`);
   * acceptor.close();
   * ```
   */
  asyncWait<T extends CompletionToken<[string]>>(token: T): CompletionResult<T, [string]> {
    return asyncInitiate<[string], T, SignalSet>(SignalSet.#initiateWait, token, this);
  }

  /**
   * Cancels every pending wait with `operation_aborted` (queued); returns how many.
   *
   * @example
   * ```ts
   * signals.asyncWait((err) => {
   *   if (err?.code === 'operation_aborted') return; // cancelled: the server stopped on its own
   * });
   * signals.cancel(); // 1
   * ```
   */
  cancel(): number {
    this.#ctx.tracker?.operation('signal_set', this, 'cancel');
    const waits = this.#waits;
    let count = 0;
    for (let op = waits.shift() as SignalWaitOp | null; op !== null; op = waits.shift() as SignalWaitOp | null) {
      op.detach();
      op.err = OPERATION_ABORTED;
      this.#ctx.enqueue(op);
      count++;
    }
    return count;
  }

  /**
   * Removes every signal, cancels the pending waits and detaches from the
   * context. Later waits fail with `bad_descriptor`. Idempotent.
   *
   * @example
   * ```ts
   * // Once the server has stopped, let run() finish: a pending wait would keep it going.
   * acceptor.close();
   * signals.close();
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#removeAll();
    this.cancel();
    this.#closed = true;
    this.#ctx.removeService(this.#service);
  }

  /**
   * Closes the set when a `using` declaration goes out of scope, so `using` works: `[Symbol.dispose]()` is `close()`.
   *
   * @example
   * ```ts
   * using signals = new SignalSet(ctx, 'SIGINT'); // its handlers removed at the end of the block
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal Cancellation-slot path: aborts `op` if it is still pending here (any cancellation type). */
  abortOperation(op: Operation, _type: CancellationType): boolean {
    if (!(op instanceof SignalWaitOp) || !this.#waits.remove(op)) return false;
    op.detach();
    op.err = OPERATION_ABORTED;
    this.#ctx.enqueue(op);
    return true;
  }

  static readonly #initiateWait = (handler: Handler<[string]>, set: SignalSet): void => {
    set.#startWait(handler);
  };

  #startWait(handler: Handler<[string]>): void {
    if (typeof handler !== 'function') throw new TypeError(`SignalSet.asyncWait: the handler must be a function, got ${describeValue(handler)}`);
    const ctx = this.#ctx;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(SignalWaitOp).init(handler, allocator, this);
    ctx.startOperation(op, 'signal_set', this, 'async_wait');
    if (this.#closed) {
      op.owner = null;
      op.err = new IoError('bad_descriptor', 'SignalSet is closed');
      ctx.enqueue(op);
      return;
    }
    const remembered = this.#remembered.shift();
    if (remembered !== undefined) {
      op.owner = null;
      op.result = remembered;
      ctx.enqueue(op);
      return;
    }
    this.#waits.push(op);
    const slot = getAssociatedCancellationSlot(handler);
    if (slot !== null) op.installSlot(slot);
  }

  #deliver(signal: string): void {
    const waits = this.#waits;
    if (waits.isEmpty()) {
      const remembered = this.#remembered;
      if (remembered.length >= SIGNAL_SET_MEMORY) remembered.shift();
      remembered.push(signal);
      return;
    }
    const ctx = this.#ctx;
    // Take the next waiter before completing this one: the last completion
    // runs its handler at once, and a wait it starts is for the next signal.
    let op = waits.shift() as SignalWaitOp | null;
    while (op !== null) {
      const next = waits.shift() as SignalWaitOp | null;
      op.detach();
      op.result = signal;
      if (next === null) ctx.completeFromIo(op);
      else ctx.enqueue(op);
      op = next;
    }
  }

  #removeAll(): void {
    for (const name of this.#names) process.removeListener(name, this.#listener);
    this.#names.clear();
    this.#remembered.length = 0;
  }

  #checkOpen(caller: string): void {
    if (this.#closed) throw new IoError('bad_descriptor', `${caller}: the SignalSet is closed`);
  }
}
