import type { Allocator } from '../allocation/allocator.js';
import { associatedAllocator, associatedCancellationSlot } from '../associations/associate.js';
import { getAssociatedCancellationSlot } from '../associations/bind-cancellation-slot.js';
import { CancellationSignal } from '../cancellation/cancellation-signal.js';
import type { CancellationHandler, CancellationSlot } from '../cancellation/cancellation-slot.js';
import { CancellationType } from '../cancellation/cancellation-type.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { COMPOSED_CANCELLATION } from './composed-op.js';
import { OP_KIND } from './operation-kind.js';
import { Operation } from './operation.js';
import { handlerOwner } from './owned-handler.js';

/**
 * The `self` an `asyncCompose` implementation receives (asio's `Self&`): the
 * handler to pass to each intermediate operation, and the way to end the
 * composed operation. It is one function object per op object, reused by
 * every operation that op object serves, so passing it allocates nothing.
 *
 * As a handler, `self(err, ...results)` calls the implementation again with
 * `(self, err, ...results)`. It carries the final handler's allocator (the
 * intermediate operations are allocated there), a cancellation slot that
 * forwards a cancellation of the composed operation to the intermediate
 * operation in progress, and names the composed operation as its owner, so
 * destroying a pending intermediate operation (context shutdown) destroys the
 * composed one too.
 *
 * Pass `self` to at most one pending intermediate operation at a time, and
 * call `complete` only when none is pending: as in asio, the composed
 * operation lives in its intermediate handler.
 *
 * @typeParam R - the results of the composed operation's completion signature `(err, ...R)`.
 * @example
 * ```ts
 * const readTwo = (self: ComposeSelf<[number]>, err?: IoError | null, n?: number): void => {
 *   if (err === undefined) return sock.asyncReadSome(first, self); // the first call
 *   if (err !== null || self.cancelled() !== CancellationType.none) return self.complete(err ?? new IoError('operation_aborted'), 0);
 *   self.complete(null, n ?? 0);
 * };
 * ```
 *
 * @category Composed I/O
 */
export interface ComposeSelf<R extends unknown[] = unknown[]> {
  /** Resumes the implementation with an intermediate completion: `(self, err ?? null, ...results)`. */
  (err?: IoError | null, ...results: unknown[]): void;
  /**
   * Ends the composed operation with `(err, ...results)`. The final handler
   * runs once the implementation's current call returns, after the op is
   * freed; when the implementation completes inside `asyncCompose` itself
   * (on its first call) the final handler is queued on the context instead,
   * never run inside the initiating call. Throws a `TypeError` when called
   * twice or after the operation ended.
   */
  complete(err: IoError | null, ...results: R): void;
  /** The cancellation types requested of the composed operation so far (`CancellationType` flags, `none` if none). */
  cancelled(): CancellationType;
  /**
   * Forgets the cancellation requested so far, and sets which types are
   * honoured from now on (default: terminal | partial, as at the start).
   */
  resetCancellationState(filter?: CancellationType): void;
}

/**
 * An `asyncCompose` implementation as a function: called first with `self`
 * alone (`err` is `undefined`), then with each intermediate completion,
 * `(self, err, ...results)` with `err` an `IoError` or `null`. State lives
 * where you put it: a closure made per call, or an object (see
 * `ComposeImplementation`).
 *
 * @typeParam R - the results of the composed operation's completion signature.
 * @example
 * ```ts
 * const waitTwice: ComposeStep<[]> = (self, err) => {
 *   if (err) return self.complete(err);
 *   if (waits++ < 2) return timer.asyncWait(self);
 *   self.complete(null);
 * };
 * ```
 *
 * @category Composed I/O
 */
export type ComposeStep<R extends unknown[] = unknown[]> = {
  // Declared as a method, then taken by index, so implementations may annotate the results they expect (`n?: number`).
  step(self: ComposeSelf<R>, err?: IoError | null, ...results: unknown[]): void;
}['step'];

