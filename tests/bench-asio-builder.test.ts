import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';

/**
 * The Boost.Asio builder of the benchmarks refuses what it cannot build with
 * a clear Error, before touching a compiler or apt-get. It runs built (it is
 * an ES module that finds the checkout through import.meta.url), from the
 * dist that `npm test` builds before jest, in a cache directory of its own.
 */
const builder = path.join(__dirname, '..', 'dist', 'bench', 'asio', 'build-asio.js');

function build(name: string, cache: string): { status: number | null; stdout: string; stderr: string } {
  const script = `import(${JSON.stringify(builder)}).then((m) => { try { console.log(m.buildAsioProgram(${JSON.stringify(name)})); } catch (e) { console.error(e.message); process.exitCode = 3; } })`;
  return spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cache }, timeout: 20_000 });
}

describe('bench/asio/build-asio', () => {
  const cache = mkdtempSync(path.join(os.tmpdir(), 'proactor-asio-test-'));
  afterAll(() => {
    rmSync(cache, { recursive: true, force: true });
  });

  test('a name that is not a program name is refused with an Error', () => {
    const r = build('../escape', cache);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('buildAsioProgram: not a program name: "../escape"');
  });

  test('a program without a source in bench/asio is refused with an Error naming the missing file', () => {
    const r = build('no-such-program', cache);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/buildAsioProgram: no source .*bench[/\\]asio[/\\]no-such-program\.cpp/);
  });
});
