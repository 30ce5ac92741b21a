/**
 * Every command the server knows, and {@link execute}: look the name up,
 * check the argument count and the subscribed-mode rule, run it, exactly
 * as Redis words each refusal.
 */
import { option, text, type Client, type CommandSpec, type Server } from './command.js';
import { CONNECTION_COMMANDS } from './connection-commands.js';
import { KEYSPACE_COMMANDS } from './keyspace-commands.js';
import { PUBSUB_COMMANDS } from './pubsub-commands.js';

/** COMMAND [COUNT | LIST | INFO name… | DOCS name…]: the table as redis-cli and client libraries read it. */
const COMMAND: CommandSpec = {
  name: 'command',
  arity: -1,
  flags: ['loading', 'stale'],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  run: (client, args) => {
    const out = client.reply;
    const sub = args.length > 1 ? option(args, 1) : '';
    if (sub === '') {
      out.array(TABLE.size);
      for (const spec of TABLE.values()) describe(client, spec);
    } else if (sub === 'COUNT') {
      out.integer(TABLE.size);
    } else if (sub === 'LIST') {
      out.array(TABLE.size);
      for (const name of TABLE.keys()) out.bulkText(name);
    } else if (sub === 'INFO') {
      out.array(args.length - 2);
      for (let i = 2; i < args.length; i++) {
        const spec = TABLE.get(text(args, i).toLowerCase());
        if (spec === undefined) out.nilArray();
        else describe(client, spec);
      }
    } else if (sub === 'DOCS') {
      // No documentation is kept: an empty map, which redis-cli takes as "use your own hints".
      out.array(0);
    } else {
      out.error(`ERR unknown subcommand '${text(args, 1)}'. Try COMMAND HELP.`);
    }
  },
};

/** One COMMAND entry: name, arity, flags, first key, last key, step, ACL categories, tips, key specs, subcommands. */
function describe(client: Client, spec: CommandSpec): void {
  const out = client.reply;
  out.array(10);
  out.bulkText(spec.name);
  out.integer(spec.arity);
  out.array(spec.flags.length);
  for (const flag of spec.flags) out.simple(flag);
  out.integer(spec.firstKey);
  out.integer(spec.lastKey);
  out.integer(spec.step);
  out.array(0);
  out.array(0);
  out.array(0);
  out.array(0);
}

const TABLE = new Map<string, CommandSpec>();
for (const spec of [...KEYSPACE_COMMANDS, ...PUBSUB_COMMANDS, ...CONNECTION_COMMANDS, COMMAND]) TABLE.set(spec.name, spec);

/** Names up to this long are looked up by their bytes, without making a string per command. */
const PACKED_NAME_MAX = 6;

/**
 * A name of at most {@link PACKED_NAME_MAX} bytes as one number (ASCII
 * letters folded to lower case, the length in the low bits), or -1 when
 * it is longer. Exact: two names get one number only if they are equal
 * ignoring case.
 */
function packedName(name: Uint8Array): number {
  const length = name.length;
  if (length > PACKED_NAME_MAX) return -1;
  let packed = 0;
  for (let i = 0; i < length; i++) {
    const c = name[i]!;
    packed = packed * 256 + (c >= 65 && c <= 90 ? c + 32 : c);
  }
  return packed * 8 + length;
}

const BY_PACKED_NAME = new Map<number, CommandSpec>();
for (const spec of TABLE.values()) {
  const packed = packedName(Buffer.from(spec.name, 'latin1'));
  if (packed >= 0) BY_PACKED_NAME.set(packed, spec);
}

/** The command named by `name` (any case), or undefined. */
function lookup(name: Buffer): CommandSpec | undefined {
  const packed = packedName(name);
  if (packed >= 0) return BY_PACKED_NAME.get(packed);
  return TABLE.get(name.toString('latin1').toLowerCase());
}

/** What a client in subscribed mode may still send (RESP2). */
const ALLOWED_WHEN_SUBSCRIBED = new Set(['subscribe', 'unsubscribe', 'psubscribe', 'punsubscribe', 'ping', 'quit', 'reset']);

/** Redis's reply to a command it does not know, quoting up to 128 characters of its arguments. */
function unknownCommand(args: readonly Buffer[]): string {
  let quoted = '';
  for (let i = 1; i < args.length && quoted.length < 128; i++) quoted += `'${text(args, i).slice(0, 128 - quoted.length)}' `;
  return `ERR unknown command '${text(args, 0).slice(0, 128)}', with args beginning with: ${quoted}`;
}

/** Runs one command (its name first in `args`), writing its reply to `client.reply`. */
export function execute(client: Client, args: readonly Buffer[], server: Server): void {
  server.stats.commands++;
  const spec = lookup(args[0]!);
  if (spec === undefined) {
    client.reply.error(unknownCommand(args));
    return;
  }
  const name = spec.name;
  if (spec.arity > 0 ? args.length !== spec.arity : args.length < -spec.arity) {
    client.reply.error(`ERR wrong number of arguments for '${name}' command`);
    return;
  }
  if (client.channels.size + client.patterns.size > 0 && !ALLOWED_WHEN_SUBSCRIBED.has(name)) {
    client.reply.error(`ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
    return;
  }
  spec.run(client, args, server);
}
