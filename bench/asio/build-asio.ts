/**
 * Builds the Boost.Asio reference programs of the benchmarks: each is one
 * C++ file, `bench/asio/<name>.cpp`, compiled with
 * `g++ -O2 -std=c++17 -pthread` into
 * `${XDG_CACHE_HOME or ~/.cache}/proactor-asio/<name>`, again only when the
 * source is newer than the binary. When `boost/asio.hpp` cannot be found, it
 * installs Debian's `libboost-dev` with apt-get (directly as root, else
 * through `sudo -n`); when that is impossible it throws an Error saying what
 * to install.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CXX = 'g++';
const CXX_FLAGS = ['-O2', '-std=c++17', '-pthread'];

/** The checkout's root, from bench/asio (sources) or dist/bench/asio (built). */
function repoRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = path.basename(path.dirname(path.dirname(here))) === 'dist' ? '../../..' : '../..';
  return path.resolve(here, up);
}

function cacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg !== undefined && xdg !== '' ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'proactor-asio');
}

/** Whether the compiler finds `boost/asio.hpp` (a preprocessor check of one line, no compilation). */
function hasAsioHeaders(): boolean {
  const probe = '#if !__has_include(<boost/asio.hpp>)\n#error boost/asio.hpp not found\n#endif\n';
  const r = spawnSync(CXX, ['-std=c++17', '-fsyntax-only', '-x', 'c++', '-'], { input: probe, encoding: 'utf8', timeout: 60_000 });
  if (r.error !== undefined) throw new Error(`${CXX} failed to start (${r.error.message}): install g++ to build the Boost.Asio benchmarks`);
  return r.status === 0;
}

/** Installs Debian's libboost-dev with apt-get, as root or through non-interactive sudo. */
function installBoost(): void {
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const command = asRoot ? 'apt-get' : 'sudo';
  const args = asRoot ? ['install', '-y', 'libboost-dev'] : ['-n', 'apt-get', 'install', '-y', 'libboost-dev'];
  process.stderr.write(`boost/asio.hpp not found: ${command} ${args.join(' ')}\n`);
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 15 * 60_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  const why = r.error !== undefined ? r.error.message : r.status !== 0 ? (r.stderr.trim().split('\n').pop() ?? `exit ${String(r.status)}`) : null;
  if (why !== null || !hasAsioHeaders()) {
    throw new Error(
      `Boost.Asio headers (boost/asio.hpp) are missing and could not be installed (${why ?? 'still not found after install'}): ` +
        'install them with `apt-get install libboost-dev` (Debian, Ubuntu) or your system’s Boost package',
    );
  }
}

/**
 * Compiles `bench/asio/<name>.cpp` when its binary is missing or older than
 * the source, installing the Boost headers first when they are missing, and
 * returns the binary's path. Throws an Error saying what failed (no
 * compiler, no Boost and no way to install it, a compile error).
 */
export function buildAsioProgram(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) throw new Error(`buildAsioProgram: not a program name: ${JSON.stringify(name)}`);
  const source = path.join(repoRoot(), 'bench', 'asio', `${name}.cpp`);
  if (!existsSync(source)) throw new Error(`buildAsioProgram: no source ${source}`);
  const dir = cacheDir();
  const binary = path.join(dir, name);
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return binary;
  if (!hasAsioHeaders()) installBoost();
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(CXX, [...CXX_FLAGS, '-o', binary, source], { encoding: 'utf8', timeout: 5 * 60_000 });
  if (r.error !== undefined) throw new Error(`${CXX} failed to start (${r.error.message}): install g++ to build the Boost.Asio benchmarks`);
  if (r.status !== 0) throw new Error(`${CXX} ${CXX_FLAGS.join(' ')} ${source} failed:\n${r.stderr}`);
  return binary;
}
