import { constants } from 'node:os';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { instance, type Viz } from '@viz-js/viz';
import { parseHandlerTrace, type TracedHandler } from '../src/diagnostics/handler-trace.js';
import { handlerTraceToDot, handlerTrackingToDot } from '../src/diagnostics/handlerviz.js';
import { HANDLERVIZ_CLI, runHandlerviz } from './support/handlerviz-cli.js';

/**
 * An echo server's trace, written by hand: accept (1) → read (5) → write (7)
 * → read (8, end of stream: closes the socket and cancels the idle timer 2,
 * which then completes with operation_aborted); the next accept (6) is
 * destroyed when the acceptor closes outside any handler; a posted handler
 * (4) throws; the signal wait (3) is still pending at the end. Around it:
 * the program's own output and a reactor line (`.8`) this reader skips.
 */
const TRACE = readFileSync(path.join(__dirname, 'fixtures', 'handler-tracking-echo.txt'), 'utf8');


/** Microseconds since the epoch of `micros` after the fixture's second 1700000000. */
const t = (micros: number): number => 1_700_000_000_000_000 + micros;

let viz: Viz;
beforeAll(async () => {
  viz = await instance();
});

function svgOf(dot: string): string {
  const result = viz.render(dot, { format: 'svg' });
  expect(result.errors).toEqual([]);
  expect(result.status).toBe('success');
  return result.output ?? '';
}

function handler(handlers: readonly TracedHandler[], id: number): TracedHandler {
  const h = handlers.find((x) => x.id === id);
  if (h === undefined) throw new Error(`no handler ${id}`);
  return h;
}

/** The `tail -> head` pairs of a DOT text, in order. */
function edgesOf(dot: string): string[] {
  return [...dot.matchAll(/^ {2}(\w+) -> (\w+) /gm)].map((m) => `${m[1]!}->${m[2]!}`);
}

/** The node statements of a DOT text, by name. */
function nodesOf(dot: string): Map<string, string> {
  const statements = [...dot.matchAll(/^ {2}(\w+) (\[.*\]);$/gm)].map((m): [string, string] => [m[1]!, m[2]!]);
  return new Map(statements.filter(([name]) => !['graph', 'node', 'edge'].includes(name)));
}


