import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { renderBenchChart } from '../bench/chart.js';

const root = path.join(__dirname, '..');

interface Cell {
  scenario: string;
  /** Absent in results from before the Node matrix; null for the C server. */
  node?: string | null;
  server: string;
  rep: number;
  load: { roundTrips: number; roundTripsPerSecond: number } | null;
  heap: { bytesPerRoundTrip: number } | null;
}

interface SummaryRow {
  scenario: string;
  node?: string | null;
  server: string;
  roundTripsPerSecond: number;
  pairedVsNodeNet: number | null;
  heapBytesPerRoundTrip: number | null;
}

interface Results {
  machine: { cpu: string; cores: number; node: string; date: string };
  parts: {
    echo: {
      data: {
        settings: { reps: number; servers: string[]; scenarios: { name: string }[]; nodes?: { version: string }[] };
        cells: Cell[];
        summary: SummaryRow[];
      };
    };
  };
}

const results = JSON.parse(readFileSync(path.join(root, 'bench', 'results.json'), 'utf8')) as Results;
const echo = results.parts.echo.data;
/** The chart draws the first Node version of the matrix (and the C server, which has none). */
const chartNode = echo.settings.nodes?.[0]?.version;

function onChartNode(x: { node?: string | null }): boolean {
  return x.node === undefined || x.node === null || chartNode === undefined || x.node === chartNode;
}

function summaryRow(scenario: string, server: string): SummaryRow | undefined {
  return echo.summary.find((r) => r.scenario === scenario && r.server === server && onChartNode(r));
}

function unescape(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

interface Element {
  name: string;
  attrs: Record<string, string>;
  /** Text content up to the next tag (for <text>, its label). */
  text: string;
}

/** Tokenizes the SVG, checks that tags nest, and returns every element with its attributes. */
function parse(svg: string): Element[] {
  const elements: Element[] = [];
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<>]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < svg.length) {
    const lt = svg.indexOf('<', i);
    const chunk = svg.slice(i, lt === -1 ? svg.length : lt);
    // Text between tags: no stray markup characters, only known entities.
    expect(chunk).not.toMatch(/>/);
    expect(chunk.replace(/&(amp|lt|gt|quot|apos);/g, '')).not.toMatch(/&/);
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(svg);
    if (m === null) throw new Error(`malformed tag at ${lt}: ${svg.slice(lt, lt + 80)}`);
    const [whole, closing, name, rawAttrs, selfClosing] = m as unknown as [string, string, string, string, string];
    if (closing === '/') {
      expect(stack.pop()).toBe(name);
    } else {
      const attrs: Record<string, string> = {};
      for (const a of rawAttrs.matchAll(/([\w:-]+)="([^"]*)"/g)) {
        expect(attrs[a[1]!]).toBeUndefined();
        attrs[a[1]!] = unescape(a[2]!);
      }
      const end = lt + whole.length;
      const next = svg.indexOf('<', end);
      elements.push({ name, attrs, text: unescape(svg.slice(end, next === -1 ? svg.length : next)) });
      if (selfClosing !== '/') stack.push(name);
    }
    i = lt + whole.length;
  }
  expect(stack).toEqual([]);
  return elements;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function medianRate(scenario: string, server: string): number {
  return median(
    echo.cells
      .filter((c) => c.scenario === scenario && c.server === server && onChartNode(c) && c.load !== null && c.load.roundTrips > 0)
      .map((c) => c.load!.roundTripsPerSecond),
  );
}

function pairedRatio(scenario: string, server: string): number {
  const ratios: number[] = [];
  for (let rep = 0; rep < echo.settings.reps; rep++) {
    const rate = (s: string): number | undefined =>
      echo.cells.find((c) => c.scenario === scenario && c.server === s && c.rep === rep && onChartNode(c))?.load?.roundTripsPerSecond;
    const mine = rate(server);
    const theirs = rate('node:net');
    if (mine !== undefined && theirs !== undefined && theirs > 0) ratios.push(mine / theirs);
  }
  return median(ratios);
}

function bars(elements: readonly Element[], panel: string): Element[] {
  return elements.filter((e) => e.name === 'rect' && e.attrs['data-panel'] === panel);
}

/** Every bar's width is its value times one scale factor (up to the two decimals written). */
function expectProportional(list: readonly Element[]): void {
  expect(list.length).toBeGreaterThan(0);
  const widest = list.reduce((a, b) => (Number(a.attrs.width) > Number(b.attrs.width) ? a : b));
  const scale = Number(widest.attrs.width) / Number(widest.attrs['data-value']);
  for (const bar of list) {
    expect(Math.abs(Number(bar.attrs.width) - Number(bar.attrs['data-value']) * scale)).toBeLessThan(0.02);
  }
}

