/**
 * The `node:dgram` baseline for the UDP echo benchmark: the plainest UDP
 * echo server Node offers,
 * `socket.on('message', (msg, from) => socket.send(msg, from.port, from.address))`.
 *
 * Usage: node dist/bench/node-udp-echo-server.js [--host 127.0.0.1] [--port N]
 *
 * Prints `udp echo server listening on HOST:PORT` (the real port with
 * `--port 0`), stops with exit status 0 on SIGTERM or SIGINT, and stops by
 * itself after `--max-seconds` (default 900) so a forgotten process does
 * not linger.
 */
import dgram from 'node:dgram';
import net from 'node:net';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? process.argv[i + 1] : undefined;
  return value ?? fallback;
}

const host = option('--host', '127.0.0.1');
const port = Number(option('--port', '5561'));
const maxSeconds = Number(option('--max-seconds', '900'));

const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
socket.on('message', (msg, from) => {
  socket.send(msg, from.port, from.address);
});
socket.on('error', (err) => {
  // A send refused by the kernel loses one datagram; the server goes on.
  process.stderr.write(`udp echo: ${err.message}\n`);
});
socket.bind(port, host, () => {
  const { address, port: bound } = socket.address();
  process.stdout.write(`udp echo server listening on ${address}:${bound}\n`);
});

function stop(): void {
  socket.close();
  process.exitCode = 0;
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setTimeout(stop, maxSeconds * 1000).unref();
