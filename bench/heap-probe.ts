/**
 * Heap probe for the echo benchmark, preloaded into a server process with
 * `node --expose-gc --import <this file> server.js`. It changes nothing in the
 * server; it answers SIGUSR2.
 *
 * On every SIGUSR2 it writes one line to stderr:
 *
 *     heap-probe {"seq":1,"usedHeapBytes":…,"freedBytes":…,…}
 *
 * Method. Node 20 has no counter of total allocated bytes, so the probe
 * derives it. A `v8.GCProfiler` runs between two signals and records the
 * heap's used size before and after every collection. Bytes allocated
 * between signal A and signal B are
 *
 *     usedHeap(B) - usedHeap(A) + Σ over collections in between (before - after)
 *
 * which counts every byte placed on the V8 heap in that window, whether it
 * was collected, promoted or is still live. Buffer contents (external
 * memory) are not on the heap and not counted; the Buffer objects are.
 * The probe's own allocation happens only at the signals (a few KiB), not per
 * round trip.
 */
import v8 from 'node:v8';

interface Snapshot {
  seq: number;
  usedHeapBytes: number;
  /** Bytes the collections since the previous signal freed. */
  freedBytes: number;
  /** Collections since the previous signal, by V8 GC type. */
  gcs: Record<string, number>;
  /** Time spent in those collections, microseconds. */
  gcMicros: number;
  cpuUserMicros: number;
  cpuSystemMicros: number;
  rssBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  timeMs: number;
}

let profiler = new v8.GCProfiler();
let seq = 0;

function onSignal(): void {
  // Read the heap first so the probe's own work lands inside the window.
  const used = v8.getHeapStatistics().used_heap_size;
  const result = profiler.stop();
  profiler = new v8.GCProfiler();
  profiler.start();

  let freed = 0;
  let gcMicros = 0;
  const gcs: Record<string, number> = {};
  for (const s of result.statistics) {
    freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
    gcMicros += s.cost;
    gcs[s.gcType] = (gcs[s.gcType] ?? 0) + 1;
  }
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  seq += 1;
  const snapshot: Snapshot = {
    seq,
    usedHeapBytes: used,
    freedBytes: freed,
    gcs,
    gcMicros,
    cpuUserMicros: cpu.user,
    cpuSystemMicros: cpu.system,
    rssBytes: mem.rss,
    externalBytes: mem.external,
    arrayBuffersBytes: mem.arrayBuffers,
    timeMs: performance.now(),
  };
  process.stderr.write(`heap-probe ${JSON.stringify(snapshot)}\n`);
}

profiler.start();
process.on('SIGUSR2', onSignal);