/**
 * What `asyncCompose` runs: a `ComposeStep` function, or an object whose
 * `step` method is one (called with the object as `this`), which is where
 * asio keeps the state of a composed operation.
 *
 * @typeParam R - the results of the composed operation's completion signature.
 * @example
 * ```ts
 * class ReadFrame {
 *   #state = 0;
 *   constructor(readonly sock: TcpSocket, readonly header: Buffer) {}
 *   step(self: ComposeSelf<[Buffer]>, err?: IoError | null): void {
 *     // switch (this.#state) …
 *   }
 * }
 * asyncCompose<[Buffer], typeof usePromise>(new ReadFrame(sock, Buffer.alloc(4)), usePromise, sock);
 * ```
 *
 * @category Composed I/O
 */
export type ComposeImplementation<R extends unknown[] = unknown[]> = ComposeStep<R> | { readonly step: ComposeStep<R> };

/** What a compose op needs of its context: an `IoContext` is one. */
export interface ComposeContext {
  workStarted(): void;
  workFinished(): void;
  enqueue(op: Operation): void;
}

type AnyStep = (this: unknown, self: ComposeSelf, err?: IoError | null, ...results: unknown[]) => void;

/** Invokes the final handler with exactly the results `complete` was given, without spreading up to three. */
function invokeFinal(handler: Handler<unknown[]>, err: IoError | null, count: number, r0: unknown, r1: unknown, r2: unknown, more: readonly unknown[] | null): void {
  switch (count) {
    case 0:
      handler(err);
      return;
    case 1:
      handler(err, r0);
      return;
    case 2:
      handler(err, r0, r1);
      return;
    case 3:
      handler(err, r0, r1, r2);
      return;
    default:
      handler(err, ...more!);
  }
}

/**
 * The operation behind `asyncCompose`: the state of one user-written
 * composed operation, allocated from the final handler's associated
 * allocator and freed before the final handler runs. Completion signature:
 * whatever the implementation passes to `self.complete(err, ...results)`.
 *
 * - It counts as one unit of outstanding work on its context from
 *   `start()` until the final handler runs (or the op is destroyed).
 * - `self` (made once per op object) resumes the implementation; the
 *   final handler runs when the outermost call of the implementation
 *   returns: queued on the context when that call is the first one (inside
 *   the initiating function), invoked directly otherwise, always after the
 *   op is freed.
 * - An exception from the implementation frees the op without invoking the
 *   final handler, and any intermediate operation it had started completes
 *   into nothing; the exception propagates (to the caller of `asyncCompose`
 *   on the first call, out of `run()` later).
 * - Cancellation: the op installs itself in the final handler's slot,
 *   records the honoured types (`self.cancelled()`) and forwards them to the
 *   intermediate operation in progress through a signal it owns; a request
 *   that arrives during a call of the implementation is forwarded when the
 *   call returns, so it reaches the step that call started.
 *
 * @category Operations (advanced)
 */
export class ComposeOp extends Operation implements CancellationHandler {
  /** The final handler; `null` while the op is free. */
  handler: Handler<unknown[]> | null;
  /** @internal The implementation's function (`implementation` itself, or its `step` method). */
  implementation: AnyStep | null;
  /** @internal The `this` of the implementation's calls: the implementation object, or `undefined` for a function. */
  target: unknown;
  /** @internal The context that counts the op's work and queues a deferred completion. */
  context: ComposeContext | null;
  /** The error `complete` was given. */
  err: IoError | null;
  /** @internal How many results `complete` was given. */
  resultCount: number;
  /** @internal The first three results `complete` was given. */
  r0: unknown;
  /** @internal The second result. */
  r1: unknown;
  /** @internal The third result. */
  r2: unknown;
  /** @internal All the results, when `complete` was given more than three. */
  moreResults: readonly unknown[] | null;
  /** @internal The final handler's slot while the op is pending, else `null`. */
  slot: CancellationSlot | null;
  /** @internal The cancellation types requested so far (within `filter`). */
  cancelled: CancellationType;
  /** @internal The cancellation types honoured (default terminal | partial). */
  filter: CancellationType;
  /** @internal The handler the implementation passes to its intermediate operations; replaced only when an exception abandons the op. */
  self: ComposeSelf;

  /** Forwards a request to the intermediate operation in progress; one per op object. */
  readonly #inner = new CancellationSignal();
  /** How many calls of the implementation are on the stack. */
  #depth = 0;
  /** Whether the outermost call on the stack is the first one, inside the initiating function. */
  #initiating = false;
  /** Whether `complete` has been called. */
  #completed = false;
  /** Types requested during a call, forwarded when it returns. */
  #forward: CancellationType = CancellationType.none;

