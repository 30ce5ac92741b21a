/**
 * The benchmark chart for the README: `renderBenchChart(results)` turns the
 * parsed bench/results.json into a standalone SVG document.
 *
 * Left panel: echo round trips per second, one group of bars per scenario and
 * one bar per server (median over the repetitions), with the value at the end
 * of every bar and, on the proactor bar, the paired ratio against node:net.
 * Right panel: heap bytes placed on the V8 heap per round trip of the Node
 * servers (the C server has no V8 heap). When the echo benchmark ran on
 * several Node versions, the chart shows the first of them (the Node that ran
 * the benchmark, by default); the others are in bench/results.md. Every
 * figure is computed from the raw cells the same way bench/echo-stats.ts
 * summarizes them, so the chart agrees with bench/results.md.
 *
 * The function is pure and deterministic (no clock, no locale, no I/O); it
 * tolerates missing parts, servers and scenarios and draws what is there.
 * bench/write-chart.ts writes its output to docs/bench-chart.svg.
 */

// ---------------------------------------------------------------------------
// Reading the parsed JSON defensively

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

function arr(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? (v as unknown[]) : [];
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** One echo run as the chart needs it. */
interface Cell {
  scenario: string;
  /** The Node version of the server; null for the C server or results from before the Node matrix. */
  node: string | null;
  server: string;
  rep: number;
  /** `load.roundTripsPerSecond`, or undefined when the run has no load result. */
  rate: number | undefined;
  /** True when the run counts for the medians (`load.roundTrips > 0`). */
  counted: boolean;
  /** `heap.bytesPerRoundTrip`, or undefined without heap figures. */
  heapPerRoundTrip: number | undefined;
}

function readCell(v: unknown): Cell | undefined {
  const c = obj(v);
  const scenario = str(c?.scenario);
  const server = str(c?.server);
  if (c === undefined || scenario === undefined || server === undefined) return undefined;
  const load = obj(c.load);
  const heap = obj(c.heap);
  const rate = num(load?.roundTripsPerSecond);
  const roundTrips = num(load?.roundTrips);
  return {
    scenario,
    node: str(c.node) ?? null,
    server,
    rep: num(c.rep) ?? 0,
    rate,
    counted: rate !== undefined && roundTrips !== undefined && roundTrips > 0,
    heapPerRoundTrip: num(heap?.bytesPerRoundTrip),
  };
}

interface Scenario {
  name: string;
  connections: number | undefined;
  size: number | undefined;
}

// ---------------------------------------------------------------------------
// Statistics, as in bench/echo.ts (summarize)

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Bar {
  server: string;
  /** Median round trips per second. */
  rate: number;
  /** Median heap bytes per round trip, when measured. */
  heap: number | undefined;
  /** Median of per-repetition ratios against node:net; undefined without node:net. */
  paired: number | undefined;
}

interface Group {
  scenario: Scenario;
  bars: Bar[];
}

function summarize(cells: readonly Cell[], scenarios: readonly Scenario[], servers: readonly string[], reps: number): Group[] {
  const groups: Group[] = [];
  for (const scenario of scenarios) {
    const bars: Bar[] = [];
    for (const server of servers) {
      const mine = cells.filter((c) => c.scenario === scenario.name && c.server === server);
      const rates = mine.filter((c) => c.counted).map((c) => c.rate!);
      if (rates.length === 0) continue;
      const heaps = mine.map((c) => c.heapPerRoundTrip).filter((h): h is number => h !== undefined);
      bars.push({ server, rate: median(rates), heap: heaps.length > 0 ? median(heaps) : undefined, paired: undefined });
    }
    if (bars.some((b) => b.server === 'node:net')) {
      const rateOf = (server: string, rep: number): number | undefined =>
        cells.find((c) => c.scenario === scenario.name && c.server === server && c.rep === rep)?.rate;
      for (const bar of bars) {
        const ratios: number[] = [];
        for (let rep = 0; rep < reps; rep++) {
          const mine = rateOf(bar.server, rep);
          const theirs = rateOf('node:net', rep);
          if (mine !== undefined && theirs !== undefined && theirs > 0) ratios.push(mine / theirs);
        }
        bar.paired = ratios.length > 0 ? median(ratios) : undefined;
      }
    }
    if (bars.length > 0) groups.push({ scenario, bars });
  }
  return groups;
}

// ---------------------------------------------------------------------------
// Formatting

/** Escapes text for SVG element content and attribute values. */
function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A coordinate: at most two decimals, no trailing zeros, never "-0". */
function px(n: number): string {
  const r = Math.round(n * 100) / 100;
  return (r === 0 ? 0 : r).toString();
}

/** An integer with thousands separators, independent of the locale. */
function fmtInt(n: number): string {
  const s = Math.round(Math.abs(n)).toString();
  const grouped = s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < -0.5 ? `-${grouped}` : grouped;
}

/** A ratio as bench/echo.ts prints it. */
function fmtRatio(n: number): string {
  return `${n.toFixed(2)}×`;
}

/** Axis tick labels: 20k, 1.5M, 250. */
function fmtTick(v: number): string {
  const short = (x: number): string => Number(x.toPrecision(12)).toString();
  if (v >= 1e6) return `${short(v / 1e6)}M`;
  if (v >= 1e3) return `${short(v / 1e3)}k`;
  return short(v);
}

function fmtBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} B`;
}

/** Ticks from 0 to a round top at or above `max`, about `count` steps. */
function niceTicks(max: number, count: number): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  const top = Math.ceil(max / step - 1e-9);
  for (let i = 0; i <= top; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Rough width of a line of text; enough to decide whether a label fits in a bar. */
function textWidth(text: string, fontSize: number, bold = false): number {
  return text.length * fontSize * (bold ? 0.62 : 0.56);
}

// ---------------------------------------------------------------------------
// Servers

const SERVER_ORDER: readonly string[] = ['proactor', 'proactor@base', 'node:net', 'raw-handle', 'c'];

const SERVER_STYLE: Readonly<Record<string, { label: string; color: string }>> = {
  proactor: { label: 'proactor (examples/echo-server.ts)', color: '#0b63c4' },
  'proactor@base': { label: 'proactor, baseline build', color: '#56b4e9' },
  'node:net': { label: 'node:net echo server', color: '#e69f00' },
  'raw-handle': { label: 'raw-handle probe', color: '#009e73' },
  c: { label: 'C epoll echo server (reference)', color: '#8c8c8c' },
};

const EXTRA_COLORS: readonly string[] = ['#cc79a7', '#d55e00', '#f0e442', '#555555'];

function serverStyle(server: string, servers: readonly string[]): { label: string; color: string } {
  const known = SERVER_STYLE[server];
  if (known !== undefined) return known;
  const extras = servers.filter((s) => SERVER_STYLE[s] === undefined);
  return { label: server, color: EXTRA_COLORS[extras.indexOf(server) % EXTRA_COLORS.length] ?? '#555555' };
}

function orderServers(names: readonly string[]): string[] {
  const unique = [...new Set(names)];
  const rank = (s: string): number => {
    const i = SERVER_ORDER.indexOf(s);
    return i === -1 ? SERVER_ORDER.length + unique.indexOf(s) : i;
  };
  return unique.sort((a, b) => rank(a) - rank(b));
}

// ---------------------------------------------------------------------------
// Layout

const WIDTH = 960;
const FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
const INK = '#1f2328';
const MUTED = '#59636e';
const GRID = '#d8dee4';

const LABEL_RIGHT = 150; // scenario labels end here
const RATE_X = 162;
const RATE_W = 440;
const HEAP_X = 716;
const HEAP_W = 150;

const BAR_H = 18;
const BAR_GAP = 3;
const GROUP_GAP = 22;

interface Echo {
  groups: Group[];
  servers: string[];
  reps: number | undefined;
  seconds: number | undefined;
  /** The Node version drawn, and how many the benchmark ran on. */
  node: string | undefined;
  nodeCount: number;
}

function readEcho(results: Json | undefined): Echo | undefined {
  const data = obj(obj(obj(obj(results?.parts)?.echo))?.data);
  if (data === undefined) return undefined;
  const settings = obj(data.settings);
  const nodes = arr(settings?.nodes).map((n) => str(obj(n)?.version)).filter((v): v is string => v !== undefined);
  const node = nodes[0];
  const cells = arr(data.cells)
    .map(readCell)
    .filter((c): c is Cell => c !== undefined && (c.node === null || node === undefined || c.node === node));

  const listed = arr(settings?.servers).map(str).filter((s): s is string => s !== undefined);
  const servers = orderServers(listed.length > 0 ? listed : cells.map((c) => c.server));

  const scenarios: Scenario[] = [];
  for (const s of arr(settings?.scenarios)) {
    const o = obj(s);
    const name = str(o?.name);
    if (name !== undefined && !scenarios.some((x) => x.name === name)) {
      scenarios.push({ name, connections: num(o?.connections), size: num(o?.size) });
    }
  }
  for (const c of cells) {
    if (!scenarios.some((x) => x.name === c.scenario)) scenarios.push({ name: c.scenario, connections: undefined, size: undefined });
  }

  const maxRep = cells.reduce((m, c) => Math.max(m, c.rep), -1);
  const reps = num(settings?.reps) ?? maxRep + 1;
  const groups = summarize(cells, scenarios, servers, reps);
  const present = servers.filter((s) => groups.some((g) => g.bars.some((b) => b.server === s)));
  return { groups, servers: present, reps: num(settings?.reps), seconds: num(settings?.seconds), node, nodeCount: nodes.length };
}

function machineLine(results: Json | undefined): string | undefined {
  const m = obj(results?.machine);
  if (m === undefined) return undefined;
  const parts: string[] = [];
  const cpu = str(m.cpu);
  const cores = num(m.cores);
  const memory = num(m.memoryGiB);
  const node = str(m.node);
  const v8 = str(m.v8);
  const platform = str(m.platform);
  const date = str(m.date);
  if (cpu !== undefined) parts.push(cpu);
  if (cores !== undefined) parts.push(`${cores} ${cores === 1 ? 'core' : 'cores'}`);
  if (memory !== undefined) parts.push(`${memory} GiB`);
  if (node !== undefined) parts.push(`Node.js ${node}${v8 === undefined ? '' : ` (V8 ${v8})`}`);
  if (platform !== undefined) parts.push(platform);
  if (date !== undefined) parts.push(date.slice(0, 10));
  return parts.length === 0 ? undefined : `Machine: ${parts.join(' · ')}`;
}

function text(
  x: number,
  y: number,
  content: string,
  opts: { size?: number; anchor?: 'start' | 'middle' | 'end'; weight?: 'bold'; fill?: string; attrs?: string } = {},
): string {
  const anchor = opts.anchor === undefined || opts.anchor === 'start' ? '' : ` text-anchor="${opts.anchor}"`;
  const weight = opts.weight === undefined ? '' : ` font-weight="${opts.weight}"`;
  const fill = opts.fill === undefined ? '' : ` fill="${opts.fill}"`;
  const attrs = opts.attrs === undefined ? '' : ` ${opts.attrs}`;
  return `<text x="${px(x)}" y="${px(y)}" font-size="${opts.size ?? 12}"${anchor}${weight}${fill}${attrs}>${esc(content)}</text>`;
}

/** Vertical grid lines, tick labels and the axis title under a panel. */
function axis(x0: number, width: number, top: number, bottom: number, ticks: readonly number[], title: string): string[] {
  const out: string[] = [];
  const max = ticks[ticks.length - 1]!;
  for (const t of ticks) {
    const x = x0 + (t / max) * width;
    out.push(`<line x1="${px(x)}" y1="${px(top)}" x2="${px(x)}" y2="${px(bottom)}" stroke="${GRID}" stroke-width="1"/>`);
    out.push(text(x, bottom + 15, fmtTick(t), { size: 11, anchor: 'middle', fill: MUTED }));
  }
  out.push(`<line x1="${px(x0)}" y1="${px(top)}" x2="${px(x0)}" y2="${px(bottom)}" stroke="${MUTED}" stroke-width="1"/>`);
  out.push(text(x0 + width / 2, bottom + 33, title, { size: 12, anchor: 'middle', fill: MUTED }));
  return out;
}

/**
 * Renders the chart for a parsed bench/results.json as an SVG document.
 *
 * Bars carry `data-panel`, `data-scenario`, `data-server` and `data-value`
 * attributes; the proactor ratio label carries `data-ratio-for` (the
 * scenario) and `data-ratio` (the unrounded paired ratio).
 */
export function renderBenchChart(results: unknown): string {
  const root = obj(results);
  const echo = readEcho(root);
  const groups = echo?.groups ?? [];
  const servers = echo?.servers ?? [];
  const slots = Math.max(1, servers.length);
  const groupH = slots * BAR_H + (slots - 1) * BAR_GAP;
  const heapServers = servers.filter((s) => groups.some((g) => g.bars.some((b) => b.server === s && b.heap !== undefined)));

  const body: string[] = [];
  let y = 34;
  body.push(text(24, y, 'Echo server round trips: proactor vs node:net', { size: 20, weight: 'bold' }));
  y += 22;
  const runs =
    echo?.reps === undefined
      ? 'median over the runs'
      : `median of ${echo.reps} ${echo.reps === 1 ? 'run' : 'runs'}${echo.seconds === undefined ? '' : ` of ${echo.seconds} s`}`;
  body.push(text(24, y, `Closed loop over loopback; a C load generator checks every byte. Each bar: ${runs}.`, { size: 12, fill: MUTED }));
  if (echo?.node !== undefined) {
    y += 17;
    const more = echo.nodeCount > 1 ? `; the ${echo.nodeCount - 1} other Node versions measured are in bench/results.md` : '';
    body.push(text(24, y, `Node servers on Node.js ${echo.node}${more}. unix…: a Unix-domain socket instead of TCP.`, { size: 12, fill: MUTED }));
  }
  y += 17;
  body.push(
    text(24, y, 'On the proactor bar: paired ratio to node:net (median of the per-run ratios of runs made back to back).', {
      size: 12,
      fill: MUTED,
    }),
  );

  // Legend
  y += 24;
  let lx = 24;
  for (const server of servers) {
    const style = serverStyle(server, servers);
    if (lx > 24 && lx + 20 + textWidth(style.label, 12) > WIDTH - 24) {
      lx = 24;
      y += 20;
    }
    body.push(`<rect x="${px(lx)}" y="${px(y - 11)}" width="14" height="14" rx="2" fill="${style.color}"/>`);
    body.push(text(lx + 20, y, style.label, { size: 12, attrs: `data-legend="${esc(server)}"` }));
    lx += 20 + textWidth(style.label, 12) + 26;
  }

  // Panel headings
  y += 30;
  body.push(text(RATE_X, y, 'Round trips per second', { size: 14, weight: 'bold' }));
  body.push(text(RATE_X, y + 16, 'higher is better', { size: 11, fill: MUTED }));
  if (heapServers.length > 0) {
    body.push(text(HEAP_X, y, 'Heap bytes per round trip', { size: 14, weight: 'bold' }));
    body.push(text(HEAP_X, y + 16, 'server process V8 heap · lower is better', { size: 11, fill: MUTED }));
  }

  const top = y + 26;
  if (groups.length === 0) {
    body.push(text(RATE_X, top + 20, 'No echo results in bench/results.json.', { size: 13, fill: MUTED }));
    y = top + 40;
  } else {
    const bottom = top + groups.length * groupH + (groups.length + 1) * GROUP_GAP - GROUP_GAP / 2;
    const rateTicks = niceTicks(Math.max(...groups.flatMap((g) => g.bars.map((b) => b.rate))), 7);
    const rateMax = rateTicks[rateTicks.length - 1]!;
    body.push(...axis(RATE_X, RATE_W, top, bottom, rateTicks, 'round trips per second (median)'));

    const heapValues = groups.flatMap((g) => g.bars.map((b) => b.heap).filter((h): h is number => h !== undefined));
    const heapTicks = heapValues.length > 0 ? niceTicks(Math.max(...heapValues), 2) : [];
    const heapMax = heapTicks[heapTicks.length - 1] ?? 1;
    if (heapServers.length > 0) body.push(...axis(HEAP_X, HEAP_W, top, bottom, heapTicks, 'bytes per round trip (median)'));

    let gy = top + GROUP_GAP;
    for (const group of groups) {
      const sc = group.scenario;
      const name = esc(sc.name);
      const mid = gy + groupH / 2;
      body.push(`<g data-group="${name}">`);
      body.push(text(LABEL_RIGHT - 4, mid - 2, sc.name, { size: 14, weight: 'bold', anchor: 'end', attrs: `data-scenario-label="${name}"` }));
      if (sc.connections !== undefined && sc.size !== undefined) {
        body.push(
          text(LABEL_RIGHT - 4, mid + 14, `${sc.connections} conn. × ${fmtBytes(sc.size)}`, { size: 11, anchor: 'end', fill: MUTED }),
        );
      }
      for (const bar of group.bars) {
        const slot = servers.indexOf(bar.server);
        const by = gy + slot * (BAR_H + BAR_GAP);
        const ty = by + BAR_H / 2 + 4;
        const style = serverStyle(bar.server, servers);
        const server = esc(bar.server);

        const w = (bar.rate / rateMax) * RATE_W;
        body.push(
          `<rect x="${px(RATE_X)}" y="${px(by)}" width="${px(w)}" height="${BAR_H}" fill="${style.color}" ` +
            `data-panel="rate" data-scenario="${name}" data-server="${server}" data-value="${bar.rate}"/>`,
        );
        const value = fmtInt(bar.rate);
        body.push(text(RATE_X + w + 5, ty, value, { size: 12, fill: INK, attrs: `data-value-for="${name}|${server}"` }));
        if (bar.server === 'proactor' && bar.paired !== undefined) {
          const label = `${fmtRatio(bar.paired)} node:net`;
          const attrs = `data-ratio-for="${name}" data-ratio="${bar.paired}"`;
          if (textWidth(label, 12, true) + 12 <= w) {
            body.push(text(RATE_X + w - 6, ty, label, { size: 12, weight: 'bold', anchor: 'end', fill: '#ffffff', attrs }));
          } else {
            body.push(text(RATE_X + w + 5 + textWidth(value, 12) + 8, ty, label, { size: 12, weight: 'bold', fill: style.color, attrs }));
          }
        }

        if (bar.heap !== undefined) {
          const hw = (bar.heap / heapMax) * HEAP_W;
          body.push(
            `<rect x="${px(HEAP_X)}" y="${px(by)}" width="${px(hw)}" height="${BAR_H}" fill="${style.color}" ` +
              `data-panel="heap" data-scenario="${name}" data-server="${server}" data-value="${bar.heap}"/>`,
          );
          body.push(text(HEAP_X + hw + 5, ty, `${fmtInt(bar.heap)} B`, { size: 12, fill: INK }));
        }
      }
      body.push('</g>');
      gy += groupH + GROUP_GAP;
    }
    const yTitle = 'scenario: connections × message size';
    if (textWidth(yTitle, 12) <= bottom - top) {
      const cy = px(top + (bottom - top) / 2);
      body.push(text(24, top + (bottom - top) / 2, yTitle, { size: 12, anchor: 'middle', fill: MUTED, attrs: `transform="rotate(-90 24 ${cy})"` }));
    }
    y = bottom + 40;
  }

  const machine = machineLine(root);
  y += 22;
  if (machine !== undefined) {
    body.push(text(24, y, machine, { size: 11, fill: MUTED, attrs: 'data-machine=""' }));
    y += 16;
  }
  body.push(text(24, y, 'Generated by npm run bench from bench/results.json (full tables in bench/results.md).', { size: 11, fill: MUTED }));
  const height = Math.ceil(y + 16);

  const summary = groups
    .map((g) => `${g.scenario.name}: ${g.bars.map((b) => `${b.server} ${fmtInt(b.rate)}/s`).join(', ')}`)
    .join('; ');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ` +
      `role="img" aria-labelledby="chart-title chart-desc" font-family="${esc(FONT)}" fill="${INK}">`,
    `<title id="chart-title">Echo server round trips per second: proactor vs node:net</title>`,
    `<desc id="chart-desc">${esc(summary === '' ? 'No echo results.' : summary)}</desc>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
