import { keepShape } from '../ops/keep-shape.js';
import { TimerHeap } from './timer-heap.js';

/** How many sorted runs a `TimerSet` keeps at most; slots that fit none go to its heap. */
export const MAX_TIMER_RUNS = 32;

/** Below this many consumed slots a run does not bother to reclaim them. */
const RECLAIM_AT = 1024;

/** Numbers per slot in `Run.keys`: expiry, seq, token. */
const KEYS = 3;

/** Slots a new run has room for: 6 numbers, a typed array small enough to live on V8's heap (cheap to make). */
const RUN_CAPACITY = 2;

/** Runs of up to this many slots keep their key array when compacted. */
const SHRINK_ABOVE = 256;

/** The largest emptied run (in slots) a `TimerSet` keeps for reuse. */
const SPARE_CAPACITY = 4096;

/**
 * One sorted run: slots in (expiry, seq) order, consumed from `head`. The
 * keys of slot `i` are `keys[3i]` (expiry), `keys[3i + 1]` (seq) and
 * `keys[3i + 2]` (token), in one typed array that doubles when full: an
 * append writes three numbers in place, where growing three JS arrays would
 * copy each of them again and again.
 */
class Run<T> {
  readonly items: T[] = [];
  keys = new Float64Array(RUN_CAPACITY * KEYS);
  head = 0;

  append(item: T, expiry: number, seq: number, token: number): void {
    const items = this.items;
    const k = items.length * KEYS;
    let keys = this.keys;
    if (k === keys.length) {
      keys = new Float64Array(k * 2);
      keys.set(this.keys);
      this.keys = keys;
    }
    items.push(item);
    keys[k] = expiry;
    keys[k + 1] = seq;
    keys[k + 2] = token;
  }

  headExpiry(): number {
    return this.keys[this.head * KEYS]!;
  }

  headSeq(): number {
    return this.keys[this.head * KEYS + 1]!;
  }

  headToken(): number {
    return this.keys[this.head * KEYS + 2]!;
  }

  tailExpiry(): number {
    return this.keys[(this.items.length - 1) * KEYS]!;
  }

  tailSeq(): number {
    return this.keys[(this.items.length - 1) * KEYS + 1]!;
  }

  /** Empties the run (keeping its key array) for reuse. */
  reset(): void {
    // Popped, not `length = 0`, which would drop the backing store the next append needs.
    const items = this.items;
    while (items.length > 0) items.pop();
    this.head = 0;
  }

  /** Drops the consumed slots once they are many and at least half the run. */
  reclaim(): void {
    const head = this.head;
    const length = this.items.length;
    if (head < RECLAIM_AT || head * 2 < length) return;
    this.items.splice(0, head);
    this.#moveKeys(head, length);
  }

  /** Keeps the unconsumed slots for which `keep` is true, in order; returns how many. */
  retain(keep: (item: T, token: number) => boolean): number {
    const { items, keys } = this;
    const length = items.length;
    let kept = 0;
    for (let i = this.head; i < length; i++) {
      const item = items[i]!;
      const k = i * KEYS;
      if (!keep(item, keys[k + 2]!)) continue;
      const to = kept * KEYS;
      items[kept] = item;
      keys[to] = keys[k]!;
      keys[to + 1] = keys[k + 1]!;
      keys[to + 2] = keys[k + 2]!;
      kept++;
    }
    while (items.length > kept) items.pop();
    this.#moveKeys(0, kept);
    return kept;
  }

  /** Moves the keys of slots [from, to) to the front, gives back most of a mostly empty array, and resets `head`. */
  #moveKeys(from: number, to: number): void {
    const length = to - from;
    const capacity = this.keys.length / KEYS;
    // Only a large array is given back: a small run that shrank and grew again would allocate on every compaction.
    if (capacity > SHRINK_ABOVE && length * 4 <= capacity) {
      const keys = new Float64Array(Math.max(RUN_CAPACITY, length * 2) * KEYS);
      keys.set(this.keys.subarray(from * KEYS, to * KEYS));
      this.keys = keys;
    } else if (from !== 0) {
      this.keys.copyWithin(0, from * KEYS, to * KEYS);
    }
    this.head = 0;
  }
}

// An empty run kept for good: the map of a run outlives every timer queue.
keepShape(new Run());

function headBefore<T>(a: Run<T>, b: Run<T>): boolean {
  const ae = a.headExpiry();
  const be = b.headExpiry();
  return ae < be || (ae === be && a.headSeq() < b.headSeq());
}

function tailBefore<T>(a: Run<T>, b: Run<T>): boolean {
  const ae = a.tailExpiry();
  const be = b.tailExpiry();
  return ae < be || (ae === be && a.tailSeq() < b.tailSeq());
}