  constructor() {
    super(OP_KIND.compose);
    this.handler = null;
    this.implementation = null;
    this.target = undefined;
    this.context = null;
    this.err = null;
    this.resultCount = 0;
    this.r0 = undefined;
    this.r1 = undefined;
    this.r2 = undefined;
    this.moreResults = null;
    this.slot = null;
    this.cancelled = CancellationType.none;
    this.filter = COMPOSED_CANCELLATION;
    this.self = this.#makeSelf();
  }

  /**
   * @internal Prepares the op for one composed operation: `handler` is the final
   * handler, `implementation` a function or an object with `step`.
   */
  init(handler: Handler<never[]>, implementation: ComposeImplementation<never[]>, context: ComposeContext, allocator: Allocator): this {
    this.handler = handler as Handler<unknown[]>;
    if (typeof implementation === 'function') {
      this.implementation = implementation;
      this.target = undefined;
    } else {
      this.implementation = implementation.step;
      this.target = implementation;
    }
    this.context = context;
    this.allocator = allocator;
    this.slot = getAssociatedCancellationSlot(handler);
    this.cancelled = CancellationType.none;
    this.filter = COMPOSED_CANCELLATION;
    return this;
  }

  /**
   * @internal Counts the op's work and makes the implementation's first call. If the
   * implementation throws, the op is freed (the final handler never runs)
   * and the exception propagates.
   */
  start(): void {
    const self = this.self;
    this.context!.workStarted();
    this.#depth = 1;
    this.#initiating = true;
    // Armed inside the call: an already-requested cancellation is recorded and forwarded when it returns.
    if (this.slot !== null) this.slot.assign(this);
    try {
      this.implementation!.call(this.target, self);
    } catch (error) {
      this.#leaveAfterThrow(self, false);
      throw error;
    }
    this.#leave(self);
  }

