/**
 * What became of a handler by the end of a trace.
 *
 * - `completed`: invoked, and returned;
 * - `threw`: invoked, and left by an exception;
 * - `running`: invoked (or seen acting), but neither returned nor threw
 *   before the trace ended;
 * - `destroyed`: destroyed without ever being invoked;
 * - `pending`: created, and neither invoked nor destroyed before the trace
 *   ended.
 *
 * @example
 * ```ts
 * const unfinished = parseHandlerTrace(text).handlers.filter((h) => h.state === 'pending');
 * ```
 *
 * @category Diagnostics
 */
export type HandlerState = 'completed' | 'threw' | 'running' | 'destroyed' | 'pending';

/**
 * One operation named by a trace line: an asynchronous operation that created
 * a handler, or a synchronous one a handler (or code outside any handler)
 * performed. asio writes it as `<objectType>@<address>.<name>`, for example
 * `socket@0x3.async_receive`; a description of another shape is kept whole in
 * `name`, with `objectType` and `address` empty.
 *
 * @example
 * ```ts
 * const [edge] = parseHandlerTrace('@asio|1.000000|0*1|socket@0x3.async_receive').edges;
 * // edge.operation: { objectType: 'socket', address: '0x3', name: 'async_receive', time: 1000000 }
 * ```
 *
 * @category Diagnostics
 */
export interface TraceOperation {
  /** The kind of I/O object, such as `socket`, `deadline_timer` or `io_context`. */
  readonly objectType: string;
  /** The object's address, such as `0x3`. */
  readonly address: string;
  /** The operation, such as `async_receive`, `post` or `close`. */
  readonly name: string;
  /** When the line was written, in microseconds since the Unix epoch. */
  readonly time: number;
}

/**
 * A dashed line of the graph: handler `from` (0 for code outside any handler)
 * started the asynchronous operation whose handler is `to`.
 *
 * @example
 * ```ts
 * for (const { from, to, operation } of parseHandlerTrace(text).edges) {
 *   console.log(`${from} -> ${to}: ${operation.objectType}.${operation.name}`);
 * }
 * ```
 *
 * @category Diagnostics
 */
export interface HandlerTraceEdge {
  /** The creating handler's id; 0 when the operation was started outside any handler. */
  readonly from: number;
  /** The created handler's id. */
  readonly to: number;
  /** The asynchronous operation started. */
  readonly operation: TraceOperation;
  /** The source locations written for this creation (`P^C` lines), outermost first. */
  readonly locations: readonly string[];
}

/**
 * Everything a trace says about one handler id.
 *
 * @example
 * ```ts
 * const h = parseHandlerTrace(text).handlers.find((x) => x.id === 5)!;
 * if (h.returnedAt !== null && h.invokedAt !== null) console.log(`ran ${h.returnedAt - h.invokedAt} us`);
 * ```
 *
 * @category Diagnostics
 */
export interface TracedHandler {
  /** The handler id asio gave it. */
  readonly id: number;
  /** The handler that created it (0 for code outside any handler); `null` when its creation is not in the trace. */
  readonly parent: number | null;
  /** The asynchronous operation it is the handler of; `null` when its creation is not in the trace. */
  readonly creation: TraceOperation | null;
  /** The source locations written for its creation (`P^C` lines), outermost first. */
  readonly locations: readonly string[];
  /** What it was invoked with, such as `ec=asio.system:0,bytes_transferred=5` (possibly empty); `null` if never invoked. */
  readonly args: string | null;
  /** When it was invoked (µs since the epoch); `null` if never. */
  readonly invokedAt: number | null;
  /** When it returned (µs since the epoch); `null` if it did not. */
  readonly returnedAt: number | null;
  /** When it threw (µs since the epoch); `null` if it did not. */
  readonly threwAt: number | null;
  /** When it was destroyed without invocation (µs since the epoch); `null` if it was not. */
  readonly destroyedAt: number | null;
  /** The synchronous operations it performed while running, in trace order. */
  readonly operations: readonly TraceOperation[];
  /** What became of it by the end of the trace. */
  readonly state: HandlerState;
}

/**
 * The structured content of a handler-tracking trace: what
 * {@link parseHandlerTrace} returns.
 *
 * @example
 * ```ts
 * const trace = parseHandlerTrace(text);
 * console.log(`${trace.handlers.length} handlers from ${trace.trackingLines} lines`);
 * ```
 *
 * @category Diagnostics
 */
