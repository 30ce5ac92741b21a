import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { IoContext, type IoError } from '../src/index.js';
import { EchoSession, echoSessions } from './support/echo-sessions.js';
import { nodeClient, pattern } from './support/net-helpers.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

afterAll(() => {
  EchoSession.onStart = null;
});

test('closed sockets and their sessions are collected (FinalizationRegistry)', async () => {
  const ctx = new IoContext();
  const COUNT = 40;
  const collected = new Set<string>();
  const registry = new FinalizationRegistry<string>((tag) => collected.add(tag));

  // The sessions of echoSessions are reachable only through their operations.
  const { port } = echoSessions(ctx, COUNT);
  // Register each session and its socket as it starts.
  let n = 0;
  EchoSession.onStart = (session: EchoSession): void => {
    registry.register(session, `session-${n}`);
    registry.register(session.socket, `socket-${n}`);
    n++;
  };

  const running = ctx.run();
  for (let i = 0; i < COUNT; i++) {
    const c = await nodeClient(port);
    const data = pattern(10_000, i + 1);
    await new Promise<void>((resolve) => {
      let got = 0;
      c.on('data', (d: Buffer) => {
        got += d.length;
        if (got === data.length) resolve();
      });
      c.write(data);
    });
    c.end();
    c.on('close', () => c.destroy());
  }
  await running; // every session ended on eof and closed its socket

  // A context kept alive must not keep its closed sockets alive (pooled ops are reset).
  const keep: { ctx: IoContext; handler: (e: IoError | null) => void } = { ctx, handler: () => undefined };
  for (let round = 0; round < 20 && collected.size < 2 * COUNT; round++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(keep.ctx).toBe(ctx);
  expect([...collected].filter((t) => t.startsWith('session-'))).toHaveLength(COUNT);
  expect([...collected].filter((t) => t.startsWith('socket-'))).toHaveLength(COUNT);
});
