import {
  HANDLER_ALLOCATOR_SLOTS,
  HandlerAllocator,
  IoContext,
  Operation,
  PostOp,
  TrackingAllocator,
  makeCustomAllocHandler,
  post,
  type Allocator,
  type OpClass,
} from '../src/index.js';

class OtherOp extends Operation {
  override complete(): void {
    this.destroy();
  }
  override reset(): void {
    this.allocator = null;
    this.next = null;
  }
}

/** Passes allocations through and remembers every distinct op object handed out. */
class DistinctOps implements Allocator {
  readonly ops = new Set<Operation>();
  readonly #inner: Allocator;
  constructor(inner: Allocator) {
    this.#inner = inner;
  }
  allocate<T extends Operation>(type: OpClass<T>): T {
    const op = this.#inner.allocate(type);
    this.ops.add(op);
    return op;
  }
  deallocate(op: Operation): void {
    this.#inner.deallocate(op);
  }
}

describe('HandlerAllocator', () => {
  test('a 1,000,000-handler chain makes one op object and reuses it for every post', async () => {
    const memory = new HandlerAllocator();
    const distinct = new DistinctOps(memory);
    const tracking = new TrackingAllocator(distinct);
    const ctx = new IoContext({ allocator: new TrackingAllocator() });
    const total = 1_000_000;
    let remaining = total;
    const step = makeCustomAllocHandler(tracking, (): void => {
      if (--remaining > 0) post(ctx, step);
    });
    post(ctx, step);
    expect(await ctx.run()).toBe(total);
    expect(remaining).toBe(0);
    const stats = memory.stats();
    expect(stats.allocations).toBe(total);
    expect(stats.fallbacks).toBe(1);
    expect(stats.hits).toBe(total - 1);
    expect(stats.live).toBe(0);
    expect(distinct.ops.size).toBe(1);
    expect(tracking.live).toBe(0);
  });

  test('falls back to new when the slot is busy (two concurrent posts) and counts it', async () => {
    const memory = new HandlerAllocator();
    const tracking = new TrackingAllocator(memory);
    const ctx = new IoContext();
    let calls = 0;
    const handler = makeCustomAllocHandler(tracking, () => calls++);
    post(ctx, handler);
    post(ctx, handler);
    expect(memory.stats()).toMatchObject({ allocations: 2, hits: 0, fallbacks: 2, live: 2 });
    expect(await ctx.run()).toBe(2);
    expect(calls).toBe(2);
    expect(memory.stats().live).toBe(0);
    // The slot is free again: the next post is a hit.
    post(ctx, handler);
    expect(memory.stats()).toMatchObject({ allocations: 3, hits: 1, fallbacks: 2 });
    ctx.restart();
    expect(await ctx.run()).toBe(1);
    expect(tracking.live).toBe(0);
  });

  test('the slot op is handed out again only after it was freed', () => {
    const memory = new HandlerAllocator();
    const a = memory.allocate(PostOp);
    const b = memory.allocate(PostOp);
    expect(b).not.toBe(a);
    memory.deallocate(b);
    const c = memory.allocate(PostOp);
    expect(c).not.toBe(a);
    expect(c).not.toBe(b);
    memory.deallocate(a);
    expect(memory.allocate(PostOp)).toBe(a);
    memory.deallocate(a);
    memory.deallocate(c);
    expect(memory.stats()).toMatchObject({ allocations: 4, deallocations: 4, hits: 1, fallbacks: 3, live: 0 });
  });

  test('its statistics, kept as one use count per slot, agree by kind with a TrackingAllocator counting every event', () => {
    const memory = new HandlerAllocator();
    const tracking = new TrackingAllocator(memory);
    const held: Operation[] = [];
    let seed = 7;
    const random = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let step = 0; step < 5000; step++) {
      if (held.length === 0 || (held.length < 6 && random() < 0.5)) held.push(tracking.allocate(random() < 0.5 ? PostOp : OtherOp));
      else tracking.deallocate(held.splice(Math.floor(random() * held.length), 1)[0]!);
      if (step % 997 === 0) expect(memory.stats()).toEqual(tracking.stats());
    }
    expect(memory.stats()).toEqual(tracking.stats());
    const { byKind, live } = memory.stats();
    expect(live).toBe(held.length);
    expect(byKind.post?.hits).toBeGreaterThan(0);
    expect(byKind.other?.hits).toBeGreaterThan(0);
    for (const op of held) tracking.deallocate(op);
    expect(memory.stats()).toEqual(tracking.stats());
    expect(memory.stats().live).toBe(0);
  });

  test('keeps one slot per op class', () => {
    const memory = new HandlerAllocator();
    const post1 = memory.allocate(PostOp);
    const other1 = memory.allocate(OtherOp);
    expect(other1).toBeInstanceOf(OtherOp);
    memory.deallocate(post1);
    memory.deallocate(other1);
    expect(memory.allocate(OtherOp)).toBe(other1);
    expect(memory.allocate(PostOp)).toBe(post1);
    expect(memory.stats()).toMatchObject({ hits: 2, fallbacks: 2, live: 2 });
    expect(HANDLER_ALLOCATOR_SLOTS).toBeGreaterThanOrEqual(2);
  });
});