describe('bench chart from bench/results.json', () => {
  const svg = renderBenchChart(results);
  const elements = parse(svg);
  const scenarios = echo.settings.scenarios.map((s) => s.name);

  it('is one SVG document with a white background', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(elements.filter((e) => e.name === 'svg')).toHaveLength(1);
    const background = elements.find((e) => e.name === 'rect');
    expect(background?.attrs).toMatchObject({ x: '0', y: '0', fill: '#ffffff', width: elements[0]!.attrs.width });
  });

  it('is deterministic and matches the committed docs/bench-chart.svg', () => {
    expect(renderBenchChart(JSON.parse(JSON.stringify(results)))).toBe(svg);
    const committed = readFileSync(path.join(root, 'docs', 'bench-chart.svg'), 'utf8');
    // If this fails: npm run build && node dist/bench/write-chart.js
    expect(committed).toBe(svg);
  });

  it('shows every scenario and every server', () => {
    const labels = elements.filter((e) => e.attrs['data-scenario-label'] !== undefined).map((e) => e.text);
    expect(labels).toEqual(scenarios);
    const legend = elements.filter((e) => e.attrs['data-legend'] !== undefined).map((e) => e.attrs['data-legend']);
    // The chart's own order (proactor, node:net, the probe, then the others as listed): every server once.
    expect([...legend].sort()).toEqual([...echo.settings.servers].sort());
    for (const scenario of scenarios) {
      const servers = bars(elements, 'rate').filter((b) => b.attrs['data-scenario'] === scenario).map((b) => b.attrs['data-server']);
      expect(servers).toEqual(legend);
    }
  });

  it('draws round-trip bars at the medians of the cells, proportional to them', () => {
    const rate = bars(elements, 'rate');
    expect(rate).toHaveLength(scenarios.length * echo.settings.servers.length);
    for (const bar of rate) {
      const scenario = bar.attrs['data-scenario']!;
      const server = bar.attrs['data-server']!;
      const expected = medianRate(scenario, server);
      expect(Number(bar.attrs['data-value'])).toBeCloseTo(expected, 6);
      // The same median bench/echo.ts wrote into the summary (and results.md).
      const row = summaryRow(scenario, server);
      expect(Number(bar.attrs['data-value'])).toBeCloseTo(row!.roundTripsPerSecond, 6);
      const label = elements.find((e) => e.attrs['data-value-for'] === `${scenario}|${server}`);
      expect(label?.text).toBe(Math.round(expected).toLocaleString('en-US'));
    }
    expectProportional(rate);
  });

  it('writes the paired ratio vs node:net on each proactor bar', () => {
    const labels = elements.filter((e) => e.attrs['data-ratio-for'] !== undefined);
    expect(labels.map((e) => e.attrs['data-ratio-for'])).toEqual(scenarios);
    for (const label of labels) {
      const scenario = label.attrs['data-ratio-for']!;
      const expected = pairedRatio(scenario, 'proactor');
      expect(label.text).toBe(`${expected.toFixed(2)}× node:net`);
      const row = summaryRow(scenario, 'proactor');
      expect(label.text).toBe(`${row!.pairedVsNodeNet!.toFixed(2)}× node:net`);
      expect(Number(label.attrs['data-ratio'])).toBeCloseTo(expected, 9);
    }
  });

  it('draws heap bytes per round trip for the Node servers, proportional to the medians', () => {
    const heap = bars(elements, 'heap');
    // The C and Boost.Asio servers have no V8 heap.
    const expectedServers = echo.settings.servers.filter((s) => s !== 'c' && s !== 'asio');
    expect(heap).toHaveLength(scenarios.length * expectedServers.length);
    for (const bar of heap) {
      const row = summaryRow(bar.attrs['data-scenario']!, bar.attrs['data-server']!);
      expect(Number(bar.attrs['data-value'])).toBeCloseTo(row!.heapBytesPerRoundTrip!, 6);
    }
    expectProportional(heap);
  });

  it('has a title, axis titles and the machine line', () => {
    const texts = elements.filter((e) => e.name === 'text').map((e) => e.text);
    expect(texts).toContain('Round trips per second');
    expect(texts).toContain('Heap bytes per round trip');
    expect(texts).toContain('round trips per second (median)');
    const machine = elements.find((e) => e.attrs['data-machine'] !== undefined)?.text ?? '';
    const m = results.machine;
    for (const part of [m.cpu, `${m.cores} cores`, m.node, m.date.slice(0, 10)]) expect(machine).toContain(part);
  });
});

