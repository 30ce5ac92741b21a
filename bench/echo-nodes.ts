/**
 * The Node binaries the echo benchmark starts its Node servers with.
 *
 * BENCH_NODES is a space- or comma-separated list; each entry is a major
 * version (`22`), `current` (the Node running the benchmark), or the path of
 * a node binary. A major version is the running Node when the majors match,
 * else the copy `.ci/run` installs for that line:
 * `${XDG_CACHE_HOME:-$HOME/.cache}/proactor-node/<major>/node_modules/node-<platform>-<arch>/bin/node`.
 * The default is the running Node, then 20, 22, 24 and 26 (the lines CI
 * runs); lines that are not installed are skipped with a note, so a machine
 * without the cache runs on its own Node only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EchoNode } from './echo-types.js';

/** A Node binary of the matrix: its version and where it is (the path stays out of the results). */
export interface NodeBinary extends EchoNode {
  execPath: string;
}

export const DEFAULT_NODE_MAJORS: readonly number[] = [20, 22, 24, 26];

const CURRENT_MAJOR = Number(process.versions.node.split('.')[0]);

function cacheBinary(major: number): string {
  const cache = process.env.XDG_CACHE_HOME !== undefined && process.env.XDG_CACHE_HOME !== '' ? process.env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(cache, 'proactor-node', String(major), 'node_modules', `node-${process.platform}-${process.arch}`, 'bin', 'node');
}

function versionOf(execPath: string): string | null {
  if (execPath === process.execPath) return process.version;
  const r = spawnSync(execPath, ['-p', 'process.version'], { encoding: 'utf8', timeout: 30_000 });
  const out = r.stdout.trim();
  return r.status === 0 && /^v\d+\.\d+\.\d+/.test(out) ? out : null;
}

/** Resolves BENCH_NODES (or the default); missing binaries become notes in `skipped`. */
export function resolveNodes(entries: readonly string[] | null): { nodes: NodeBinary[]; skipped: string[] } {
  const wanted = entries ?? ['current', ...DEFAULT_NODE_MAJORS.filter((m) => m !== CURRENT_MAJOR).map(String)];
  const nodes: NodeBinary[] = [];
  const skipped: string[] = [];
  for (const entry of wanted) {
    let execPath: string;
    let major: number | null = null;
    if (entry === 'current') {
      execPath = process.execPath;
    } else if (/^\d+$/.test(entry)) {
      major = Number(entry);
      execPath = major === CURRENT_MAJOR ? process.execPath : cacheBinary(major);
      if (!existsSync(execPath)) {
        skipped.push(`Node ${major}: not installed (PROACTOR_CI_NODES="${major}" bash .ci/run --matrix-only installs it)`);
        continue;
      }
    } else if (entry.includes('/') || entry.includes(path.sep)) {
      execPath = path.resolve(entry);
      if (!existsSync(execPath)) throw new RangeError(`BENCH_NODES: no node binary at ${entry}`);
    } else {
      throw new RangeError(`BENCH_NODES: ${entry} is neither a major version, 'current', nor a path to a node binary`);
    }
    const version = versionOf(execPath);
    if (version === null) {
      skipped.push(`Node ${major ?? entry}: the binary did not report its version`);
      continue;
    }
    const actual = Number(version.slice(1).split('.')[0]);
    if (major !== null && actual !== major) throw new RangeError(`BENCH_NODES: the Node ${major} binary reports ${version}`);
    if (!nodes.some((n) => n.version === version)) nodes.push({ major: actual, version, execPath });
  }
  return { nodes, skipped };
}
