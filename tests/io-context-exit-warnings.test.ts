import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { IoContext } from '../src/index.js';
import { runNode, type NodeExit } from './support/run-node.js';

/** The built package entry (npm test builds before jest), as a user's script imports it. */
const entry = pathToFileURL(path.join(__dirname, '..', 'dist', 'src', 'index.js')).href;

/** Runs `body` as an ES module in a child `node` importing the names it needs from the built package. */
function runScript(body: string, nodeArgs: readonly string[] = []): Promise<NodeExit> {
  const script = `import { IoContext, SteadyTimer, makeWorkGuard, post } from ${JSON.stringify(entry)};\n${body}`;
  return runNode([...nodeArgs, '--input-type=module', '-e', script]);
}

function count(text: string, what: string): number {
  return text.split(what).length - 1;
}

const NEVER_RUN = 'PROACTOR_CONTEXT_NEVER_RUN';
const STOPPED = 'PROACTOR_CONTEXT_STOPPED_WITH_WORK';

describe('IoContext exit warnings', () => {
  test('a context with work that was never run warns once at exit, saying to call run()', async () => {
    const { code, stdout, stderr } = await runScript(`
      const ctx = new IoContext();
      post(ctx, () => console.log('never printed'));
      post(ctx, () => console.log('never printed'));
    `);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(count(stderr, NEVER_RUN)).toBe(1);
    expect(count(stderr, 'ProactorWarning')).toBe(1);
    expect(stderr).toContain(`[${NEVER_RUN}] ProactorWarning:`);
    expect(stderr).toContain('2 units of outstanding work');
    expect(stderr).toContain('ctx.run()');
    expect(stderr).toContain('exitWarnings: false');
    expect(stderr).not.toContain(STOPPED);
  });

  test('a pending timer wait counts as work; the warning also comes on process.exit(0)', async () => {
    const { code, stderr } = await runScript(`
      const ctx = new IoContext();
      const timer = new SteadyTimer(ctx);
      timer.expiresAfter(10);
      timer.asyncWait(() => console.log('never printed'));
      setTimeout(() => process.exit(0), 20);
    `);
    expect(code).toBe(0);
    expect(count(stderr, NEVER_RUN)).toBe(1);
    expect(stderr).toContain('1 unit of outstanding work');
  });

  test('work added after the run ended, with no restart(), warns once, saying to call restart()', async () => {
    const { code, stdout, stderr } = await runScript(`
      const ctx = new IoContext();
      post(ctx, () => console.log('first'));
      await ctx.run();
      post(ctx, () => console.log('never printed'));
      console.log('second run ran', await ctx.run());
    `);
    expect(code).toBe(0);
    expect(stdout).toBe('first\nsecond run ran 0\n');
    expect(count(stderr, STOPPED)).toBe(1);
    expect(count(stderr, 'ProactorWarning')).toBe(1);
    expect(stderr).toContain('ctx.restart()');
    expect(stderr).not.toContain(NEVER_RUN);
  });

  test('silent when the option is off, when the context ran, after shutdown(), after restart() and run()', async () => {
    const results = await Promise.all([
      runScript(`const ctx = new IoContext({ exitWarnings: false }); post(ctx, () => undefined); makeWorkGuard(ctx);`),
      runScript(`const ctx = new IoContext(); post(ctx, () => console.log('ran')); await ctx.run();`),
      runScript(`const ctx = new IoContext(); post(ctx, () => undefined); makeWorkGuard(ctx); ctx.shutdown();`),
      runScript(`const ctx = new IoContext(); post(ctx, () => undefined); ctx.poll();`),
      runScript(`
        const ctx = new IoContext();
        await ctx.run();
        ctx.restart();
        post(ctx, () => console.log('ran'));
        await ctx.run();
      `),
      runScript(`
        const ctx = new IoContext({ exitWarnings: false });
        await ctx.run();
        post(ctx, () => undefined);
      `),
    ]);
    for (const { code, stderr } of results) {
      expect(code).toBe(0);
      expect(stderr).toBe('');
    }
  });

  test('work left queued by stop() (asio semantics, nothing added afterwards) does not warn', async () => {
    const { code, stdout, stderr } = await runScript(`
      const ctx = new IoContext();
      post(ctx, () => ctx.stop());
      post(ctx, () => console.log('never printed'));
      console.log(await ctx.run(), ctx.outstandingWork());
    `);
    expect(code).toBe(0);
    expect(stdout).toBe('1 1\n');
    expect(stderr).toBe('');
  });

  test('a failing process (non-zero exit) and --no-warnings stay quiet; process.on("warning") sees the code', async () => {
    const failing = await runScript(`const ctx = new IoContext(); post(ctx, () => undefined); process.exitCode = 3;`);
    expect(failing.code).toBe(3);
    expect(failing.stderr).toBe('');
    const quiet = await runScript(`const ctx = new IoContext(); post(ctx, () => undefined);`, ['--no-warnings']);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    const listened = await runScript(`
      process.on('warning', (w) => { if (w.name === 'ProactorWarning') console.log('seen', w.code); });
      const ctx = new IoContext();
      post(ctx, () => undefined);
    `, ['--no-warnings']);
    expect(listened.stdout).toBe(`seen ${NEVER_RUN}\n`);
  });

  test('exitWarnings must be a boolean', () => {
    expect(() => new IoContext({ exitWarnings: 'no' as unknown as boolean })).toThrow(/exitWarnings must be a boolean, got string "no"/);
    expect(() => new IoContext({ exitWarnings: 0 as unknown as boolean })).toThrow(TypeError);
    expect(new IoContext({ exitWarnings: false }).outstandingWork()).toBe(0);
  });
});
