import type { Allocator } from '../allocation/allocator.js';
import { associatedAllocator, associatedCancellationSlot } from '../associations/associate.js';
import { getAssociatedCancellationSlot } from '../associations/bind-cancellation-slot.js';
import { CancellationSignal } from '../cancellation/cancellation-signal.js';
import type { CancellationHandler, CancellationHandlerFunction, CancellationSlot, SlotWatcher } from '../cancellation/cancellation-slot.js';
import { CancellationType } from '../cancellation/cancellation-type.js';
import type { IoError } from '../errors/io-error.js';
import type { Handler } from '../tokens/completion-token.js';
import { Operation } from './operation.js';
import { OP_KIND } from './operation-kind.js';
import { handlerOwner } from './owned-handler.js';

/** @internal What decides, after each member completes, whether the others are cancelled: the type to cancel them with, or `none`. */
export type MemberCondition = (err: IoError | null, index: number) => CancellationType;

/** @internal A member operation: started once with the member's handler. */
export type MemberStart = (handler: Handler<unknown[]>) => unknown;

type MemberHandler = (err: IoError | null, ...values: unknown[]) => void;

/**
 * @internal The state of one `ParallelGroup.asyncWait`, allocated through the
 * final handler's allocator and freed before the final handler runs.
 *
 * - Each member gets a handler and a cancellation signal of its own, made
 *   once per index when the op object first needs them and reused by every
 *   later group in this op object. A member handler carries the final
 *   handler's allocator, its signal's slot, and names this op as its owner
 *   (context shutdown destroying a member destroys the group).
 * - The first member that becomes pending tells the op its context (the
 *   slot watcher), which then counts it, so a deadline on the group arms on
 *   that context.
 * - After each completion `condition` says whether the members still
 *   pending are cancelled; the group completes once every member has.
 * - A request in the final handler's slot is forwarded to every member
 *   still pending.
 */
export class ParallelGroupOp extends Operation implements CancellationHandler, SlotWatcher {
  handler: Handler<unknown[]> | null = null;
  condition: MemberCondition | null = null;
  /** Member indices in completion order; handed to the final handler. */
  order: number[] | null = null;
  /** Each member's `[err, ...values]`; handed to the final handler. */
  results: unknown[][] | null = null;
  /** Members started and not yet completed. */
  remaining = 0;
  /** How many members this group has. */
  count = 0;
  /** The condition was met (the others were cancelled). */
  decided = false;
  /** A member's start threw: the group ends without invoking its handler. */
  failed = false;
  /** The final handler's slot while the group is pending. */
  slot: CancellationSlot | null = null;
  readonly #done: boolean[] = [];
  readonly #signals: CancellationSignal[] = [];
  readonly #members: MemberHandler[] = [];

  constructor() {
    super(OP_KIND.parallelGroup);
  }

  init(handler: Handler<unknown[]>, count: number, condition: MemberCondition, allocator: Allocator): this {
    this.handler = handler;
    this.condition = condition;
    this.order = [];
    this.results = new Array<unknown[]>(count);
    this.remaining = 0;
    this.count = count;
    this.decided = false;
    this.failed = false;
    this.slot = getAssociatedCancellationSlot(handler);
    this.allocator = allocator;
    const done = this.#done;
    for (let i = 0; i < count; i++) done[i] = false;
    while (this.#members.length < count) this.#addMember(this.#members.length);
    return this;
  }

  #addMember(index: number): void {
    const signal = new CancellationSignal();
    signal.slot().watcher = this;
    const member = (err: IoError | null, ...values: unknown[]): void => {
      this.#memberDone(index, err, values);
    };
    Object.defineProperty(member, associatedAllocator, { get: (): Allocator | undefined => this.allocator ?? undefined });
    Object.defineProperty(member, associatedCancellationSlot, { value: signal.slot() });
    Object.defineProperty(member, handlerOwner, { value: this });
    this.#signals.push(signal);
    this.#members.push(member);
  }

  /** Starts every member, then joins the final handler's slot. A start that throws cancels the members started and rethrows. */
  start(members: readonly MemberStart[]): void {
    const count = this.count;
    for (let i = 0; i < count; i++) {
      this.remaining++;
      try {
        members[i]!(this.#members[i]!);
      } catch (error) {
        this.remaining--;
        this.#abandon();
        throw error;
      }
    }
    if (this.slot !== null && this.allocator !== null) this.slot.assign(this);
  }

  #abandon(): void {
    this.failed = true;
    this.leaveSlot();
    this.#cancelPending(CancellationType.terminal);
    if (this.remaining === 0) this.destroy();
  }

  /** A member became pending: the first tells the group its context. */
  installed(handler: CancellationHandler | CancellationHandlerFunction): void {
    if (this.isCounted() || !(handler instanceof Operation)) return;
    handler.observer?.operationStarted(this, 'parallel_group', this, null);
  }

  onCancellation(type: CancellationType): void {
    if (this.allocator === null) return;
    this.#cancelPending(type);
  }

  #cancelPending(type: CancellationType): void {
    const done = this.#done;
    const signals = this.#signals;
    for (let i = 0; i < this.count; i++) if (!done[i]) signals[i]!.emit(type);
  }

  #memberDone(index: number, err: IoError | null, values: unknown[]): void {
    if (this.allocator === null || this.#done[index] === true) return;
    this.#done[index] = true;
    this.remaining--;
    if (this.failed) {
      if (this.remaining === 0) this.destroy();
      return;
    }
    this.order!.push(index);
    values.unshift(err);
    this.results![index] = values;
    if (!this.decided) {
      const type = this.condition!(err, index);
      if (type !== CancellationType.none) {
        this.decided = true;
        this.#cancelPending(type);
      }
    }
    if (this.remaining === 0) this.complete();
  }

  leaveSlot(): void {
    const slot = this.slot;
    if (slot !== null) {
      this.slot = null;
      slot.clearIf(this);
    }
  }

  override reset(): void {
    this.leaveSlot();
    this.handler = null;
    this.condition = null;
    this.order = null;
    this.results = null;
    this.remaining = 0;
    this.count = 0;
    this.decided = false;
    this.failed = false;
    this.allocator = null;
    this.next = null;
  }

  override complete(): void {
    const handler = this.handler!;
    const order = this.order!;
    const results = this.results!;
    const allocator = this.allocator!;
    this.reset();
    // Free before invoking: the handler may start the next operation in this memory.
    this.free(allocator);
    results.unshift(order);
    Reflect.apply(handler, undefined, [null, ...results]);
  }
}
