/** The string and keyspace commands: GET, SET, INCR…, MGET/MSET, DEL, EXISTS, EXPIRE…, TTL…, KEYS, FLUSHDB, DBSIZE. */
import { addInt64, NOT_AN_INTEGER, option, parseInt64, SYNTAX_ERROR, text, type Client, type CommandSpec, type Server } from './command.js';
import { globMatch } from './glob.js';

const OK = 'OK';

/** A copy of an argument the store may keep (arguments are views of the input buffer). */
function keep(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafe(bytes.length);
  bytes.copy(copy);
  return copy;
}

function spec(name: string, arity: number, flags: readonly string[], keys: readonly [number, number, number], run: CommandSpec['run']): CommandSpec {
  return { name, arity, flags, firstKey: keys[0], lastKey: keys[1], step: keys[2], run };
}

/** SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL]. */
function set(client: Client, args: readonly Buffer[], server: Server): void {
  const out = client.reply;
  let condition: 'NX' | 'XX' | null = null;
  let get = false;
  let keepTtl = false;
  let expiry: 'EX' | 'PX' | 'EXAT' | 'PXAT' | null = null;
  let amount = 0;
  for (let i = 3; i < args.length; i++) {
    const word = option(args, i);
    if ((word === 'NX' || word === 'XX') && condition === null) condition = word;
    else if (word === 'GET') get = true;
    else if (word === 'KEEPTTL' && expiry === null) keepTtl = true;
    else if ((word === 'EX' || word === 'PX' || word === 'EXAT' || word === 'PXAT') && expiry === null && !keepTtl && i + 1 < args.length) {
      expiry = word;
      const value = parseInt64(args[++i]!);
      if (value === null) {
        out.error(NOT_AN_INTEGER);
        return;
      }
      amount = Number(value);
      if (amount <= 0) {
        out.error("ERR invalid expire time in 'set' command");
        return;
      }
    } else {
      out.error(SYNTAX_ERROR);
      return;
    }
  }
  const now = Date.now();
  let expiresAt = 0;
  if (expiry === 'EX') expiresAt = now + amount * 1000;
  else if (expiry === 'PX') expiresAt = now + amount;
  else if (expiry === 'EXAT') expiresAt = amount * 1000;
  else if (expiry === 'PXAT') expiresAt = amount;
  if (!Number.isSafeInteger(expiresAt)) {
    out.error("ERR invalid expire time in 'set' command");
    return;
  }
  const key = text(args, 1);
  const existing = server.store.get(key, now);
  const old = existing?.value ?? null;
  if ((condition === 'NX' && existing !== undefined) || (condition === 'XX' && existing === undefined)) {
    out.bulk(get ? old : null);
    return;
  }
  if (keepTtl && existing !== undefined) expiresAt = existing.expiresAt;
  server.store.set(key, keep(args[2]!), expiresAt);
  if (get) out.bulk(old);
  else out.simple(OK);
}

function incrementBy(client: Client, server: Server, key: string, delta: number | bigint): void {
  const out = client.reply;
  const now = Date.now();
  const entry = server.store.get(key, now);
  const current = entry === undefined ? 0 : parseInt64(entry.value);
  if (current === null) {
    out.error(NOT_AN_INTEGER);
    return;
  }
  const next = addInt64(current, delta);
  if (next === null) {
    out.error('ERR increment or decrement would overflow');
    return;
  }
  server.store.set(key, Buffer.from(next.toString(), 'latin1'), entry?.expiresAt ?? 0);
  out.integer(next);
}

function incrementArgument(client: Client, args: readonly Buffer[], server: Server, sign: 1 | -1): void {
  const delta = parseInt64(args[2]!);
  if (delta === null) {
    client.reply.error(NOT_AN_INTEGER);
    return;
  }
  if (sign === -1 && delta === -(2n ** 63n)) {
    client.reply.error('ERR decrement would overflow');
    return;
  }
  incrementBy(client, server, text(args, 1), typeof delta === 'number' ? sign * delta : BigInt(sign) * delta);
}

/** EXPIRE/PEXPIRE key time [NX|XX|GT|LT]. */
function expire(client: Client, args: readonly Buffer[], server: Server, unit: 1000 | 1, name: string): void {
  const out = client.reply;
  const amount = parseInt64(args[2]!);
  if (amount === null) {
    out.error(NOT_AN_INTEGER);
    return;
  }
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  for (let i = 3; i < args.length; i++) {
    const word = option(args, i);
    if (word === 'NX') nx = true;
    else if (word === 'XX') xx = true;
    else if (word === 'GT') gt = true;
    else if (word === 'LT') lt = true;
    else {
      out.error(`ERR Unsupported option ${text(args, i)}`);
      return;
    }
  }
  if (nx && (xx || gt || lt)) {
    out.error('ERR NX and XX, GT or LT options at the same time are not compatible');
    return;
  }
  if (gt && lt) {
    out.error('ERR GT and LT options at the same time are not compatible');
    return;
  }
  const now = Date.now();
  const expiresAt = now + Number(amount) * unit;
  if (!Number.isSafeInteger(expiresAt)) {
    out.error(`ERR invalid expire time in '${name}' command`);
    return;
  }
  const key = text(args, 1);
  const entry = server.store.get(key, now);
  if (entry === undefined) {
    out.integer(0);
    return;
  }
  const current = entry.expiresAt;
  if ((nx && current !== 0) || (xx && current === 0) || (gt && (current === 0 || expiresAt <= current)) || (lt && current !== 0 && expiresAt >= current)) {
    out.integer(0);
    return;
  }
  if (expiresAt <= now) server.store.delete(key, now);
  else server.store.setExpiry(key, entry, expiresAt);
  out.integer(1);
}

