import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/*
 * The package as a user gets it: packed into a tarball (npm test builds
 * dist/ before jest runs), installed into a fresh project with no network,
 * then loaded with `import` and with `require`.
 */

const root = path.join(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let work = '';
let tarball = '';
let packed: string[] = [];

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'proactor-pack-'));
  // The build already ran; scripts are skipped so packing does not rebuild.
  const out = execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
  const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(work, info!.filename);
  packed = info!.files.map((f) => f.path);
}, 60_000);

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  test('has the built library with its types, the sources its maps name, README, docs and LICENSE', () => {
    for (const file of ['package.json', 'README.md', 'LICENSE', 'dist/src/index.js', 'dist/src/index.d.ts', 'src/index.ts', 'docs/guide.md']) {
      expect(packed).toContain(file);
    }
    expect(readFileSync(path.join(root, 'LICENSE'), 'utf8')).toMatch(/^Boost Software License - Version 1\.0/);
    // Nothing but the library: no tests, examples, benchmarks or their builds.
    expect(packed.filter((f) => /^(tests|examples|bench|stress)\/|^dist\/(tests|examples|bench|stress)\//.test(f))).toEqual([]);
  });

  test('every source map in it points at a source file that is in it too', () => {
    const maps = packed.filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(50);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(path.join(root, map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(map), source));
        if (!packed.includes(target)) missing.push(`${map} → ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('a fresh project that installs the tarball', () => {
  let consumer = '';

  beforeAll(() => {
    consumer = path.join(work, 'consumer');
    execFileSync('mkdir', ['-p', consumer]);
    writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'commonjs' }));
    execFileSync(npm, ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: consumer, encoding: 'utf8' });
  }, 60_000);

  test('installs exactly the packed files', () => {
    const installed = filesUnder(path.join(consumer, 'node_modules', 'proactor')).sort();
    expect(installed).toEqual([...packed].sort());
  });

  test('loads with import (ESM) and runs a handler', () => {
    const script = "import { IoContext, post } from 'proactor'; const ctx = new IoContext(); post(ctx, () => console.log('ran')); console.log(await ctx.run());";
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: consumer, encoding: 'utf8' });
    expect(out).toBe('ran\n1\n');
  });

  test('loads with require from CommonJS (Node 20.19+, 22.12+: require of an ES module without top-level await)', () => {
    const script = "const { IoContext, post } = require('proactor'); const ctx = new IoContext(); post(ctx, () => console.log('ran')); ctx.run().then((n) => console.log(n));";
    const out = execFileSync(process.execPath, ['-e', script], { cwd: consumer, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(out).toBe('ran\n1\n');
  });

  test('the handlerviz command is installed as a bin', () => {
    const bin = readFileSync(path.join(consumer, 'node_modules', '.bin', 'proactor-handlerviz'), 'utf8');
    expect(bin.startsWith('#!/usr/bin/env node')).toBe(true);
  });
});
