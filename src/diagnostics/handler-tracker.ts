import type { Operation } from '../ops/operation.js';
import { handlerTrackingChannel } from './channels.js';

/**
 * Where handler-tracking lines go: a function taking one line (no trailing newline).
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const sink: HandlerTrackingSink = (line) => lines.push(line);
 * const ctx = new IoContext({ handlerTracking: sink });
 * post(ctx, () => undefined);
 * await ctx.run();
 * // lines: ['@asio|…|0*1|io_context@0x1.post', '@asio|…|>1|', '@asio|…|<1|']
 * ```
 *
 * @category Diagnostics
 */
export type HandlerTrackingSink = (line: string) => void;

// Handler ids, object addresses and the handler running now are shared by
// every context of the process, as asio's are, so the lines of several
// contexts written to one stream stay consistent.
let nextHandlerId = 1;
let currentHandlerId = 0;
let nextObjectId = 1;
const objectIds = new WeakMap<object, number>();

function writeToStderr(line: string): void {
  process.stderr.write(line + '\n');
}

/** `object`'s stable pseudo address, `0x` and a number unique in the process. */
function addressOf(object: object): string {
  let id = objectIds.get(object);
  if (id === undefined) {
    id = nextObjectId++;
    objectIds.set(object, id);
  }
  return '0x' + id.toString(16);
}

/** Wall-clock time as asio writes it: seconds and six digits of microseconds. */
function timestamp(): string {
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  return `${String(Math.floor(micros / 1e6))}.${String(micros % 1e6).padStart(6, '0')}`;
}

/**
 * @internal Writes Boost.Asio's handler-tracking lines for one context, so
 * asio's own tools (handlerviz.pl) and `proactor-handlerviz` can read them:
 *
 *     @asio|<seconds.micros>|<parent>*<child>|<object>@<address>.<operation>
 *     @asio|<seconds.micros>|>n|ec=asio.system:0,bytes_transferred=5
 *     @asio|<seconds.micros>|<n|
 *     @asio|<seconds.micros>|!n|            (the handler threw)
 *     @asio|<seconds.micros>|~n|            (destroyed without invocation)
 *     @asio|<seconds.micros>|n|socket@0x3.close
 *
 * A context has one only while tracking is on; with it off the runtime pays
 * a `null` check per operation and nothing else.
 */
export class HandlerTracker {
  readonly #sink: HandlerTrackingSink;
  /** The handler ids of the ops created under this tracker and not yet invoked or freed: kept here, not in every op, since only tracking needs them. */
  readonly #ids = new Map<Operation, number>();

  constructor(sink: HandlerTrackingSink | null) {
    this.#sink = sink ?? writeToStderr;
  }

  /** An operation was started on `object`: gives `op` a handler id and writes its creation line. */
  created(op: Operation, objectType: string, object: object, operation: string): void {
    const id = nextHandlerId++;
    this.#ids.set(op, id);
    this.#write(`${String(currentHandlerId)}*${String(id)}`, `${objectType}@${addressOf(object)}.${operation}`);
  }

  /** Runs `op.complete()` between its invocation and exit lines (or its exception line). */
  invoke(op: Operation): void {
    const id = this.#ids.get(op);
    if (id === undefined) {
      op.complete();
      return;
    }
    this.#ids.delete(op);
    this.#write(`>${String(id)}`, op.trackingArgs());
    const parent = currentHandlerId;
    currentHandlerId = id;
    try {
      op.complete();
    } catch (error) {
      currentHandlerId = parent;
      this.#write(`!${String(id)}`, '');
      throw error;
    }
    currentHandlerId = parent;
    this.#write(`<${String(id)}`, '');
  }

  /** `op` is going back to its allocator: if it was created here and never invoked, its handler was destroyed. */
  freed(op: Operation): void {
    const id = this.#ids.get(op);
    if (id === undefined) return;
    this.#ids.delete(op);
    this.#write(`~${String(id)}`, '');
  }

  /** The running handler (or code outside any) performed a synchronous operation on `object`. */
  operation(objectType: string, object: object, operation: string): void {
    this.#write(String(currentHandlerId), `${objectType}@${addressOf(object)}.${operation}`);
  }

  #write(action: string, description: string): void {
    const line = `@asio|${timestamp()}|${action}|${description}`;
    this.#sink(line);
    if (handlerTrackingChannel.hasSubscribers) handlerTrackingChannel.publish(line);
  }
}
