import { createClient } from 'redis';
import { freePort, startExample, type RunningExample } from './support/example-process.js';

// node-redis (the `redis` package) asks for RESP3 by default (HELLO 3) and
// has no RESP2 fallback; mini-redis speaks RESP2, so every client here says so.
const SERVER = 'mini-redis/server.js';

function nodeRedis(port: number, options: { name?: string; reconnect?: boolean } = {}) {
  return createClient({
    RESP: 2,
    ...(options.name === undefined ? {} : { name: options.name }),
    socket: { host: '127.0.0.1', port, reconnectStrategy: options.reconnect === true ? () => 50 : false },
  });
}

type NodeRedis = ReturnType<typeof nodeRedis>;

async function connected(port: number, options: { name?: string; reconnect?: boolean } = {}): Promise<NodeRedis> {
  const client = nodeRedis(port, options);
  client.on('error', () => {
    // Reported through the rejected commands; a reconnecting client also emits each failed attempt here.
  });
  await client.connect();
  return client;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('example mini-redis, driven by node-redis', () => {
  let server: RunningExample;
  let redis: NodeRedis;

  beforeAll(async () => {
    server = await startExample(SERVER, ['--port', '0']);
    redis = await connected(server.port, { name: 'node-redis-test' });
  });

  afterAll(async () => {
    redis.destroy();
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.output()).toMatch(/stopped after \d+ handlers; \d+ connections, \d+ commands, \d+ keys/);
  });

  beforeEach(async () => {
    await redis.flushDb();
  });

  test('its RESP3 default (HELLO 3) gets -NOPROTO, so connecting fails rather than hangs', async () => {
    const resp3 = createClient({ socket: { host: '127.0.0.1', port: server.port, reconnectStrategy: false } });
    resp3.on('error', () => {
      // The same failure, also emitted as an event.
    });
    await expect(resp3.connect()).rejects.toThrow('NOPROTO unsupported protocol version');
    resp3.destroy();
  });

  test('the handshake (CLIENT SETNAME, CLIENT SETINFO), PING, ECHO, SELECT, INFO', async () => {
    expect(await redis.clientGetName()).toBe('node-redis-test');
    expect(await redis.ping()).toBe('PONG');
    expect(await redis.ping('hi')).toBe('hi');
    expect(await redis.echo('hello world')).toBe('hello world');
    await redis.select(0); // node-redis resolves SELECT with nothing
    await expect(redis.select(1)).rejects.toThrow('ERR DB index is out of range');
    expect(await redis.info('server')).toMatch(/^# Server\r\nredis_version:7\.2\.0\r\n/);
    const list = await redis.clientList();
    expect(list.filter((c) => c.name === 'node-redis-test')).toHaveLength(1);
  });

  test('string and keyspace commands, with Redis own errors', async () => {
    expect(await redis.get('missing')).toBeNull();
    expect(await redis.set('k', 'v1')).toBe('OK');
    expect(await redis.set('k', 'v2', { condition: 'NX' })).toBeNull();
    expect(await redis.set('k', 'v3', { condition: 'XX', GET: true })).toBe('v1');
    expect(await redis.set('k', 'v4', { expiration: { type: 'EX', value: 100 } })).toBe('OK');
    expect(await redis.ttl('k')).toBe(100);
    expect(await redis.persist('k')).toBe(1);
    expect(await redis.pTTL('k')).toBe(-1);
    expect(await redis.pExpire('k', 100_000)).toBe(1);
    expect(await redis.pTTL('k')).toBeGreaterThan(99_000);
    expect(await redis.expire('k', 100)).toBe(1);
    expect(await redis.incr('n')).toBe(1);
    expect(await redis.incrBy('n', 41)).toBe(42);
    expect(await redis.decr('n')).toBe(41);
    expect(await redis.decrBy('n', 50)).toBe(-9);
    expect(await redis.mSet({ a: '1', b: '2', c: '3' })).toBe('OK');
    expect(await redis.mGet(['a', 'nope', 'c'])).toEqual(['1', null, '3']);
    expect(await redis.exists(['a', 'b', 'nope'])).toBe(2);
    expect(await redis.del(['a', 'nope'])).toBe(1);
    expect((await redis.keys('[bc]')).sort()).toEqual(['b', 'c']);
    expect(await redis.dbSize()).toBe(4);
    const binary = Buffer.from([0, 255, 13, 10, 7]);
    await redis.set(Buffer.from([200, 13, 10]), binary);
    expect(await redis.withTypeMapping({ [36]: Buffer }).get(Buffer.from([200, 13, 10]))).toEqual(binary);
    await expect(redis.incr('k')).rejects.toThrow('ERR value is not an integer or out of range');
    await expect(redis.sendCommand(['NOPE', 'x'])).rejects.toThrow("ERR unknown command 'NOPE', with args beginning with: 'x' ");
    await expect(redis.sendCommand(['GET'])).rejects.toThrow("ERR wrong number of arguments for 'get' command");
  });

  test('expiry with PX: lazy on access, and active for keys nobody reads', async () => {
    await redis.set('short', 'v', { expiration: { type: 'PX', value: 50 } });
    expect(await redis.get('short')).toBe('v');
    await sleep(120);
    expect(await redis.get('short')).toBeNull();
    await Promise.all(Array.from({ length: 100 }, (_, i) => redis.set(`volatile:${i}`, 'v', { expiration: { type: 'PX', value: 30 } })));
    await redis.set('stays', 'v');
    await sleep(600);
    expect(await redis.dbSize()).toBe(1);
  });

  test('a pipeline of 10,000 commands (execAsPipeline), and commands issued together, are answered in order', async () => {
    const pipeline = redis.multi();
    for (let i = 0; i < 10_000; i++) {
      if (i % 4 === 0) pipeline.set(`p:${i}`, String(i));
      else if (i % 4 === 1) pipeline.get(`p:${i - 1}`);
      else if (i % 4 === 2) pipeline.incr('p:counter');
      else pipeline.ping();
    }
    const results = await pipeline.execAsPipeline();
    expect(results).toHaveLength(10_000);
    for (let i = 0; i < 10_000; i++) {
      if (i % 4 === 0) expect(results[i]).toBe('OK');
      else if (i % 4 === 1) expect(results[i]).toBe(String(i - 1));
      else if (i % 4 === 2) expect(results[i]).toBe((i - 2) / 4 + 1);
      else expect(results[i]).toBe('PONG');
    }
    // node-redis writes commands issued in one tick together: 2,000 INCRs, each reply its own count.
    const counts = await Promise.all(Array.from({ length: 2000 }, () => redis.incr('together')));
    expect(counts).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
  });

  test('pub/sub across several connections: channels, patterns, unsubscribe', async () => {
    const subscribers = await Promise.all([connected(server.port), connected(server.port), connected(server.port)]);
    const received: string[][] = [[], [], []];
    const patterned: string[] = [];
    try {
      await Promise.all(
        subscribers.map((s, i) =>
          s.subscribe(['news', 'weather'], (message, channel) => {
            received[i]!.push(`${channel}:${message}`);
          }),
        ),
      );
      await subscribers[0].pSubscribe('new?', (message, channel) => {
        patterned.push(`${channel}:${message}`);
      });
      expect(await redis.publish('news', 'one')).toBe(4);
      expect(await redis.publish('weather', 'rain')).toBe(3);
      expect(await redis.publish('nobody', 'x')).toBe(0);
      await subscribers[2].unsubscribe('news');
      expect(await redis.publish('news', 'two')).toBe(3);
      const deadline = Date.now() + 5000;
      while ((received[0]!.length < 3 || patterned.length < 2) && Date.now() < deadline) await sleep(10);
      expect(received).toEqual([
        ['news:one', 'weather:rain', 'news:two'],
        ['news:one', 'weather:rain', 'news:two'],
        ['news:one', 'weather:rain'],
      ]);
      expect(patterned).toEqual(['news:one', 'news:two']);
      // In subscribed mode PING is answered in that mode's form, which node-redis reads as 'pong' (as from redis-server).
      expect(await subscribers[1].ping()).toBe('pong');
    } finally {
      for (const s of subscribers) s.destroy();
    }
  });
});

describe('example mini-redis, restarted under a node-redis client', () => {
  test('node-redis reconnects once the server is back and carries on', async () => {
    const port = await freePort();
    let server = await startExample(SERVER, ['--port', String(port)]);
    const redis = await connected(port, { reconnect: true });
    try {
      expect(await redis.set('before', '1')).toBe('OK');
      expect(await server.stop('SIGTERM')).toBe(0);
      server = await startExample(SERVER, ['--port', String(port)]);
      const deadline = Date.now() + 5000;
      while (!redis.isReady && Date.now() < deadline) await sleep(20);
      expect(await redis.get('before')).toBeNull();
      expect(await redis.set('after', '2')).toBe('OK');
      expect(await redis.get('after')).toBe('2');
    } finally {
      redis.destroy();
      expect(await server.stop('SIGINT')).toBe(0);
    }
  });
});
