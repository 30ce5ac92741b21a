import {
  IoContext,
  OPERATION_KINDS,
  Operation,
  PostOp,
  SteadyTimer,
  TrackingAllocator,
  defineOperationKind,
  post,
  type Allocator,
} from '../src/index.js';
import { makeStepHandler } from '../src/ops/owned-handler.js';

/** A user-defined operation with a kind of its own: a nullary handler, freed before it runs. */
const NOTIFY = defineOperationKind('notify');

class NotifyOp extends Operation {
  handler: (() => void) | null = null;
  constructor(kind: number = NOTIFY) {
    super(kind);
  }
  init(handler: () => void, allocator: Allocator): this {
    this.handler = handler;
    this.allocator = allocator;
    return this;
  }
  override reset(): void {
    this.handler = null;
    this.allocator = null;
    this.next = null;
  }
  override complete(): void {
    const handler = this.handler!;
    const allocator = this.allocator!;
    this.reset();
    this.free(allocator);
    handler();
  }
}

describe('operation kinds', () => {
  test('a kind defined outside the runtime is counted under its own name, and the totals still add up', async () => {
    expect(defineOperationKind('notify')).toBe(NOTIFY); // defining again: the same index
    expect(OPERATION_KINDS[NOTIFY]).toBe('notify');
    expect(() => defineOperationKind('no spaces')).toThrow(TypeError);
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    let ran = 0;
    for (let i = 0; i < 3; i++) {
      const op = tracking.allocate(NotifyOp).init(() => ran++, tracking);
      ctx.operationStarted(op, 'notifier', ctx, 'notify');
      ctx.workStarted();
      ctx.enqueue(op);
    }
    post(ctx, () => ran++);
    await ctx.run();
    expect(ran).toBe(4);
    const stats = ctx.allocationStats();
    expect(stats.byKind.notify).toMatchObject({ allocations: 3, deallocations: 3, live: 0 });
    let sum = 0;
    for (const kind of OPERATION_KINDS) sum += stats.byKind[kind]?.allocations ?? 0;
    expect(sum).toBe(stats.allocations);
    expect(tracking.stats().byKind.notify?.allocations).toBe(3);
  });

  test('a kind defined after a context and its allocators were made is counted too', async () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    const LATE = defineOperationKind('lateKind');
    class LateOp extends NotifyOp {
      constructor() {
        super(LATE);
      }
    }
    const op = tracking.allocate(LateOp).init(() => undefined, tracking);
    ctx.operationStarted(op, 'notifier', ctx, 'late');
    ctx.workStarted();
    ctx.enqueue(op);
    await ctx.run();
    expect(ctx.allocationStats().byKind.lateKind).toMatchObject({ allocations: 1, deallocations: 1, live: 0 });
    expect(tracking.stats().byKind.lateKind?.allocations).toBe(1);
  });

  test('an op constructed with a kind nobody defined is a TypeError, so no count can go astray', () => {
    for (const kind of [OPERATION_KINDS.length, -1, 1.5, Number.NaN]) {
      expect(() => new NotifyOp(kind)).toThrow(TypeError);
    }
    expect(() => new NotifyOp(OPERATION_KINDS.length)).toThrow(/the kind must be an index from defineOperationKind/);
    expect(new NotifyOp().kind).toBe(NOTIFY);
  });

  test('destroying an op of any kind destroys the composed operation its handler is a step of', () => {
    const tracking = new TrackingAllocator();
    const ctx = new IoContext({ allocator: tracking });
    // An outer operation whose step is a timer wait (not a read or write).
    const outer = tracking.allocate(PostOp).init(() => undefined, tracking);
    const step = makeStepHandler(outer, () => undefined);
    const timer = new SteadyTimer(ctx);
    timer.expiresAfter(60_000);
    timer.asyncWait(step);
    expect(tracking.live).toBe(2);
    ctx.shutdown(); // destroys the pending wait without invoking it: the outer operation goes too
    expect(tracking.live).toBe(0);
  });
});
