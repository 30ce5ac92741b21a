/**
 * UDP flood: the example UDP echo server under more datagrams than it can
 * take (bench/load/udp-load.c in flood mode, four sockets sending 1,200-byte
 * datagrams as fast as the kernel takes them). The sender counts its loss
 * and checks every reply byte for byte; the server must not crash, must not
 * grow (heap after collection and RSS within bounds: what it keeps for
 * receives is bounded by DATAGRAM_QUEUE_MAX_COUNT/BYTES, the rest is the
 * kernel's to drop), and must serve normally once the flood stops: every
 * one of the requests sent one at a time afterwards answered, then a
 * closed-loop echo run with no loss.
 */
import { join } from 'node:path';
import { ensureBinary } from '../bench/echo.js';
import { runUdpLoad } from '../bench/udp-echo.js';
import { distRoot, heapOf, heapReportScript, mib, residentMemory, spawnNode, withDeadline, type ScenarioContext, type ScenarioResult } from './support.js';

const HEAP_GROWTH_LIMIT = 10 * 1024 * 1024;
const RSS_GROWTH_LIMIT = 64 * 1024 * 1024;

export async function udpFloodScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const seconds = Math.max(2, Math.round(20 * ctx.scale));
  const after = 50;
  const load = ensureBinary('udp-load');
  const server = spawnNode(['--expose-gc', '--import', heapReportScript, join(distRoot, 'examples', 'udp-echo-server.js'), '--port', '0'], 1024);
  ctx.defer(() => {
    server.kill();
  });
  const port = (await server.waitFor(/listening on [^\s]+:(\d+)/, 10_000))[1]!;
  const heapBefore = await heapOf(server);
  const rssBefore = residentMemory(server.pid).rss;

  const flood = await runUdpLoad(load, ['--port', port, '--mode', 'flood', '--size', '1200', '--sockets', '4', '--duration', String(seconds), '--after', String(after)], seconds + 60);
  const peak = residentMemory(server.pid).peak;
  const heapAfter = await heapOf(server);
  ctx.log(`udp flood: ${JSON.stringify(flood)}`);
  const echo = await runUdpLoad(load, ['--port', port, '--size', '1200', '--warmup', '0.2', '--duration', '1'], 60);
  ctx.log(`udp echo after the flood: ${JSON.stringify(echo)}`);

  server.child.kill('SIGTERM');
  const code = await withDeadline(server.exited, 10_000, 'the udp echo server exiting on SIGTERM');
  const stats = /received (\d+), dropped (\d+), filtered \d+, copied (\d+)/.exec(server.stdout());
  const sent = Number(flood.sent);
  const replies = Number(flood.replies);
  const heapGrowth = heapAfter.heapUsed - heapBefore.heapUsed;
  const rssGrowth = peak - rssBefore;
  const ok =
    code === 0 &&
    Number(flood.mismatches) === 0 &&
    Number(flood.afterAnswered) === after &&
    Number(echo.lost) === 0 &&
    Number(echo.mismatches) === 0 &&
    Number(echo.roundTrips) > 0 &&
    heapGrowth < HEAP_GROWTH_LIMIT &&
    rssGrowth < RSS_GROWTH_LIMIT;
  return {
    name: 'fault: UDP flood',
    target: `${seconds} s of 1,200-byte datagrams from 4 sockets, as fast as the kernel takes them; then ${after} requests one at a time and 1 s of echo`,
    reached: `${sent} sent, ${replies} echoed, ${sent - replies} lost (${(100 * Number(flood.lossRatio)).toFixed(1)}%, counted by the sender); afterwards ${String(flood.afterAnswered)} of ${after} answered, echo ${String(echo.roundTrips)} round trips with ${String(echo.lost)} lost`,
    figures:
      `server heap after gc ${mib(heapBefore.heapUsed)} → ${mib(heapAfter.heapUsed)}; RSS ${mib(rssBefore)} → peak ${mib(peak)}; ` +
      (stats === null ? 'no exit counters' : `server received ${stats[1]}, dropped ${stats[2]} with no receive pending, copied ${stats[3]}`) +
      `; exit code ${String(code)}`,
    ok,
    notes: `mismatched replies ${String(flood.mismatches)}; bounds: heap +${mib(HEAP_GROWTH_LIMIT)}, RSS +${mib(RSS_GROWTH_LIMIT)}`,
  };
}
