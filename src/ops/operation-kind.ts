/**
 * The kinds of operation the allocation statistics are broken down by: one
 * per operation class of the runtime, and `other` for operation classes
 * defined outside it.
 *
 * @example
 * ```ts
 * const { byKind } = ctx.allocationStats();
 * console.log(byKind.readSome?.hits, byKind.write?.live);
 * ```
 */
export type OperationKind =
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
  | 'other';

/**
 * Every `OperationKind`, in the order of their indices (`OP_KIND`): the
 * statistics counters are arrays indexed by kind, so counting allocates
 * nothing and looks nothing up.
 *
 * @example
 * ```ts
 * for (const kind of OPERATION_KINDS) console.log(kind, ctx.allocationStats().byKind[kind]?.live ?? 0);
 * ```
 */
export const OPERATION_KINDS: readonly OperationKind[] = [
  'other',
  'post',
  'connect',
  'accept',
  'readSome',
  'writeSome',
  'resolve',
  'read',
  'write',
  'readUntil',
  'wait',
  'signalWait',
];

/** @internal The index of each kind in `OPERATION_KINDS`, stored in every op as `kind`. */
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
} as const satisfies Record<OperationKind, number>;
