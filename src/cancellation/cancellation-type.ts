import { describeValue } from '../errors/describe-value.js';

/**
 * The kinds of cancellation a `CancellationSignal` can request, as bit flags
 * (asio's `cancellation_type`). They differ in what the requester accepts
 * about the state the operation leaves behind:
 *
 * - `terminal`: anything; the object may be unusable afterwards except for
 *   closing it;
 * - `partial`: the operation may have had side effects (for example some
 *   bytes written), which it reports;
 * - `total`: no side effects at all; the operation is as if never started.
 *
 * `none` requests nothing; `all` is every bit. An operation honours the
 * types it documents and ignores the others.
 *
 * @example
 * ```ts
 * const cancel = new CancellationSignal();
 * timer.asyncWait(bindCancellationSlot(cancel.slot(), (err: IoError | null) => { … }));
 * cancel.emit(CancellationType.terminal | CancellationType.partial);
 * ```
 *
 * @category Cancellation
 */
export const CancellationType = Object.freeze({
  none: 0,
  terminal: 1,
  partial: 2,
  total: 4,
  all: 0xffffffff,
} as const);

/**
 * A combination of `CancellationType` flags.
 *
 * @category Cancellation
 */
export type CancellationType = number;

/**
 * @internal The types an operation that can always be withdrawn without side
 * effects (a timer wait, a signal wait) honours: any of terminal, partial, total.
 */
export const ANY_CANCELLATION = CancellationType.terminal | CancellationType.partial | CancellationType.total;

/** @internal Throws a TypeError unless `type` is `CancellationType` flags other than `none` (what a deadline or a group condition requests). */
export function checkRequestedType(type: unknown, caller: string): asserts type is CancellationType {
  if (typeof type !== 'number' || !Number.isInteger(type) || type <= 0 || type > 0xffffffff) {
    throw new TypeError(`${caller}: the type must be CancellationType flags other than none, got ${describeValue(type)}`);
  }
}
