import {
  HandlerAllocator,
  IoContext,
  IoError,
  SteadyTimer,
  TrackingAllocator,
  asTuple,
  asyncCompose,
  asyncRead,
  bindAllocator,
  bindExecutor,
  detached,
  post,
  usePromise,
  withAbortSignal,
  type CompletionResult,
  type CompletionToken,
  type ComposeSelf,
  type TcpSocket,
} from '../src/index.js';
import { connectedPair, trackedContext } from './support/net-helpers.js';

const code = (err: IoError | null): string => err?.code ?? 'ok';

/** A length-prefixed frame on the wire: a 4-byte big-endian length, then the body. */
function frame(body: string): Buffer {
  const bytes = Buffer.from(body);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(bytes.length, 0);
  return Buffer.concat([header, bytes]);
}

/** The state machine under test: read the 4-byte header, then the body it announces. */
function asyncReadFrame<T extends CompletionToken<[string]>>(sock: TcpSocket, token: T, steps?: string[]): CompletionResult<T, [string]> {
  const header = Buffer.alloc(4);
  let body: Buffer | null = null;
  return asyncCompose<[string], T>(
    (self, err, n?: number) => {
      steps?.push(err === undefined ? 'start' : `${code(err)}:${String(n)}`);
      if (err) {
        self.complete(err, '');
      } else if (err === undefined) {
        asyncRead(sock, header, self);
      } else if (body === null) {
        body = Buffer.alloc(header.readUInt32BE(0));
        asyncRead(sock, body, self);
      } else {
        self.complete(null, body.toString());
      }
    },
    token,
    sock,
  );
}

