import { spawn } from 'node:child_process';

/** How a child `node` ended, and what it wrote. */
export interface NodeExit {
  /** The exit code, or null when a signal ended it. */
  readonly code: number | null;
  /** The signal that ended it, or null. */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node` (this one) with `args` in a child process and resolves once it
 * has closed its output, with everything it wrote. A child still running after
 * `timeoutMs` is killed with SIGKILL, so a hang fails its test by the signal
 * instead of by jest's timeout.
 */
export function runNode(args: readonly string[], timeoutMs = 20_000): Promise<NodeExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
