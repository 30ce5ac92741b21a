import {
  HandlerAllocator,
  IoContext,
  NewAllocator,
  RecyclingAllocator,
  TrackingAllocator,
  associatedAllocator,
  bindAllocator,
  defaultAllocator,
  getAssociatedAllocator,
  makeCustomAllocHandler,
  post,
  type Allocator,
} from '../src/index.js';

describe('allocator association', () => {
  test('getAssociatedAllocator reads the associatedAllocator property', () => {
    const memory = new HandlerAllocator();
    const handler = Object.assign(() => undefined, { [associatedAllocator]: memory });
    expect(getAssociatedAllocator(handler)).toBe(memory);
    expect(getAssociatedAllocator(handler, new RecyclingAllocator())).toBe(memory);
  });

  test('getAssociatedAllocator calls a getAllocator() method, with the handler as this', () => {
    const memory = new HandlerAllocator();
    const handlerObject = {
      memory,
      getAllocator(this: { memory: Allocator }): Allocator {
        return this.memory;
      },
    };
    expect(getAssociatedAllocator(handlerObject)).toBe(memory);
    const fn = Object.assign(() => undefined, { getAllocator: () => memory });
    expect(getAssociatedAllocator(fn)).toBe(memory);
  });

  test('getAssociatedAllocator falls back to the given allocator, else the shared NewAllocator', () => {
    const fallback = new RecyclingAllocator();
    expect(getAssociatedAllocator(() => undefined, fallback)).toBe(fallback);
    expect(getAssociatedAllocator(() => undefined)).toBe(defaultAllocator);
    expect(defaultAllocator).toBeInstanceOf(NewAllocator);
    expect(getAssociatedAllocator(null, fallback)).toBe(fallback);
    expect(getAssociatedAllocator(42, fallback)).toBe(fallback);
  });

  test('bindAllocator forwards every argument and the return value, and carries the allocator', () => {
    const memory = new HandlerAllocator();
    const calls: unknown[][] = [];
    const original = (a: number, b: string, c: object): string => {
      calls.push([a, b, c]);
      return `${a}${b}`;
    };
    const bound = bindAllocator(memory, original);
    expect(bound).not.toBe(original);
    const obj = {};
    expect(bound(1, 'x', obj)).toBe('1x');
    expect(calls).toEqual([[1, 'x', obj]]);
    expect(calls[0]![2]).toBe(obj);
    expect(getAssociatedAllocator(bound)).toBe(memory);
    expect(getAssociatedAllocator(original)).toBe(defaultAllocator);
    expect(bound.length).toBe(original.length);
  });

  test('makeCustomAllocHandler is bindAllocator under the seed name', () => {
    const memory = new HandlerAllocator();
    const h = makeCustomAllocHandler(memory, (n: number) => n * 2);
    expect(h(21)).toBe(42);
    expect(getAssociatedAllocator(h)).toBe(memory);
  });

  test('binding is done once: calling the bound handler allocates no wrapper per call', () => {
    const memory = new HandlerAllocator();
    let thisWasUndefined = false;
    const bound = bindAllocator(memory, function (this: unknown) {
      thisWasUndefined = this === undefined;
    });
    bound.call({ not: 'this' });
    // A bound function (made once by bind), not a wrapper closure that gathers
    // its arguments into an array on every call: `this` is fixed at binding.
    expect(thisWasUndefined).toBe(true);
    expect(bound.name.startsWith('bound ')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(bound, associatedAllocator)).toMatchObject({ value: memory, writable: false });
  });

  test('rebinding replaces the allocator', () => {
    const a = new HandlerAllocator();
    const b = new HandlerAllocator();
    const h = bindAllocator(b, bindAllocator(a, () => undefined));
    expect(getAssociatedAllocator(h)).toBe(b);
  });

  test('bad arguments throw TypeError', () => {
    const memory = new HandlerAllocator();
    expect(() => bindAllocator(memory, 42 as unknown as () => void)).toThrow(TypeError);
    expect(() => makeCustomAllocHandler(memory, null as unknown as () => void)).toThrow(TypeError);
    expect(() => bindAllocator({} as unknown as Allocator, () => undefined)).toThrow(TypeError);
    expect(() => makeCustomAllocHandler(null as unknown as Allocator, () => undefined)).toThrow(TypeError);
  });

  test('post allocates its op from the handler’s allocator, else the context’s', async () => {
    const contextMemory = new TrackingAllocator();
    const handlerMemory = new TrackingAllocator(new HandlerAllocator());
    const ctx = new IoContext({ allocator: contextMemory });
    post(ctx, bindAllocator(handlerMemory, () => undefined));
    expect(handlerMemory.allocations).toBe(1);
    expect(contextMemory.allocations).toBe(0);
    post(ctx, () => undefined);
    expect(contextMemory.allocations).toBe(1);
    expect(await ctx.run()).toBe(2);
    expect(handlerMemory.live).toBe(0);
    expect(contextMemory.live).toBe(0);
  });
});
