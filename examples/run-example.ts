/**
 * Runs any example by name: `npm run example -- <name> [args…]`.
 * Without a name, lists the examples and what each one shows.
 *
 * The example runs in this process (it is imported after its name is taken
 * off the command line), so its arguments, output, signals and exit code
 * are exactly those of running `node dist/examples/<name>.js [args…]`.
 *
 * Run it:   npm run example                      (the list)
 *           npm run example -- chat-server --port 5556
 */

/** Every runnable example, with the one line `npm run example` prints for it. */
const EXAMPLES: Readonly<Record<string, string>> = {
  'echo-server': "callbacks + a HandlerAllocator per session (the classic allocation example); --port 5555",
  'echo-server-await': 'the echo server with async/await and usePromise; --port 5555',
  'echo-client': 'sends stdin lines (or --count N messages) to an echo server and times each round trip',
  'chat-server': 'rooms, broadcast, a bounded write queue per client, SignalSet shutdown; --port 5556',
  'http-server': 'HTTP/1.1 with keep-alive, idle and request timeouts, 100-continue, 400/413 handling; --port 8080',
  timeouts: 'cancelAfter as a connect deadline and an idle timeout, cancelAt, a race in a parallel group',
  'allocator-walkthrough': 'one echo workload on NewAllocator, RecyclingAllocator and HandlerAllocator, with their statistics',
  'producer-consumer': 'a bounded Channel giving backpressure between a fast reader chain and a slow writer chain; --port 5557',
  'mini-redis': 'a Redis-compatible server that redis-cli, redis-benchmark and ioredis drive; --port 6380',
  'udp-echo-server': 'a UdpSocket echo server with one HandlerAllocator for the socket; --port 5560',
  'udp-client': 'UDP request/response with a cancelAfter deadline per attempt and retries; --port 5560 --count 3',
  'tls-echo-server': 'the echo server over TLS (SslStream), a handshake timeout, test-only certificates made on demand; --port 5443',
  'make-tls-certs': 'makes test-only certificates (a CA, a server, an expired one, another CA) with the openssl CLI; <dir>',
};

/** Examples that are a folder: the file to run in it. */
const ENTRY_FILES: Readonly<Record<string, string>> = {
  'mini-redis': 'mini-redis/server.js',
};

function list(): string {
  const width = Math.max(...Object.keys(EXAMPLES).map((n) => n.length));
  const lines = Object.entries(EXAMPLES).map(([name, what]) => `  ${name.padEnd(width)}  ${what}`);
  return `usage: npm run example -- <name> [args…]\n\nexamples:\n${lines.join('\n')}`;
}

const name = process.argv[2];
if (name === undefined || name === '--help' || name === '-h') {
  console.log(list());
} else if (!Object.hasOwn(EXAMPLES, name)) {
  console.error(`unknown example: ${name}\n\n${list()}`);
  process.exitCode = 1;
} else {
  // The example reads process.argv.slice(2): make that its own arguments.
  process.argv.splice(2, 1);
  await import(new URL(`./${ENTRY_FILES[name] ?? `${name}.js`}`, import.meta.url).href);
}
