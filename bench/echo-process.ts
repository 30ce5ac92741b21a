/**
 * The child processes of the echo benchmark: a server (started, waited for
 * until it listens, its heap-probe lines collected, stopped) and one run of
 * the `echo-load` generator. Every child is tracked and killed if the
 * benchmark exits or is interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { HeapResult, LoadResult } from './echo-types.js';

/** Where a server listens: a port on 127.0.0.1, or a Unix socket path. */
export type ListenTarget = { readonly port: number } | { readonly path: string };

export const HOST = '127.0.0.1';

/** One line of `heap-probe` output. */
interface ProbeSnapshot {
  seq: number;
  usedHeapBytes: number;
  freedBytes: number;
  gcs: Record<string, number>;
  gcMicros: number;
  cpuUserMicros: number;
  cpuSystemMicros: number;
  rssBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  timeMs: number;
}

const children = new Set<ChildProcess>();
let cleanupInstalled = false;

export function killAllChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAllChildren);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllChildren();
      process.exit(130);
    });
  }
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with the exit code (or null when killed by a signal); bounded by `ms`. */
function waitExit(child: ChildProcess, ms: number): Promise<number | null | 'timeout'> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve('timeout');
    }, ms);
    function onExit(code: number | null): void {
      clearTimeout(timer);
      resolve(code);
    }
    child.once('exit', onExit);
  });
}

const PORT_PATTERNS: readonly RegExp[] = [
  /(?:127\.0\.0\.1|localhost|0\.0\.0\.0|\[[0-9a-f:.]*\]):(\d{1,5})\b/i,
  /\bport\D{0,3}(\d{1,5})\b/i,
];

function findPort(line: string): number | null {
  for (const re of PORT_PATTERNS) {
    const m = re.exec(line);
    if (m?.[1] !== undefined) {
      const port = Number(m[1]);
      if (port > 0 && port < 65536) return port;
    }
  }
  return null;
}

/**
 * A started server. It counts as listening once a line of its stdout names
 * its port (TCP, started with `--port 0`) or the socket path it was given.
 */
export class RunningServer {
  readonly probes: ProbeSnapshot[] = [];
  readonly output: string[] = [];
  target: ListenTarget | null = null;
  private stdoutRest = '';
  private stderrRest = '';
  private probeWaiter: (() => void) | null = null;
  private readyWaiter: ((target: ListenTarget) => void) | null = null;

