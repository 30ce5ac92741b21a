import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { nativeAddon } from '../src/net/native/native-addon.js';
import { runNode, type NodeExit } from './support/run-node.js';

/*
 * A worker thread that used the native transport ends (by returning, by
 * process.exit inside it, or by terminate() from outside) with its sockets
 * still open. The addon closes its handles from an asynchronous cleanup
 * hook, and the thread's teardown waits for their close callbacks: before,
 * Node unloaded the addon first and the process died with SIGSEGV when
 * libuv ran those callbacks. Each case runs in a child process of its own,
 * so a crash is an exit status here, not a crash of the test runner.
 */

const packageUrl = pathToFileURL(path.join(__dirname, '..', 'dist', 'src', 'index.js')).href;
const describeNative = nativeAddon() === null ? describe.skip : describe;

/** The worker: an echo session on the native transport, left open; `how` is how the thread ends. */
const workerCode = `
const { parentPort, workerData } = require('node:worker_threads');
import(${JSON.stringify(packageUrl)}).then(async ({ IoContext, TcpAcceptor, defaultTransport }) => {
  const ctx = new IoContext();
  const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
  acceptor.asyncAccept((err, socket) => {
    if (err) throw err;
    const buf = Buffer.alloc(64);
    const echo = () => socket.asyncReadSome(buf, (e, n) => {
      if (e) return;
      socket.asyncWriteSome(buf.subarray(0, n), () => {
        if (workerData === 'exit') process.exit(0);
        echo();
      });
    });
    echo();
  });
  parentPort.postMessage({ port: acceptor.localEndpoint().port, transport: defaultTransport() });
  await ctx.run();
});
`;

/** The main thread: starts the worker, sends one line, and ends the worker the way `how` says. */
const mainCode = `
const net = require('node:net');
const { Worker } = require('node:worker_threads');
const how = process.argv[1];
const worker = new Worker(${JSON.stringify(workerCode)}, { eval: true, workerData: how });
worker.on('message', ({ port, transport }) => {
  console.log('transport ' + transport);
  const client = net.connect(port, '127.0.0.1', () => client.write('hello'));
  client.on('error', () => undefined);
  client.on('close', () => {
    clientClosed = true;
    finish();
  });
  client.once('data', (data) => {
    console.log('echo ' + String(data));
    if (how === 'terminate') void worker.terminate();
    else if (how === 'return') {
      worker.unref();
      client.unref();
    }
  });
});
// The process ends once the worker has exited and the client has read all it was sent (its socket closed).
let exited = false;
let clientClosed = false;
const finish = () => {
  if (exited && clientClosed) process.exit(0);
};
worker.on('exit', (code) => {
  console.log('worker exit ' + code);
  exited = true;
  finish();
});
`;

function runCase(how: string): Promise<NodeExit> {
  return runNode(['-e', mainCode, how]);
}

describeNative('a worker thread on the native transport', () => {
  it.each(['exit', 'terminate'])('ends by %s with a session open, and the process exits cleanly', async (how) => {
    const r = await runCase(how);
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('transport native');
    expect(r.stdout).toContain('echo hello');
    expect(r.stdout).toMatch(/worker exit \d/);
  }, 30_000);

  it('lets the process end while a worker still runs its context, and the process exits cleanly', async () => {
    // The worker is unref'd after its echo: the main thread exits and tears the running worker down.
    const r = await runCase('return');
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    expect(r.stdout).toContain('echo hello');
  }, 30_000);
});
