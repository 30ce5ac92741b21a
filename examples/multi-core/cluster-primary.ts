/**
 * The primary process of `echo-server --workers N`: forks N `node:cluster`
 * workers, each running the whole echo server on its own `IoContext`. Their
 * `TcpAcceptor`s listen through the primary, which binds the port once and
 * hands each connection to one worker (Node's round robin). The primary
 * serves nothing itself: it reports a worker that dies while the others go
 * on serving, forwards SIGINT/SIGTERM as SIGTERM to every worker, and when
 * the last has exited prints each worker's exit statistics and their sum.
 */
import cluster, { type Worker } from 'node:cluster';
import { IoContext, SignalSet, type IoError } from '../../src/index.js';
import { addReports, formatReport, isWorkerMessage, type ServerReport } from './server-report.js';

export function runClusterPrimary(count: number): void {
  const ctx = new IoContext();
  const reports = new Map<number, ServerReport>();
  let listening = 0;
  let alive = 0;
  let failed = 0;
  let stopping = false;

  const signals = new SignalSet(ctx, 'SIGINT', 'SIGTERM');
  signals.asyncWait((err: IoError | null, signal: string) => {
    if (err !== null) return; // cancelled: every worker has gone
    stopping = true;
    signals.clear(); // a second Ctrl-C ends the primary at once
    console.log(`${signal}: stopping ${alive} workers`);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  });

  const onMessage = (worker: Worker, message: unknown): void => {
    if (!isWorkerMessage(message)) return;
    if (message.type === 'listening') {
      console.log(`worker ${worker.id} (pid ${String(worker.process.pid)}) listening on ${message.where}`);
      if (++listening === count) console.log(`echo server listening on ${message.where}`);
    } else {
      reports.set(worker.id, message.report);
    }
  };

  const onExit = (worker: Worker, code: number | null, signal: string | null): void => {
    alive--;
    const clean = code === 0 && reports.has(worker.id);
    if (!clean) {
      failed++;
      const how = signal !== null ? `killed by ${signal}` : `exit code ${String(code)}`;
      console.error(`worker ${worker.id} (pid ${String(worker.process.pid)}) died (${how}); ${alive} still serving`);
    }
    if (alive > 0) return;
    signals.cancel(); // nothing left to stop: let the primary's run() end
    const all = [...reports.values()];
    console.log(`${all.length} of ${count} workers reported; the sum:`);
    console.log(formatReport(addReports(all)));
    process.exitCode = failed === 0 && stopping ? 0 : 1;
  };

  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  for (let i = 0; i < count; i++) {
    cluster.fork();
    alive++;
  }
  void ctx.run();
}
