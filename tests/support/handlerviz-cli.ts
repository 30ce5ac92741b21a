import { spawn } from 'node:child_process';
import * as path from 'node:path';

/** Where `npm run build` puts the `proactor-handlerviz` command (npm test builds before jest). */
export const HANDLERVIZ_CLI = path.join(__dirname, '..', '..', 'dist', 'src', 'diagnostics', 'handlerviz-cli.js');

/** Runs the built `proactor-handlerviz` with `args`, `input` on its stdin; resolves with its exit code and output. */
export function runHandlerviz(args: readonly string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [HANDLERVIZ_CLI, ...args]);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}
