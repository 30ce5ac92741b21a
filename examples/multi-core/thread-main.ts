/**
 * The main thread of `echo-server --threads N`: starts N worker threads,
 * each running the whole echo server on its own `IoContext` with a
 * `reusePort` acceptor, so the kernel spreads connections between their
 * sockets. The main thread keeps one `ThreadInbox` per thread on its own
 * context: 'listening' and the exit report come in on it, 'stop' goes out
 * on it (signals reach processes, not threads). A thread whose port closes
 * without a report has died and is reported; the others go on serving.
 *
 * Thread 0 binds first, so with port 0 the others join the port it got.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import { IoContext, SignalSet, ThreadInbox, type IoError } from '../../src/index.js';
import { addReports, formatReport, isWorkerMessage, summaryLine, type ServerReport, type ThreadData } from './server-report.js';

interface Started {
  readonly index: number;
  readonly inbox: ThreadInbox;
  report: ServerReport | null;
}

/** The options a thread needs from the main thread: all of the server's, of which this reads the port and the count. */
interface ThreadOptions {
  readonly port: number;
  readonly threads: number;
}

export function runThreadMain(options: ThreadOptions, script: string): void {
  const ctx = new IoContext();
  const count = options.threads;
  const threads: Started[] = [];
  let listening = 0;
  let done = 0;
  let failed = 0;
  let stopping = false;

  const signals = new SignalSet(ctx, 'SIGINT', 'SIGTERM');
  signals.asyncWait((err: IoError | null, signal: string) => {
    if (err !== null) return; // cancelled: every thread has gone
    stopping = true;
    signals.clear(); // a second Ctrl-C ends the process at once
    console.log(`${signal}: stopping ${threads.length - done} threads`);
    for (const t of threads) if (t.inbox.isOpen()) t.inbox.send({ type: 'stop' });
  });

  const finish = (t: Started): void => {
    t.inbox.close();
    done++;
    if (t.report === null) {
      failed++;
      console.error(`thread ${t.index} died without a report; ${threads.length - done} still serving`);
    }
    if (done < threads.length) return;
    // Every thread started has gone (all of them, or thread 0 before the others could start).
    signals.cancel();
    const all = threads.flatMap((x) => (x.report === null ? [] : [x.report]));
    console.log(`${all.length} of ${count} threads reported; the sum:`);
    console.log(formatReport(addReports(all)));
    process.exitCode = failed === 0 && stopping ? 0 : 1;
  };

  const start = (index: number, port: number): void => {
    const { port1, port2 } = new MessageChannel();
    const data: ThreadData<ThreadOptions> = { options: { ...options, port }, index, port: port2 };
    const worker = new Worker(script, { workerData: data, transferList: [port2] });
    worker.on('error', (error: unknown) => {
      console.error(`thread ${index} failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    const t: Started = { index, inbox: new ThreadInbox(ctx, port1), report: null };
    threads.push(t);
    const onMessage = (err: IoError | null, message: unknown): void => {
      if (err !== null) {
        finish(t); // eof: the thread has exited (after its report, or not)
        return;
      }
      if (isWorkerMessage(message)) {
        if (message.type === 'listening') {
          console.log(`thread ${index} listening on ${message.where}`);
          if (index === 0) for (let i = 1; i < count; i++) start(i, Number(/:(\d+)$/.exec(message.where)?.[1]));
          if (++listening === count) console.log(`echo server listening on ${message.where}`);
        } else {
          t.report = message.report;
          console.log(`thread ${index}: ${summaryLine(message.report)}`);
        }
      }
      t.inbox.asyncReceive(onMessage);
    };
    t.inbox.asyncReceive(onMessage);
  };

  start(0, options.port);
  void ctx.run();
}
