/**
 * The shapes of the echo benchmark: its scenarios, its servers, what one run
 * measures and the summary rows. bench/echo.ts runs it, bench/echo-stats.ts
 * summarizes, bench/echo-markdown.ts writes the tables; bench/results.json
 * holds an `EchoResult`.
 */

export type EchoTransport = 'tcp' | 'unix';

export interface EchoScenario {
  readonly name: string;
  readonly connections: number;
  readonly size: number;
  /** TCP on 127.0.0.1, or a Unix-domain socket file. */
  readonly transport: EchoTransport;
}

/**
 * proactor: examples/echo-server.ts on the default transport (the native
 * one where its addon is built); proactor:handle and proactor:chunk: the
 * same with PROACTOR_TRANSPORT forcing that transport. asio:
 * bench/asio/echo-server.cpp, Boost.Asio's single-threaded echo (no Node).
 * node:net: bench/node-echo-server.ts.
 * raw-handle: bench/raw-handle-echo-server.ts, the ceiling probe. c: the C
 * epoll reference (no Node). proactor@base: examples/echo-server.ts of
 * another build (BENCH_BASELINE_DIST), for A/B runs.
 */
export type EchoServerName = 'proactor' | 'proactor:handle' | 'proactor:chunk' | 'node:net' | 'raw-handle' | 'asio' | 'c' | 'proactor@base';

/** One Node binary of the matrix, as recorded in the results (no paths). */
export interface EchoNode {
  major: number;
  /** `process.version` of that binary, e.g. `v22.23.5`. */
  version: string;
}

/** What `echo-load` prints. */
export interface LoadResult {
  connections: number;
  size: number;
  connected: number;
  connectSeconds: number;
  warmupSeconds: number;
  seconds: number;
  roundTrips: number;
  roundTripsPerSecond: number;
  bytesPerSecond: number;
  p50us: number;
  p99us: number;
  latencyOverflow: number;
  errors: number;
  mismatches: number;
  failedConnects: number;
  openAtEnd: number;
  /** Connections not yet echoed when the window opened (it waits for them up to a bound). */
  unwarmedAtStart: number;
  /** SIGUSR2s sent to the server: one heap reading each (a warm-up rehearsal, then the window's two). */
  signalsSent: number;
  stalled: boolean;
  cpuSeconds: number;
}

export interface HeapResult {
  /** Bytes allocated on the V8 heap during the measured window. */
  allocatedBytes: number;
  bytesPerRoundTrip: number;
  scavenges: number;
  markCompacts: number;
  gcMillis: number;
  /** Server CPU time (user + system, all threads) per round trip. */
  cpuMicrosPerRoundTrip: number;
  /** Server CPU time over wall time in the window (1 = one core). */
  cpuCores: number;
  rssBytes: number;
}

export interface EchoCell {
  scenario: string;
  /** The Node version the server ran on; null for the C server. */
  node: string | null;
  server: EchoServerName;
  rep: number;
  /** Position of this run within its repetition, from 0. */
  position: number;
  load: LoadResult | null;
  heap: HeapResult | null;
  exitCode: number | null;
  error: string | null;
}

export interface EchoSummaryRow {
  scenario: string;
  /** The Node version; null for the C server. */
  node: string | null;
  server: EchoServerName;
  runs: number;
  roundTripsPerSecond: number;
  minRoundTripsPerSecond: number;
  maxRoundTripsPerSecond: number;
  /** Median round trips/s relative to the node:net median on the same Node; null without it. */
  vsNodeNet: number | null;
  /**
   * Median over repetitions of (this server's rate / node:net's rate on the
   * same Node in the same repetition): the two ran back to back, so slow
   * drift cancels.
   */
  pairedVsNodeNet: number | null;
  /** The same paired ratio against the raw-handle probe. */
  pairedVsRawHandle: number | null;
  /** proactor only: the paired ratio against proactor@base (an A/B run). */
  pairedVsBase: number | null;
  heapBytesPerRoundTrip: number | null;
  cpuMicrosPerRoundTrip: number | null;
  p50us: number;
  p99us: number;
  /** Load generator CPU time over wall time (1 = one core busy). */
  generatorCores: number;
  errors: number;
}

export interface EchoSettings {
  seconds: number;
  warmupSeconds: number;
  reps: number;
  servers: EchoServerName[];
  scenarios: EchoScenario[];
  /** The Node binaries the Node servers ran on, in run order; the first is the chart's. */
  nodes: EchoNode[];
  /** The commit of the build measured (with `+` when the tree had changes), when known. */
  commit: string | null;
  /** With proactor@base: the commit of the baseline build, when known. */
  baselineCommit: string | null;
  skipped: string[];
}

export interface EchoResult {
  settings: EchoSettings;
  cells: EchoCell[];
  summary: EchoSummaryRow[];
}
