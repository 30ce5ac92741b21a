/**
 * A UDP echo server (asio's `async_udp_echo_server`) on proactor: one
 * `UdpSocket` and, as the session of the datagram world, one
 * `HandlerAllocator` for it. The receive and send handlers are bound to that
 * allocator once, with `makeCustomAllocHandler`; from then on receive →
 * send → receive … runs on the same two operation objects, because each is
 * freed before the handler that starts the next one runs. Datagrams that
 * arrive while a reply is being sent wait in the socket's small bounded
 * queue (and are dropped and counted beyond it, never buffered without end).
 *
 * A `SignalSet` waits for SIGINT/SIGTERM; then the server closes the socket,
 * lets `run()` return, and prints what it echoed, the socket's datagram
 * counters and the allocation statistics.
 *
 * Run it:   npm run example -- udp-echo-server                 (127.0.0.1:5560)
 *           npm run example -- udp-echo-server --port 7000 --host 0.0.0.0
 *           npm run example -- udp-echo-server --host ::1 --port 7000
 * Try it:   nc -u 127.0.0.1 5560          (type a line: it comes back)
 */
import {
  HandlerAllocator,
  IoContext,
  SignalSet,
  UdpSocket,
  formatAllocationStats,
  makeCustomAllocHandler,
  type Endpoint,
  type IoError,
} from '../src/index.js';
import * as net from 'node:net';

interface Options {
  host: string;
  port: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { host: '127.0.0.1', port: 5560 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--host' && value !== undefined) options.host = value;
    else if (flag === '--port' && value !== undefined) options.port = Number(value);
    else throw new Error(`unknown or incomplete argument: ${String(flag)} (use --host ADDRESS --port N)`);
    i++;
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error('--port must be 0..65535');
  if (net.isIP(options.host) === 0) throw new Error('--host must be an IP address');
  return options;
}

/** The server: its socket, the one buffer, its handler memory and its two handlers. */
class EchoServer {
  readonly #socket: UdpSocket;
  readonly #data = Buffer.allocUnsafe(65536);
  readonly #allocator = new HandlerAllocator();
  readonly #onDatagram: (err: IoError | null, n: number, from: Endpoint) => void;
  readonly #onSent: (err: IoError | null, n: number) => void;
  echoed = 0;
  bytes = 0;

  constructor(socket: UdpSocket) {
    this.#socket = socket;
    this.#onDatagram = makeCustomAllocHandler(this.#allocator, (err: IoError | null, n: number, from: Endpoint): void => {
      if (err !== null) {
        if (err.code !== 'operation_aborted' && err.code !== 'bad_descriptor') console.error(`receive failed: ${err.message}`);
        return;
      }
      this.#socket.asyncSendTo(this.#data.subarray(0, n), from, this.#onSent);
    });
    this.#onSent = makeCustomAllocHandler(this.#allocator, (err: IoError | null, n: number): void => {
      if (err === null) {
        this.echoed++;
        this.bytes += n;
      } else if (err.code === 'operation_aborted' || err.code === 'bad_descriptor') {
        return;
      } else {
        console.error(`send failed: ${err.message}`); // a datagram is lost, the server goes on
      }
      this.receive();
    });
  }

  receive(): void {
    this.#socket.asyncReceiveFrom(this.#data, this.#onDatagram);
  }

  memory(): string {
    const { hits, fallbacks, live } = this.#allocator.stats();
    return `handler allocator hits ${hits}, fallbacks ${fallbacks}, live ${live}`;
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const ctx = new IoContext();
  const socket = new UdpSocket(ctx, { family: net.isIPv6(options.host) ? 'udp6' : 'udp4' });
  const server = new EchoServer(socket);

  const signals = new SignalSet(ctx, 'SIGINT', 'SIGTERM');
  let path = socket.transport;
  signals.asyncWait((err) => {
    if (err !== null) return;
    signals.clear(); // a second Ctrl-C gets Node's default action again
    path = socket.transport; // how the datagrams went: null once closed
    socket.close();
  });

  const running = ctx.run();
  socket.bind({ host: options.host, port: options.port }, (err) => {
    if (err !== null) {
      console.error(`bind failed: ${err.message}`);
      process.exitCode = 1;
      signals.close(); // the pending wait completes with operation_aborted: run() can return
      socket.close();
      return;
    }
    const { address, port } = socket.localEndpoint();
    console.log(`udp echo server listening on ${address}:${port}`);
    server.receive();
  });
  const handlers = await running;
  const { received, dropped, filtered, copies, directReads } = socket.datagramStats();
  console.log(`stopped after ${handlers} handlers; echoed ${server.echoed} datagrams (${server.bytes} bytes); received ${received}, dropped ${dropped}, filtered ${filtered}, copied ${copies}, read in place ${directReads} (${path ?? 'no'} path); ${server.memory()}`);
  console.log(`allocation statistics:\n${formatAllocationStats(ctx.allocationStats())}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
