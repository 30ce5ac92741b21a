import { TimerHeap } from './timer-heap.js';

/** How many sorted runs a `TimerSet` keeps at most; slots that fit none go to its heap. */
export const MAX_TIMER_RUNS = 32;

/** Below this many consumed slots a run does not bother to reclaim them. */
const RECLAIM_AT = 1024;

/** One sorted run: slots in (expiry, seq) order, consumed from `head`. */
class Run<T> {
  readonly items: T[] = [];
  readonly expiry: number[] = [];
  readonly seq: number[] = [];
  readonly token: number[] = [];
  head = 0;

  append(item: T, expiry: number, seq: number, token: number): void {
    this.items.push(item);
    this.expiry.push(expiry);
    this.seq.push(seq);
    this.token.push(token);
  }

  tailExpiry(): number {
    return this.expiry[this.expiry.length - 1]!;
  }

  tailSeq(): number {
    return this.seq[this.seq.length - 1]!;
  }

  /** Drops the consumed slots once they are many and at least half the run. */
  reclaim(): void {
    const head = this.head;
    if (head < RECLAIM_AT || head * 2 < this.items.length) return;
    this.items.splice(0, head);
    this.expiry.splice(0, head);
    this.seq.splice(0, head);
    this.token.splice(0, head);
    this.head = 0;
  }

  /** Keeps the unconsumed slots for which `keep` is true, in order; returns how many. */
  retain(keep: (item: T, token: number) => boolean): number {
    const { items, expiry, seq, token } = this;
    let kept = 0;
    for (let i = this.head; i < items.length; i++) {
      const item = items[i]!;
      if (!keep(item, token[i]!)) continue;
      items[kept] = item;
      expiry[kept] = expiry[i]!;
      seq[kept] = seq[i]!;
      token[kept] = token[i]!;
      kept++;
    }
    items.length = kept;
    expiry.length = kept;
    seq.length = kept;
    token.length = kept;
    this.head = 0;
    return kept;
  }
}

function headBefore<T>(a: Run<T>, b: Run<T>): boolean {
  const ae = a.expiry[a.head]!;
  const be = b.expiry[b.head]!;
  return ae < be || (ae === be && a.seq[a.head]! < b.seq[b.head]!);
}

function compareTails<T>(a: Run<T>, b: Run<T>): number {
  const ae = a.tailExpiry();
  const be = b.tailExpiry();
  return ae !== be ? ae - be : a.tailSeq() - b.tailSeq();
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

  /** How many slots the set holds, dead ones included. */
  get length(): number {
    return this.#length;
  }

  /** The smallest expiry, or `Infinity` when empty. */
  topExpiry(): number {
    const top = this.#top;
    return top !== null ? top.expiry[top.head]! : this.#heap.topExpiry();
  }

  /** The item of the smallest slot; only when not empty. */
  topItem(): T {
    const top = this.#top;
    return top !== null ? top.items[top.head]! : this.#heap.topItem();
  }

  /** The token of the smallest slot; only when not empty. */
  topToken(): number {
    const top = this.#top;
    return top !== null ? top.token[top.head]! : this.#heap.topToken();
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
      const run = runs[index]!;
      run.append(item, expiry, seq, token);
      // A run's head changes only when it was empty, which never stays in the set.
    } else if (runs.length < MAX_TIMER_RUNS) {
      const run = new Run<T>();
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
        this.#runs.splice(this.#runs.indexOf(top), 1);
        this.#popHead();
      } else {
        top.reclaim();
        this.#siftHead(0);
      }
    }
    this.#selectTop();
  }

  /**
   * Keeps only the slots for which `keep(item, token)` is true, in their
   * order: O(n).
   */
  retain(keep: (item: T, token: number) => boolean): void {
    let length = 0;
    const runs: Run<T>[] = [];
    for (const run of this.#runs) {
      const kept = run.retain(keep);
      if (kept === 0) continue;
      length += kept;
      runs.push(run);
    }
    runs.sort(compareTails);
    this.#runs = runs;
    const heads = this.#heads;
    heads.length = 0;
    for (const run of runs) this.#pushHead(run);
    this.#heap.retain(keep);
    this.#length = length + this.#heap.length;
    this.#selectTop();
  }

  /** Drops every slot. */
  clear(): void {
    this.#runs = [];
    this.#heads.length = 0;
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
    const re = run.expiry[run.head]!;
    const he = heap.topExpiry();
    this.#top = re < he || (re === he && run.seq[run.head]! < heap.topSeq()) ? run : null;
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
