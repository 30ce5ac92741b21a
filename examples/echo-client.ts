/**
 * An echo client: sends each line of stdin (or `--count N` messages of
 * `--size S` bytes) to an echo server, waits for the whole echo with
 * `asyncRead(…, transferExactly(n))`, and prints each round-trip time.
 * Shows `Resolver`, `asyncConnect`, `asyncWrite` and the composed reads with
 * promises.
 *
 * Run it:   npm run build && printf 'one\ntwo\n' | node dist/examples/echo-client.js [--host 127.0.0.1] [--port 5555]
 *           node dist/examples/echo-client.js --count 1000 --size 64
 */
import * as readline from 'node:readline';
import { IoContext, Resolver, TcpSocket, asyncRead, asyncWrite, makeWorkGuard, transferExactly, usePromise } from '../src/index.js';

interface Options {
  host: string;
  port: number;
  count: number;
  size: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { host: '127.0.0.1', port: 5555, count: 0, size: 64 };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--host' && value !== undefined) options.host = value;
    else if (flag === '--port' && value !== undefined) options.port = Number(value);
    else if (flag === '--count' && value !== undefined) options.count = Number(value);
    else if (flag === '--size' && value !== undefined) options.size = Number(value);
    else throw new Error(`unknown or incomplete argument: ${String(flag)} (use --host H --port N [--count N --size S])`);
  }
  return options;
}

async function roundTrip(socket: TcpSocket, message: Buffer, reply: Buffer): Promise<number> {
  const start = process.hrtime.bigint();
  await asyncWrite(socket, message, usePromise);
  await asyncRead(socket, reply.subarray(0, message.length), transferExactly(message.length), usePromise);
  return Number(process.hrtime.bigint() - start) / 1000;
}

async function client(ctx: IoContext, options: Options): Promise<void> {
  const endpoints = await new Resolver(ctx).asyncResolve(options.host, options.port, usePromise);
  const socket = new TcpSocket(ctx);
  await socket.asyncConnect(endpoints[0]!, usePromise);
  socket.setNoDelay(true);
  try {
    if (options.count > 0) {
      const message = Buffer.alloc(options.size, 0x61);
      const reply = Buffer.alloc(options.size);
      let total = 0;
      for (let i = 0; i < options.count; i++) {
        total += await roundTrip(socket, message, reply);
        if (!reply.equals(message)) throw new Error('echo mismatch');
      }
      console.log(`${options.count} round trips of ${options.size} B: mean ${(total / options.count).toFixed(1)} µs`);
    } else {
      const lines = readline.createInterface({ input: process.stdin, terminal: false });
      for await (const line of lines) {
        const message = Buffer.from(`${line}\n`);
        const reply = Buffer.alloc(message.length);
        const micros = await roundTrip(socket, message, reply);
        console.log(`${reply.toString().trimEnd()}  (${micros.toFixed(0)} µs)`);
      }
    }
  } finally {
    socket.close();
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const ctx = new IoContext();
  const guard = makeWorkGuard(ctx); // waiting for stdin is not proactor work: keep run() alive meanwhile
  const done = client(ctx, options).finally(() => {
    guard.reset();
  });
  await ctx.run();
  await done;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
