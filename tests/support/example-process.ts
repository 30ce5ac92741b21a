import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

/** Where `npm run build` puts the compiled examples (npm test builds before jest). */
export const examplesDir = path.join(__dirname, '..', '..', 'dist', 'examples');

/** A running example, as a user would have it: a child process, its output, its exit. */
export interface RunningExample {
  readonly child: ChildProcessWithoutNullStreams;
  /** The port the example printed in its `listening on host:port` line (0 for a Unix path). */
  readonly port: number;
  /** What it printed after `listening on`: `host:port`, or a Unix socket path. */
  readonly address: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** What was written to stderr alone so far. */
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

interface SpawnedExample {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function spawnExample(script: string, args: readonly string[], env?: NodeJS.ProcessEnv): SpawnedExample {
  const child = spawn(process.execPath, [path.join(examplesDir, script), ...args], env === undefined ? {} : { env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      resolve(code);
    });
  });
  return { child, output: () => out, stderr: () => err, exited };
}

/** Starts `node dist/examples/<script> args…` (with `env` added to the environment) and waits for its `listening on host:port` (or `listening on /path`) line. */
export function startExample(script: string, args: readonly string[], timeoutMs = 10_000, env?: NodeJS.ProcessEnv): Promise<RunningExample> {
  const { child, output, stderr, exited } = spawnExample(script, args, env);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} printed no listening line within ${timeoutMs} ms: ${output()}`));
    }, timeoutMs);
    const check = (): void => {
      const m = /listening on (\S+)\n/.exec(output());
      if (m === null) return;
      const address = m[1]!;
      const port = /:(\d+)$/.exec(address);
      clearTimeout(timer);
      child.stdout.off('data', check);
      resolve({
        child,
        port: port === null ? 0 : Number(port[1]),
        address,
        output,
        stderr,
        exited,
        stop: (signal: NodeJS.Signals = 'SIGTERM') => {
          child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${String(code)}) before listening: ${output()}`));
    });
  });
}

/** Runs `node dist/examples/<script> args…` to completion, feeding it `input` on stdin. */
export async function runExample(script: string, args: readonly string[], input = ''): Promise<{ code: number | null; output: string }> {
  const { child, output, exited } = spawnExample(script, args);
  child.stdin.end(input);
  const code = await exited;
  return { code, output: output() };
}

/** A line-oriented client on node:net: `next()` resolves the next line received (without `\n`). */
export class LineClient {
  readonly socket: net.Socket;
  readonly lines: string[] = [];
  #partial = '';
  #read = 0;
  #waiters: (() => void)[] = [];
  ended = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const parts = (this.#partial + chunk).split('\n');
      this.#partial = parts.pop() ?? '';
      this.lines.push(...parts);
      this.#wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.#wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        resolve(new LineClient(socket));
      });
      socket.once('error', reject);
    });
  }

  send(line: string): void {
    this.socket.write(`${line}\n`);
  }

  /** The next unread line; rejects if the connection closes first or after `timeoutMs`. */
  async next(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.#read >= this.lines.length) {
      if (this.ended) throw new Error(`connection closed; lines so far: ${JSON.stringify(this.lines)}`);
      if (Date.now() >= deadline) throw new Error(`no line within ${timeoutMs} ms; lines so far: ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.lines[this.#read++]!;
  }

  /** Reads lines until one matches `pattern`; returns it. */
  async until(pattern: RegExp, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = await this.next(Math.max(1, deadline - Date.now()));
      if (pattern.test(line)) return line;
    }
  }

  /** Resolves once the server has closed the connection. */
  async closed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() >= deadline) throw new Error(`still open after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

/** A byte-level client on node:net: writes raw bytes, collects what comes back as latin1 text. */
export class RawClient {
  readonly socket: net.Socket;
  /** Everything received so far. */
  text = '';
  ended = false;
  #waiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('latin1');
      this.#wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.#wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  write(bytes: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Writes `text` one character every `gapMs` ms; resolves when all is written or the connection has closed. */
  async trickle(text: string, gapMs: number): Promise<void> {
    for (const char of text) {
      if (this.ended) return;
      this.write(char);
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
  }

  /** Resolves with the text received once it matches `pattern`; rejects if the connection closes first or after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.text)) {
      if (this.ended) throw new Error(`connection closed; received: ${JSON.stringify(this.text)}`);
      if (Date.now() >= deadline) throw new Error(`no ${String(pattern)} within ${timeoutMs} ms; received: ${JSON.stringify(this.text)}`);
      await this.#change(deadline);
    }
    return this.text;
  }

  /** Resolves with everything received once the server has closed the connection. */
  async closed(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() >= deadline) throw new Error(`still open after ${timeoutMs} ms; received: ${JSON.stringify(this.text)}`);
      await this.#change(deadline);
    }
    return this.text;
  }

  /** Resolves when bytes arrive, the connection closes, or `deadline` passes. */
  #change(deadline: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, deadline - Date.now());
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

/** A port on 127.0.0.1 that nothing listens on right now (to restart a server on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => {
        resolve(port);
      });
    });
  });
}
