/**
 * Preloaded into a server under test with
 * `node --expose-gc --import dist/stress/heap-report.js server.js`; it changes
 * nothing in the server and answers SIGUSR2 with one stderr line, taken
 * after full collections:
 *
 *     stress-heap {"heapUsed":…,"rss":…,"external":…,"arrayBuffers":…}
 */
const collect = (globalThis as { gc?: () => void }).gc;

function onSignal(): void {
  if (collect !== undefined) {
    for (let i = 0; i < 4; i++) collect();
  }
  const m = process.memoryUsage();
  const report = { heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers };
  process.stderr.write(`stress-heap ${JSON.stringify(report)}\n`);
}

process.on('SIGUSR2', onSignal);
