import { describeValue } from '../errors/describe-value.js';

/**
 * The names of the runtime's own operation kinds, spelled out (rather than
 * `keyof typeof OP_KIND`) so the documentation shows them; `OP_KIND`'s
 * `satisfies` keeps the two lists equal.
 *
 * @inline
 */
type BuiltinOperationKind =
  | 'other'
  | 'post'
  | 'connect'
  | 'accept'
  | 'readSome'
  | 'writeSome'
  | 'resolve'
  | 'read'
  | 'write'
  | 'readUntil'
  | 'wait'
  | 'signalWait'
  | 'parallelGroup'
  | 'channelSend'
  | 'channelReceive'
  | 'compose'
  | 'sendTo'
  | 'send'
  | 'receiveFrom'
  | 'receive'
  | 'bind'
  | 'handshake'
  | 'shutdown'
  | 'listenWait'
  | 'threadReceive';

/**
 * @internal The index of each kind of operation the runtime defines, stored
 * in every op as `kind`. Adding an op kind to the runtime is one line here
 * and its name in `BuiltinOperationKind`: the list and the statistics follow.
 */
export const OP_KIND = {
  other: 0,
  post: 1,
  connect: 2,
  accept: 3,
  readSome: 4,
  writeSome: 5,
  resolve: 6,
  read: 7,
  write: 8,
  readUntil: 9,
  wait: 10,
  signalWait: 11,
  parallelGroup: 12,
  channelSend: 13,
  channelReceive: 14,
  compose: 15,
  sendTo: 16,
  send: 17,
  receiveFrom: 18,
  receive: 19,
  bind: 20,
  handshake: 21,
  shutdown: 22,
  listenWait: 23,
  threadReceive: 24,
} as const satisfies Record<BuiltinOperationKind, number>;

/**
 * The kinds of operation the allocation statistics are broken down by: one
 * per operation class of the runtime, `other` for operation classes defined
 * outside it, and any kind defined with `defineOperationKind`.
 *
 * @example
 * ```ts
 * const { byKind } = ctx.allocationStats();
 * console.log(byKind.readSome?.hits, byKind.write?.live);
 * ```
 *
 * @category Diagnostics
 */
export type OperationKind = BuiltinOperationKind | (string & Record<never, never>);

/**
 * How many kinds there can be, so a program that defines kinds without end
 * fails loudly. Each allocator's statistics keep one counter slot per kind,
 * grown once when a kind is defined after it was made.
 *
 * @example
 * ```ts
 * const room = MAX_OPERATION_KINDS - OPERATION_KINDS.length; // how many more defineOperationKind can add
 * ```
 *
 * @category Diagnostics
 */
export const MAX_OPERATION_KINDS = 64;

const kinds: string[] = [];
for (const [name, index] of Object.entries(OP_KIND)) kinds[index] = name;

/**
 * Every `OperationKind` defined so far, in the order of their indices: the
 * statistics counters are arrays indexed by kind, so counting allocates
 * nothing and looks nothing up. Kinds added by `defineOperationKind` are
 * appended.
 *
 * @example
 * ```ts
 * for (const kind of OPERATION_KINDS) console.log(kind, ctx.allocationStats().byKind[kind]?.live ?? 0);
 * ```
 *
 * @category Diagnostics
 */
export const OPERATION_KINDS: readonly OperationKind[] = kinds;

/**
 * Defines an operation kind for an operation class written outside the
 * runtime, so the statistics count it under its own name instead of
 * `other`; returns the index to pass to `Operation`'s constructor. Defining
 * a name again returns the same index.
 *
 * @example
 * ```ts
 * const DATAGRAM = defineOperationKind('datagram');
 * class DatagramOp extends Operation {
 *   constructor() {
 *     super(DATAGRAM);
 *   }
 *   // …
 * }
 * ctx.allocationStats().byKind.datagram?.live;
 * ```
 *
 * @category Diagnostics
 */
export function defineOperationKind(name: string): number {
  if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9]*$/.test(name)) {
    throw new TypeError(`defineOperationKind: the name must be letters and digits, starting with a letter, got ${describeValue(name)}`);
  }
  const known = kinds.indexOf(name);
  if (known !== -1) return known;
  if (kinds.length >= MAX_OPERATION_KINDS) throw new RangeError(`defineOperationKind: at most ${String(MAX_OPERATION_KINDS)} operation kinds`);
  kinds.push(name);
  return kinds.length - 1;
}
