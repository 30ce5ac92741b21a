/** PING, ECHO, QUIT, SELECT, RESET, CLIENT, HELLO, INFO, CONFIG: what clients and tools send on connecting. */
import * as os from 'node:os';
import { NOT_AN_INTEGER, option, parseInt64, SYNTAX_ERROR, text, type Client, type CommandSpec, type Server } from './command.js';
import { globMatch } from './glob.js';
import { unsubscribeAll } from './pubsub-commands.js';

/** The Redis version the server says it speaks (the commands here behave as 7.2's). */
export const REDIS_VERSION = '7.2.0';

const CONNECTION = ['noscript', 'loading', 'stale', 'fast'];

function spec(name: string, arity: number, flags: readonly string[], run: CommandSpec['run']): CommandSpec {
  return { name, arity, flags, firstKey: 0, lastKey: 0, step: 0, run };
}

/** Letters Redis refuses in a client name: spaces, newlines, anything outside printable ASCII. */
const BAD_NAME = /[^!-~]/;

function setName(client: Client, name: string): boolean {
  if (BAD_NAME.test(name)) {
    client.reply.error('ERR Client names cannot contain spaces, newlines or special characters.');
    return false;
  }
  client.name = name === '' ? null : name;
  return true;
}

function clientCommand(client: Client, args: readonly Buffer[], server: Server): void {
  const out = client.reply;
  const sub = option(args, 1);
  const wrongArity = (): void => {
    out.error(`ERR wrong number of arguments for 'client|${sub.toLowerCase()}' command`);
  };
  switch (sub) {
    case 'SETNAME':
      if (args.length !== 3) {
        wrongArity();
        return;
      }
      if (setName(client, text(args, 2))) out.simple('OK');
      return;
    case 'GETNAME':
      if (args.length !== 2) {
        wrongArity();
        return;
      }
      if (client.name === null) out.bulk(null);
      else out.bulkText(client.name);
      return;
    case 'SETINFO':
      if (args.length !== 4) {
        wrongArity();
        return;
      }
      out.simple('OK');
      return;
    case 'ID':
      out.integer(client.id);
      return;
    case 'INFO':
      out.bulkText(`${describeClient(client)}\n`);
      return;
    case 'LIST':
      out.bulkText([...server.clients].map((c) => `${describeClient(c)}\n`).join(''));
      return;
    default:
      out.error(`ERR unknown subcommand '${text(args, 1)}'. Try CLIENT HELP.`);
  }
}

function describeClient(client: Client): string {
  const subscriptions = client.channels.size + client.patterns.size;
  return `id=${client.id} addr=${client.address} name=${client.name ?? ''} db=0 sub=${client.channels.size} psub=${client.patterns.size} flags=${subscriptions > 0 ? 'P' : 'N'}`;
}

function hello(client: Client, args: readonly Buffer[]): void {
  const out = client.reply;
  if (args.length > 1) {
    const version = parseInt64(args[1]!);
    if (version === null) {
      out.error('ERR Protocol version is not an integer or out of range');
      return;
    }
    if (version !== 2) {
      out.error('NOPROTO unsupported protocol version');
      return;
    }
    for (let i = 2; i < args.length; i++) {
      const word = option(args, i);
      if (word === 'SETNAME' && i + 1 < args.length) {
        if (!setName(client, text(args, ++i))) return;
      } else if (word === 'AUTH' && i + 2 < args.length) {
        i += 2; // no passwords here: any credentials are accepted
      } else {
        out.error(`ERR Syntax error in HELLO option '${text(args, i)}'`);
        return;
      }
    }
  }
  const fields: readonly [string, string | number][] = [
    ['server', 'redis'],
    ['version', REDIS_VERSION],
    ['proto', 2],
    ['id', client.id],
    ['mode', 'standalone'],
    ['role', 'master'],
  ];
  out.array(fields.length * 2 + 2);
  for (const [name, value] of fields) {
    out.bulkText(name);
    if (typeof value === 'number') out.integer(value);
    else out.bulkText(value);
  }
  out.bulkText('modules');
  out.array(0);

}

