const INITIAL_CAPACITY = 64;

/**
 * @internal A 4-ary min-heap of items keyed by (expiry, seq), each slot also
 * carrying a token. The keys live in parallel `Float64Array`s, the items in
 * one packed array, so a sift compares contiguous numbers and moves four
 * values without touching the items themselves.
 *
 * The heap never asks whether a slot is still wanted: its owner keeps dead
 * slots (lazy deletion), recognising them by their token when they reach the
 * top, and drops them in bulk with `retain`.
 *
 * Four children per node halve the depth of a binary heap (8 levels for
 * 100,000 slots instead of 17), and the children of a node are adjacent in
 * memory, so a pop touches about half the cache lines.
 */
export class TimerHeap<T> {
  #expiry = new Float64Array(INITIAL_CAPACITY);
  #seq = new Float64Array(INITIAL_CAPACITY);
  #token = new Float64Array(INITIAL_CAPACITY);
  readonly #items: T[] = [];

  /** How many slots the heap holds, dead ones included. */
  get length(): number {
    return this.#items.length;
  }

  /** The smallest expiry, or `Infinity` when empty. */
  topExpiry(): number {
    return this.#items.length === 0 ? Infinity : this.#expiry[0]!;
  }

  /** The item of the smallest slot; only when not empty. */
  topItem(): T {
    return this.#items[0]!;
  }

  /** The sequence number of the smallest slot; only when not empty. */
  topSeq(): number {
    return this.#seq[0]!;
  }

  /** The token of the smallest slot; only when not empty. */
  topToken(): number {
    return this.#token[0]!;
  }

  /** Adds a slot. Amortised O(1) for expiries that only grow, O(log n) at worst. */
  push(item: T, expiry: number, seq: number, token: number): void {
    const items = this.#items;
    let index = items.length;
    if (index === this.#expiry.length) this.#grow();
    items.push(item);
    const expiries = this.#expiry;
    const seqs = this.#seq;
    const tokens = this.#token;
    while (index > 0) {
      const parent = (index - 1) >> 2;
      const pe = expiries[parent]!;
      if (pe < expiry || (pe === expiry && seqs[parent]! < seq)) break;
      expiries[index] = pe;
      seqs[index] = seqs[parent]!;
      tokens[index] = tokens[parent]!;
      items[index] = items[parent]!;
      index = parent;
    }
    expiries[index] = expiry;
    seqs[index] = seq;
    tokens[index] = token;
    items[index] = item;
  }

  /** Removes the smallest slot; only when not empty. */
  pop(): void {
    const items = this.#items;
    const last = items.length - 1;
    const item = items.pop()!;
    if (last === 0) return;
    this.#siftDown(0, last, item, this.#expiry[last]!, this.#seq[last]!, this.#token[last]!);
  }

  /**
   * Keeps only the slots for which `keep(item, token)` is true and restores
   * the heap order (Floyd's O(n) heapify). Keys never change, so equal
   * expiries keep their order.
   */
  retain(keep: (item: T, token: number) => boolean): void {
    const items = this.#items;
    const expiries = this.#expiry;
    const seqs = this.#seq;
    const tokens = this.#token;
    const length = items.length;
    let kept = 0;
    for (let i = 0; i < length; i++) {
      const item = items[i]!;
      const token = tokens[i]!;
      if (!keep(item, token)) continue;
      if (kept !== i) {
        items[kept] = item;
        expiries[kept] = expiries[i]!;
        seqs[kept] = seqs[i]!;
        tokens[kept] = token;
      }
      kept++;
    }
    items.length = kept;
    for (let i = (kept - 2) >> 2; i >= 0; i--) this.#siftDown(i, kept, items[i]!, expiries[i]!, seqs[i]!, tokens[i]!);
    if (kept <= this.#expiry.length >> 2 && this.#expiry.length > INITIAL_CAPACITY) this.#resize(Math.max(INITIAL_CAPACITY, kept * 2));
  }

  /** Drops every slot and gives back the memory of a large heap. */
  clear(): void {
    // Pop rather than `length = 0`, which drops the backing store and makes the next push allocate a new one.
    const items = this.#items;
    while (items.length > 0) items.pop();
    if (this.#expiry.length > INITIAL_CAPACITY) this.#resize(INITIAL_CAPACITY);
  }

  /** Places (item, expiry, seq, token) at or below `index` among the first `length` slots. */
  #siftDown(index: number, length: number, item: T, expiry: number, seq: number, token: number): void {
    const items = this.#items;
    const expiries = this.#expiry;
    const seqs = this.#seq;
    const tokens = this.#token;
    for (;;) {
      const first = 4 * index + 1;
      if (first >= length) break;
      // The smallest of up to four adjacent children.
      let child = first;
      let ce = expiries[first]!;
      let cs = seqs[first]!;
      const end = first + 4 < length ? first + 4 : length;
      for (let c = first + 1; c < end; c++) {
        const e = expiries[c]!;
        if (e < ce || (e === ce && seqs[c]! < cs)) {
          child = c;
          ce = e;
          cs = seqs[c]!;
        }
      }
      if (expiry < ce || (expiry === ce && seq < cs)) break;
      expiries[index] = ce;
      seqs[index] = cs;
      tokens[index] = tokens[child]!;
      items[index] = items[child]!;
      index = child;
    }
    expiries[index] = expiry;
    seqs[index] = seq;
    tokens[index] = token;
    items[index] = item;
  }

  #grow(): void {
    this.#resize(this.#expiry.length * 2);
  }

  #resize(capacity: number): void {
    const length = this.#items.length;
    const expiries = new Float64Array(capacity);
    const seqs = new Float64Array(capacity);
    const tokens = new Float64Array(capacity);
    expiries.set(this.#expiry.subarray(0, length));
    seqs.set(this.#seq.subarray(0, length));
    tokens.set(this.#token.subarray(0, length));
    this.#expiry = expiries;
    this.#seq = seqs;
    this.#token = tokens;
  }
}