/** Insertion sort by tail: at most `MAX_TIMER_RUNS` runs, nearly sorted already. */
function sortByTail<T>(runs: Run<T>[]): void {
  for (let i = 1; i < runs.length; i++) {
    const run = runs[i]!;
    let j = i - 1;
    while (j >= 0 && tailBefore(run, runs[j]!)) {
      runs[j + 1] = runs[j]!;
      j--;
    }
    runs[j + 1] = run;
  }
}

/**
 * @internal The ordered set of timer slots of a `TimerQueue`: items keyed
 * by (expiry, seq), each slot carrying a token, with the smallest at the top.
 *
 * Real programs arm timers in a few monotonic streams (each timeout length
 * yields increasing expiries, like Node's one list per duration), so slots
 * are kept in up to `MAX_TIMER_RUNS` sorted runs, as in patience sorting:
 * a slot is appended to the run with the largest tail not after it, found
 * first at the last run and else by binary search (runs are kept in tail
 * order). The run heads sit in a small binary heap. For such streams push
 * and pop are O(1) and O(log runs) instead of O(log n). A slot that fits no
 * run when all runs exist goes to a 4-ary `TimerHeap`, so any order of
 * arming still costs O(log n) at worst; the top is the smaller of the two.
 *
 * Like `TimerHeap`, the set never asks whether a slot is still wanted: its
 * owner skips dead slots at the top and drops them in bulk with `retain`.
 */
export class TimerSet<T> {
  /** The runs in ascending tail order. */
  #runs: Run<T>[] = [];
  /** The runs as a binary min-heap on their head slot. */
  readonly #heads: Run<T>[] = [];
  readonly #heap = new TimerHeap<T>();
  #length = 0;
  /** Where the smallest slot is: a run, or `null` for the heap. */
  #top: Run<T> | null = null;
  /** An emptied run kept for the next new one, so runs coming and going do not allocate. */
  #spare: Run<T> | null = null;

  /** How many slots the set holds, dead ones included. */
  get length(): number {
    return this.#length;
  }

  /** The smallest expiry, or `Infinity` when empty. */
  topExpiry(): number {
    const top = this.#top;
    return top !== null ? top.headExpiry() : this.#heap.topExpiry();
  }

  /** The item of the smallest slot; only when not empty. */
  topItem(): T {
    const top = this.#top;
    return top !== null ? top.items[top.head]! : this.#heap.topItem();
  }

  /** The token of the smallest slot; only when not empty. */
  topToken(): number {
    const top = this.#top;
    return top !== null ? top.headToken() : this.#heap.topToken();
  }

  /** Adds a slot: O(1) when it extends the newest run, O(log runs + log n) at worst. */
  push(item: T, expiry: number, seq: number, token: number): void {
    this.#length++;
    const runs = this.#runs;
    let index = runs.length - 1;
    if (index >= 0) {
      const last = runs[index]!;
      const te = last.tailExpiry();
      if (!(te < expiry || (te === expiry && last.tailSeq() <= seq))) index = this.#findRun(expiry, seq);
    }
    if (index >= 0) {
      // A run's head, hence the top, changes only when it was empty, which never stays in the set.
      runs[index]!.append(item, expiry, seq, token);
      return;
    }
    if (runs.length < MAX_TIMER_RUNS) {
      const run = this.#spare ?? new Run<T>();
      this.#spare = null;
      run.append(item, expiry, seq, token);
      runs.unshift(run); // its tail is before every other tail
      this.#pushHead(run);
    } else {
      this.#heap.push(item, expiry, seq, token);
    }
    this.#selectTop();
  }

  /** Removes the smallest slot; only when not empty. */
  pop(): void {
    this.#length--;
    const top = this.#top;
    if (top === null) {
      this.#heap.pop();
    } else {
      top.head++;
      if (top.head === top.items.length) {
        this.#dropTop(top);
      } else {
        top.reclaim();
        this.#siftHead(0);
      }
    }
    this.#selectTop();
  }

