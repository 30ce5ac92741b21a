import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/*
 * npm forwards SIGINT and SIGTERM to the one process it spawned for a
 * script: `sh -c "<script> <args>"`. The shell does not pass them on to a
 * child, so the start script must `exec` the server: then the process npm
 * signals is the server itself. This runs the server part of the script the
 * way npm does (the build part is npm test's own build) and signals the
 * shell's pid, as npm would.
 */

const root = path.join(__dirname, '..');
const startScript = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start']!;

const posix = process.platform !== 'win32';

describe('npm start', () => {
  test('the script builds, then execs the echo server', () => {
    expect(startScript).toMatch(/^npm run build --silent && exec node dist\/examples\/echo-server\.js$/);
  });

  (posix ? test : test.skip).each(['SIGTERM', 'SIGINT'] as const)('%s sent to the process npm spawned stops the server, which exits 0', async (signal) => {
    const serverPart = startScript.split('&&').pop()!.trim();
    const child = spawn('/bin/sh', ['-c', `${serverPart} --port 0`], { cwd: root });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
      child.on('exit', (code, sig) => {
        resolve([code, sig]);
      });
    });
    const deadline = Date.now() + 10_000;
    while (!/listening on \S+\n/.test(output)) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`no listening line: ${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill(signal);
    const [code, sig] = await exited;
    expect(sig).toBeNull();
    expect(code).toBe(0);
    expect(output).toMatch(/stopped after \d+ handlers/);
  });
});
