/**
 * The `node:net` baseline for the echo benchmark: the plainest echo server
 * Node offers, `socket.on('data', d => socket.write(d))`.
 *
 * Usage: node dist/bench/node-echo-server.js [--host 127.0.0.1] [--port N]
 *        node dist/bench/node-echo-server.js --path /tmp/echo.sock
 *
 * TCP sockets get `setNoDelay(true)`, as examples/echo-server.ts does, so both
 * servers run with the same socket options. `--path` serves a Unix-domain
 * socket at that path instead.
 *
 * Prints `listening on HOST:PORT` (the real port with `--port 0`) or
 * `listening on PATH`, stops with exit status 0 on SIGTERM or SIGINT, and
 * stops by itself after `--max-seconds` (default 900) so a forgotten process
 * does not linger.
 */
import net from 'node:net';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? process.argv[i + 1] : undefined;
  return value ?? fallback;
}

const host = option('--host', '127.0.0.1');
const port = Number(option('--port', '5556'));
const socketPath = option('--path', '');
const maxSeconds = Number(option('--max-seconds', '900'));

const sockets = new Set<net.Socket>();

const server = net.createServer((socket) => {
  sockets.add(socket);
  socket.setNoDelay(true);
  socket.on('data', (d) => socket.write(d));
  socket.on('error', () => {
    // A peer reset is part of normal operation; 'close' follows.
  });
  socket.on('close', () => sockets.delete(socket));
});

if (socketPath !== '') {
  server.listen(socketPath, () => {
    process.stdout.write(`listening on ${socketPath}\n`);
  });
} else {
  server.listen(port, host, () => {
    const address = server.address();
    const bound = typeof address === 'object' && address !== null ? address.port : port;
    process.stdout.write(`listening on ${host}:${bound}\n`);
  });
}

function stop(): void {
  server.close();
  for (const socket of sockets) socket.destroy();
  process.exitCode = 0;
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setTimeout(stop, maxSeconds * 1000).unref();
