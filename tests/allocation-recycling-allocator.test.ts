import {
  IoContext,
  NewAllocator,
  Operation,
  PostOp,
  RECYCLING_ALLOCATOR_CAPACITY,
  RecyclingAllocator,
  TrackingAllocator,
  defineOperationKind,
  post,
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

const FIRST_SHAPE = defineOperationKind('firstShape');
const SECOND_SHAPE = defineOperationKind('secondShape');
let nextShape = FIRST_SHAPE;

/** One class whose ops carry whichever kind is current when they are made (a subclass passing its own kind behaves the same to the allocator). */
class ShapeShiftingOp extends OtherOp {
  constructor() {
    super(nextShape);
  }
}

describe('RecyclingAllocator', () => {
  test('is the default allocator of an IoContext', () => {
    expect(new IoContext().allocator).toBeInstanceOf(RecyclingAllocator);
  });

  test('recycles freed ops, most recently freed first', () => {
    const memory = new RecyclingAllocator();
    const a = memory.allocate(PostOp);
    const b = memory.allocate(PostOp);
    memory.deallocate(a);
    memory.deallocate(b);
    expect(memory.allocate(PostOp)).toBe(b);
    expect(memory.allocate(PostOp)).toBe(a);
    expect(memory.stats()).toMatchObject({ allocations: 4, hits: 2, fallbacks: 2, live: 2 });
  });

  test('keeps a separate free list per op class, whatever order the classes come in', () => {
    const memory = new RecyclingAllocator();
    const p1 = memory.allocate(PostOp);
    const o1 = memory.allocate(OtherOp);
    memory.deallocate(p1);
    memory.deallocate(o1);
    const o2 = memory.allocate(OtherOp);
    const p2 = memory.allocate(PostOp);
    expect(o2).toBe(o1);
    expect(p2).toBe(p1);
    memory.deallocate(o2);
    expect(memory.allocate(PostOp)).not.toBe(o2);
    expect(memory.allocate(OtherOp)).toBe(o2);
    expect(memory.stats()).toMatchObject({ hits: 3, fallbacks: 3 });
  });

  test('keeps at most `capacity` freed ops per class', () => {
    const memory = new RecyclingAllocator(2);
    const ops = Array.from({ length: 5 }, () => memory.allocate(PostOp));
    for (const op of ops) memory.deallocate(op);
    const again = Array.from({ length: 5 }, () => memory.allocate(PostOp));
    const recycled = again.filter((op) => ops.includes(op));
    expect(recycled).toHaveLength(2);
    expect(memory.stats()).toMatchObject({ allocations: 10, hits: 2, fallbacks: 8, live: 5 });
    for (const op of again) memory.deallocate(op);
    expect(memory.stats().live).toBe(0);
  });

  test('counts stay exact by kind through a full list, an op of another kind in one class, and an op it never made', () => {
    const memory = new RecyclingAllocator(1);
    nextShape = FIRST_SHAPE;
    const first = memory.allocate(ShapeShiftingOp);
    const kept = memory.allocate(ShapeShiftingOp);
    nextShape = SECOND_SHAPE;
    const other = memory.allocate(ShapeShiftingOp);
    memory.deallocate(kept); // kept: the list holds one
    memory.deallocate(first); // the list is full: let go
    memory.deallocate(other); // another kind than the list's: counted as its own, never handed out for the first
    expect(memory.allocate(ShapeShiftingOp)).toBe(kept);
    nextShape = FIRST_SHAPE;
    const fresh = memory.allocate(ShapeShiftingOp);
    expect([first, other]).not.toContain(fresh);
    const stray = new PostOp();
    memory.deallocate(stray); // an op made elsewhere: a deallocation, kept
    expect(memory.allocate(PostOp)).toBe(stray);
    const { byKind, ...totals } = memory.stats();
    expect(byKind.firstShape).toEqual({ allocations: 4, deallocations: 2, hits: 1, fallbacks: 3, live: 2 });
    expect(byKind.secondShape).toEqual({ allocations: 1, deallocations: 1, hits: 0, fallbacks: 1, live: 0 });
    expect(byKind.post).toEqual({ allocations: 1, deallocations: 1, hits: 1, fallbacks: 0, live: 0 });
    expect(totals).toEqual({ allocations: 6, deallocations: 4, hits: 2, fallbacks: 4, live: 2 });
  });

  test('capacity 0 never recycles; a bad capacity throws TypeError', () => {
    const memory = new RecyclingAllocator(0);
    const a = memory.allocate(PostOp);
    memory.deallocate(a);
    expect(memory.allocate(PostOp)).not.toBe(a);
    expect(memory.stats().hits).toBe(0);
    expect(() => new RecyclingAllocator(-1)).toThrow(TypeError);
    expect(() => new RecyclingAllocator(1.5)).toThrow(TypeError);
    expect(RECYCLING_ALLOCATOR_CAPACITY).toBe(64);
  });

  test('a steady chain of posts on the default allocator makes no new ops after warm-up', async () => {
    const memory = new RecyclingAllocator();
    const tracking = new TrackingAllocator(memory);
    const ctx = new IoContext({ allocator: tracking });
    let remaining = 10_000;
    const step = (): void => {
      if (--remaining > 0) post(ctx, step);
    };
    post(ctx, step);
    expect(await ctx.run()).toBe(10_000);
    expect(memory.stats()).toMatchObject({ fallbacks: 1, hits: 9_999, live: 0 });
    expect(tracking.live).toBe(0);
  });

  test('NewAllocator constructs every time and counts it', () => {
    const memory = new NewAllocator();
    const a = memory.allocate(PostOp);
    memory.deallocate(a);
    expect(memory.allocate(PostOp)).not.toBe(a);
    expect(memory.stats()).toMatchObject({ allocations: 2, deallocations: 1, hits: 0, fallbacks: 2, live: 1 });
  });
});
