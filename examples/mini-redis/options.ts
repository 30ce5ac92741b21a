/** The command line of mini-redis. */

export interface Options {
  host: string;
  /** 6380 by default, so a real Redis on 6379 is never in the way. */
  port: number;
  /** The longest bulk string a client may send (Redis's proto-max-bulk-len, 512 MiB). */
  maxBulk: number;
  /**
   * Bytes of replies that may wait for a client while a write to it is in
   * flight (Redis's client-output-buffer-limit); past it the client is disconnected.
   */
  outputLimit: number;
}

const USAGE = 'use --host --port --max-bulk --output-limit';

export function parseArgs(argv: readonly string[]): Options {
  const options: Options = { host: '127.0.0.1', port: 6380, maxBulk: 512 * 1024 * 1024, outputLimit: 64 * 1024 * 1024 };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`missing value after ${String(flag)} (${USAGE})`);
    if (flag === '--host') options.host = value;
    else if (flag === '--port') options.port = Number(value);
    else if (flag === '--max-bulk') options.maxBulk = Number(value);
    else if (flag === '--output-limit') options.outputLimit = Number(value);
    else throw new Error(`unknown argument: ${String(flag)} (${USAGE})`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error('--port must be 0..65535');
  for (const [name, value] of [
    ['--max-bulk', options.maxBulk],
    ['--output-limit', options.outputLimit],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  }
  return options;
}
