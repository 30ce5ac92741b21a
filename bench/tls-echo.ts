/**
 * The TLS echo benchmark: the proactor TLS echo server
 * (examples/tls-echo-server.ts: SslStream over accepted TcpSockets, one
 * HandlerAllocator per session) against a plain `node:tls` echo server
 * (bench/node-tls-echo-server.ts), same certificate (made by
 * examples/make-tls-certs.ts) and the same TLS 1.3 cipher suite, driven by
 * bench/load/tls-echo-load.c (OpenSSL, one blocking thread per connection,
 * every byte checked). Echo at 64 B, 4 KiB and 64 KiB with 64 connections,
 * and full handshakes per second; the two servers run side by side and
 * take turns under load (several rounds each), and each figure is the
 * median; a cold row measures handshakes of freshly started servers. Each server runs
 * with bench/heap-probe.ts preloaded, which the load generator signals as
 * its measured window opens and closes: heap bytes allocated and CPU time
 * per round trip (or handshake) come from that window.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureBinary } from './echo.js';
import { heapFrom, startServer, type RunningServer } from './echo-process.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, path.basename(path.dirname(here)) === 'dist' ? '../..' : '..');

export interface TlsEchoRow {
  readonly what: string;
  readonly proactor: number;
  readonly node: number;
  readonly ratio: number;
  /** Heap bytes allocated per round trip (or handshake) in the measured window, medians; `null` without a probe reading. */
  readonly heap: { readonly proactor: number | null; readonly node: number | null };
  /** Server CPU (user + system, every thread) per round trip (or handshake), µs, medians. */
  readonly cpuMicros: { readonly proactor: number | null; readonly node: number | null };
}

export interface TlsEchoResult {
  readonly rows: TlsEchoRow[];
  readonly cipher: string;
  readonly connections: number;
  readonly rounds: number;
  readonly seconds: number;
  /** Seconds of load before the measured window of each steady-state row (the cold row has none). */
  readonly warmup: number;
}

const CIPHER = 'TLS_AES_128_GCM_SHA256';

/** The TLS load generator, built with OpenSSL (Debian's libssl-dev) when missing or older than its source. */
export function tlsLoadBinary(): string {
  return ensureBinary('tls-echo-load', ['-pthread', '-lssl', '-lcrypto']);
}

/** What one run of tls-echo-load prints. */
export interface TlsLoadResult {
  perSecond: number;
  count: number;
  errors: number;
  mismatches: number;
}

/** One run of the TLS load generator with `args`, its JSON result as printed. */
export function runTlsLoad(bin: string, args: readonly string[], timeoutMs = 60_000): TlsLoadResult {
  return JSON.parse(execFileSync(bin, args, { encoding: 'utf8', timeout: timeoutMs })) as TlsLoadResult;
}

/** One run of the load generator; its rate and count, after checking that every byte came back. */
function runLoad(bin: string, args: string[]): TlsLoadResult {
  const r = runTlsLoad(bin, args);
  if (r.errors !== 0 || r.mismatches !== 0) throw new Error(`tls-echo-load: ${r.errors} errors, ${r.mismatches} mismatches`);
  return r;
}

type Side = 'proactor' | 'node';

