/**
 * The `node:tls` baseline for the TLS echo benchmark: the plainest TLS echo
 * server Node offers, `tls.createServer(…, (s) => s.on('data', (d) => s.write(d)))`,
 * with `setNoDelay(true)` as the proactor server has.
 *
 * Usage: node dist/bench/node-tls-echo-server.js --cert F --key F [--port 0]
 *
 * Prints `listening on HOST:PORT`, stops on SIGTERM or SIGINT, and by
 * itself after `--max-seconds` (default 900).
 */
import * as fs from 'node:fs';
import * as tls from 'node:tls';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}

const server = tls.createServer({ cert: fs.readFileSync(option('--cert', 'server.crt')), key: fs.readFileSync(option('--key', 'server.key')) }, (s) => {
  s.setNoDelay(true);
  s.on('data', (d: Buffer) => s.write(d));
  s.on('error', () => undefined);
});
server.on('tlsClientError', () => undefined);
server.listen(Number(option('--port', '0')), '127.0.0.1', () => {
  const a = server.address() as { address: string; port: number };
  console.log(`listening on ${a.address}:${a.port}`);
});
const stop = (): void => {
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setTimeout(stop, Number(option('--max-seconds', '900')) * 1000).unref();
