/**
 * mini-redis: a Redis-compatible server (RESP2) that redis-cli,
 * redis-benchmark and client libraries such as ioredis drive as they would
 * drive Redis.
 *
 * What it shows:
 * - a session per client on its own `HandlerAllocator`: the read chain
 *   (`asyncReadSome` into a bounded `DynamicBuffer`) and the write chain
 *   (one gathered `asyncWrite` in flight) each reuse their slot;
 * - pipelining: every whole command in a read runs in order, and replies
 *   encoded while a write is in flight go out together in the next one;
 * - a per-client output limit, as Redis's client-output-buffer-limit;
 * - expiry both lazy (on access) and active (a `SteadyTimer` sampling keys);
 * - pub/sub fan-out where each message is encoded once for all subscribers;
 * - graceful shutdown with a `SignalSet`, printing what the server did.
 *
 * Run it:   npm run example -- mini-redis [--port 6380] [--host 127.0.0.1]
 *                 [--max-bulk 536870912] [--output-limit 67108864]
 * Try it:   redis-cli -p 6380 set greeting hello; redis-cli -p 6380 get greeting
 *           printf 'PING\r\n' | nc 127.0.0.1 6380
 */
import { IoContext, SignalSet } from '../../src/index.js';
import { MiniRedis } from './mini-redis.js';
import { parseArgs } from './options.js';

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  const ctx = new IoContext();
  const server = new MiniRedis(ctx, options);
  const signals = new SignalSet(ctx, 'SIGINT', 'SIGTERM');
  server.start();

  // The pending signal wait keeps run() going while no client is connected;
  // run() returns once it has completed and every session has ended.
  signals.asyncWait((err, signal) => {
    if (err !== null) return;
    console.log(`${signal}: shutting down (${server.clients.size} clients)`);
    signals.close(); // a second Ctrl-C gets Node's default action again
    server.stop();
  });

  const { address, port } = server.localEndpoint();
  console.log(`mini-redis listening on ${address}:${port}`);
  ctx.run().then(
    (handlers) => {
      const { connections, commands, protocolErrors, outputLimitDisconnects } = server.stats;
      const { allocations, fallbacks } = server.memory;
      console.log(
        `stopped after ${handlers} handlers; ${connections} connections, ${commands} commands, ` +
          `${server.store.size} keys, ${server.store.expired} expired, ${server.pubsub.published} messages published, ` +
          `${protocolErrors} protocol errors, ${outputLimitDisconnects} output-limit disconnects; ` +
          `session operations: ${allocations} allocated, ${fallbacks} constructed`,
      );
      process.exitCode = 0;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
