/**
 * TLS churn: the example TLS echo server under full handshakes (a new
 * connection per handshake, 16 at a time), then 64 KiB echo on 64
 * connections, then clients that are not TLS at all (plain text, and
 * connections that close mid-handshake), each phase from
 * bench/load/tls-echo-load.c (OpenSSL, every byte checked) or plain sockets.
 * The server must answer every byte, refuse the bad clients without
 * harm to the others, not grow (heap after collection and RSS within
 * bounds between the first phase and the end), and stop on SIGTERM with no
 * operation live.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTlsLoad, tlsLoadBinary, type TlsLoadResult } from '../bench/tls-echo.js';
import { delay, distRoot, heapOf, heapReportScript, mib, residentMemory, spawnNode, withDeadline, type ScenarioContext, type ScenarioResult } from './support.js';

const HEAP_GROWTH_LIMIT = 10 * 1024 * 1024;
const RSS_GROWTH_LIMIT = 96 * 1024 * 1024;

function runLoad(bin: string, args: readonly string[], seconds: number): TlsLoadResult {
  return runTlsLoad(bin, [...args, '--duration', String(seconds), '--warmup', '0.2'], (seconds + 60) * 1000);
}

/** A client that is not TLS: writes `text` (or nothing) and closes; resolves once the server has closed or reset it too. */
function badClient(port: number, text: string | null): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      if (text === null) s.destroy();
      else s.end(text);
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      resolve();
    });
    s.resume();
  });
}

export async function tlsChurnScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const seconds = Math.max(2, Math.round(20 * ctx.scale));
  const bad = Math.max(50, Math.round(1000 * ctx.scale));
  const bin = tlsLoadBinary();
  const certs = mkdtempSync(join(tmpdir(), 'proactor-stress-tls-'));
  ctx.defer(() => {
    rmSync(certs, { recursive: true, force: true });
  });
  execFileSync(process.execPath, [join(distRoot, 'examples', 'make-tls-certs.js'), certs], { stdio: 'ignore' });
  const server = spawnNode(
    [
      '--expose-gc', '--import', heapReportScript, join(distRoot, 'examples', 'tls-echo-server.js'),
      '--port', '0', '--cert', join(certs, 'server.crt'), '--key', join(certs, 'server.key'), '--buffer-size', '65536',
    ],
    4096,
  );
  ctx.defer(() => {
    server.kill();
  });
  const port = (await server.waitFor(/listening on [^\s]+:(\d+)/, 10_000))[1]!;
  const common = ['--port', port, '--ca', join(certs, 'ca.crt'), '--cipher', 'TLS_AES_128_GCM_SHA256'];

  const warm = runLoad(bin, [...common, '--connections', '16', '--handshakes'], 1);
  const heapBefore = await heapOf(server);
  const rssBefore = residentMemory(server.pid).rss;
  const handshakes = runLoad(bin, [...common, '--connections', '16', '--handshakes'], seconds);
  ctx.log(`tls handshakes: ${JSON.stringify(handshakes)}`);
  const echo = runLoad(bin, [...common, '--connections', '64', '--size', '65536'], seconds);
  ctx.log(`tls 64 KiB echo: ${JSON.stringify(echo)}`);
  for (let i = 0; i < bad; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, bad - i) }, (_, j) => badClient(Number(port), (i + j) % 2 === 0 ? 'GET / HTTP/1.0\r\n\r\n' : null)));
  }
  const after = runLoad(bin, [...common, '--connections', '4', '--size', '4096'], 1);
  ctx.log(`tls echo after the bad clients: ${JSON.stringify(after)}`);
  await delay(200);
  const heapAfter = await heapOf(server);
  const peak = residentMemory(server.pid).peak;

  server.child.kill('SIGTERM');
  const code = await withDeadline(server.exited, 10_000, 'the tls echo server exiting on SIGTERM');
  const out = server.stdout();
  const failures = Number(/handshake failures (\d+)/.exec(out)?.[1] ?? -1);
  const live = /^total\s+\d+\s+\d+\s+\d+\s+(\d+)/m.exec(out)?.[1];
  const clean = (r: TlsLoadResult): boolean => r.errors === 0 && r.mismatches === 0 && r.count > 0;
  const heapGrowth = heapAfter.heapUsed - heapBefore.heapUsed;
  const rssGrowth = peak - rssBefore;
  const ok =
    code === 0 &&
    clean(warm) &&
    clean(handshakes) &&
    clean(echo) &&
    clean(after) &&
    failures >= bad / 2 &&
    live === '0' &&
    heapGrowth < HEAP_GROWTH_LIMIT &&
    rssGrowth < RSS_GROWTH_LIMIT;
  return {
    name: 'TLS: handshake churn, 64 KiB echo, non-TLS clients',
    target: `${seconds} s of full handshakes (16 at a time), ${seconds} s of 64 KiB echo on 64 connections, ${bad} clients that send plain text or close mid-handshake, then 1 s of 4 KiB echo`,
    reached:
      `${handshakes.count} handshakes, ${echo.count} 64 KiB round trips, ${after.count} 4 KiB round trips afterwards, ` +
      `${handshakes.errors + echo.errors + after.errors} errors, ${handshakes.mismatches + echo.mismatches + after.mismatches} mismatches; ${failures} handshakes refused`,
    figures: `server heap after gc ${mib(heapBefore.heapUsed)} → ${mib(heapAfter.heapUsed)}; RSS ${mib(rssBefore)} → peak ${mib(peak)}; live ops at exit ${String(live)}`,
    ok,
    notes: `heap growth limit ${mib(HEAP_GROWTH_LIMIT)}, RSS growth limit ${mib(RSS_GROWTH_LIMIT)}; exit code ${String(code)}`,
  };
}
