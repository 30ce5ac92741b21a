import { HandlerAllocator, PostOp, TrackingAllocator } from '../src/index.js';

describe('TrackingAllocator', () => {
  test('counts allocations, deallocations and live ops and logs events when asked', () => {
    const tracking = new TrackingAllocator(new HandlerAllocator(), { log: true });
    const op = tracking.allocate(PostOp);
    expect(tracking.live).toBe(1);
    expect(tracking.liveOps()).toEqual([op]);
    tracking.record('between');
    tracking.deallocate(op);
    expect(tracking.events).toEqual(['allocate:PostOp', 'between', 'deallocate:PostOp']);
    expect(tracking.stats()).toMatchObject({ allocations: 1, deallocations: 1, fallbacks: 1, hits: 0, live: 0 });
    expect(tracking.live).toBe(0);
  });

  test('without log it keeps no events; a double free throws', () => {
    const tracking = new TrackingAllocator();
    const op = tracking.allocate(PostOp);
    tracking.deallocate(op);
    expect(tracking.events).toEqual([]);
    expect(() => { tracking.deallocate(op); }).toThrow(/deallocated twice/);
    expect(tracking.live).toBe(0);
  });
});
