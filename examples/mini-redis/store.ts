/**
 * The keyspace: string keys (kept as latin1 strings, so any bytes are a
 * key) to immutable Buffer values, with Redis's two kinds of expiry:
 *
 * - lazy: a key read after its time is deleted then and reported missing;
 * - active: {@link Store.expireSample}, run by the server every 100 ms on a
 *   `SteadyTimer`, walks the keys that have a time to live, 20 at a time,
 *   deleting the expired ones, and goes on while more than a quarter of a
 *   sample had expired (Redis's activeExpireCycle), within a 2 ms budget.
 */

/** One stored value. */
export interface Entry {
  /** The bytes; replaced, never changed in place (a write in flight may still be sending them). */
  value: Buffer;
  /** When the key expires (ms since the epoch), or 0 for never. */
  expiresAt: number;
}

const SAMPLE = 20;
const BUDGET_MS = 2;

export class Store {
  readonly #entries = new Map<string, Entry>();
  /** The keys that have a time to live, walked by active expiry. */
  readonly #volatile = new Set<string>();
  #walk: Iterator<string> = this.#volatile.values();
  /** Keys deleted because their time had come (lazily or actively). */
  expired = 0;

  /** How many keys are stored (including expired ones not yet deleted, as Redis's DBSIZE). */
  get size(): number {
    return this.#entries.size;
  }

  /** How many keys have a time to live. */
  get volatileSize(): number {
    return this.#volatile.size;
  }

  /** The live entry for `key`, deleting it if it has expired. */
  get(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== 0 && entry.expiresAt <= now) {
      this.#expire(key);
      return undefined;
    }
    return entry;
  }

  /** Stores `value` under `key`, expiring at `expiresAt` (0: never). */
  set(key: string, value: Buffer, expiresAt: number): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.#entries.set(key, { value, expiresAt });
    } else {
      entry.value = value;
      entry.expiresAt = expiresAt;
    }
    if (expiresAt === 0) this.#volatile.delete(key);
    else this.#volatile.add(key);
  }

  /** Sets or clears (0) the expiry of an existing live key. */
  setExpiry(key: string, entry: Entry, expiresAt: number): void {
    entry.expiresAt = expiresAt;
    if (expiresAt === 0) this.#volatile.delete(key);
    else this.#volatile.add(key);
  }

  /** Deletes `key`; true if it was there and live. */
  delete(key: string, now: number): boolean {
    if (this.get(key, now) === undefined) return false;
    this.#entries.delete(key);
    this.#volatile.delete(key);
    return true;
  }

  /** Every live key, in insertion order (expired ones met on the way are deleted). */
  *keys(now: number): IterableIterator<string> {
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt !== 0 && entry.expiresAt <= now) this.#expire(key);
      else yield key;
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#volatile.clear();
  }

  /** One active-expiry cycle; returns how many keys it deleted. */
  expireSample(now: number): number {
    const started = performance.now();
    let deleted = 0;
    for (;;) {
      let looked = 0;
      let expiredNow = 0;
      while (looked < SAMPLE && this.#volatile.size > 0) {
        let next = this.#walk.next();
        if (next.done === true) {
          this.#walk = this.#volatile.values();
          next = this.#walk.next();
          if (next.done === true) break;
        }
        looked++;
        const key = next.value;
        const entry = this.#entries.get(key);
        if (entry === undefined || entry.expiresAt === 0) {
          this.#volatile.delete(key);
        } else if (entry.expiresAt <= now) {
          this.#expire(key);
          expiredNow++;
        }
      }
      deleted += expiredNow;
      if (looked === 0 || expiredNow * 4 <= looked || performance.now() - started > BUDGET_MS) return deleted;
    }
  }

  #expire(key: string): void {
    this.#entries.delete(key);
    this.#volatile.delete(key);
    this.expired++;
  }
}