function timeToLive(client: Client, args: readonly Buffer[], server: Server, unit: 1000 | 1): void {
  const now = Date.now();
  const entry = server.store.get(text(args, 1), now);
  if (entry === undefined) {
    client.reply.integer(-2);
    return;
  }
  if (entry.expiresAt === 0) {
    client.reply.integer(-1);
    return;
  }
  const left = entry.expiresAt - now;
  client.reply.integer(unit === 1 ? left : Math.floor((left + 500) / 1000));
}

export const KEYSPACE_COMMANDS: readonly CommandSpec[] = [
  spec('get', 2, ['readonly', 'fast'], [1, 1, 1], (client, args, server) => {
    client.reply.bulk(server.store.get(text(args, 1), Date.now())?.value ?? null);
  }),
  spec('set', -3, ['write', 'denyoom'], [1, 1, 1], set),
  spec('del', -2, ['write'], [1, -1, 1], (client, args, server) => {
    const now = Date.now();
    let deleted = 0;
    for (let i = 1; i < args.length; i++) if (server.store.delete(text(args, i), now)) deleted++;
    client.reply.integer(deleted);
  }),
  spec('exists', -2, ['readonly', 'fast'], [1, -1, 1], (client, args, server) => {
    const now = Date.now();
    let found = 0;
    for (let i = 1; i < args.length; i++) if (server.store.get(text(args, i), now) !== undefined) found++;
    client.reply.integer(found);
  }),
  spec('incr', 2, ['write', 'denyoom', 'fast'], [1, 1, 1], (client, args, server) => {
    incrementBy(client, server, text(args, 1), 1);
  }),
  spec('decr', 2, ['write', 'denyoom', 'fast'], [1, 1, 1], (client, args, server) => {
    incrementBy(client, server, text(args, 1), -1);
  }),
  spec('incrby', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], (client, args, server) => {
    incrementArgument(client, args, server, 1);
  }),
  spec('decrby', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], (client, args, server) => {
    incrementArgument(client, args, server, -1);
  }),
  spec('mget', -2, ['readonly', 'fast'], [1, -1, 1], (client, args, server) => {
    const now = Date.now();
    client.reply.array(args.length - 1);
    for (let i = 1; i < args.length; i++) client.reply.bulk(server.store.get(text(args, i), now)?.value ?? null);
  }),
  spec('mset', -3, ['write', 'denyoom'], [1, -1, 2], (client, args, server) => {
    if (args.length % 2 === 0) {
      client.reply.error("ERR wrong number of arguments for 'mset' command");
      return;
    }
    for (let i = 1; i < args.length; i += 2) server.store.set(text(args, i), keep(args[i + 1]!), 0);
    client.reply.simple(OK);
  }),
  spec('expire', -3, ['write', 'fast'], [1, 1, 1], (client, args, server) => {
    expire(client, args, server, 1000, 'expire');
  }),
  spec('pexpire', -3, ['write', 'fast'], [1, 1, 1], (client, args, server) => {
    expire(client, args, server, 1, 'pexpire');
  }),
  spec('ttl', 2, ['readonly', 'fast'], [1, 1, 1], (client, args, server) => {
    timeToLive(client, args, server, 1000);
  }),
  spec('pttl', 2, ['readonly', 'fast'], [1, 1, 1], (client, args, server) => {
    timeToLive(client, args, server, 1);
  }),
  spec('persist', 2, ['write', 'fast'], [1, 1, 1], (client, args, server) => {
    const key = text(args, 1);
    const entry = server.store.get(key, Date.now());
    if (entry === undefined || entry.expiresAt === 0) {
      client.reply.integer(0);
      return;
    }
    server.store.setExpiry(key, entry, 0);
    client.reply.integer(1);
  }),
  spec('keys', 2, ['readonly'], [0, 0, 0], (client, args, server) => {
    const pattern = text(args, 1);
    const matches: string[] = [];
    for (const key of server.store.keys(Date.now())) if (globMatch(pattern, key)) matches.push(key);
    client.reply.array(matches.length);
    for (const key of matches) client.reply.bulkText(key);
  }),
  spec('flushdb', -1, ['write'], [0, 0, 0], (client, args, server) => {
    if (args.length > 2 || (args.length === 2 && !['ASYNC', 'SYNC'].includes(option(args, 1)))) {
      client.reply.error(SYNTAX_ERROR);
      return;
    }
    server.store.clear();
    client.reply.simple(OK);
  }),
  spec('dbsize', 1, ['readonly', 'fast'], [0, 0, 0], (client, _args, server) => {
    client.reply.integer(server.store.size);
  }),
];