  /** @internal Records the request and forwards it to the step in progress (after the current call, if one is running). */
  onCancellation(type: CancellationType): void {
    // The slot handler: records the honoured types and forwards them to the step in progress.
    if (this.allocator === null || this.#completed) return;
    const honoured = type & this.filter;
    if (honoured === 0) return;
    this.cancelled |= honoured;
    if (this.#depth > 0) this.#forward |= honoured;
    else this.#inner.emit(honoured);
  }

  override reset(): void {
    const slot = this.slot;
    if (slot !== null) {
      this.slot = null;
      slot.clearIf(this);
    }
    this.handler = null;
    this.implementation = null;
    this.target = undefined;
    this.context = null;
    this.err = null;
    this.resultCount = 0;
    this.r0 = undefined;
    this.r1 = undefined;
    this.r2 = undefined;
    this.moreResults = null;
    this.cancelled = CancellationType.none;
    this.filter = COMPOSED_CANCELLATION;
    this.#depth = 0;
    this.#initiating = false;
    this.#completed = false;
    this.#forward = CancellationType.none;
    this.allocator = null;
    this.next = null;
  }

  override complete(): void {
    // The deferred completion, run by the context from its queue (which ends the op's unit of work).
    const handler = this.handler!;
    const err = this.err;
    const count = this.resultCount;
    const r0 = this.r0;
    const r1 = this.r1;
    const r2 = this.r2;
    const more = this.moreResults;
    const allocator = this.allocator!;
    this.reset();
    // Free before invoking: the handler may start the next operation in this memory.
    this.free(allocator);
    invokeFinal(handler, err, count, r0, r1, r2, more);
  }

  override destroy(): void {
    // Also ends the op's unit of work (a no-op once the context is shut down).
    const context = this.context;
    super.destroy();
    context?.workFinished();
  }

  /** The completion from an intermediate handler: free, end the work, then invoke. */
  #finish(): void {
    const handler = this.handler!;
    const err = this.err;
    const count = this.resultCount;
    const r0 = this.r0;
    const r1 = this.r1;
    const r2 = this.r2;
    const more = this.moreResults;
    const allocator = this.allocator!;
    const context = this.context!;
    this.reset();
    // Free before invoking: the handler may start the next operation in this memory.
    this.free(allocator);
    context.workFinished();
    invokeFinal(handler, err, count, r0, r1, r2, more);
  }

  /** After a call of the implementation returned: at the outermost, complete or forward what was requested meanwhile. */
  #leave(self: ComposeSelf): void {
    // Freed meanwhile (a shutdown from inside the call): nothing left to do.
    if (this.self !== self || this.allocator === null) return;
    if (--this.#depth > 0) return;
    const initiating = this.#initiating;
    this.#initiating = false;
    if (this.#completed) {
      if (initiating) this.context!.enqueue(this);
      else this.#finish();
      return;
    }
    const forward = this.#forward;
    if (forward !== CancellationType.none) {
      this.#forward = CancellationType.none;
      this.#inner.emit(forward);
    }
  }

  /**
   * A call of the implementation threw: at the outermost, the op is
   * abandoned (an enclosing call may still catch the exception). A fresh
   * `self` replaces the old one, so a step the implementation had started
   * completes into nothing, even if this op object serves another operation
   * by then. From the run loop the composed operation the final handler
   * belongs to (if any) goes too, as destroying it would.
   */
  #leaveAfterThrow(self: ComposeSelf, fromLoop: boolean): void {
    if (this.self !== self || this.allocator === null) return;
    if (--this.#depth > 0) return;
    this.self = this.#makeSelf();
    if (fromLoop) {
      this.destroy();
      return;
    }
    const allocator = this.allocator;
    const context = this.context!;
    this.reset();
    this.free(allocator);
    context.workFinished();
  }

  /** Makes `self`: the step handler and its helpers, bound to this op object. */
  #makeSelf(): ComposeSelf {
    const self = ((err?: IoError | null, ...results: unknown[]): void => {
      if (this.self !== self) return; // abandoned by an exception: the step completes into nothing
      if (this.allocator === null || this.#completed) {
        throw new TypeError('asyncCompose: an intermediate operation completed after the composed operation ended (pass self to one pending operation at a time)');
      }
      const step = this.implementation!;
      const target = this.target;
      const e = err ?? null;
      this.#depth++;
      try {
        // No spread for up to three results: the rest array does not escape.
        switch (results.length) {
          case 0:
            step.call(target, self, e);
            break;
          case 1:
            step.call(target, self, e, results[0]);
            break;
          case 2:
            step.call(target, self, e, results[0], results[1]);
            break;
          case 3:
            step.call(target, self, e, results[0], results[1], results[2]);
            break;
          default:
            step.call(target, self, e, ...results);
        }
      } catch (error) {
        this.#leaveAfterThrow(self, true);
        throw error;
      }
      this.#leave(self);
    }) as ComposeSelf;
    Object.defineProperty(self, associatedAllocator, { get: (): Allocator | undefined => this.allocator ?? undefined });
    Object.defineProperty(self, associatedCancellationSlot, {
      get: (): CancellationSlot | undefined => (this.slot !== null && this.self === self ? this.#inner.slot() : undefined),
    });
    // Destroying a pending intermediate operation destroys this one; an abandoned self names nobody.
    Object.defineProperty(self, handlerOwner, { get: (): Operation | undefined => (this.self === self ? this : undefined) });
    self.complete = (err: IoError | null, ...results: unknown[]): void => {
      if (this.self !== self || this.allocator === null) throw new TypeError('asyncCompose: self.complete called after the operation ended');
      if (this.#completed) throw new TypeError('asyncCompose: self.complete called twice');
      this.err = err ?? null;
      const count = results.length;
      this.resultCount = count;
      if (count > 3) {
        this.moreResults = results;
      } else {
        this.r0 = results[0];
        this.r1 = results[1];
        this.r2 = results[2];
      }
      this.#completed = true;
      const slot = this.slot;
      if (slot !== null) {
        this.slot = null;
        slot.clearIf(this);
      }
      // Called outside any call of the implementation (from a handler of its own): complete now.
      if (this.#depth === 0) this.#finish();
    };
    self.cancelled = (): CancellationType => (this.self === self ? this.cancelled : CancellationType.none);
    self.resetCancellationState = (filter: CancellationType = COMPOSED_CANCELLATION): void => {
      if (typeof filter !== 'number' || !Number.isInteger(filter) || filter < 0) {
        throw new TypeError(`self.resetCancellationState: the filter must be CancellationType flags, got ${String(filter)}`);
      }
      if (this.self !== self) return;
      this.cancelled = CancellationType.none;
      this.filter = filter;
      this.#forward = CancellationType.none;
    };
    return self;
  }
}
