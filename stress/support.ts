/**
 * Shared pieces of the stress scenarios: child processes with a raised (or
 * lowered) open-file limit, the echo server under test, its memory and
 * descriptor figures, and node:net clients that verify what comes back.
 * Every wait here has a deadline, and every child is killed on the way out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled tree (`dist/`). */
export const distRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const echoServerScript = join(distRoot, 'examples', 'echo-server.js');
export const heapReportScript = join(distRoot, 'stress', 'heap-report.js');

export const HOST = '127.0.0.1';

/** One row of the results table. */
export interface ScenarioResult {
  name: string;
  target: string;
  reached: string;
  figures: string;
  ok: boolean;
  notes: string;
}

/** What every scenario gets: its size multiplier (1 = full) and a place to register cleanups. */
export interface ScenarioContext {
  scale: number;
  /** Scales a full-size count, keeping at least `min`. */
  count(full: number, min: number): number;
  log(message: string): void;
  /** Runs on the way out of the scenario, whatever happened. */
  defer(cleanup: () => void | Promise<void>): void;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with `what` timed out when `promise` takes longer than `ms`. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what}: no result within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The soft and hard open-file limits of a shell started from this process. */
export function fileLimits(): Promise<{ soft: number; hard: number }> {
  return new Promise((resolve) => {
    const sh = spawn('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    sh.stdout.on('data', (d: Buffer) => (out += d.toString()));
    sh.on('close', () => {
      const [soft, hard] = out.trim().split(/\s+/).map((v) => (v === 'unlimited' ? 1_048_576 : Number(v)));
      resolve({ soft: soft ?? 1024, hard: hard ?? 1024 });
    });
  });
}

export interface NodeChild {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `re` in stdout. */
  waitFor(re: RegExp, ms: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  kill(): void;
}

/**
 * Starts `node <nodeArgs…>` under `sh -c 'ulimit -n <nofile>; exec …'`, so the
 * child gets the open-file limit the scenario asks for.
 */
export function spawnNode(nodeArgs: readonly string[], nofile: number): NodeChild {
  const child = spawn('sh', ['-c', `ulimit -n ${nofile} && exec "$0" "$@"`, process.execPath, ...nodeArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  const check = (): void => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!;
      const m = w.re.exec(out);
      if (m !== null) {
        waiters.splice(i, 1);
        w.resolve(m);
      }
    }
  };
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    check();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? signal ?? -1);
    });
  });
  return {
    child,
    pid: child.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    waitFor: (re, ms) =>
      withDeadline(
        Promise.race([
          new Promise<RegExpExecArray>((resolve) => {
            waiters.push({ re, resolve });
            check();
          }),
          exited.then((code) => {
            throw new Error(`the child exited (${String(code)}) before printing ${String(re)}: ${err.slice(-500)}`);
          }),
        ]),
        ms,
        `waiting for ${String(re)}`,
      ),
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

export interface EchoServer extends NodeChild {
  port: number;
}

/**
 * Starts the example echo server (`--port 0`) with the heap reporter
 * preloaded and `--expose-gc`, under open-file limit `nofile`.
 */
export async function startEchoServer(ctx: ScenarioContext, args: readonly string[], nofile: number): Promise<EchoServer> {
  const node = spawnNode(['--expose-gc', '--import', heapReportScript, echoServerScript, '--port', '0', ...args], nofile);
  ctx.defer(() => {
    node.kill();
  });
  const m = await node.waitFor(/listening on [^\s]+:(\d+)/, 10_000);
  return { ...node, port: Number(m[1]) };
}

/** Open descriptors of process `pid` (Linux `/proc`), or -1. */
export function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

/** Resident and peak resident memory of process `pid` in bytes (Linux `/proc`). */
export function residentMemory(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? -1) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return { rss: -1, peak: -1 };
  }
}

export interface HeapReport {
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
}

/** Asks the heap reporter in `server` for a figure after full collections. */
export async function heapOf(server: NodeChild): Promise<HeapReport> {
  const before = (server.stderr().match(/stress-heap /g) ?? []).length;
  process.kill(server.pid, 'SIGUSR2');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lines = server.stderr().split('\n').filter((l) => l.startsWith('stress-heap '));
    if (lines.length > before && server.stderr().endsWith('\n')) {
      return JSON.parse(lines[lines.length - 1]!.slice('stress-heap '.length)) as HeapReport;
    }
    if (Date.now() > deadline) throw new Error('the heap reporter did not answer');
    await delay(20);
  }
}

/** Waits until `probe()` returns true, polling; returns whether it did within `ms`. */
export async function eventually(probe: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) return false;
    await delay(25);
  }
  return true;
}

export function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/** Deterministic pseudo-random bytes (xorshift32). */
export function pattern(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** A small seeded random source for sizes and delays. */
export function random(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

/** Connects a node:net client; rejects with the socket error (its `code` tells what limited it). */
export function connect(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: HOST, allowHalfOpen: options.allowHalfOpen ?? false });
    const onError = (e: Error): void => {
      s.destroy();
      reject(e);
    };
    s.once('error', onError);
    s.once('connect', () => {
      s.removeListener('error', onError);
      resolve(s);
    });
  });
}

/**
 * Sends `data` and resolves once the same bytes came back (rejects on a
 * mismatch, an error, the stream ending early or after `ms`).
 */
export function roundTrip(s: net.Socket, data: Buffer, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const fail = (e: Error): void => {
      done();
      reject(e);
    };
    const onData = (chunk: Buffer): void => {
      if (got + chunk.length > data.length || !chunk.equals(data.subarray(got, got + chunk.length))) {
        fail(new Error(`echo mismatch at byte ${got}`));
        return;
      }
      got += chunk.length;
      if (got === data.length) {
        done();
        resolve();
      }
    };
    const onEnd = (): void => {
      fail(new Error(`the stream ended after ${got} of ${data.length} bytes`));
    };
    const timer = setTimeout(() => {
      fail(new Error(`round trip of ${data.length} bytes: ${got} back within ${ms} ms`));
    }, ms);
    const done = (): void => {
      clearTimeout(timer);
      s.removeListener('data', onData);
      s.removeListener('error', fail);
      s.removeListener('end', onEnd);
    };
    s.on('data', onData);
    s.on('error', fail);
    s.on('end', onEnd);
    s.write(data);
  });
}

/** Resolves when `s` has closed (with or without an error), or false after `ms`. */
export function closed(s: net.Socket, ms: number): Promise<boolean> {
  if (s.closed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve(false);
    }, ms);
    s.on('error', () => undefined);
    s.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at a time; collects the failures. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<Error[]> {
  const failures: Error[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (e) {
        failures.push(e instanceof Error ? e : new Error(String(e)));
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.min(concurrency, count); w++) workers.push(worker());
  await Promise.all(workers);
  return failures;
}

/** The most frequent error codes (or messages) among `failures`, e.g. `EADDRNOTAVAIL ×3`. */
export function summarizeErrors(failures: readonly Error[]): string {
  const counts = new Map<string, number>();
  for (const f of failures) {
    const key = (f as NodeJS.ErrnoException).code ?? f.message.slice(0, 60);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, n]) => `${k} ×${n}`).join(', ');
}
