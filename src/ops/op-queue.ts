import type { Operation } from './operation.js';

/**
 * @internal An intrusive FIFO of operations, linked through `Operation.next`:
 * pushing and shifting never allocate. An op is in at most one queue at a
 * time.
 */
export class OpQueue {
  #head: Operation | null = null;
  #tail: Operation | null = null;
  #length = 0;

  /** How many operations are queued. */
  get length(): number {
    return this.#length;
  }

  /**
   * Whether no operation is queued.
   */
  isEmpty(): boolean {
    return this.#head === null;
  }

  /**
   * The oldest queued operation, without removing it.
   */
  front(): Operation | null {
    return this.#head;
  }

  /**
   * Appends `op` (which must not be in a queue) at the back.
   */
  push(op: Operation): void {
    op.next = null;
    if (this.#tail === null) this.#head = op;
    else this.#tail.next = op;
    this.#tail = op;
    this.#length++;
  }

  /**
   * Removes and returns the oldest operation, or `null` when empty.
   */
  shift(): Operation | null {
    const op = this.#head;
    if (op === null) return null;
    this.#head = op.next;
    if (this.#head === null) this.#tail = null;
    op.next = null;
    this.#length--;
    return op;
  }

  /**
   * Removes `op` wherever it is in the queue; returns whether it was there.
   */
  remove(op: Operation): boolean {
    let prev: Operation | null = null;
    for (let cur = this.#head; cur !== null; prev = cur, cur = cur.next) {
      if (cur !== op) continue;
      if (prev === null) this.#head = cur.next;
      else prev.next = cur.next;
      if (this.#tail === cur) this.#tail = prev;
      cur.next = null;
      this.#length--;
      return true;
    }
    return false;
  }

  /**
   * Moves every operation of `other` to the back of this queue, in O(1):
   * the ops stay linked as they were.
   */
  append(other: OpQueue): void {
    const head = other.#head;
    if (head === null) return;
    if (this.#tail === null) this.#head = head;
    else this.#tail.next = head;
    this.#tail = other.#tail;
    this.#length += other.#length;
    other.#head = null;
    other.#tail = null;
    other.#length = 0;
  }
}
