/** PUBLISH, SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE: replies shaped as Redis's (RESP2). */
import { text, type Client, type CommandSpec, type Server } from './command.js';

type Kind = 'subscribe' | 'unsubscribe' | 'psubscribe' | 'punsubscribe';

/** `*3 kind name count`: the confirmation sent for each channel or pattern. */
function confirm(client: Client, kind: Kind, name: string | null): void {
  const out = client.reply;
  out.array(3);
  out.bulkText(kind);
  if (name === null) out.bulk(null);
  else out.bulkText(name);
  out.integer(client.channels.size + client.patterns.size);
}

function subscribe(client: Client, args: readonly Buffer[], server: Server, pattern: boolean): void {
  for (let i = 1; i < args.length; i++) {
    const name = text(args, i);
    if (pattern) {
      server.pubsub.psubscribe(client, name);
      client.patterns.add(name);
    } else {
      server.pubsub.subscribe(client, name);
      client.channels.add(name);
    }
    confirm(client, pattern ? 'psubscribe' : 'subscribe', name);
  }
}

function unsubscribe(client: Client, args: readonly Buffer[], server: Server, pattern: boolean): void {
  const kind = pattern ? 'punsubscribe' : 'unsubscribe';
  const mine = pattern ? client.patterns : client.channels;
  const names = args.length > 1 ? args.slice(1).map((arg) => arg.toString('latin1')) : [...mine];
  if (names.length === 0) {
    confirm(client, kind, null);
    return;
  }
  for (const name of names) {
    if (pattern) server.pubsub.punsubscribe(client, name);
    else server.pubsub.unsubscribe(client, name);
    mine.delete(name);
    confirm(client, kind, name);
  }
}

/** Takes `client` out of every channel and pattern (when it disconnects, or on RESET). */
export function unsubscribeAll(client: Client, server: Server): void {
  for (const channel of client.channels) server.pubsub.unsubscribe(client, channel);
  for (const pattern of client.patterns) server.pubsub.punsubscribe(client, pattern);
  client.channels.clear();
  client.patterns.clear();
}

const PUBSUB = ['pubsub', 'noscript', 'loading', 'stale'];

export const PUBSUB_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'publish', arity: 3, flags: [...PUBSUB, 'fast'], firstKey: 0, lastKey: 0, step: 0,
    run: (client, args, server) => {
      client.reply.integer(server.pubsub.publish(args[1]!, args[2]!));
    },
  },
  {
    name: 'subscribe', arity: -2, flags: PUBSUB, firstKey: 0, lastKey: 0, step: 0,
    run: (client, args, server) => {
      subscribe(client, args, server, false);
    },
  },
  {
    name: 'psubscribe', arity: -2, flags: PUBSUB, firstKey: 0, lastKey: 0, step: 0,
    run: (client, args, server) => {
      subscribe(client, args, server, true);
    },
  },
  {
    name: 'unsubscribe', arity: -1, flags: PUBSUB, firstKey: 0, lastKey: 0, step: 0,
    run: (client, args, server) => {
      unsubscribe(client, args, server, false);
    },
  },
  {
    name: 'punsubscribe', arity: -1, flags: PUBSUB, firstKey: 0, lastKey: 0, step: 0,
    run: (client, args, server) => {
      unsubscribe(client, args, server, true);
    },
  },
];
