/**
 * The TLS echo benchmark: the proactor TLS echo server
 * (examples/tls-echo-server.ts: SslStream over accepted TcpSockets, one
 * HandlerAllocator per session) against a plain `node:tls` echo server
 * (bench/node-tls-echo-server.ts), same certificate (made by
 * examples/make-tls-certs.ts) and the same TLS 1.3 cipher suite, driven by
 * bench/load/tls-echo-load.c (OpenSSL, one blocking thread per connection,
 * every byte checked). Echo at 64 B, 4 KiB and 64 KiB with 64 connections,
 * and full handshakes per second; the two servers run in turns (several
 * rounds each, interleaved), and each figure is the median.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, path.basename(path.dirname(here)) === 'dist' ? '../..' : '..');

export interface TlsEchoRow {
  readonly what: string;
  readonly proactor: number;
  readonly node: number;
  readonly ratio: number;
}

export interface TlsEchoResult {
  readonly rows: TlsEchoRow[];
  readonly cipher: string;
  readonly connections: number;
  readonly rounds: number;
  readonly seconds: number;
}

const CIPHER = 'TLS_AES_128_GCM_SHA256';

function loadBinary(): string {
  const src = path.join(root, 'bench', 'load', 'tls-echo-load.c');
  const bin = path.join(root, 'dist', 'bench', 'bin', 'tls-echo-load');
  if (!fs.existsSync(bin) || fs.statSync(bin).mtimeMs < fs.statSync(src).mtimeMs) {
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    execFileSync(process.env.CC ?? 'cc', ['-O2', '-pthread', '-o', bin, src, '-lssl', '-lcrypto'], { stdio: 'inherit' });
  }
  return bin;
}

function startServer(script: string, args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [path.join(root, 'dist', script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start: ${out}`));
    }, 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^:\s]+:(\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

function runLoad(bin: string, args: string[]): number {
  const out = execFileSync(bin, args, { encoding: 'utf8', timeout: 60_000 });
  const r = JSON.parse(out) as { perSecond: number; errors: number; mismatches: number };
  if (r.errors !== 0 || r.mismatches !== 0) throw new Error(`tls-echo-load: ${r.errors} errors, ${r.mismatches} mismatches`);
  return r.perSecond;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function runTlsEchoBenchmark(rounds = Number(process.env.BENCH_TLS_ROUNDS ?? 3), seconds = Number(process.env.BENCH_TLS_SECONDS ?? 2)): Promise<TlsEchoResult> {
  const bin = loadBinary();
  const certs = fs.mkdtempSync(path.join(os.tmpdir(), 'proactor-bench-tls-'));
  execFileSync(process.execPath, [path.join(root, 'dist', 'examples', 'make-tls-certs.js'), certs], { stdio: 'ignore' });
  const cert = path.join(certs, 'server.crt');
  const key = path.join(certs, 'server.key');
  const ca = path.join(certs, 'ca.crt');
  const connections = 64;
  const cases: { what: string; args: string[] }[] = [
    { what: 'echo 64 B', args: ['--size', '64'] },
    { what: 'echo 4 KiB', args: ['--size', '4096'] },
    { what: 'echo 64 KiB', args: ['--size', '65536'] },
    { what: 'handshakes/s', args: ['--handshakes'] },
  ];
  const servers = {
    proactor: ['examples/tls-echo-server.js', ['--port', '0', '--cert', cert, '--key', key, '--buffer-size', '65536']] as const,
    node: ['bench/node-tls-echo-server.js', ['--port', '0', '--cert', cert, '--key', key]] as const,
  };
  const rows: TlsEchoRow[] = [];
  for (const c of cases) {
    const got: Record<'proactor' | 'node', number[]> = { proactor: [], node: [] };
    for (let r = 0; r < rounds; r++) {
      for (const which of r % 2 === 0 ? (['proactor', 'node'] as const) : (['node', 'proactor'] as const)) {
        const [script, args] = servers[which];
        const { child, port } = await startServer(script, [...args]);
        try {
          const conns = c.what.startsWith('handshakes') ? 16 : connections;
          got[which].push(
            runLoad(bin, ['--port', String(port), '--ca', ca, '--cipher', CIPHER, '--connections', String(conns), '--duration', String(seconds), '--warmup', '0.5', ...c.args]),
          );
        } finally {
          await stopServer(child);
        }
      }
    }
    const p = median(got.proactor);
    const n = median(got.node);
    rows.push({ what: c.what, proactor: p, node: n, ratio: p / n });
    process.stderr.write(`  ${c.what}: proactor ${p.toFixed(0)}/s, node:tls ${n.toFixed(0)}/s, ${(p / n).toFixed(2)}×\n`);
  }
  fs.rmSync(certs, { recursive: true, force: true });
  return { rows, cipher: CIPHER, connections, rounds, seconds };
}

export function formatTlsEchoBenchmark(r: TlsEchoResult): string {
  const lines = [
    `${r.connections} connections (16 for handshakes), ${r.cipher}, ${r.rounds} interleaved rounds of ${r.seconds} s each, medians; round trips (or full handshakes) per second.`,
    '',
    '| workload | proactor SslStream | node:tls | ratio |',
    '|---|---:|---:|---:|',
    ...r.rows.map((row) => `| ${row.what} | ${row.proactor.toFixed(0)} | ${row.node.toFixed(0)} | ${row.ratio.toFixed(2)}× |`),
  ];
  return lines.join('\n');
}
