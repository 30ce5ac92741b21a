import type { Operation, OpClass } from '../ops/operation.js';
import { AllocationCounters } from './allocation-counters.js';
import type { AllocatorStats, InstrumentedAllocator } from './allocator.js';

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
  readonly #inUse: boolean[] = [];
  readonly #counters = new AllocationCounters();

  allocate<T extends Operation>(type: OpClass<T>): T {
    const types = this.#types;
    for (let i = 0; i < types.length; i++) {
      if (types[i] !== type) continue;
      if (this.#inUse[i] === true) break;
      this.#inUse[i] = true;
      const slotOp = this.#ops[i]!;
      this.#counters.hit(slotOp.kind);
      return slotOp as T;
    }
    const op = new type();
    this.#counters.fallback(op.kind);
    if (types.length < HANDLER_ALLOCATOR_SLOTS && !types.includes(type)) {
      types.push(type);
      this.#ops.push(op);
      this.#inUse.push(true);
    }
    return op;
  }

  deallocate(op: Operation): void {
    this.#counters.deallocation(op.kind);
    const ops = this.#ops;
    for (let i = 0; i < ops.length; i++) {
      if (ops[i] === op) {
        this.#inUse[i] = false;
        return;
      }
    }
  }

  stats(): AllocatorStats {
    return this.#counters.snapshot();
  }
}