describe('asyncCompose', () => {
  describe('the state machine on a real socket', () => {
    test('a length-prefixed read: header, then body, across several arrivals', async () => {
      const { ctx, tracking, sock, peer } = await connectedPair();
      const steps: string[] = [];
      const frames: string[] = [];
      const onFrame = (err: IoError | null, body: string): void => {
        frames.push(`${code(err)}:${body}`);
        if (frames.length === 1) asyncReadFrame(sock, onFrame);
        else sock.close();
      };
      asyncReadFrame(sock, onFrame, steps);
      const wire = Buffer.concat([frame('hello, frame'), frame('second')]);
      peer.write(wire.subarray(0, 2));
      setTimeout(() => peer.write(wire.subarray(2, 9)), 15);
      setTimeout(() => peer.write(wire.subarray(9)), 30);
      await ctx.run();
      peer.destroy();
      expect(steps).toEqual(['start', 'ok:4', 'ok:12']);
      expect(frames).toEqual(['ok:hello, frame', 'ok:second']);
      expect(ctx.allocationStats().byKind.compose?.allocations).toBe(2);
      expect(tracking.live).toBe(0);
    });

    test('an error from a step reaches the implementation, which completes with it', async () => {
      const { ctx, tracking, sock, peer } = await connectedPair();
      const steps: string[] = [];
      let result = '';
      asyncReadFrame(
        sock,
        (err, body) => {
          result = `${code(err)}:${body}`;
          sock.close();
        },
        steps,
      );
      peer.end(frame('cut short').subarray(0, 7));
      await ctx.run();
      expect(steps).toEqual(['start', 'ok:4', 'eof:3']);
      expect(result).toBe('eof:');
      expect(tracking.live).toBe(0);
    });
  });

  describe('every completion token', () => {
    test('usePromise resolves with the one result, and rejects with the IoError', async () => {
      const { ctx, tracking, sock, peer } = await connectedPair();
      const task = (async () => {
        const first = await asyncReadFrame(sock, usePromise);
        const second = asyncReadFrame(sock, usePromise);
        peer.end();
        const error = await second.catch((e: unknown) => e);
        sock.close();
        return [first, error];
      })();
      peer.write(frame('by promise'));
      await ctx.run();
      const [first, error] = await task;
      expect(first).toBe('by promise');
      expect(error).toBeInstanceOf(IoError);
      expect((error as IoError).code).toBe('eof');
      peer.destroy();
      expect(tracking.live).toBe(0);
    });

    test('asTuple(usePromise) resolves [err, result] and never rejects', async () => {
      const { ctx, tracking, sock, peer } = await connectedPair();
      const task = (async () => {
        const ok = await asyncReadFrame(sock, asTuple(usePromise));
        const next = asyncReadFrame(sock, asTuple(usePromise));
        peer.end();
        const failed = await next;
        sock.close();
        return [ok, failed];
      })();
      peer.write(frame('tuple'));
      await ctx.run();
      const [ok, failed] = await task;
      expect(ok).toEqual([null, 'tuple']);
      expect(failed![0]?.code).toBe('eof');
      peer.destroy();
      expect(tracking.live).toBe(0);
    });

    test('detached runs the operation and drops the result', async () => {
      const { ctx, tracking, sock, peer } = await connectedPair();
      const steps: string[] = [];
      asyncReadFrame(sock, detached, steps);
      peer.write(frame('dropped'));
      await ctx.run();
      expect(steps).toEqual(['start', 'ok:4', 'ok:7']);
      sock.close();
      peer.destroy();
      expect(tracking.live).toBe(0);
    });

    test('withAbortSignal(signal, usePromise) behaves like usePromise while not aborted', async () => {
      const { ctx, tracking, sock, peer } = await connectedPair();
      const ac = new AbortController();
      const task = asyncReadFrame(sock, withAbortSignal(ac.signal, usePromise));
      peer.write(frame('not aborted'));
      await ctx.run();
      expect(await task).toBe('not aborted');
      sock.close();
      peer.destroy();
      expect(tracking.live).toBe(0);
    });

    test('the final handler gets exactly the results complete was given', async () => {
      const { ctx, tracking } = trackedContext();
      const seen: unknown[][] = [];
      const record = (...args: unknown[]): void => {
        seen.push(args);
      };
      asyncCompose<[], typeof record>((self) => {
        self.complete(null);
      }, record, ctx);
      asyncCompose<[number, string], typeof record>((self) => {
        self.complete(null, 1, 'two');
      }, record, ctx);
      asyncCompose<[number, number, number, number], typeof record>((self) => {
        self.complete(null, 1, 2, 3, 4);
      }, record, ctx);
      const none = asyncCompose<[], typeof usePromise>((self) => {
        self.complete(null);
      }, usePromise, ctx);
      const two = asyncCompose<[number, string], typeof usePromise>((self) => {
        self.complete(null, 1, 'two');
      }, usePromise, ctx);
      expect(await ctx.run()).toBe(5);
      expect(seen).toEqual([[null], [null, 1, 'two'], [null, 1, 2, 3, 4]]);
      await expect(none).resolves.toBeUndefined();
      expect(await two).toEqual([1, 'two']);
      expect(tracking.live).toBe(0);
    });
  });

  describe('the allocation contract', () => {
    test('the op and every step come from the final handler allocator, freed before the final handler runs', async () => {
      const { ctx, tracking: ctxTracking, sock, peer } = await connectedPair();
      const mine = new TrackingAllocator(undefined, { log: true });
      const before = ctxTracking.allocations;
      asyncReadFrame(
        sock,
        bindAllocator(mine, (err: IoError | null, body: string) => {
          mine.record(`invoke:${code(err)}:${body}`);
          mine.record(`live:${String(mine.live)}`);
          sock.close();
        }),
      );
      peer.write(frame('abc'));
      await ctx.run();
      peer.destroy();
      const events = mine.events.filter((e) => !e.endsWith('ReadSomeOp'));
      expect(events).toEqual([
        'allocate:ComposeOp',
        'allocate:ReadOp',
        'deallocate:ReadOp',
        'allocate:ReadOp',
        'deallocate:ReadOp',
        'deallocate:ComposeOp',
        'invoke:ok:abc',
        'live:0',
      ]);
      expect(mine.events.filter((e) => e === 'allocate:ReadSomeOp').length).toBeGreaterThanOrEqual(2);
      expect(ctxTracking.allocations).toBe(before);
      expect(mine.live).toBe(0);
      expect(ctxTracking.live).toBe(0);
    });

    test('a chain of composed operations runs on one HandlerAllocator slot per op kind', async () => {
      const { ctx, tracking } = trackedContext();
      const memory = new TrackingAllocator(new HandlerAllocator());
      let left = 100;
      const step = (self: ComposeSelf<[]>, err?: IoError | null): void => {
        if (err === undefined) post(ctx, self);
        else self.complete(null);
      };
      const onDone = bindAllocator(memory, (): void => {
        if (--left > 0) asyncCompose<[], typeof onDone>(step, onDone, ctx);
      });
      asyncCompose<[], typeof onDone>(step, onDone, ctx);
      await ctx.run();
      expect(left).toBe(0);
      expect(memory.allocations).toBe(200);
      expect(memory.stats().fallbacks).toBe(2); // one ComposeOp and one PostOp, made once
      expect(memory.live).toBe(0);
      expect(tracking.live).toBe(0);
    });
  });

  describe('the final handler runs from the context', () => {
    test('complete on the first call is deferred: queued, never run inside asyncCompose', async () => {
      const tracking = new TrackingAllocator(undefined, { log: true });
      const ctx = new IoContext({ allocator: tracking });
      let calls = 0;
      asyncCompose<[number], (err: IoError | null, n: number) => void>(
        (self) => {
          self.complete(null, 7);
        },
        (err, n) => {
          tracking.record(`invoke:${code(err)}:${String(n)}`);
          calls++;
        },
        ctx,
      );
      expect(calls).toBe(0);
      expect(ctx.outstandingWork()).toBe(1);
      tracking.record('returned');
      expect(await ctx.run()).toBe(1);
      expect(calls).toBe(1);
      expect(tracking.events).toEqual(['allocate:ComposeOp', 'returned', 'deallocate:ComposeOp', 'invoke:ok:7']);
      expect(tracking.live).toBe(0);
    });

    test('also when asyncCompose is called from a handler running on the context', async () => {
      const { ctx, tracking } = trackedContext();
      const order: string[] = [];
      post(ctx, () => {
        asyncCompose<[], () => void>(
          (self) => {
            self.complete(null);
          },
          () => order.push('final'),
          ctx,
        );
        order.push('after asyncCompose');
      });
      expect(await ctx.run()).toBe(2);
      expect(order).toEqual(['after asyncCompose', 'final']);
      expect(tracking.live).toBe(0);
    });

    test('complete from a step: the final handler runs when the implementation returns, after the op is freed', async () => {
      const tracking = new TrackingAllocator(undefined, { log: true });
      const ctx = new IoContext({ allocator: tracking });
      asyncCompose<[], () => void>(
        (self, err) => {
          if (err === undefined) {
            post(ctx, self);
            return;
          }
          self.complete(null);
          tracking.record('implementation returns');
        },
        () => { tracking.record('invoke'); },
        ctx,
      );
      expect(await ctx.run()).toBe(1);
      expect(tracking.events).toEqual([
        'allocate:ComposeOp',
        'allocate:PostOp',
        'deallocate:PostOp',
        'implementation returns',
        'deallocate:ComposeOp',
        'invoke',
      ]);
      expect(tracking.live).toBe(0);
    });
  });

  describe('work counting', () => {
    test('the composed op is outstanding work while no step of the context is pending', async () => {
      const { ctx, tracking } = trackedContext();
      let done = 0;
      const started = Date.now();
      asyncCompose<[], () => void>(
        (self, err) => {
          // A step outside the context: only the composed op keeps run() going.
          if (err === undefined) setTimeout(() => { self(null); }, 30);
          else self.complete(null);
        },
        () => done++,
        ctx,
      );
      expect(ctx.outstandingWork()).toBe(1);
      await ctx.run();
      expect(done).toBe(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(25);
      expect(ctx.outstandingWork()).toBe(0);
      expect(tracking.live).toBe(0);
    });

    test('a composed op waiting on a timer, then a posted step, keeps run() going to the end', async () => {
      const { ctx, tracking } = trackedContext();
      const timer = new SteadyTimer(ctx);
      const steps: string[] = [];
      asyncCompose<[string], (err: IoError | null, s: string) => void>(
        (self, err) => {
          steps.push(err === undefined ? 'start' : code(err));
          if (steps.length === 1) {
            timer.expiresAfter(20);
            timer.asyncWait(self);
          } else if (steps.length === 2) {
            post(ctx, self);
          } else {
            self.complete(null, 'done');
          }
        },
        (_err, s) => steps.push(s),
        timer,
      );
      await ctx.run();
      expect(steps).toEqual(['start', 'ok', 'ok', 'done']);
      expect(ctx.outstandingWork()).toBe(0);
      expect(tracking.live).toBe(0);
    });
  });

  describe('shutdown', () => {
    test('shutdown with a step pending destroys the composed op: nothing invoked, zero live, no work left', async () => {
      const { ctx, tracking, sock, peer } = await connectedPair();
      let invoked = 0;
      asyncReadFrame(sock, () => invoked++);
      const pending = asyncReadFrame(sock, usePromise);
      pending.catch(() => undefined);
      expect(tracking.live).toBeGreaterThan(0);
      ctx.shutdown();
      expect(invoked).toBe(0);
      expect(tracking.live).toBe(0);
      expect(ctx.outstandingWork()).toBe(0);
      peer.destroy();
    });

    test('a composed op whose final handler is the self of another: shutdown destroys both', () => {
      const { ctx, tracking } = trackedContext();
      const timer = new SteadyTimer(ctx);
      let invoked = 0;
      asyncCompose<[], () => void>(
        (outer, err) => {
          if (err !== undefined) {
            outer.complete(null);
            return;
          }
          asyncCompose<[], typeof outer>(
            (inner, e) => {
              if (e !== undefined) inner.complete(null);
              else timer.asyncWait(inner);
            },
            outer,
            timer,
          );
        },
        () => invoked++,
        ctx,
      );
      timer.expiresAfter(60_000);
      expect(tracking.live).toBe(3); // outer, inner, the wait
      ctx.shutdown();
      expect(invoked).toBe(0);
      expect(tracking.live).toBe(0);
    });

    test('a deferred completion still queued is destroyed by shutdown', () => {
      const { ctx, tracking } = trackedContext();
      let invoked = 0;
      asyncCompose<[], () => void>(
        (self) => {
          self.complete(null);
        },
        () => invoked++,
        ctx,
      );
      ctx.shutdown();
      expect(invoked).toBe(0);
      expect(tracking.live).toBe(0);
    });
  });

  describe('misuse and exceptions', () => {
    test('complete twice in one call: a TypeError, the final handler never runs twice', () => {
      const { ctx, tracking } = trackedContext();
      let invoked = 0;
      expect(() => { asyncCompose<[], () => void>(
          (self) => {
            self.complete(null);
            self.complete(null);
          },
          () => invoked++,
          ctx,
        ); },
      ).toThrow(new TypeError('asyncCompose: self.complete called twice'));
      expect(ctx.poll()).toBe(0);
      expect(invoked).toBe(0);
      expect(tracking.live).toBe(0);
      expect(ctx.outstandingWork()).toBe(0);
    });

    test('complete after the operation ended: a TypeError, no second invocation', async () => {
      const { ctx, tracking } = trackedContext();
      let invoked = 0;
      let kept: ComposeSelf<[]> | null = null;
      asyncCompose<[], () => void>(
        (self, err) => {
          kept = self;
          if (err === undefined) post(ctx, self);
          else self.complete(null);
        },
        () => invoked++,
        ctx,
      );
      post(ctx, () => {
        kept!.complete(null);
      });
      await expect(ctx.run()).rejects.toThrow(new TypeError('asyncCompose: self.complete called after the operation ended'));
      expect(invoked).toBe(1);
      expect(tracking.live).toBe(0);
    });

    test('the implementation throwing on its first call: the exception reaches the caller, nothing left allocated', async () => {
      const { ctx, tracking } = trackedContext();
      const boom = new Error('first call');
      let invoked = 0;
      expect(() => { asyncCompose<[], () => void>(
          () => {
            throw boom;
          },
          () => invoked++,
          ctx,
        ); },
      ).toThrow(boom);
      expect(tracking.live).toBe(0);
      expect(ctx.outstandingWork()).toBe(0);
      await expect(asyncCompose<[], typeof usePromise>(() => {
        throw boom;
      }, usePromise, ctx)).rejects.toBe(boom);
      expect(tracking.live).toBe(0);
      expect(await ctx.run()).toBe(0);
      expect(invoked).toBe(0);
    });

    test('throwing after starting a step: that step completes into nothing, even once the op object serves another operation', async () => {
      const tracking = new TrackingAllocator(new HandlerAllocator());
      const ctx = new IoContext({ allocator: tracking });
      const calls: string[] = [];
      expect(() => { asyncCompose<[], () => void>(
          (self) => {
            post(ctx, self);
            throw new Error('after the post');
          },
          () => calls.push('first final'),
          ctx,
        ); },
      ).toThrow('after the post');
      // The same op object (one HandlerAllocator slot) serves the next operation.
      asyncCompose<[], () => void>(
        (self, err) => {
          calls.push(err === undefined ? 'second start' : `second step:${code(err)}`);
          if (err === undefined) post(ctx, self);
          else self.complete(null);
        },
        () => calls.push('second final'),
        ctx,
      );
      await ctx.run();
      expect(calls).toEqual(['second start', 'second step:ok', 'second final']);
      expect(tracking.live).toBe(0);
    });

    test('throwing from a later step: the exception leaves run(), the op is freed, no work is left', async () => {
      const { ctx, tracking } = trackedContext();
      let invoked = 0;
      let later = 0;
      asyncCompose<[], () => void>(
        (self, err) => {
          if (err === undefined) post(ctx, self);
          else throw new RangeError('second call');
        },
        () => invoked++,
        ctx,
      );
      post(ctx, () => later++);
      await expect(ctx.run()).rejects.toThrow(RangeError);
      expect(ctx.allocationStats().byKind.compose?.live).toBe(0);
      expect(tracking.live).toBe(1); // only the later post
      expect(invoked).toBe(0);
      expect(ctx.outstandingWork()).toBe(1); // the later post, run by the next run()
      expect(await ctx.run()).toBe(1);
      expect(later).toBe(1);
      expect(tracking.live).toBe(0);
    });

    test('a bad implementation, or no context anywhere: a TypeError before anything starts', () => {
      const { ctx, tracking } = trackedContext();
      expect(() => { asyncCompose(42 as never, () => undefined, ctx); }).toThrow(TypeError);
      expect(() => { asyncCompose({ step: 1 } as never, () => undefined, ctx); }).toThrow(TypeError);
      expect(() => { asyncCompose<[], () => void>(
          (self) => {
            self.complete(null);
          },
          () => undefined,
          {},
        ); },
      ).toThrow('asyncCompose: no IoContext');
      expect(() =>
        asyncCompose<[], typeof usePromise>((self) => {
          self.complete(null);
        }, usePromise),
      ).toThrow('asyncCompose: no IoContext');
      expect(tracking.live).toBe(0);
      expect(ctx.outstandingWork()).toBe(0);
    });
  });

  describe('the implementation and the context', () => {
    test('an object implementation: its step method runs with the object as this', async () => {
      const { ctx, tracking } = trackedContext();
      class CountDown {
        left = 3;
        readonly seen: string[] = [];
        step(self: ComposeSelf<[number]>, err?: IoError | null): void {
          this.seen.push(err === undefined ? 'start' : code(err));
          if (this.left-- > 0) post(ctx, self);
          else self.complete(null, this.seen.length);
        }
      }
      const impl = new CountDown();
      const n = asyncCompose<[number], typeof usePromise>(impl, usePromise, ctx);
      await ctx.run();
      expect(await n).toBe(4);
      expect(impl.seen).toEqual(['start', 'ok', 'ok', 'ok']);
      expect(tracking.live).toBe(0);
    });

    test('the context comes from the first I/O object that has one, else from the handler executor', async () => {
      const { ctx: a, tracking: ta } = trackedContext();
      const { ctx: b, tracking: tb } = trackedContext();
      const timerOnB = new SteadyTimer(b);
      const done: string[] = [];
      const complete = (self: ComposeSelf<[]>): void => {
        self.complete(null);
      };
      asyncCompose<[], () => void>(complete, () => done.push('b: first with a context'), {}, timerOnB, a);
      asyncCompose<[], () => void>(complete, bindExecutor(a, () => done.push('a: bound executor')));
      asyncCompose<[], () => void>(complete, () => done.push('a: the executor'), a.getExecutor());
      expect(a.outstandingWork()).toBe(2);
      expect(b.outstandingWork()).toBe(1);
      await a.run();
      await b.run();
      expect(done).toEqual(['a: bound executor', 'a: the executor', 'b: first with a context']);
      expect(ta.live).toBe(0);
      expect(tb.live).toBe(0);
    });

    test('handler tracking: the composed op has no id of its own, its steps do', async () => {
      const lines: string[] = [];
      const ctx = new IoContext({ handlerTracking: (line) => lines.push(line) });
      asyncCompose<[], () => void>(
        (self, err) => {
          if (err === undefined) post(ctx, self);
          else self.complete(null);
        },
        () => undefined,
        ctx,
      );
      await ctx.run();
      const created = lines.filter((l) => /\*\d+\|/.test(l));
      expect(created).toHaveLength(1);
      expect(created[0]).toMatch(/io_context@0x[0-9a-f]+\.post$/);
    });
  });
});