describe('parseHandlerTrace', () => {
  const trace = parseHandlerTrace(TRACE);

  test('reads every handler with what became of it, and counts the @asio| lines', () => {
    expect(trace.trackingLines).toBe(28);
    expect(trace.startTime).toBe(t(100));
    expect(trace.handlers.map((h) => [h.id, h.state])).toEqual([
      [1, 'completed'],
      [2, 'completed'],
      [3, 'pending'],
      [4, 'threw'],
      [5, 'completed'],
      [6, 'destroyed'],
      [7, 'completed'],
      [8, 'completed'],
    ]);
  });

  test('a handler: its creation, arguments, times and operations', () => {
    expect(handler(trace.handlers, 5)).toEqual({
      id: 5,
      parent: 1,
      creation: { objectType: 'socket', address: '0x3', name: 'async_receive', time: t(1010) },
      locations: [],
      args: 'ec=asio.system:0,bytes_transferred=5',
      invokedAt: t(2000),
      returnedAt: t(2020),
      threwAt: null,
      destroyedAt: null,
      operations: [],
      state: 'completed',
    });
    expect(handler(trace.handlers, 7).locations).toEqual(["in 'asyncWrite' (src/net/composed.ts:42)"]);
    // The reactor line `.8` between its creation and invocation changes nothing.
    expect(handler(trace.handlers, 8)).toMatchObject({
      args: 'ec=asio.misc:2,bytes_transferred=0',
      operations: [
        { objectType: 'socket', address: '0x3', name: 'close', time: t(5010) },
        { objectType: 'deadline_timer', address: '0x2', name: 'cancel', time: t(5020) },
      ],
    });
  });

  test('the cancelled timer completes, with operation_aborted, after the handler that cancelled it', () => {
    const timer = handler(trace.handlers, 2);
    expect(timer).toMatchObject({ parent: 0, args: 'ec=asio.system:125', state: 'completed' });
    expect(timer.invokedAt).toBeGreaterThan(handler(trace.handlers, 8).operations[1]!.time);
  });

  test('the exception, the destroyed handler and the pending one', () => {
    expect(handler(trace.handlers, 4)).toMatchObject({
      args: '',
      invokedAt: t(200),
      returnedAt: null,
      threwAt: t(250),
      operations: [{ objectType: 'deadline_timer', address: '0x6', name: 'cancel', time: t(210) }],
      state: 'threw',
    });
    expect(handler(trace.handlers, 6)).toMatchObject({ parent: 1, args: null, invokedAt: null, destroyedAt: t(6010), state: 'destroyed' });
    expect(handler(trace.handlers, 3)).toMatchObject({
      parent: 0,
      creation: { objectType: 'signal_set', address: '0x4', name: 'async_wait', time: t(120) },
      args: null,
      invokedAt: null,
      destroyedAt: null,
      state: 'pending',
    });
  });

  test('edges run from creator to created, by created id; parent 0 is outside any handler', () => {
    expect(trace.edges.map((e) => [e.from, e.to, `${e.operation.objectType}@${e.operation.address}.${e.operation.name}`])).toEqual([
      [0, 1, 'socket@0x1.async_accept'],
      [0, 2, 'deadline_timer@0x2.async_wait'],
      [0, 3, 'signal_set@0x4.async_wait'],
      [0, 4, 'io_context@0x5.post'],
      [1, 5, 'socket@0x3.async_receive'],
      [1, 6, 'socket@0x1.async_accept'],
      [5, 7, 'socket@0x3.async_send'],
      [7, 8, 'socket@0x3.async_receive'],
    ]);
    expect(trace.edges.find((e) => e.to === 7)!.locations).toEqual(["in 'asyncWrite' (src/net/composed.ts:42)"]);
    expect(trace.outsideOperations).toEqual([{ objectType: 'socket', address: '0x1', name: 'close', time: t(6000) }]);
  });

  test('CRLF lines, "|" in descriptions, odd descriptions, unknown actions and a trace that starts late', () => {
    const late = parseHandlerTrace(
      [
        'noise',
        '@asio|1.5|9*10|strand@0x9.dispatch|extra\r',
        '@asio|1.000002|10^11|frame one',
        '@asio|1.000002|10^11|frame two',
        '@asio|1.000003|10*11|custom operation',
        '@asio|1.000004|>11|a|b',
        '@asio|1.000001|<9|',
        '@asio|1.000009|?11|something new',
        '@asio|x|>11|',
        '@asio|2|>0|',
      ].join('\n'),
    );
    expect(late.trackingLines).toBe(9);
    expect(late.startTime).toBe(1_000_001);
    expect(late.handlers.map((h) => [h.id, h.state])).toEqual([
      [9, 'completed'], // returned; its invocation was before the trace began
      [10, 'running'], // created 11, never seen returning
      [11, 'running'], // invoked, never returned
    ]);
    expect(handler(late.handlers, 10).creation).toEqual({ objectType: 'strand', address: '0x9', name: 'dispatch|extra', time: 1_500_000 });
    expect(handler(late.handlers, 11)).toMatchObject({
      creation: { objectType: '', address: '', name: 'custom operation', time: 1_000_003 },
      locations: ['frame one', 'frame two'],
      args: 'a|b',
    });
  });

  test('no tracking lines: an empty trace', () => {
    expect(parseHandlerTrace('hello\nworld\n')).toEqual({ handlers: [], edges: [], outsideOperations: [], startTime: null, trackingLines: 0 });
  });
});

