/**
 * The `node:net` baseline for the mini-redis benchmark: the commands
 * `redis-benchmark -t ping,set,get,incr,mset` sends (PING inline and
 * multibulk, SET, GET, INCR, MSET, and the CONFIG GET it asks at start),
 * written the way a Node developer would write them with nothing but Node:
 * `net.createServer`, a RESP parser on `'data'` (the unparsed rest kept and
 * concatenated with the next chunk), a `Map` of latin1 strings (so any bytes
 * are a key or value), and `socket.write` of the replies. The replies of
 * one chunk's commands are joined and written with one `socket.write`, so
 * a pipeline is answered in one write as mini-redis answers it.
 *
 * Usage: node dist/bench/node-redis-server.js [--host 127.0.0.1] [--port N]
 *
 * Prints `listening on HOST:PORT` (the real port with `--port 0`), stops
 * with exit status 0 on SIGTERM or SIGINT, and by itself after
 * `--max-seconds` (default 900) so a forgotten process does not linger.
 */
import net from 'node:net';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? process.argv[i + 1] : undefined;
  return value ?? fallback;
}

const host = option('--host', '127.0.0.1');
const port = Number(option('--port', '6381'));
const maxSeconds = Number(option('--max-seconds', '900'));

const store = new Map<string, string>();
const sockets = new Set<net.Socket>();

const bulk = (value: string): string => `$${Buffer.byteLength(value, 'latin1')}\r\n${value}\r\n`;

function run(args: string[]): string {
  const name = (args[0] ?? '').toUpperCase();
  switch (name) {
    case 'PING':
      return args.length > 1 ? bulk(args[1]!) : '+PONG\r\n';
    case 'SET':
      if (args.length !== 3) return "-ERR wrong number of arguments for 'set' command\r\n";
      store.set(args[1]!, args[2]!);
      return '+OK\r\n';
    case 'GET': {
      if (args.length !== 2) return "-ERR wrong number of arguments for 'get' command\r\n";
      const value = store.get(args[1]!);
      return value === undefined ? '$-1\r\n' : bulk(value);
    }
    case 'INCR': {
      if (args.length !== 2) return "-ERR wrong number of arguments for 'incr' command\r\n";
      const old = store.get(args[1]!) ?? '0';
      const n = /^-?\d{1,19}$/.test(old) ? BigInt(old) + 1n : null;
      if (n === null || n > 9223372036854775807n) return '-ERR value is not an integer or out of range\r\n';
      store.set(args[1]!, n.toString());
      return `:${n}\r\n`;
    }
    case 'MSET':
      if (args.length < 3 || args.length % 2 === 0) return "-ERR wrong number of arguments for 'mset' command\r\n";
      for (let i = 1; i < args.length; i += 2) store.set(args[i]!, args[i + 1]!);
      return '+OK\r\n';
    case 'CONFIG':
      if ((args[1] ?? '').toUpperCase() === 'GET' && args[2] === 'save') return '*2\r\n$4\r\nsave\r\n$0\r\n\r\n';
      if ((args[1] ?? '').toUpperCase() === 'GET' && args[2] === 'appendonly') return '*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n';
      return '*0\r\n';
    default:
      return `-ERR unknown command '${args[0] ?? ''}'\r\n`;
  }
}

/**
 * Parses one command at `pos`: its arguments and where the next starts, or
 * null when the rest has not arrived; throws on bytes that are not RESP.
 */
function parse(buf: Buffer, pos: number): { args: string[]; next: number } | null {
  const lineEnd = buf.indexOf('\r\n', pos);
  if (lineEnd < 0) return null;
  if (buf[pos] !== 0x2a) {
    // An inline command: words separated by spaces.
    const args = buf.toString('latin1', pos, lineEnd).split(' ').filter((w) => w !== '');
    return { args, next: lineEnd + 2 };
  }
  const count = parseInt(buf.toString('latin1', pos + 1, lineEnd), 10);
  if (!(count >= 0)) throw new Error('invalid multibulk length');
  const args: string[] = [];
  let at = lineEnd + 2;
  for (let i = 0; i < count; i++) {
    if (at >= buf.length) return null;
    if (buf[at] !== 0x24) throw new Error("expected '$'");
    const end = buf.indexOf('\r\n', at);
    if (end < 0) return null;
    const length = parseInt(buf.toString('latin1', at + 1, end), 10);
    if (!(length >= 0)) throw new Error('invalid bulk length');
    if (end + 2 + length + 2 > buf.length) return null;
    args.push(buf.toString('latin1', end + 2, end + 2 + length));
    at = end + 2 + length + 2;
  }
  return { args, next: at };
}

const server = net.createServer((socket) => {
  sockets.add(socket);
  socket.setNoDelay(true);
  let pending: Buffer | null = null;
  socket.on('data', (chunk: Buffer) => {
    const buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
    let out = '';
    let pos = 0;
    try {
      while (pos < buf.length) {
        const command = parse(buf, pos);
        if (command === null) break;
        pos = command.next;
        if (command.args.length > 0) out += run(command.args);
      }
    } catch (e) {
      socket.end(`${out}-ERR Protocol error: ${(e as Error).message}\r\n`, 'latin1');
      return;
    }
    pending = pos < buf.length ? buf.subarray(pos) : null;
    if (out !== '') socket.write(out, 'latin1');
  });
  socket.on('error', () => {
    // A peer reset is part of normal operation; 'close' follows.
  });
  socket.on('close', () => sockets.delete(socket));
});

server.listen(port, host, () => {
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  process.stdout.write(`listening on ${host}:${bound}\n`);
});

function stop(): void {
  server.close();
  for (const socket of sockets) socket.destroy();
  process.exitCode = 0;
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setTimeout(stop, maxSeconds * 1000).unref();