describe('bench chart from partial results', () => {
  function cell(scenario: string, server: string, rep: number, rate: number | null, heap: number | null): unknown {
    return {
      scenario,
      server,
      rep,
      position: 0,
      load: rate === null ? null : { roundTrips: rate * 5, roundTripsPerSecond: rate },
      heap: heap === null ? null : { bytesPerRoundTrip: heap },
      exitCode: 0,
      error: rate === null ? 'failed' : null,
    };
  }

  it('draws two servers and one scenario, with the ratio from the runs that have both', () => {
    const synthetic = {
      parts: {
        echo: {
          data: {
            settings: { reps: 3, servers: ['proactor', 'node:net'], scenarios: [{ name: '8x<&>"B', connections: 8, size: 1024 }] },
            cells: [
              cell('8x<&>"B', 'proactor', 0, 300, 2),
              cell('8x<&>"B', 'node:net', 0, 100, 900),
              cell('8x<&>"B', 'proactor', 1, 500, 4),
              cell('8x<&>"B', 'node:net', 1, 200, 800),
              cell('8x<&>"B', 'proactor', 2, null, null),
              cell('8x<&>"B', 'node:net', 2, 150, 850),
            ],
          },
        },
      },
    };
    const svg = renderBenchChart(synthetic);
    const elements = parse(svg);
    expect(svg).toContain('8x&lt;&amp;&gt;&quot;B');
    const rate = bars(elements, 'rate');
    expect(rate.map((b) => [b.attrs['data-server'], Number(b.attrs['data-value'])])).toEqual([
      ['proactor', 400],
      ['node:net', 150],
    ]);
    expectProportional(rate);
    const ratio = elements.find((e) => e.attrs['data-ratio-for'] === '8x<&>"B');
    // Runs 0 and 1 have both servers: median of 3 and 2.5.
    expect(ratio?.text).toBe('2.75× node:net');
    expect(bars(elements, 'heap').map((b) => Number(b.attrs['data-value']))).toEqual([3, 850]);
    expect(elements.some((e) => e.attrs['data-machine'] !== undefined)).toBe(false);
  });

  it('draws the first Node version of a matrix, and the C server, which has none', () => {
    const on = (node: string | null, server: string, rate: number): unknown => ({ ...(cell('64x64B', server, 0, rate, 2) as object), node });
    const svg = renderBenchChart({
      parts: {
        echo: {
          data: {
            settings: {
              reps: 1,
              servers: ['proactor', 'node:net', 'c'],
              nodes: [
                { major: 20, version: 'v20.1.0' },
                { major: 22, version: 'v22.1.0' },
              ],
              scenarios: [{ name: '64x64B', connections: 64, size: 64, transport: 'tcp' }],
            },
            cells: [on('v20.1.0', 'proactor', 200), on('v20.1.0', 'node:net', 100), on('v22.1.0', 'proactor', 900), on('v22.1.0', 'node:net', 300), on(null, 'c', 500)],
          },
        },
      },
    });
    const elements = parse(svg);
    expect(bars(elements, 'rate').map((b) => [b.attrs['data-server'], Number(b.attrs['data-value'])])).toEqual([
      ['proactor', 200],
      ['node:net', 100],
      ['c', 500],
    ]);
    expect(elements.find((e) => e.attrs['data-ratio-for'] === '64x64B')?.text).toBe('2.00× node:net');
    expect(svg).toContain('Node servers on Node.js v20.1.0; the 1 other Node versions measured are in bench/results.md.');
  });

  it('draws no ratio without node:net and no heap panel without heap figures', () => {
    const svg = renderBenchChart({
      machine: { cpu: 'Test <CPU>', cores: 1 },
      parts: { echo: { data: { cells: [cell('1x1B', 'proactor', 0, 10, null), cell('1x1B', 'c', 0, 20, null)] } } },
    });
    const elements = parse(svg);
    expect(bars(elements, 'rate').map((b) => b.attrs['data-server'])).toEqual(['proactor', 'c']);
    expect(elements.some((e) => e.attrs['data-ratio-for'] !== undefined)).toBe(false);
    expect(bars(elements, 'heap')).toEqual([]);
    expect(elements.find((e) => e.attrs['data-machine'] !== undefined)?.text).toBe('Machine: Test <CPU> · 1 core');
  });

  it.each([
    ['an empty object', {}],
    ['null', null],
    ['results without echo', { machine: results.machine, parts: { post: { data: {} } } }],
    ['echo without cells', { parts: { echo: { data: { settings: {}, cells: 'nope' } } } }],
    ['cells without loads', { parts: { echo: { data: { cells: [cell('a', 'proactor', 0, null, null)] } } } }],
  ])('renders %s without bars', (_name, input) => {
    const svg = renderBenchChart(input);
    const elements = parse(svg);
    expect(svg).toContain('No echo results in bench/results.json.');
    expect(bars(elements, 'rate')).toEqual([]);
  });
});
