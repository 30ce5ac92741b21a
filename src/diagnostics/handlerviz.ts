import { asioErrorName } from './asio-error-code.js';
import { parseHandlerTrace, type HandlerState, type HandlerTrace, type TraceOperation, type TracedHandler } from './handler-trace.js';

/** Node attributes that set each state apart (a completed handler keeps the defaults). */
const STATE_STYLE: Readonly<Record<HandlerState, string>> = {
  completed: '',
  threw: 'color="red3", penwidth=2',
  running: 'color="darkorange2", penwidth=2',
  destroyed: 'style="rounded,dashed,filled", fillcolor="gray92", color="gray45", fontcolor="gray35"',
  pending: 'style="rounded,dotted,filled", fillcolor="lightyellow", color="goldenrod4"',
};

// Control characters have no place in a label (XML forbids most of them in
// an HTML label); each becomes a space.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;

/** A double-quoted DOT string showing `lines` one under the other, with `\` and `"` escaped. */
function quoted(lines: readonly string[]): string {
  const escaped = lines.map((line) => line.replace(CONTROL, ' ').replace(/[\\"]/g, '\\$&'));
  return `"${escaped.join('\\n')}"`;
}

/** `text` as character data of an HTML-like label. */
function html(text: string): string {
  return text.replace(CONTROL, ' ').replace(/[&<>"']/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return '&#39;';
    }
  });
}

/** An operation as asio writes it: `socket@0x3.close`. */
function describe(op: TraceOperation): string {
  return op.objectType === '' ? op.name : `${op.objectType}@${op.address}.${op.name}`;
}

/** A point in the trace relative to its first event: `+1.000250 s`. */
function offset(time: number, start: number): string {
  const d = Math.max(0, time - start);
  return `+${String(Math.floor(d / 1_000_000))}.${String(d % 1_000_000).padStart(6, '0')} s`;
}

/** A duration, in ASCII: Graphviz sizes other characters without font metrics (and warns). */
function duration(micros: number): string {
  if (micros < 1000) return `${String(micros)} us`;
  if (micros < 1_000_000) return `${(micros / 1000).toFixed(3)} ms`;
  return `${(micros / 1_000_000).toFixed(3)} s`;
}

/** The row saying when the handler ran and for how long, or why it did not. */
function timing(h: TracedHandler, start: number): string {
  const at = h.invokedAt === null ? '' : `at ${offset(h.invokedAt, start)}, `;
  switch (h.state) {
    case 'completed':
      return h.invokedAt === null ? 'returned (invocation not in the trace)' : `${at}ran ${duration(h.returnedAt! - h.invokedAt)}`;
    case 'threw':
      return h.invokedAt === null ? 'threw (invocation not in the trace)' : `${at}threw after ${duration(h.threwAt! - h.invokedAt)}`;
    case 'running':
      return `${at}had not returned when the trace ended`;
    case 'destroyed':
      return `destroyed at ${offset(h.destroyedAt!, start)}, never invoked`;
    case 'pending':
      return 'pending: never invoked';
  }
}

/** `ec=asio.misc:2` as `ec=asio.misc:2 (eof)`: asio's number with the name proactor gives it. */
function namedArgument(arg: string): string {
  const m = /^(\w+)=(asio\.\w+:\d+)$/.exec(arg);
  const name = m === null ? null : asioErrorName(m[2]!);
  return name === null ? arg : `${arg} (${name})`;
}

const row = (content: string): string => `<TR><TD ALIGN="LEFT" BALIGN="LEFT">${content}</TD></TR>`;

/** A handler's HTML-like label: id, arguments, timing, then what it did. */
function handlerLabel(h: TracedHandler, start: number): string {
  const rows = [row(`<B>${String(h.id)}</B>`)];
  if (h.args !== null && h.args !== '') rows.push(row(h.args.split(',').map(namedArgument).map(html).join('<BR/>')));
  rows.push(row(`<I>${html(timing(h, start))}</I>`));
  const did = h.operations.map((op) => row(html(describe(op))));
  if (h.state === 'threw') did.push(row('<FONT COLOR="red3"><B>exception</B></FONT>'));
  if (did.length > 0) rows.push('<HR/>', ...did);
  return `<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">${rows.join('')}</TABLE>>`;
}

/** The lines of an edge label: `socket@0x3` over `async_receive`. */
function operationLines(op: TraceOperation): string[] {
  return op.objectType === '' ? [op.name] : [`${op.objectType}@${op.address}`, op.name];
}

function attributes(list: readonly string[]): string {
  return `[${list.filter((a) => a !== '').join(', ')}]`;
}

/**
 * Draws a parsed handler trace as a Graphviz digraph: {@link handlerTrackingToDot}
 * for a trace already read with `parseHandlerTrace`, for example one filtered
 * down to the handlers of interest first.
 *
 * @example
 * ```ts
 * const trace = parseHandlerTrace(text);
 * const dot = handlerTraceToDot({ ...trace, handlers: trace.handlers.filter((h) => h.state !== 'completed') });
 * ```
 *
 * @category Diagnostics
 */
export function handlerTraceToDot(trace: HandlerTrace): string {
  const start = trace.startTime ?? 0;
  const out = [
    'digraph handlers {',
    '  graph [rankdir=TB, nodesep=0.3, ranksep=0.45, fontname="Courier"];',
    '  node [shape=box, style=rounded, margin="0.08,0.04", fontname="Courier", fontsize=10];',
    '  edge [style=dashed, arrowsize=0.7, fontname="Courier", fontsize=9];',
  ];

  const drawn = new Set<number>();
  for (const h of trace.handlers) {
    drawn.add(h.id);
    out.push(`  h${String(h.id)} ${attributes([`label=${handlerLabel(h, start)}`, `class="handler ${h.state}"`, STATE_STYLE[h.state]])};`);
  }

  trace.outsideOperations.forEach((op, i) => {
    const name = `o${String(i + 1)}`;
    out.push(`  ${name} [shape=note, style=dashed, class="outside", label=${quoted([describe(op)])}, tooltip=${quoted([`outside any handler at ${offset(op.time, start)}`])}];`);
  });

  for (const edge of trace.edges) {
    if (!drawn.has(edge.to) || (edge.from !== 0 && !drawn.has(edge.from))) continue;
    let tail = `h${String(edge.from)}`;
    if (edge.from === 0) {
      tail = `s${String(edge.to)}`;
      out.push(`  ${tail} [shape=point, width=0.08, class="outside", tooltip=${quoted([`outside any handler at ${offset(edge.operation.time, start)}`])}];`);
    }
    const tooltip = edge.locations.length > 0 ? `tooltip=${quoted(edge.locations)}` : '';
    out.push(`  ${tail} -> h${String(edge.to)} ${attributes([`label=${quoted(operationLines(edge.operation))}`, tooltip])};`);
  }

  out.push('}', '');
  return out.join('\n');
}

/**
 * Converts Boost.Asio-style handler-tracking output into a Graphviz digraph
 * in DOT syntax: one node per handler, dashed edges from each handler to the
 * handlers of the operations it started. `npx proactor-handlerviz` runs it on
 * standard input.
 *
 * A node shows the handler's id, the arguments it was invoked with (one per
 * line), when it was invoked (relative to the first event of the trace) and
 * how long it ran, then a row per synchronous operation it performed and an
 * `exception` row if it threw. A handler destroyed without being invoked is
 * drawn dashed and grey, one still pending when the trace ended dotted on
 * yellow, one that threw in red, and one that had not returned in orange;
 * each node also carries the SVG class `handler <state>`. An edge is labelled
 * with the object type, address and operation name (its tooltip lists the
 * source locations, when the trace has them); operations started outside any
 * handler come from small anonymous points, and synchronous operations
 * performed outside any handler are notes of their own. Everything taken from
 * the trace is escaped, and the output depends only on the input: handlers by
 * id, then the outside operations in trace order, then the edges by the id of
 * the handler they lead to.
 *
 * @example
 * ```ts
 * const dot = handlerTrackingToDot([
 *   '@asio|1700000000.000100|0*1|socket@0x3.async_receive',
 *   '@asio|1700000000.000250|>1|ec=asio.system:0,bytes_transferred=5',
 *   '@asio|1700000000.000260|1*2|socket@0x3.async_send',
 *   '@asio|1700000000.000270|<1|',
 * ].join('\n'));
 * // digraph handlers {
 * //   …
 * //   h1 [label=<…<B>1</B>…ec=asio.system:0<BR/>bytes_transferred=5…at +0.000150 s, ran 20 us…>, class="handler completed"];
 * //   h2 [label=<…pending: never invoked…>, class="handler pending", style="rounded,dotted,filled", …];
 * //   s1 [shape=point, …];
 * //   s1 -> h1 [label="socket@0x3\nasync_receive"];
 * //   h1 -> h2 [label="socket@0x3\nasync_send"];
 * // }
 * ```
 *
 * @category Diagnostics
 */
export function handlerTrackingToDot(text: string): string {
  return handlerTraceToDot(parseHandlerTrace(text));
}
