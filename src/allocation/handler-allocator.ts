import type { Operation, OpClass } from '../ops/operation.js';
import { OPERATION_KINDS, type OperationKind } from '../ops/operation-kind.js';
import { AllocationCounters, allocationCounts } from './allocation-counters.js';
import type { AllocationCounts, AllocatorStats, InstrumentedAllocator } from './allocator.js';

/**
 * How many op classes one `HandlerAllocator` keeps a slot for.
 *
 * @example
 * ```ts
 * const memory = new HandlerAllocator();
 * // … a session whose handlers use ReadSomeOp, WriteOp and WriteSomeOp: 3 of the slots …
 * const { fallbacks } = memory.stats(); // 3 (the first op of each class) when every later op reused its slot
 * console.log(`${HANDLER_ALLOCATOR_SLOTS - 3} slots left for other op classes`);
 * ```
 *
 * @category Allocation
 */
export const HANDLER_ALLOCATOR_SLOTS = 8;

/**
 * The seed's `handler_allocator`: one slot per op class, each with an in-use
 * flag. An allocation takes the slot when it is free and constructs a new op
 * when it is busy (the op then goes to the garbage collector when freed).
 *
 * Give one to each session and bind its handlers with
 * `makeCustomAllocHandler`: a half-duplex chain (read → write → read …) then
 * runs on the same op objects forever, because each op is freed before the
 * handler that starts the next one runs.
 *
 * `stats()`: `hits` counts allocations served from a slot, `fallbacks` the
 * ops constructed (the first of each class, and any allocated while its slot
 * was busy).
 *
 * @example
 * ```ts
 * class Session {
 *   readonly memory = new HandlerAllocator();
 *   readonly data = Buffer.alloc(1024);
 *   readonly onRead = makeCustomAllocHandler(this.memory, (err: IoError | null, n: number) => {
 *     if (!err) asyncWrite(this.socket, this.data.subarray(0, n), this.onWrite);
 *   });
 *   readonly onWrite = makeCustomAllocHandler(this.memory, (err: IoError | null) => {
 *     if (!err) this.socket.asyncReadSome(this.data, this.onRead);
 *   });
 *   constructor(readonly socket: TcpSocket) {}
 *   start(): void {
 *     this.socket.asyncReadSome(this.data, this.onRead);
 *   }
 * }
 * ```
 *
 * @category Allocation
 */
export class HandlerAllocator implements InstrumentedAllocator {
  readonly #types: OpClass[] = [];
  readonly #ops: Operation[] = [];
  /**
   * How many times each slot's op was handed out plus given back: odd while
   * it is in use. One number is both the in-use flag and the statistics
   * (hand-outs = ⌈n/2⌉, the first a fallback; gives-back = ⌊n/2⌋), so a
   * chain on its slots counts nothing more than the flag it must set anyway.
   */
  readonly #uses: number[] = [];
  /** Ops constructed because their slot was busy or none was left, and their deallocations: made on first need. */
  #others: AllocationCounters | null = null;

  allocate<T extends Operation>(type: OpClass<T>): T {
    const types = this.#types;
    for (let i = 0; i < types.length; i++) {
      if (types[i] !== type) continue;
      const uses = this.#uses;
      if (uses[i]! % 2 === 1) break;
      uses[i]!++;
      return this.#ops[i] as T;
    }
    const op = new type();
    if (types.length < HANDLER_ALLOCATOR_SLOTS && !types.includes(type)) {
      types.push(type);
      this.#ops.push(op);
      this.#uses.push(1);
    } else {
      (this.#others ??= new AllocationCounters()).fallback(op.kind);
    }
    return op;
  }

  deallocate(op: Operation): void {
    const ops = this.#ops;
    for (let i = 0; i < ops.length; i++) {
      if (ops[i] === op) {
        const uses = this.#uses;
        if (uses[i]! % 2 === 1) {
          uses[i]!++;
          return;
        }
        break; // given back twice: counted, as any other deallocation
      }
    }
    (this.#others ??= new AllocationCounters()).deallocation(op.kind);
  }

  stats(): AllocatorStats {
    // Built from the slots directly, without a set of per-kind arrays: a session's allocator is often asked once, as it ends.
    const others = this.#others?.snapshot();
    const byKind: Partial<Record<OperationKind, AllocationCounts>> = others === undefined ? {} : { ...others.byKind };
    let hits = others?.hits ?? 0;
    let fallbacks = others?.fallbacks ?? 0;
    let deallocations = others?.deallocations ?? 0;
    const ops = this.#ops;
    for (let i = 0; i < ops.length; i++) {
      const n = this.#uses[i]!;
      const name = OPERATION_KINDS[ops[i]!.kind]!;
      const slotHits = Math.ceil(n / 2) - 1;
      const slotFrees = Math.floor(n / 2);
      const prev = byKind[name];
      byKind[name] = allocationCounts((prev?.hits ?? 0) + slotHits, (prev?.fallbacks ?? 0) + 1, (prev?.deallocations ?? 0) + slotFrees);
      hits += slotHits;
      fallbacks++;
      deallocations += slotFrees;
    }
    return { ...allocationCounts(hits, fallbacks, deallocations), byKind };
  }
}