  constructor(
    readonly child: ChildProcess,
    private readonly socketPath: string | null,
  ) {
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      this.stdoutRest = this.lines(this.stdoutRest + chunk, false);
    });
    child.stderr?.on('data', (chunk: string) => {
      this.stderrRest = this.lines(this.stderrRest + chunk, true);
    });
  }

  private lines(text: string, isStderr: boolean): string {
    const parts = text.split('\n');
    const rest = parts.pop() ?? '';
    for (const line of parts) this.onLine(line, isStderr);
    return rest;
  }

  private onLine(line: string, isStderr: boolean): void {
    if (isStderr && line.startsWith('heap-probe ')) {
      this.probes.push(JSON.parse(line.slice('heap-probe '.length)) as ProbeSnapshot);
      this.probeWaiter?.();
      return;
    }
    if (this.output.length < 200) this.output.push(line);
    if (isStderr || this.target !== null) return;
    if (this.socketPath !== null) {
      if (line.includes(this.socketPath)) this.ready({ path: this.socketPath });
      return;
    }
    const port = findPort(line);
    if (port !== null) this.ready({ port });
  }

  private ready(target: ListenTarget): void {
    this.target = target;
    this.readyWaiter?.(target);
  }

  waitReady(ms: number): Promise<ListenTarget> {
    if (this.target !== null) return Promise.resolve(this.target);
    const what = this.socketPath === null ? 'no port' : `no line naming ${this.socketPath}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readyWaiter = null;
        reject(new Error(`the server printed ${what} within ${ms} ms; output: ${this.output.join(' | ')}`));
      }, ms);
      const onExit = (code: number | null): void => {
        clearTimeout(timer);
        reject(new Error(`the server exited (${code}) before listening; output: ${this.output.join(' | ')}`));
      };
      this.child.once('exit', onExit);
      this.readyWaiter = (target) => {
        clearTimeout(timer);
        this.child.off('exit', onExit);
        this.readyWaiter = null;
        resolve(target);
      };
    });
  }

  async waitProbes(count: number, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.probes.length < count && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.probeWaiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.probeWaiter = null;
    }
  }

  /** SIGTERM, then SIGKILL if it does not exit in time. Resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const code = await waitExit(this.child, 5000);
    if (code !== 'timeout') return code;
    this.child.kill('SIGKILL');
    await waitExit(this.child, 2000);
    return null;
  }
}

/**
 * Starts `command args…` followed by `--host 127.0.0.1 --port 0`, or by
 * `--path socketPath` when one is given, and waits until it listens.
 */
export async function startServer(
  command: string,
  args: readonly string[],
  cwd: string,
  socketPath: string | null,
  env: Readonly<Record<string, string>> = {},
): Promise<RunningServer> {
  const where = socketPath === null ? ['--host', HOST, '--port', '0'] : ['--path', socketPath];
  const child = track(spawn(command, [...args, ...where], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }));
  const server = new RunningServer(child, socketPath);
  try {
    await server.waitReady(10_000);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

export interface LoadOptions {
  connections: number;
  size: number;
  warmupSeconds: number;
  seconds: number;
  /** The process to send SIGUSR2 right before and after the measured window. */
  signalPid: number | undefined;
}

/** One run of the load generator against `target`; resolves with its JSON result. */
export function runLoad(load: string, target: ListenTarget, options: LoadOptions): Promise<LoadResult> {
  const args = [
    ...('path' in target ? ['--unix', target.path] : ['--host', HOST, '--port', String(target.port)]),
    '--connections', String(options.connections),
    '--size', String(options.size),
    '--warmup', String(options.warmupSeconds),
    '--duration', String(options.seconds),
  ];
  if (options.signalPid !== undefined) args.push('--signal-pid', String(options.signalPid));
  const child = track(spawn(load, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => (out += chunk));
  child.stderr?.on('data', (chunk: string) => (err += chunk));
  // The generator stops by itself; this bound only catches a broken one.
  const limitMs = (options.warmupSeconds + options.seconds + 60) * 1000;
  return waitExit(child, limitMs).then((code) => {
    if (code === 'timeout') {
      child.kill('SIGKILL');
      throw new Error('echo-load did not finish in time');
    }
    const line = out.trim().split('\n').pop() ?? '';
    if (!line.startsWith('{')) throw new Error(`echo-load exited ${code} without a result: ${err.trim()}`);
    return JSON.parse(line) as LoadResult;
  });
}

/** Heap and CPU figures of the measured window, from the server's last two probe lines. */
export function heapFrom(server: RunningServer, load: Pick<LoadResult, 'roundTrips'>): HeapResult | null {
  const a = server.probes[server.probes.length - 2];
  const b = server.probes[server.probes.length - 1];
  if (a === undefined || b === undefined || load.roundTrips === 0) return null;
  const allocated = b.usedHeapBytes - a.usedHeapBytes + b.freedBytes;
  const cpuMicros = b.cpuUserMicros + b.cpuSystemMicros - a.cpuUserMicros - a.cpuSystemMicros;
  let scavenges = 0;
  let markCompacts = 0;
  for (const [type, count] of Object.entries(b.gcs)) {
    if (type === 'Scavenge' || type === 'MinorMarkCompact' || type === 'MinorMarkSweep') scavenges += count;
    else if (type === 'MarkSweepCompact') markCompacts += count;
  }
  const wallMs = b.timeMs - a.timeMs;
  return {
    allocatedBytes: allocated,
    bytesPerRoundTrip: allocated / load.roundTrips,
    scavenges,
    markCompacts,
    gcMillis: b.gcMicros / 1000,
    cpuMicrosPerRoundTrip: cpuMicros / load.roundTrips,
    cpuCores: wallMs > 0 ? cpuMicros / 1000 / wallMs : 0,
    rssBytes: b.rssBytes,
  };
}
