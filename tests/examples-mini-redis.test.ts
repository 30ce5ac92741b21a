import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort, RawClient, startExample, type RunningExample } from './support/example-process.js';

const SERVER = 'mini-redis/server.js';

function client(port: number, options: Record<string, unknown> = {}): Redis {
  return new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, ...options });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function hasRedisCli(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v redis-cli'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('example mini-redis, driven by ioredis', () => {
  let server: RunningExample;
  let redis: Redis;

  beforeAll(async () => {
    server = await startExample(SERVER, ['--port', '0', '--max-bulk', '4096', '--output-limit', '1048576']);
    redis = client(server.port);
  });

  afterAll(async () => {
    redis.disconnect();
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.output()).toMatch(/stopped after \d+ handlers; \d+ connections, \d+ commands/);
  });

  beforeEach(async () => {
    await redis.flushdb();
  });

  test('PING, ECHO, SELECT 0, CLIENT SETNAME/GETNAME, HELLO 2, INFO, COMMAND, CONFIG GET', async () => {
    expect(await redis.ping()).toBe('PONG');
    expect(await redis.ping('hi')).toBe('hi');
    expect(await redis.echo('hello world')).toBe('hello world');
    expect(await redis.select(0)).toBe('OK');
    await expect(redis.select(1)).rejects.toThrow('ERR DB index is out of range');
    expect(await redis.client('GETNAME')).toBeNull();
    expect(await redis.client('SETNAME', 'tester')).toBe('OK');
    expect(await redis.client('GETNAME')).toBe('tester');
    await expect(redis.client('SETNAME', 'has space')).rejects.toThrow('ERR Client names cannot contain spaces');
    const hello = (await redis.call('HELLO', '2')) as unknown[];
    expect(hello.slice(0, 6)).toEqual(['server', 'redis', 'version', '7.2.0', 'proto', 2]);
    await expect(redis.call('HELLO', '3')).rejects.toThrow('NOPROTO unsupported protocol version');
    expect(await redis.info('server')).toMatch(/^# Server\r\nredis_version:7\.2\.0\r\n/);
    expect(await redis.info()).toContain('loading:0');
    const count = (await redis.call('COMMAND', 'COUNT')) as number;
    expect(count).toBeGreaterThan(30);
    const table = (await redis.call('COMMAND')) as unknown[][];
    expect(table).toHaveLength(count);
    expect(table.find((entry) => entry[0] === 'get')?.slice(0, 2)).toEqual(['get', 2]);
    expect(await redis.call('COMMAND', 'DOCS')).toEqual([]);
    expect(await redis.config('GET', 'save')).toEqual(['save', '']);
    expect(await redis.config('GET', 'append*')).toEqual(['appendonly', 'no']);
  });

  test('unknown commands, wrong arity and wrong values get Redis own errors', async () => {
    await expect(redis.call('FOO', 'bar', 'baz')).rejects.toThrow("ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' ");
    await expect(redis.call('NOPE')).rejects.toThrow("ERR unknown command 'NOPE', with args beginning with: ");
    await expect(redis.call('GET')).rejects.toThrow("ERR wrong number of arguments for 'get' command");
    await expect(redis.call('MSET', 'a', '1', 'b')).rejects.toThrow("ERR wrong number of arguments for 'mset' command");
    await redis.set('word', 'abc');
    await expect(redis.incr('word')).rejects.toThrow('ERR value is not an integer or out of range');
    await expect(redis.incrby('n', 'x')).rejects.toThrow('ERR value is not an integer or out of range');
    await expect(redis.call('SET', 'k', 'v', 'BOGUS')).rejects.toThrow('ERR syntax error');
    await expect(redis.call('SET', 'k', 'v', 'EX', '0')).rejects.toThrow("ERR invalid expire time in 'set' command");
    await redis.set('big', '9223372036854775807');
    await expect(redis.incr('big')).rejects.toThrow('ERR increment or decrement would overflow');
  });

  test('GET, SET with NX, XX, GET, EX and PX, DEL, EXISTS, MGET, MSET', async () => {
    expect(await redis.get('missing')).toBeNull();
    expect(await redis.set('k', 'v1')).toBe('OK');
    expect(await redis.get('k')).toBe('v1');
    expect(await redis.set('k', 'v2', 'NX')).toBeNull();
    expect(await redis.set('fresh', 'v', 'NX')).toBe('OK');
    expect(await redis.set('absent', 'v', 'XX')).toBeNull();
    expect(await redis.set('k', 'v3', 'XX')).toBe('OK');
    expect(await redis.set('k', 'v4', 'GET')).toBe('v3');
    expect(await redis.set('k', 'v5', 'EX', 100)).toBe('OK');
    expect(await redis.ttl('k')).toBe(100);
    expect(await redis.set('k', 'v6', 'PX', 5000)).toBe('OK');
    expect(await redis.pttl('k')).toBeGreaterThan(4000);
    expect(await redis.set('k', 'v7')).toBe('OK');
    expect(await redis.ttl('k')).toBe(-1);
    const binary = Buffer.from([0, 1, 2, 255, 13, 10, 0]);
    await redis.set(Buffer.from([200, 0, 13, 10]), binary);
    expect(await redis.getBuffer(Buffer.from([200, 0, 13, 10]))).toEqual(binary);
    expect(await redis.exists('k', 'fresh', 'nope', 'k')).toBe(3);
    expect(await redis.del('k', 'nope')).toBe(1);
    expect(await redis.exists('k')).toBe(0);
    expect(await redis.mset('a', '1', 'b', '2', 'c', '3')).toBe('OK');
    expect(await redis.mget('a', 'nope', 'c')).toEqual(['1', null, '3']);
    const large = 'x'.repeat(3000);
    await redis.set('large', large);
    expect(await redis.get('large')).toBe(large);
  });

  test('INCR, DECR, INCRBY, DECRBY', async () => {
    expect(await redis.incr('n')).toBe(1);
    expect(await redis.incr('n')).toBe(2);
    expect(await redis.decr('n')).toBe(1);
    expect(await redis.incrby('n', 100)).toBe(101);
    expect(await redis.decrby('n', 200)).toBe(-99);
    expect(await redis.get('n')).toBe('-99');
    expect(await redis.decr('fresh')).toBe(-1);
  });

  test('EXPIRE, PEXPIRE, TTL, PTTL, PERSIST, KEYS, DBSIZE, FLUSHDB', async () => {
    await redis.mset('user:1', 'a', 'user:2', 'b', 'item:1', 'c', 'user:10', 'd');
    expect(await redis.dbsize()).toBe(4);
    expect((await redis.keys('user:*')).sort()).toEqual(['user:1', 'user:10', 'user:2']);
    expect((await redis.keys('user:?')).sort()).toEqual(['user:1', 'user:2']);
    expect((await redis.keys('[iu]*:1')).sort()).toEqual(['item:1', 'user:1']);
    expect(await redis.ttl('nope')).toBe(-2);
    expect(await redis.pttl('user:1')).toBe(-1);
    expect(await redis.expire('user:1', 100)).toBe(1);
    expect(await redis.ttl('user:1')).toBe(100);
    expect(await redis.expire('nope', 100)).toBe(0);
    expect(await redis.pexpire('user:2', 100_000)).toBe(1);
    expect(await redis.pttl('user:2')).toBeGreaterThan(99_000);
    expect(await redis.persist('user:2')).toBe(1);
    expect(await redis.persist('user:2')).toBe(0);
    expect(await redis.ttl('user:2')).toBe(-1);
    expect(await redis.expire('user:10', -1)).toBe(1);
    expect(await redis.exists('user:10')).toBe(0);
    expect(await redis.flushdb()).toBe('OK');
    expect(await redis.dbsize()).toBe(0);
  });

  test('expiry with PX: lazy on access, and active for keys nobody reads', async () => {
    await redis.set('short', 'v', 'PX', 50);
    expect(await redis.get('short')).toBe('v');
    await sleep(120);
    expect(await redis.get('short')).toBeNull();
    expect(await redis.pttl('short')).toBe(-2);
    const pipeline = redis.pipeline();
    for (let i = 0; i < 100; i++) pipeline.set(`volatile:${i}`, 'v', 'PX', 30);
    pipeline.set('stays', 'v');
    await pipeline.exec();
    await sleep(600); // several 100 ms cycles of active expiry
    expect(await redis.dbsize()).toBe(1);
    expect(await redis.info('stats')).toMatch(/expired_keys:([1-9]\d{2,})/);
  });

  test('a pipeline of 10,000 commands is answered in order', async () => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 10_000; i++) {
      if (i % 4 === 0) pipeline.set(`p:${i}`, String(i));
      else if (i % 4 === 1) pipeline.get(`p:${i - 1}`);
      else if (i % 4 === 2) pipeline.incr('p:counter');
      else pipeline.ping();
    }
    const results = (await pipeline.exec())!;
    expect(results).toHaveLength(10_000);
    for (let i = 0; i < 10_000; i++) {
      const [err, value] = results[i]!;
      expect(err).toBeNull();
      if (i % 4 === 0) expect(value).toBe('OK');
      else if (i % 4 === 1) expect(value).toBe(String(i - 1));
      else if (i % 4 === 2) expect(value).toBe((i - 2) / 4 + 1);
      else expect(value).toBe('PONG');
    }
  });

  test('pub/sub across several connections, with pattern subscriptions', async () => {
    const subscribers = [client(server.port), client(server.port), client(server.port)];
    const patternSubscriber = client(server.port);
    const received: string[][] = [[], [], []];
    const patterned: string[] = [];
    try {
      await Promise.all(subscribers.map((s, i) => {
        s.on('message', (channel: string, message: string) => received[i]!.push(`${channel}:${message}`));
        return s.subscribe('news', 'weather');
      }));
      patternSubscriber.on('pmessage', (pattern: string, channel: string, message: string) => patterned.push(`${pattern}|${channel}:${message}`));
      await patternSubscriber.psubscribe('new?', 'w*');
      expect(await redis.publish('news', 'one')).toBe(4);
      expect(await redis.publish('weather', 'rain')).toBe(4);
      expect(await redis.publish('nobody', 'x')).toBe(0);
      await subscribers[2]!.unsubscribe('news');
      expect(await redis.publish('news', 'two')).toBe(3);
      const deadline = Date.now() + 5000;
      while ((received[0]!.length < 3 || patterned.length < 3) && Date.now() < deadline) await sleep(10);
      expect(received[0]).toEqual(['news:one', 'weather:rain', 'news:two']);
      expect(received[1]).toEqual(['news:one', 'weather:rain', 'news:two']);
      expect(received[2]).toEqual(['news:one', 'weather:rain']);
      expect(patterned).toEqual(['new?|news:one', 'w*|weather:rain', 'new?|news:two']);
    } finally {
      for (const s of [...subscribers, patternSubscriber]) s.disconnect();
    }
  });

  test('in subscribed mode only the subscriber commands run', async () => {
    const raw = await RawClient.connect(server.port);
    raw.write('SUBSCRIBE c\r\nGET k\r\nPING\r\nUNSUBSCRIBE\r\nGET k\r\n');
    expect(await raw.waitFor(/\$-1\r\n$/)).toBe(
      '*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n' +
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n" +
        '*2\r\n$4\r\npong\r\n$0\r\n\r\n' +
        '*3\r\n$11\r\nunsubscribe\r\n$1\r\nc\r\n:0\r\n' +
        '$-1\r\n',
    );
    raw.socket.destroy();
  });

  test('inline commands, as typed into nc', async () => {
    const raw = await RawClient.connect(server.port);
    raw.write('PING\r\nSET greeting "hello world"\r\nGET greeting\nECHO \'it\\\'s\'\r\n\r\nQUIT\r\n');
    expect(await raw.closed()).toBe('+PONG\r\n+OK\r\n$11\r\nhello world\r\n$4\r\nit\'s\r\n+OK\r\n');
  });

  test.each([
    ['a negative bulk length', '*1\r\n$-5\r\n', 'invalid bulk length'],
    ['a bulk longer than --max-bulk', '*2\r\n$3\r\nSET\r\n$5000\r\n', 'invalid bulk length'],
    ['a bad multibulk count', '*x\r\n', 'invalid multibulk length'],
    ['a missing $', '*1\r\n+PING\r\n', "expected '$', got '+'"],
    ['unbalanced quotes inline', 'SET "a b\r\n', 'unbalanced quotes in request'],
  ])('%s is a protocol error and the connection is closed; other clients carry on', async (_what, bytes, reason) => {
    const raw = await RawClient.connect(server.port);
    raw.write(`PING\r\n${bytes}`);
    expect(await raw.closed()).toBe(`+PONG\r\n-ERR Protocol error: ${reason}\r\n`);
    expect(await redis.ping()).toBe('PONG');
  });

  test('a client that pipelines without reading is disconnected at the output limit', async () => {
    await redis.set('value', 'v'.repeat(4000));
    const raw = await RawClient.connect(server.port);
    raw.socket.pause();
    const batch = '*2\r\n$3\r\nGET\r\n$5\r\nvalue\r\n'.repeat(1000);
    for (let i = 0; i < 20 && !raw.ended; i++) {
      raw.write(batch);
      await sleep(20);
    }
    const deadline = Date.now() + 10_000;
    while (!/bytes of replies waiting \(limit 1048576\): disconnecting/.test(server.output()) && Date.now() < deadline) await sleep(20);
    expect(server.output()).toMatch(/bytes of replies waiting \(limit 1048576\): disconnecting/);
    raw.socket.resume();
    await raw.closed(10_000);
    expect(await redis.ping()).toBe('PONG');
  });

  // .ci/run installs Debian's redis-tools where it can; elsewhere the test says why it was skipped.
  const redisCli = hasRedisCli();
  (redisCli ? test : test.skip)(`redis-cli drives it too${redisCli ? '' : ' (skipped: redis-cli is not installed; Debian: apt-get install redis-tools)'}`, () => {
    const cli = (...args: string[]): string => execFileSync('redis-cli', ['-p', String(server.port), ...args], { encoding: 'utf8' }).trim();
    expect(cli('SET', 'cli', 'works')).toBe('OK');
    expect(cli('GET', 'cli')).toBe('works');
    expect(cli('KEYS', 'c*')).toBe('cli');
    expect(cli('INCR', 'cli')).toBe('ERR value is not an integer or out of range');
    // Commands typed on its standard input, one a line, as from a here-document.
    const typed = execFileSync('redis-cli', ['-p', String(server.port)], {
      encoding: 'utf8',
      input: 'SET greeting "hello world"\nGET greeting\nINCRBY n 5\nMGET greeting nope\nFOO bar\n',
    });
    expect(typed).toBe("OK\nhello world\n5\nhello world\n\nERR unknown command 'FOO', with args beginning with: 'bar' \n\n");
  });
});

describe('example mini-redis, restarted under a connected client', () => {
  test('ioredis reconnects once the server is back and carries on', async () => {
    const port = await freePort();
    let server = await startExample(SERVER, ['--port', String(port)]);
    const redis = client(port, { retryStrategy: () => 50, maxRetriesPerRequest: 50 });
    try {
      expect(await redis.set('before', '1')).toBe('OK');
      expect(await server.stop('SIGTERM')).toBe(0);
      expect(server.output()).toMatch(/SIGTERM: shutting down \(1 clients\)/);
      server = await startExample(SERVER, ['--port', String(port)]);
      // The restarted server is empty: nothing is persisted.
      expect(await redis.get('before')).toBeNull();
      expect(await redis.set('after', '2')).toBe('OK');
      expect(await redis.get('after')).toBe('2');
    } finally {
      redis.disconnect();
      expect(await server.stop('SIGINT')).toBe(0);
    }
  });
});
