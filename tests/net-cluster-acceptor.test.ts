import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The built package (npm test builds before jest): the cluster's processes load it as a user would. */
const packageUrl = pathToFileURL(path.join(__dirname, '..', 'dist', 'src', 'index.js')).href;

/**
 * A node:cluster program. The primary forks two workers (or binds nothing and
 * leaves the port to the test, which may hold it). Each worker makes an
 * acceptor of the kind asked for on one IoContext with a TrackingAllocator,
 * answers every connection with its worker id, and on 'stop' from the
 * primary closes, runs dry and reports its counts; the primary prints them.
 */
const PROGRAM = `
import cluster from 'node:cluster';
const [kind, where] = process.argv.slice(2);
if (cluster.isPrimary) {
  const reports = [];
  for (let i = 0; i < 2; i++) cluster.fork();
  let listening = 0;
  cluster.on('message', (worker, m) => {
    if (m.type === 'listening' && ++listening === 2) console.log('ready ' + m.where);
    if (m.type === 'report') reports.push(m);
  });
  process.stdin.on('data', () => { for (const w of Object.values(cluster.workers)) w.send('stop'); });
  let exited = 0;
  cluster.on('exit', () => {
    if (++exited < 2) return;
    console.log('reports ' + JSON.stringify(reports));
    process.stdin.destroy(); // the primary's last handle: let it exit
  });
} else {
  const { IoContext, TcpAcceptor, UnixAcceptor, TrackingAllocator } = await import(${JSON.stringify(packageUrl)});
  const tracking = new TrackingAllocator();
  const ctx = new IoContext({ allocator: tracking });
  const acceptor = kind === 'unix' ? new UnixAcceptor(ctx, { path: where }) : new TcpAcceptor(ctx, { host: '127.0.0.1', port: Number(where) });
  const listeningAtOnce = acceptor.listening();
  let served = 0;
  const errors = [];
  const reply = Buffer.from(String(cluster.worker.id));
  const onAccept = (err, socket) => {
    if (err) { errors.push(err.code); return; }
    served++;
    socket.asyncReadSome(Buffer.alloc(1), () => socket.asyncWriteSome(reply, () => socket.close()));
    acceptor.asyncAccept(onAccept);
  };
  acceptor.asyncAccept(onAccept);
  acceptor.asyncWaitListening((err) => {
    if (err) { errors.push('wait:' + err.code); return; }
    const e = acceptor.localEndpoint();
    process.send({ type: 'listening', where: e.port ?? e.path });
  });
  process.on('message', (m) => { if (m === 'stop') acceptor.close(); });
  const handlers = await ctx.run();
  process.send({ type: 'report', id: cluster.worker.id, served, errors, listeningAtOnce, live: tracking.live, handlers }, () => process.disconnect());
}
`;

interface Report {
  id: number;
  served: number;
  errors: string[];
  listeningAtOnce: boolean;
  live: number;
}

function startCluster(kind: 'tcp' | 'unix', where: string): {
  ready: Promise<string>;
  stop(): Promise<Report[]>;
  reports(): Promise<Report[]>;
  exited: Promise<number | null>;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proactor-cluster-'));
  const script = path.join(dir, 'cluster.mjs');
  fs.writeFileSync(script, PROGRAM);
  const child = spawn(process.execPath, [script, kind, where], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  void exited.then(() => { fs.rmSync(dir, { recursive: true, force: true }); });
  const waitFor = async (pattern: RegExp): Promise<string> => {
    for (;;) {
      const m = pattern.exec(out);
      if (m !== null) return m[1]!;
      if (child.exitCode !== null) throw new Error(`the cluster exited: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const ready = waitFor(/ready (\S+)\n/);
  ready.catch(() => undefined); // a cluster that cannot listen never gets ready: only a test that awaits it cares
  return {
    ready,
    stop: async () => {
      child.stdin.write('stop\n');
      return JSON.parse(await waitFor(/reports (.*)\n/)) as Report[];
    },
    reports: async () => JSON.parse(await waitFor(/reports (.*)\n/)) as Report[],
    exited,
  };
}

/** Connects (TCP port or Unix path), sends a byte, resolves with the id of the worker that answered. */
function ask(where: number | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = typeof where === 'number' ? net.connect(where, '127.0.0.1') : net.connect(where);
    c.on('connect', () => c.write('?'));
    c.once('data', (d: Buffer) => {
      resolve(d.toString());
      c.end();
    });
    c.on('error', reject);
  });
}

async function ask200(where: number | string): Promise<string[]> {
  const answers: string[] = [];
  for (let i = 0; i < 200; i += 25) answers.push(...(await Promise.all(Array.from({ length: 25 }, () => ask(where)))));
  return answers;
}

describe('acceptors in node:cluster workers', () => {
  test('two workers accept on one TCP port through the primary: each of 200 connections answered by exactly one, both used', async () => {
    const cluster = startCluster('tcp', '0');
    const port = Number(await cluster.ready);
    const answers = await ask200(port);
    const reports = await cluster.stop();
    expect(await cluster.exited).toBe(0);
    expect(reports).toHaveLength(2);
    for (const r of reports) {
      expect(r.listeningAtOnce).toBe(false); // the primary answers asynchronously
      expect(r.served).toBe(answers.filter((a) => a === String(r.id)).length);
      expect(r.served).toBeGreaterThan(0);
      expect(r.errors).toEqual(['operation_aborted']); // the accept pending at close
      expect(r.live).toBe(0);
    }
    expect(reports[0]!.served + reports[1]!.served).toBe(200);
  });

  test('two workers accept on one Unix socket path', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proactor-cluster-unix-'));
    const where = path.join(dir, 'echo.sock');
    try {
      const cluster = startCluster('unix', where);
      expect(await cluster.ready).toBe(where);
      const answers = await ask200(where);
      const reports = await cluster.stop();
      expect(await cluster.exited).toBe(0);
      for (const r of reports) {
        expect(r.served).toBe(answers.filter((a) => a === String(r.id)).length);
        expect(r.served).toBeGreaterThan(0);
        expect(r.live).toBe(0);
      }
      expect(reports[0]!.served + reports[1]!.served).toBe(200);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the primary's bind failure reaches every worker's pending accept and listening wait as address_in_use", async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const { port } = holder.address() as net.AddressInfo;
    try {
      const cluster = startCluster('tcp', String(port));
      const reports = await cluster.reports(); // both workers' run() end by themselves: nothing left to wait for
      expect(await cluster.exited).toBe(0);
      expect(reports).toHaveLength(2);
      for (const r of reports) {
        expect(r.served).toBe(0);
        expect(r.errors.sort()).toEqual(['address_in_use', 'wait:address_in_use']);
        expect(r.live).toBe(0);
      }
    } finally {
      holder.close();
    }
  });
});