export interface HandlerTrace {
  /** Every handler id the trace mentions, by ascending id. */
  readonly handlers: readonly TracedHandler[];
  /** One per creation line, by ascending id of the created handler. */
  readonly edges: readonly HandlerTraceEdge[];
  /** Synchronous operations performed outside any handler (by "handler 0"), in trace order. */
  readonly outsideOperations: readonly TraceOperation[];
  /** The time of the first event (µs since the epoch); `null` when there is none. */
  readonly startTime: number | null;
  /** How many lines began with `@asio|`, whether or not they were understood. */
  readonly trackingLines: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type HandlerRecord = Omit<Mutable<TracedHandler>, 'state' | 'locations' | 'operations'> & {
  locations: string[];
  operations: TraceOperation[];
  /** It created a handler or performed an operation, so it ran. */
  acted: boolean;
};

const PREFIX = '@asio|';
/** `@asio|<seconds>[.<fraction>]|<action>|<description>`; the description may itself contain `|`. */
const LINE = /^@asio\|(\d+)(?:\.(\d+))?\|([^|]*)\|(.*)$/;
const CREATION = /^(\d+)\*(\d+)$/;
const LOCATION = /^(\d+)\^(\d+)$/;
const LIFECYCLE = /^([><!~])(\d+)$/;
const SYNCHRONOUS = /^(\d+)$/;

function microseconds(seconds: string, fraction: string | undefined): number {
  const micros = ((fraction ?? '') + '000000').slice(0, 6);
  return Number(seconds) * 1_000_000 + Number(micros);
}

function parseOperation(description: string, time: number): TraceOperation {
  const at = description.indexOf('@');
  const dot = at < 0 ? -1 : description.indexOf('.', at + 1);
  if (at < 0 || dot < 0) return { objectType: '', address: '', name: description, time };
  return {
    objectType: description.slice(0, at),
    address: description.slice(at + 1, dot),
    name: description.slice(dot + 1),
    time,
  };
}

function stateOf(h: HandlerRecord): HandlerState {
  if (h.threwAt !== null) return 'threw';
  if (h.returnedAt !== null) return 'completed';
  if (h.invokedAt !== null || h.acted) return 'running';
  if (h.destroyedAt !== null) return 'destroyed';
  return 'pending';
}

/**
 * Reads Boost.Asio-style handler-tracking output (what a context writes with
 * handler tracking on, and what asio itself writes with
 * `BOOST_ASIO_ENABLE_HANDLER_TRACKING`) into handlers, the edges between
 * them and the operations performed outside any handler.
 *
 * Each line `@asio|<seconds>.<micros>|<action>|<description>` is one event;
 * the actions are `P*C` (handler `P`, or 0 outside any handler, created the
 * operation of handler `C`), `P^C` (a source location of that creation),
 * `>N` (invoked with the arguments in the description), `<N` (returned),
 * `!N` (threw), `~N` (destroyed without invocation) and `N` (performed the
 * synchronous operation in the description). Any other line, including
 * actions this reader does not know, is skipped; the first event of a kind
 * for a handler wins over later repeats.
 *
 * @example
 * ```ts
 * const trace = parseHandlerTrace([
 *   '@asio|1700000000.000100|0*1|socket@0x3.async_receive',
 *   '@asio|1700000000.000250|>1|ec=asio.system:0,bytes_transferred=5',
 *   '@asio|1700000000.000260|1|socket@0x3.close',
 *   '@asio|1700000000.000270|<1|',
 * ].join('\n'));
 * trace.handlers[0]!.state;        // 'completed'
 * trace.handlers[0]!.operations;   // [{ objectType: 'socket', address: '0x3', name: 'close', time: 1700000000000260 }]
 * trace.edges[0]!.from;            // 0: started outside any handler
 * ```
 *
 * @category Diagnostics
 */
export function parseHandlerTrace(text: string): HandlerTrace {
  const records = new Map<number, HandlerRecord>();
  const outsideOperations: TraceOperation[] = [];
  let startTime: number | null = null;
  let trackingLines = 0;

  const handler = (id: number): HandlerRecord => {
    let h = records.get(id);
    if (h === undefined) {
      h = {
        id,
        parent: null,
        creation: null,
        locations: [],
        args: null,
        invokedAt: null,
        returnedAt: null,
        threwAt: null,
        destroyedAt: null,
        operations: [],
        acted: false,
      };
      records.set(id, h);
    }
    return h;
  };

  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line.startsWith(PREFIX)) continue;
    trackingLines++;
    const m = LINE.exec(line);
    if (m === null) continue;
    const time = microseconds(m[1]!, m[2]);
    const action = m[3]!;
    const description = m[4]!;
    let understood = true;

    let a: RegExpExecArray | null;
    if ((a = CREATION.exec(action)) !== null) {
      const parent = Number(a[1]);
      const child = Number(a[2]);
      if (child === 0) continue;
      const h = handler(child);
      if (h.creation === null) {
        h.parent = parent;
        h.creation = parseOperation(description, time);
      }
      if (parent !== 0) handler(parent).acted = true;
    } else if ((a = LOCATION.exec(action)) !== null) {
      const child = Number(a[2]);
      if (child === 0) continue;
      handler(child).locations.push(description);
    } else if ((a = LIFECYCLE.exec(action)) !== null) {
      const id = Number(a[2]);
      if (id === 0) continue;
      const h = handler(id);
      switch (a[1]) {
        case '>':
          if (h.invokedAt === null) {
            h.invokedAt = time;
            h.args = description;
          }
          break;
        case '<':
          h.returnedAt ??= time;
          break;
        case '!':
          h.threwAt ??= time;
          break;
        default:
          h.destroyedAt ??= time;
      }
    } else if ((a = SYNCHRONOUS.exec(action)) !== null) {
      const id = Number(a[1]);
      if (description === '') continue;
      const operation = parseOperation(description, time);
      if (id === 0) {
        outsideOperations.push(operation);
      } else {
        const h = handler(id);
        h.operations.push(operation);
        h.acted = true;
      }
    } else {
      understood = false;
    }
    if (understood && (startTime === null || time < startTime)) startTime = time;
  }

  const handlers: TracedHandler[] = [...records.values()]
    .sort((x, y) => x.id - y.id)
    .map((record) => {
      const { acted: _acted, ...h } = record;
      return { ...h, state: stateOf(record) };
    });
  const edges: HandlerTraceEdge[] = [];
  for (const h of handlers) {
    if (h.parent !== null && h.creation !== null) {
      edges.push({ from: h.parent, to: h.id, operation: h.creation, locations: h.locations });
    }
  }
  return { handlers, edges, outsideOperations, startTime, trackingLines };
}
