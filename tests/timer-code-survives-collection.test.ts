import { resolve } from 'node:path';
import { runNode } from './support/run-node.js';

/**
 * V8 keeps a class's hidden class (its map) only while an object uses it:
 * when every timer, context and operation of a program has been collected,
 * the optimized code of the timer and posting paths would be thrown away
 * with those maps ("weak objects" in V8's deoptimization trace) and
 * relearnt, 2 to 5 times slower for a while after each such collection.
 * The library keeps one object of each such class (and a context's fields
 * keep their representation from the start, so a map made early stays the
 * map in use), so nothing of it is deoptimized for that reason.
 *
 * Measured in a fresh Node on the built package, as users run it, under
 * `--trace-deopt`: four sessions, each a context and a timer re-armed on
 * every step (the idle-timeout pattern) with posts and runs between, all
 * dropped and collected before the next. A class of the child's own whose
 * objects die the same way is the control: its code is deoptimized so, which
 * shows the trace says what this test reads.
 */

const root = resolve(__dirname, '..');

const PROGRAM = `import(${JSON.stringify(resolve(root, 'dist/src/index.js'))}).then(async (lib) => {
const noop = () => {};
const first = new lib.IoContext();
class Probe { constructor() { this.count = 0; this.label = 'probe'; } }
function controlStep(probe) { probe.count++; return probe.label.length; }
function rearmStep(timer, ctx, i) {
  timer.expiresAfter(30000);
  timer.asyncWait(noop);
  if ((i & 63) === 0) { lib.post(ctx, noop); ctx.poll(); }
}
async function session() {
  const ctx = new lib.IoContext();
  const timer = new lib.SteadyTimer(ctx);
  const probe = new Probe();
  for (let i = 1; i <= 100000; i++) { rearmStep(timer, ctx, i); controlStep(probe); }
  timer.cancel();
  let left = 5000;
  const chain = () => { if (--left > 0) lib.post(ctx, chain); };
  lib.post(ctx, chain);
  await ctx.run(); // a long drain reads the clock for its time slice
  const short = new lib.SteadyTimer(ctx);
  short.expiresAfter(1);
  short.asyncWait(noop);
  ctx.restart();
  await ctx.run();
  ctx.shutdown();
}
for (let s = 0; s < 4; s++) {
  await session();
  await new Promise((r) => setImmediate(r));
  console.log('--- collection ' + s);
  gc();
}
console.log('same map: ' + String(%HaveSameMap(first, new lib.IoContext())));
});`;

/** Functions of the timer and posting paths; names Node's own code does not use. */
const LIBRARY_FUNCTIONS = [
  'startWait',
  'setExpiry',
  'expiresAfter',
  'asyncWait',
  'abortWaits',
  'settle',
  'nextSeq',
  'isShutDown',
  'postHandler',
  '#pollUpTo',
  'startOperation',
  'operationStarted',
  'operationFreed',
  'workStarted',
  'isCounted',
  'enqueue',
];

/** The functions the trace says were deoptimized because objects their code held were collected. */
function deoptimizedForCollectedObjects(trace: string): string[] {
  const names: string[] = [];
  for (const line of trace.split('\n')) {
    if (!line.includes('weak objects')) continue;
    const name = /<SharedFunctionInfo ([^>]*)>/.exec(line)?.[1];
    if (name !== undefined) names.push(name);
  }
  return names;
}

describe('the code of the timer path outlives its objects', () => {
  test('no timer or posting function is deoptimized when every timer and context has been collected', async () => {
    const exit = await runNode(['--expose-gc', '--allow-natives-syntax', '--trace-deopt', '-e', PROGRAM], 60_000);
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('--- collection 3');
    const names = deoptimizedForCollectedObjects(exit.stdout);
    // The control: code that held the map of the child's own class is deoptimized when its objects go.
    expect(names).toContain('controlStep');
    expect(names.filter((name) => LIBRARY_FUNCTIONS.includes(name))).toEqual([]);
    // A context made before any ran has the map of one made after runs read their time slices: no field changed representation on the way.
    expect(exit.stdout).toContain('same map: true');
  });
});
