/** What a command is, and what it sees of the client that sent it and of the server. */
import type { PubSub, Subscriber } from './pubsub.js';
import type { ReplyWriter } from './reply-writer.js';
import type { Store } from './store.js';

/** The session a command runs for. */
export interface Client extends Subscriber {
  readonly id: number;
  /** CLIENT SETNAME's name, or null. */
  name: string | null;
  /** Where the command writes its reply. */
  readonly reply: ReplyWriter;
  /** The channels and patterns the client is subscribed to (non-empty: subscribed mode). */
  readonly channels: Set<string>;
  readonly patterns: Set<string>;
  /** The remote address, for CLIENT LIST. */
  readonly address: string;
  /** Ends the session once the replies so far are written (QUIT). */
  closeAfterReplies(): void;
}

/** What the commands share. */
export interface Server {
  readonly store: Store;
  readonly pubsub: PubSub;
  readonly clients: ReadonlySet<Client>;
  readonly port: number;
  readonly startedAt: number;
  readonly stats: ServerStats;
  readonly config: ReadonlyMap<string, string>;
}

export interface ServerStats {
  connections: number;
  commands: number;
  protocolErrors: number;
  outputLimitDisconnects: number;
}

/** One command, described as Redis's COMMAND describes it. */
export interface CommandSpec {
  /** Lower case, as COMMAND reports it. */
  readonly name: string;
  /** Argument count including the name: n exactly, or -n for at least n. */
  readonly arity: number;
  readonly flags: readonly string[];
  /** Where the keys are (1-based; 0 for none; lastKey -1 for the rest). */
  readonly firstKey: number;
  readonly lastKey: number;
  readonly step: number;
  /** Runs the command, writing exactly one reply (SUBSCRIBE: one per channel) to `client.reply`. */
  run(client: Client, args: readonly Buffer[], server: Server): void;
}

/** The key (or any text argument) at `args[i]`, as the latin1 string the keyspace uses. */
export function text(args: readonly Buffer[], i: number): string {
  return args[i]!.toString('latin1');
}

/** An option word at `args[i]`, upper-cased. */
export function option(args: readonly Buffer[], i: number): string {
  return args[i]!.toString('latin1').toUpperCase();
}

export const NOT_AN_INTEGER = 'ERR value is not an integer or out of range';
export const SYNTAX_ERROR = 'ERR syntax error';

const INTEGER = /^(?:0|-?[1-9][0-9]*)$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * A 64-bit signed integer in Redis's strict form (no sign but `-`, no
 * leading zeros, no spaces), as a number when it is exactly one, else as a
 * bigint; null when the bytes are no such integer.
 */
export function parseInt64(bytes: Uint8Array): number | bigint | null {
  if (bytes.length === 0 || bytes.length > 20) return null;
  if (bytes.length <= 15) return parseShortInteger(bytes);
  const digits = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  if (!INTEGER.test(digits)) return null;
  if (digits.length <= 15) return Number(digits);
  const big = BigInt(digits);
  if (big < INT64_MIN || big > INT64_MAX) return null;
  return Number.isSafeInteger(Number(big)) ? Number(big) : big;
}

/** {@link parseInt64} for at most 15 bytes (always a safe integer), read digit by digit without making a string. */
function parseShortInteger(bytes: Uint8Array): number | null {
  const negative = bytes[0] === 45; // '-'
  let i = negative ? 1 : 0;
  if (i === bytes.length) return null;
  // Strict form: no leading zero, and zero itself unsigned.
  if (bytes[i] === 48) return bytes.length === 1 ? 0 : null;
  let value = 0;
  for (; i < bytes.length; i++) {
    const digit = bytes[i]! - 48;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

/** `a + b` within 64 bits, or null on overflow. */
export function addInt64(a: number | bigint, b: number | bigint): number | bigint | null {
  if (typeof a === 'number' && typeof b === 'number') {
    const sum = a + b;
    if (Number.isSafeInteger(sum)) return sum;
  }
  const sum = BigInt(a) + BigInt(b);
  if (sum < INT64_MIN || sum > INT64_MAX) return null;
  return Number.isSafeInteger(Number(sum)) ? Number(sum) : sum;
}
