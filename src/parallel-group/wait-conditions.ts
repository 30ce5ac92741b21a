import { CancellationType, checkRequestedType } from '../cancellation/cancellation-type.js';
import type { IoError } from '../errors/io-error.js';

/**
 * When a parallel group stops waiting: called after each member completes
 * with that member's error and index, it returns the cancellation type the
 * members still pending get (`CancellationType.none`: keep waiting). Once
 * it has returned a type it is not asked again.
 *
 * @example
 * ```ts
 * // Stop at the first member that fails with anything but eof:
 * const firstRealError: ParallelGroupCondition = (err) =>
 *   err !== null && err.code !== 'eof' ? CancellationType.terminal : CancellationType.none;
 * ```
 *
 * @category Parallel groups
 */
export type ParallelGroupCondition = (err: IoError | null, index: number) => CancellationType;

const forAll: ParallelGroupCondition = () => CancellationType.none;

/**
 * Wait for every member; cancel none (asio's `wait_for_all`).
 *
 * @example
 * ```ts
 * const [order, a, b] = await makeParallelGroup(opA, opB).asyncWait(waitForAll(), usePromise);
 * ```
 *
 * @category Parallel groups
 */
export function waitForAll(): ParallelGroupCondition {
  return forAll;
}

/**
 * Once any member completes, cancel the others with `type` (asio's `wait_for_one`).
 *
 * @example
 * ```ts
 * const [order] = await makeParallelGroup(read, timeout).asyncWait(waitForOne(), usePromise);
 * ```
 *
 * @category Parallel groups
 */
export function waitForOne(type: CancellationType = CancellationType.terminal): ParallelGroupCondition {
  checkRequestedType(type, 'waitForOne');
  return () => type;
}

/**
 * Once a member completes without an error, cancel the others with `type` (asio's `wait_for_one_success`).
 *
 * @example
 * ```ts
 * // Connect to whichever address answers first:
 * const [order] = await makeParallelGroup(connectA, connectB).asyncWait(waitForOneSuccess(), usePromise);
 * ```
 *
 * @category Parallel groups
 */
export function waitForOneSuccess(type: CancellationType = CancellationType.terminal): ParallelGroupCondition {
  checkRequestedType(type, 'waitForOneSuccess');
  return (err) => (err === null ? type : CancellationType.none);
}

/**
 * Once a member completes with an error, cancel the others with `type` (asio's `wait_for_one_error`).
 *
 * @example
 * ```ts
 * const [order, ...results] = await makeParallelGroup(writeA, writeB).asyncWait(waitForOneError(), usePromise);
 * ```
 *
 * @category Parallel groups
 */
export function waitForOneError(type: CancellationType = CancellationType.terminal): ParallelGroupCondition {
  checkRequestedType(type, 'waitForOneError');
  return (err) => (err !== null ? type : CancellationType.none);
}