  /**
   * Removes every slot whose expiry is not after `limit`, smallest first,
   * calling `visit(item, token)` for each just before it goes; `visit` must
   * not change the set, nor throw, and returns `false` (exactly) to stop after that
   * slot (the caller may then change the set and call again). The slots of the top run that come before every
   * other run's head and the heap's top go in one step, so a batch of due
   * timers from a few streams costs O(1) each, not a pop each.
   */
  popDue(limit: number, visit: (item: T, token: number) => unknown): void {
    const heads = this.#heads;
    const heap = this.#heap;
    for (;;) {
      const top = this.#top;
      if (top === null) {
        if (heap.length === 0 || heap.topExpiry() > limit) return;
        const go = visit(heap.topItem(), heap.topToken()) !== false;
        this.#length--;
        heap.pop();
        this.#selectTop();
        if (!go) return;
        continue;
      }
      // The next slot outside the top run: the smaller child of the root head, or the heap's top.
      let be = Infinity;
      let bs = Infinity;
      for (let c = 1; c < 3 && c < heads.length; c++) {
        const run = heads[c]!;
        const e = run.headExpiry();
        if (e < be || (e === be && run.headSeq() < bs)) {
          be = e;
          bs = run.headSeq();
        }
      }
      if (heap.length > 0) {
        const e = heap.topExpiry();
        if (e < be || (e === be && heap.topSeq() < bs)) {
          be = e;
          bs = heap.topSeq();
        }
      }
      const { items, keys } = top;
      const end = items.length;
      const head = top.head;
      let i = head;
      let k = i * KEYS;
      let go = true;
      // The run's head is the smallest slot; the ones after it follow while they still come first.
      while (keys[k]! <= limit) {
        go = visit(items[i]!, keys[k + 2]!) !== false;
        i++;
        k += KEYS;
        if (!go || i === end) break;
        const e = keys[k]!;
        if (e > be || (e === be && keys[k + 1]! > bs)) break;
      }
      if (i === head) return;
      this.#length -= i - head;
      top.head = i;
      if (i === end) {
        this.#dropTop(top);
      } else {
        top.reclaim();
        this.#siftHead(0);
      }
      this.#selectTop();
      if (!go) return;
    }
  }

  /**
   * Keeps only the slots for which `keep(item, token)` is true, in their
   * order: O(n).
   */
  retain(keep: (item: T, token: number) => boolean): void {
    // In place and without sorting through Array.prototype.sort (which copies): a compaction allocates nothing.
    const runs = this.#runs;
    let length = 0;
    let write = 0;
    for (let r = 0; r < runs.length; r++) {
      const run = runs[r]!;
      const kept = run.retain(keep);
      if (kept === 0) {
        if (this.#spare === null && run.keys.length <= SPARE_CAPACITY * KEYS) {
          run.reset();
          this.#spare = run;
        }
        continue;
      }
      length += kept;
      runs[write++] = run;
    }
    while (runs.length > write) runs.pop();
    sortByTail(runs);
    const heads = this.#heads;
    while (heads.length > 0) heads.pop();
    for (const run of runs) this.#pushHead(run);
    this.#heap.retain(keep);
    this.#length = length + this.#heap.length;
    this.#selectTop();
  }

  clear(): void {
    // Emptied in place, one run kept as the spare: a timer armed and cancelled over and over allocates nothing.
    const runs = this.#runs;
    while (runs.length > 0) {
      const run = runs.pop()!;
      if (this.#spare === null && run.keys.length <= SPARE_CAPACITY * KEYS) {
        run.reset();
        this.#spare = run;
      }
    }
    const heads = this.#heads;
    while (heads.length > 0) heads.pop();
    this.#heap.clear();
    this.#length = 0;
    this.#top = null;
  }

  /** The index of the run with the largest tail not after (expiry, seq), or -1. */
  #findRun(expiry: number, seq: number): number {
    const runs = this.#runs;
    let lo = 0;
    let hi = runs.length; // runs[lo..hi) unknown; answer is lo - 1 at the end
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const run = runs[mid]!;
      const te = run.tailExpiry();
      if (te < expiry || (te === expiry && run.tailSeq() <= seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  #selectTop(): void {
    const heads = this.#heads;
    const heap = this.#heap;
    if (heads.length === 0) {
      this.#top = null;
      return;
    }
    const run = heads[0]!;
    if (heap.length === 0) {
      this.#top = run;
      return;
    }
    const re = run.headExpiry();
    const he = heap.topExpiry();
    this.#top = re < he || (re === he && run.headSeq() < heap.topSeq()) ? run : null;
  }

  /** Removes `top`, the run at the root of the heads, now consumed; keeps it as the spare if it is not large. */
  #dropTop(top: Run<T>): void {
    // Removed by shifting, not `splice`, which returns a new array of what it removed.
    const runs = this.#runs;
    const last = runs.length - 1;
    for (let i = runs.indexOf(top); i < last; i++) runs[i] = runs[i + 1]!;
    runs.pop();
    this.#popHead();
    top.reset();
    if (top.keys.length <= SPARE_CAPACITY * KEYS) this.#spare = top;
  }

  #pushHead(run: Run<T>): void {
    const heads = this.#heads;
    let index = heads.length;
    heads.push(run);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const p = heads[parent]!;
      if (!headBefore(run, p)) break;
      heads[index] = p;
      index = parent;
    }
    heads[index] = run;
  }

  #popHead(): void {
    const heads = this.#heads;
    const last = heads.pop()!;
    if (heads.length === 0) return;
    heads[0] = last;
    this.#siftHead(0);
  }

  #siftHead(index: number): void {
    const heads = this.#heads;
    const length = heads.length;
    const run = heads[index]!;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      let child = left;
      if (left + 1 < length && headBefore(heads[left + 1]!, heads[left]!)) child = left + 1;
      const c = heads[child]!;
      if (!headBefore(c, run)) break;
      heads[index] = c;
      index = child;
    }
    heads[index] = run;
  }
}
