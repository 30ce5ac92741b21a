/**
 * Writes docs/bench-chart.svg (the README's benchmark chart) from
 * bench/results.json. `npm run bench` calls it after writing the results;
 * to redraw the chart from the existing results without rerunning the
 * benchmarks:
 *
 *     npm run build && node dist/bench/write-chart.js
 *
 * The drawing itself is `renderBenchChart` in bench/chart.ts.
 */
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderBenchChart } from './chart.js';

/** The repository root: this file lives in `bench/` or `dist/bench/`. */
function repoRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = path.basename(path.dirname(here)) === 'dist' ? '../..' : '..';
  return path.resolve(here, up);
}

/** Reads `bench/results.json` under `root` and writes `docs/bench-chart.svg`; returns the file written. */
export function writeBenchChart(root: string = repoRoot()): string {
  const results: unknown = JSON.parse(readFileSync(path.join(root, 'bench', 'results.json'), 'utf8'));
  const file = path.join(root, 'docs', 'bench-chart.svg');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, renderBenchChart(results));
  return file;
}

/** True when this file is the script node was started with (not imported). */
function isMain(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  try {
    const file = writeBenchChart();
    process.stderr.write(`wrote ${path.relative(repoRoot(), file)}\n`);
  } catch (e: unknown) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
