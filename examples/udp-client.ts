/**
 * A UDP request/response client: the shape of an NTP or DNS query. Each
 * request carries a sequence number; the client sends it on a connected
 * `UdpSocket`, waits for the reply with a deadline (`cancelAfter` on the
 * receive), and on a timeout sends it again, up to `--retries` more times.
 * A late reply to an earlier attempt (another sequence number) is ignored,
 * so a slow answer never counts for the wrong request. The default server
 * is the `udp-echo-server` example, whose reply is the request itself.
 *
 * Exits 0 when every request was answered, 1 otherwise.
 *
 * Run it:   npm run example -- udp-echo-server &
 *           npm run example -- udp-client --port 5560 --count 3
 *           npm run example -- udp-client --port 5599 --timeout 200 --retries 2    (nobody there: retries, then gives up)
 */
import * as net from 'node:net';
import { IoContext, UdpSocket, asTuple, cancelAfter, makeWorkGuard, usePromise } from '../src/index.js';

interface Options {
  host: string;
  port: number;
  count: number;
  timeoutMs: number;
  retries: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { host: '127.0.0.1', port: 5560, count: 1, timeoutMs: 1000, retries: 3 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--host' && value !== undefined) options.host = value;
    else if (flag === '--port' && value !== undefined) options.port = Number(value);
    else if (flag === '--count' && value !== undefined) options.count = Number(value);
    else if (flag === '--timeout' && value !== undefined) options.timeoutMs = Number(value);
    else if (flag === '--retries' && value !== undefined) options.retries = Number(value);
    else throw new Error(`unknown or incomplete argument: ${String(flag)} (use --host ADDRESS --port N --count N --timeout MS --retries N)`);
    i++;
  }
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw new Error('--port must be 1..65535');
  if (net.isIP(options.host) === 0) throw new Error('--host must be an IP address');
  if (!Number.isInteger(options.count) || options.count < 1) throw new Error('--count must be a positive integer');
  if (!(options.timeoutMs > 0)) throw new Error('--timeout must be a positive number of ms');
  if (!Number.isInteger(options.retries) || options.retries < 0) throw new Error('--retries must be an integer >= 0');
  return options;
}

/** Sends request `seq` until a reply with the same sequence number arrives or the attempts run out; resolves with the attempt that got it (0: none). */
async function query(socket: UdpSocket, seq: number, options: Options, reply: Buffer): Promise<{ attempt: number; text: string }> {
  const request = Buffer.from(`request ${seq} at ${Date.now()}`);
  const prefix = `request ${seq} `;
  for (let attempt = 1; attempt <= options.retries + 1; attempt++) {
    const [sendErr] = await socket.asyncSend(request, asTuple(usePromise));
    if (sendErr !== null && sendErr.code !== 'connection_refused') throw sendErr;
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const [err, n] = await socket.asyncReceive(reply, cancelAfter(left, asTuple(usePromise)));
      if (err !== null) {
        if (err.code === 'operation_aborted') break; // the deadline: try again
        if (err.code === 'connection_refused') continue; // nobody there (ICMP port unreachable): wait out the deadline, then retry
        throw err;
      }
      const text = reply.toString('utf8', 0, n);
      if (text.startsWith(prefix)) return { attempt, text };
      // A late reply to an earlier request: not ours, keep waiting.
    }
    console.log(`request ${seq}: no reply within ${options.timeoutMs} ms (attempt ${attempt})`);
  }
  return { attempt: 0, text: '' };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const ctx = new IoContext();
  const guard = makeWorkGuard(ctx); // run() keeps going between the awaits below
  const running = ctx.run();
  const socket = new UdpSocket(ctx, { family: net.isIPv6(options.host) ? 'udp6' : 'udp4' });
  let answered = 0;
  try {
    await socket.asyncConnect({ host: options.host, port: options.port }, usePromise);
    const reply = Buffer.alloc(1500);
    for (let seq = 1; seq <= options.count; seq++) {
      const started = performance.now();
      const { attempt, text } = await query(socket, seq, options, reply);
      if (attempt === 0) {
        console.log(`request ${seq}: no reply after ${options.retries + 1} attempts`);
        continue;
      }
      answered++;
      console.log(`reply ${seq}: "${text}" in ${(performance.now() - started).toFixed(1)} ms (attempt ${attempt})`);
    }
  } finally {
    socket.close();
    guard.reset();
  }
  await running;
  console.log(`${answered} of ${options.count} requests answered`);
  process.exitCode = answered === options.count ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