/** INFO's text: the sections clients look at (ioredis reads `loading:0` and `redis_version`). */
function info(server: Server, section: string): string {
  const uptime = Math.floor((Date.now() - server.startedAt) / 1000);
  const memory = process.memoryUsage();
  const sections: Record<string, string[]> = {
    server: [
      `redis_version:${REDIS_VERSION}`,
      'redis_mode:standalone',
      `os:${os.type()} ${os.release()} ${os.arch()}`,
      `process_id:${process.pid}`,
      `tcp_port:${server.port}`,
      `uptime_in_seconds:${uptime}`,
      `uptime_in_days:${Math.floor(uptime / 86400)}`,
      'executable:mini-redis (proactor)',
      `node_version:${process.version}`,
    ],
    clients: [`connected_clients:${server.clients.size}`],
    memory: [`used_memory:${memory.heapUsed}`, `used_memory_rss:${memory.rss}`],
    persistence: ['loading:0', 'rdb_changes_since_last_save:0', 'aof_enabled:0'],
    stats: [
      `total_connections_received:${server.stats.connections}`,
      `total_commands_processed:${server.stats.commands}`,
      `expired_keys:${server.store.expired}`,
      `pubsub_channels:${server.pubsub.channelCount}`,
      `pubsub_patterns:${server.pubsub.patternCount}`,
      `total_error_replies:${server.stats.protocolErrors}`,
    ],
    replication: ['role:master', 'connected_slaves:0'],
    keyspace: server.store.size === 0 ? [] : [`db0:keys=${server.store.size},expires=${server.store.volatileSize},avg_ttl=0`],
  };
  const wanted = section === '' || section === 'all' || section === 'default' || section === 'everything' ? Object.keys(sections) : [section];
  const parts: string[] = [];
  for (const name of wanted) {
    const lines = sections[name];
    if (lines === undefined) continue;
    parts.push(`# ${name[0]!.toUpperCase()}${name.slice(1)}\r\n${lines.map((line) => `${line}\r\n`).join('')}`);
  }
  return parts.join('\r\n');
}

function config(client: Client, args: readonly Buffer[], server: Server): void {
  const out = client.reply;
  const sub = option(args, 1);
  if (sub === 'GET') {
    if (args.length < 3) {
      out.error("ERR wrong number of arguments for 'config|get' command");
      return;
    }
    const found = new Map<string, string>();
    for (let i = 2; i < args.length; i++) {
      const pattern = text(args, i).toLowerCase();
      for (const [name, value] of server.config) if (globMatch(pattern, name)) found.set(name, value);
    }
    out.array(found.size * 2);
    for (const [name, value] of found) {
      out.bulkText(name);
      out.bulkText(value);
    }
  } else if (sub === 'RESETSTAT') {
    out.simple('OK');
  } else if (sub === 'SET') {
    out.error(`ERR Unknown option or number of arguments for CONFIG SET - '${args.length > 2 ? text(args, 2) : ''}'`);
  } else {
    out.error(`ERR unknown subcommand '${text(args, 1)}'. Try CONFIG HELP.`);
  }
}

export const CONNECTION_COMMANDS: readonly CommandSpec[] = [
  spec('ping', -1, CONNECTION, (client, args) => {
    const out = client.reply;
    if (args.length > 2) {
      out.error("ERR wrong number of arguments for 'ping' command");
      return;
    }
    if (client.channels.size + client.patterns.size > 0) {
      // In subscribed mode RESP2 has only arrays: Redis answers ["pong", message].
      out.array(2);
      out.bulkText('pong');
      out.bulk(args[1] ?? Buffer.alloc(0));
    } else if (args.length === 2) {
      out.bulk(args[1]!);
    } else {
      out.simple('PONG');
    }
  }),
  spec('echo', 2, CONNECTION, (client, args) => {
    client.reply.bulk(args[1]!);
  }),
  spec('quit', -1, ['allow_busy', 'noscript', 'loading', 'stale', 'fast', 'no_auth'], (client) => {
    client.reply.simple('OK');
    client.closeAfterReplies();
  }),
  spec('select', 2, ['loading', 'stale', 'fast'], (client, args) => {
    const index = parseInt64(args[1]!);
    if (index === null) {
      client.reply.error(NOT_AN_INTEGER);
      return;
    }
    if (index !== 0) {
      client.reply.error('ERR DB index is out of range');
      return;
    }
    client.reply.simple('OK');
  }),
  spec('reset', 1, CONNECTION, (client, _args, server) => {
    unsubscribeAll(client, server);
    client.name = null;
    client.reply.simple('RESET');
  }),
  spec('client', -2, ['noscript', 'loading', 'stale'], clientCommand),
  spec('hello', -1, ['noscript', 'loading', 'stale', 'fast', 'no_auth'], hello),
  spec('info', -1, ['loading', 'stale'], (client, args, server) => {
    if (args.length > 2) {
      client.reply.error(SYNTAX_ERROR);
      return;
    }
    client.reply.bulkText(info(server, args.length === 2 ? text(args, 1).toLowerCase() : ''));
  }),
  spec('config', -2, ['admin', 'noscript', 'loading', 'stale'], config),
];
