/**
 * The stress suite: load, faults, shutdown and memory scenarios against the
 * example echo server, each bounded in count and time. Prints a Markdown
 * table and writes it to stress/results.md.
 *
 * Run:   npm run stress                     full size (about 10 minutes)
 *        npm run stress -- --small          a smaller run (STRESS_SCALE=small does the same;
 *                                           STRESS_SCALE=0.25 picks any fraction)
 *        npm run stress -- --only load,fd   scenarios whose key contains a word
 *
 * All traffic goes to 127.0.0.1. Servers run as child processes under
 * `sh -c 'ulimit -n …'` and are killed when their scenario ends.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fdExhaustionScenario, halfCloseScenario, idleScenario, resetScenario, slowReaderScenario } from './faults.js';
import { churnScenario, sigtermScenario } from './lifecycle.js';
import { loadScenario } from './load.js';
import { tlsChurnScenario } from './tls.js';
import { udpFloodScenario } from './udp-flood.js';
import { distRoot, withDeadline, type ScenarioContext, type ScenarioResult } from './support.js';

interface Scenario {
  key: string;
  title: string;
  run: (ctx: ScenarioContext) => Promise<ScenarioResult>;
  /** Full-size time limit; scaled runs get the same (they finish far sooner). */
  limitMs: number;
}

const scenarios: Scenario[] = [
  { key: 'load', title: 'load: concurrent connections', run: loadScenario, limitMs: 300_000 },
  { key: 'rst', title: 'fault: RST mid-write', run: resetScenario, limitMs: 120_000 },
  { key: 'half-close', title: 'fault: half-close after 100 KiB', run: halfCloseScenario, limitMs: 180_000 },
  { key: 'idle', title: 'fault: silent clients', run: idleScenario, limitMs: 60_000 },
  { key: 'slow-reader', title: 'fault: slow readers', run: slowReaderScenario, limitMs: 180_000 },
  { key: 'fd', title: 'fault: accept under fd exhaustion', run: fdExhaustionScenario, limitMs: 60_000 },
  { key: 'sigterm', title: 'shutdown: SIGTERM', run: sigtermScenario, limitMs: 120_000 },
  { key: 'churn', title: 'memory: connection churn', run: churnScenario, limitMs: 400_000 },
  { key: 'udp-flood', title: 'fault: UDP flood', run: udpFloodScenario, limitMs: 180_000 },
  { key: 'tls', title: 'TLS: handshake churn, 64 KiB echo, non-TLS clients', run: tlsChurnScenario, limitMs: 240_000 },
];

function parseScale(argv: readonly string[]): number {
  const env = process.env.STRESS_SCALE;
  if (argv.includes('--small')) return 0.1;
  if (env === undefined || env === '' || env === 'full') return 1;
  if (env === 'small') return 0.1;
  const n = Number(env);
  if (!(n > 0 && n <= 1)) throw new Error(`STRESS_SCALE must be 'small', 'full' or a number in (0, 1], got '${env}'`);
  return n;
}

function onlyFilter(argv: readonly string[]): string[] {
  const at = argv.indexOf('--only');
  return at >= 0 && argv[at + 1] !== undefined ? argv[at + 1]!.split(',') : [];
}

/**
 * The clients live in this process: with a soft open-file limit below the
 * hard one, run again under a raised limit.
 */
function reexecWithRaisedLimit(): boolean {
  if (process.env.STRESS_NOFILE_RAISED === '1') return false;
  const probe = spawnSync('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' });
  const [soft, hard] = probe.stdout.trim().split(/\s+/);
  if (soft === hard || soft === undefined || hard === undefined) return false;
  const result = spawnSync('sh', ['-c', `ulimit -n ${hard} && exec "$0" "$@"`, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, STRESS_NOFILE_RAISED: '1' },
  });
  process.exitCode = result.status ?? 1;
  return true;
}

function table(rows: readonly ScenarioResult[]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = ['| Scenario | Target | Reached | Figures | Result | Notes |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${esc(r.name)} | ${esc(r.target)} | ${esc(r.reached)} | ${esc(r.figures)} | ${r.ok ? 'pass' : '**FAIL**'} | ${esc(r.notes)} |`);
  }
  return lines.join('\n');
}

async function runScenario(s: Scenario, scale: number): Promise<ScenarioResult> {
  const cleanups: (() => void | Promise<void>)[] = [];
  const ctx: ScenarioContext = {
    scale,
    count: (full, min) => Math.max(min, Math.round(full * scale)),
    log: (message) => {
      process.stderr.write(`  ${message}\n`);
    },
    defer: (cleanup) => {
      cleanups.push(cleanup);
    },
  };
  try {
    return await withDeadline(s.run(ctx), s.limitMs, s.title);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { name: s.title, target: '-', reached: '-', figures: '-', ok: false, notes: `error: ${message.replace(/\s+/g, ' ').slice(0, 300)}` };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

async function main(): Promise<void> {
  if (reexecWithRaisedLimit()) return;
  const argv = process.argv.slice(2);
  const scale = parseScale(argv);
  const only = onlyFilter(argv);
  const chosen = only.length === 0 ? scenarios : scenarios.filter((s) => only.some((word) => s.key.includes(word)));
  const rows: ScenarioResult[] = [];
  const started = Date.now();
  for (const s of chosen) {
    process.stderr.write(`stress: ${s.title}\n`);
    const t = Date.now();
    const row = await runScenario(s, scale);
    rows.push(row);
    process.stderr.write(`  ${row.ok ? 'pass' : 'FAIL'} in ${((Date.now() - t) / 1000).toFixed(1)} s: ${row.reached}; ${row.figures}\n`);
  }
  const header =
    `Stress run at scale ${scale} (${scale >= 1 ? 'full' : 'reduced'}) on Node ${process.version}, ` +
    `${process.platform}/${process.arch}, finished in ${Math.round((Date.now() - started) / 1000)} s.`;
  const markdown = `${header}\n\n${table(rows)}\n`;
  process.stdout.write(`\n${markdown}`);
  writeFileSync(join(distRoot, '..', 'stress', 'results.md'), `# Stress results\n\n${markdown}`);
  if (rows.some((r) => !r.ok)) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