/** Which server goes first in round `r`: they alternate. */
function order(r: number): readonly Side[] {
  return r % 2 === 0 ? ['proactor', 'node'] : ['node', 'proactor'];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function medianOrNull(xs: number[]): number | null {
  return xs.length === 0 ? null : median(xs);
}

function cell(x: number | null, digits: number): string {
  return x === null ? 'n/a' : x.toFixed(digits);
}

/**
 * Every server here compiles its JavaScript while the first connections
 * run, and a handshake's path (each connection's objects, Node's TLSSocket
 * and proactor's session) takes V8 several seconds of load to optimize on a
 * 2-core machine, where the compiler threads take CPU from the load
 * generator too. The steady-state rows measure after `warmup` seconds of the
 * same load; the cold row measures handshakes from a fresh process.
 */
export async function runTlsEchoBenchmark(
  rounds = Number(process.env.BENCH_TLS_ROUNDS ?? 3),
  seconds = Number(process.env.BENCH_TLS_SECONDS ?? 2),
  warmup = Number(process.env.BENCH_TLS_WARMUP ?? 6),
): Promise<TlsEchoResult> {
  const bin = tlsLoadBinary();
  const certs = fs.mkdtempSync(path.join(os.tmpdir(), 'proactor-bench-tls-'));
  execFileSync(process.execPath, [path.join(root, 'dist', 'examples', 'make-tls-certs.js'), certs], { stdio: 'ignore' });
  const cert = path.join(certs, 'server.crt');
  const key = path.join(certs, 'server.key');
  const ca = path.join(certs, 'ca.crt');
  const connections = 64;
  const cases: { what: string; args: string[]; cold: boolean }[] = [
    { what: 'echo 64 B', args: ['--size', '64'], cold: false },
    { what: 'echo 4 KiB', args: ['--size', '4096'], cold: false },
    { what: 'echo 64 KiB', args: ['--size', '65536'], cold: false },
    { what: 'handshakes/s', args: ['--handshakes'], cold: false },
    { what: 'handshakes/s, cold', args: ['--handshakes'], cold: true },
  ];
  const servers = {
    proactor: ['examples/tls-echo-server.js', '--cert', cert, '--key', key, '--buffer-size', '65536'],
    node: ['bench/node-tls-echo-server.js', '--cert', cert, '--key', key],
  } as const;
  const probe = pathToFileURL(path.join(root, 'dist', 'bench', 'heap-probe.js')).href;
  const start = (which: Side): Promise<RunningServer> => {
    const [script, ...args] = servers[which];
    return startServer(process.execPath, ['--expose-gc', '--import', probe, path.join(root, 'dist', script), ...args], root, null);
  };
  const rows: TlsEchoRow[] = [];
  for (const c of cases) {
    const got: Record<Side, { rate: number[]; heap: number[]; cpu: number[] }> = {
      proactor: { rate: [], heap: [], cpu: [] },
      node: { rate: [], heap: [], cpu: [] },
    };
    const conns = c.what.startsWith('handshakes') ? 16 : connections;
    /** One measured window on `server`, after `warm` seconds of the same load; its figures go to `which`. */
    const measure = async (which: Side, server: RunningServer, warm: number): Promise<void> => {
      const port = (server.target as { port: number }).port;
      const probes = server.probes.length;
      const load = runLoad(bin, [
        '--port', String(port), '--ca', ca, '--cipher', CIPHER, '--connections', String(conns),
        '--duration', String(seconds), '--warmup', String(warm), '--signal-pid', String(server.child.pid), ...c.args,
      ]);
      got[which].rate.push(load.perSecond);
      await server.waitProbes(probes + 2, 3000);
      const heap = heapFrom(server, { roundTrips: load.count });
      if (heap !== null) {
        got[which].heap.push(heap.bytesPerRoundTrip);
        got[which].cpu.push(heap.cpuMicrosPerRoundTrip);
      }
    };
    if (c.cold) {
      // A fresh pair of processes each round: the first seconds of a server.
      for (let r = 0; r < rounds; r++) {
        for (const which of order(r)) {
          const server = await start(which);
          try {
            await measure(which, server, 0);
          } finally {
            await server.stop();
          }
        }
      }
    } else {
      // Both servers stay up (an idle one takes no CPU) and take turns, one
      // window each per round, so a change in the machine's speed over the
      // run reaches both alike; each warms up once, in its first window.
      const up = { proactor: await start('proactor'), node: await start('node') };
      try {
        for (let r = 0; r < rounds; r++) {
          for (const which of order(r)) await measure(which, up[which], r === 0 ? warmup : 0.5);
        }
      } finally {
        await up.proactor.stop();
        await up.node.stop();
      }
    }
    const p = median(got.proactor.rate);
    const n = median(got.node.rate);
    rows.push({
      what: c.what,
      proactor: p,
      node: n,
      ratio: p / n,
      heap: { proactor: medianOrNull(got.proactor.heap), node: medianOrNull(got.node.heap) },
      cpuMicros: { proactor: medianOrNull(got.proactor.cpu), node: medianOrNull(got.node.cpu) },
    });
    process.stderr.write(`  ${c.what}: proactor ${p.toFixed(0)}/s, node:tls ${n.toFixed(0)}/s, ${(p / n).toFixed(2)}×\n`);
  }
  fs.rmSync(certs, { recursive: true, force: true });
  return { rows, cipher: CIPHER, connections, rounds, seconds, warmup };
}

export function formatTlsEchoBenchmark(r: TlsEchoResult): string {
  const lines = [
    `${r.connections} connections (16 for handshakes), ${r.cipher}, both servers up side by side and taking turns, ${r.rounds} rounds of ${r.seconds} s each, after ${r.warmup} s of the same load in each server's first turn (the cold row: the first ${r.seconds} s of a fresh pair of servers each round), medians; round trips (or full handshakes) per second, and the server's heap bytes allocated and CPU time (every thread) per round trip (or handshake) in the measured window.`,
    '',
    '| workload | proactor SslStream | node:tls | ratio | heap B, proactor / node | CPU µs, proactor / node |',
    '|---|---:|---:|---:|---:|---:|',
    ...r.rows.map(
      (row) =>
        `| ${row.what} | ${row.proactor.toFixed(0)} | ${row.node.toFixed(0)} | ${row.ratio.toFixed(2)}× | ` +
        `${cell(row.heap.proactor, 0)} / ${cell(row.heap.node, 0)} | ${cell(row.cpuMicros.proactor, 1)} / ${cell(row.cpuMicros.node, 1)} |`,
    ),
  ];
  return lines.join('\n');
}