describe('handlerTrackingToDot', () => {
  const dot = handlerTrackingToDot(TRACE);
  const nodes = nodesOf(dot);

  test('one node per handler, anonymous starts for parent 0, a note for the operation outside any handler', () => {
    expect(dot.startsWith('digraph handlers {\n')).toBe(true);
    expect(dot.endsWith('}\n')).toBe(true);
    expect([...nodes.keys()]).toEqual(['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7', 'h8', 'o1', 's1', 's2', 's3', 's4']);
    for (const s of ['s1', 's2', 's3', 's4']) expect(nodes.get(s)).toMatch(/^\[shape=point, /);
    expect(nodes.get('o1')).toContain('label="socket@0x1.close"');
    expect(nodes.get('o1')).toContain('shape=note');
  });

  test('dashed edges from creator to created, labelled with object type, address and operation', () => {
    expect(edgesOf(dot)).toEqual(['s1->h1', 's2->h2', 's3->h3', 's4->h4', 'h1->h5', 'h1->h6', 'h5->h7', 'h7->h8']);
    expect(dot).toContain('  edge [style=dashed,');
    expect(dot).toContain('  h1 -> h5 [label="socket@0x3\\nasync_receive"];');
    expect(dot).toContain('  s4 -> h4 [label="io_context@0x5\\npost"];');
    expect(dot).toContain(`  h5 -> h7 [label="socket@0x3\\nasync_send", tooltip="in 'asyncWrite' (src/net/composed.ts:42)"];`);
  });

  test('labels: id, arguments one per line, entry time and duration, operations, exception', () => {
    const h5 = nodes.get('h5')!;
    expect(h5).toContain('<B>5</B>');
    expect(h5).toContain('ec=asio.system:0<BR/>bytes_transferred=5');
    expect(h5).toContain('at +0.001900 s, ran 20 us');
    const h8 = nodes.get('h8')!;
    expect(h8).toContain('<HR/>');
    expect(h8).toContain('>socket@0x3.close<');
    expect(h8).toContain('>deadline_timer@0x2.cancel<');
    const h4 = nodes.get('h4')!;
    expect(h4).toContain('threw after 50 us');
    expect(h4).toContain('exception');
    expect(nodes.get('h1')).not.toContain('exception');
  });

  test('destroyed, pending and throwing handlers each look different from completed ones', () => {
    expect(nodes.get('h1')).toContain('class="handler completed"');
    expect(nodes.get('h1')).not.toContain('style=');
    expect(nodes.get('h6')).toContain('class="handler destroyed"');
    expect(nodes.get('h6')).toContain('style="rounded,dashed,filled"');
    expect(nodes.get('h6')).toContain('never invoked');
    expect(nodes.get('h3')).toContain('class="handler pending"');
    expect(nodes.get('h3')).toContain('style="rounded,dotted,filled"');
    expect(nodes.get('h3')).toContain('pending: never invoked');
    expect(nodes.get('h4')).toContain('class="handler threw"');
    expect(nodes.get('h4')).toContain('color="red3"');
  });

  test('the output depends only on the input', () => {
    expect(handlerTrackingToDot(TRACE)).toBe(dot);
    expect(handlerTraceToDot(parseHandlerTrace(TRACE))).toBe(dot);
    // Lines of different handlers in another order give the same graph.
    const lines = TRACE.split('\n');
    const shuffled = [...lines.filter((l) => l.includes('|0*')).reverse(), ...lines.filter((l) => !l.includes('|0*'))].join('\n');
    expect(handlerTrackingToDot(shuffled)).toBe(dot);
  });

  test('Graphviz renders it without a warning, with every handler and edge', () => {
    const svg = svgOf(dot);
    for (let id = 1; id <= 8; id++) expect(svg).toContain(`<title>h${id}</title>`);
    for (const edge of ['h1&#45;&gt;h5', 'h1&#45;&gt;h6', 'h5&#45;&gt;h7', 'h7&#45;&gt;h8', 's3&#45;&gt;h3']) expect(svg).toContain(`<title>${edge}</title>`);
    expect(svg).toMatch(/<g id="node\d+" class="node handler pending">\s*<title>h3<\/title>/);
    expect(svg).toMatch(/<g id="node\d+" class="node handler destroyed">\s*<title>h6<\/title>/);
    expect(svg).toContain('>exception</text>');
    expect(svg).toContain('>bytes_transferred=5</text>');
    // Error codes by name beside asio's numbers; success stays a bare number.
    expect(svg).toContain('>ec=asio.misc:2 (eof)</text>');
    expect(svg).toContain(`>ec=asio.system:${String(constants.errno.ECANCELED)} (operation_aborted)</text>`);
    expect(svg).toContain('>ec=asio.system:0</text>');
    // A monospace font, whose width every viewer agrees with Graphviz on, so labels stay inside their boxes.
    expect(svg).not.toMatch(/font-family="(?!Courier)/);
    expect(svg).toContain('>socket@0x1.close</text>');
  });

  test('quotes, angle brackets, ampersands, backslashes and control characters are escaped', () => {
    const nasty = [
      '@asio|1.000000|0*1|my"type"<T>&co@0x1.do\\it\\n"now"',
      '@asio|1.000001|0^2|at "a<b>&c" \\ end',
      '@asio|1.000002|0*2|x@0x2.y',
      '@asio|1.000003|>1|msg="<b>&amp;\'x\'\\",\tz=1',
      '@asio|1.000004|1|obj@0x3.op<&>"\\',
      '@asio|1.000005|<1|',
      '@asio|1.000006|0|"quoted"\\\\',
    ].join('\n');
    const out = handlerTrackingToDot(nasty);
    expect(out).toContain('s1 -> h1 [label="my\\"type\\"<T>&co@0x1\\ndo\\\\it\\\\n\\"now\\""];');
    expect(out).toContain('tooltip="at \\"a<b>&c\\" \\\\ end"');
    expect(out).toContain('msg=&quot;&lt;b&gt;&amp;amp;&#39;x&#39;\\&quot;<BR/> z=1');
    expect(out).toContain('>obj@0x3.op&lt;&amp;&gt;&quot;\\<');
    expect(out).toContain('label="\\"quoted\\"\\\\\\\\"');
    const svg = svgOf(out);
    expect(svg).toContain('>my&quot;type&quot;&lt;T&gt;&amp;co@0x1</text>');
    expect(svg).toContain('>do\\it\\n&quot;now&quot;</text>');
    expect(svg).toContain('>msg=&quot;&lt;b&gt;&amp;amp;&#39;x&#39;\\&quot;</text>');
    expect(svg).toContain('>obj@0x3.op&lt;&amp;&gt;&quot;\\</text>');
    expect(svg).toContain('>&quot;quoted&quot;\\\\</text>');
  });
});

describe('proactor-handlerviz (the built command)', () => {
  test('turns the trace on stdin into the DOT on stdout', async () => {
    const { code, stdout, stderr } = await runHandlerviz([], TRACE);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(handlerTrackingToDot(TRACE));
    expect(edgesOf(stdout)).toContain('h7->h8');
    svgOf(stdout);
  });

  test('starts with a shebang, so it runs as an installed bin', () => {
    expect(readFileSync(HANDLERVIZ_CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  test('--help prints the usage', async () => {
    const { code, stdout } = await runHandlerviz(['--help'], '');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: proactor-handlerviz < trace > graph\.dot\n/);
  });

  test('input with no @asio| line is an error (exit 1) and writes no graph', async () => {
    for (const input of ['', 'listening on 127.0.0.1:5555\nbye\n']) {
      const { code, stdout, stderr } = await runHandlerviz([], input);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^proactor-handlerviz: no handler-tracking lines \(starting with "@asio\|"\) on standard input/);
    }
  });

  test('an unknown argument is an error (exit 2)', async () => {
    const { code, stderr } = await runHandlerviz(['--bogus'], TRACE);
    expect(code).toBe(2);
    expect(stderr).toContain('unexpected argument: --bogus');
  });
});
