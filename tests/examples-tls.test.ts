import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { startExample, type RunningExample } from './support/example-process.js';

/** The CA the example printed it made (`trust …/ca.crt`). */
function trustedCa(example: RunningExample): Buffer {
  const m = /trust (\S+ca\.crt)/.exec(example.output());
  if (m === null) throw new Error(`no CA path printed: ${example.output()}`);
  return fs.readFileSync(m[1]!);
}

function tlsEcho(port: number, ca: Buffer, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      s.write(data);
    });
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (size >= data.length) s.end();
    });
    s.on('close', () => {
      resolve(Buffer.concat(chunks));
    });
    s.on('error', reject);
  });
}

describe('example tls-echo-server', () => {
  test('echoes every byte to node:tls clients, refuses a plain-text client with a logged handshake failure, stops on SIGTERM', async () => {
    const example = await startExample('tls-echo-server.js', ['--port', '0']);
    try {
      const ca = trustedCa(example);
      const data = Buffer.alloc(200_000);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
      const [a, b] = await Promise.all([tlsEcho(example.port, ca, data), tlsEcho(example.port, ca, Buffer.from('second client'))]);
      expect(a.equals(data)).toBe(true);
      expect(b.toString()).toBe('second client');
      await new Promise<void>((resolve) => {
        const s = net.connect(example.port, '127.0.0.1', () => s.end('hello in plain text\r\n\r\n'));
        s.on('close', () => {
          resolve();
        });
        s.on('error', () => undefined);
        s.resume();
      });
      expect(await tlsEcho(example.port, ca, Buffer.from('still serving'))).toEqual(Buffer.from('still serving'));
    } finally {
      expect(await example.stop()).toBe(0);
    }
    expect(example.output()).toMatch(/handshake failed: handshake_failed: TLS handshake failed: (wrong version number|http request)/);
    expect(example.output()).toMatch(/sessions 4 \(handshake failures 1\)/);
  });
});

describe('example http-server --tls', () => {
  test('curl --cacert gets two responses over one kept-alive HTTPS connection', async () => {
    const example = await startExample('http-server.js', ['--port', '0', '--tls']);
    try {
      const caPath = /trust (\S+ca\.crt)/.exec(example.output())![1]!;
      const url = `https://localhost:${String(example.port)}`;
      const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
        execFile('curl', ['-sS', '-v', '--cacert', caPath, `${url}/`, `${url}/stats`], { timeout: 15_000 }, (err, out, errOut) => {
          if (err) reject(new Error(`${err.message}\n${errOut}`));
          else resolve({ stdout: out, stderr: errOut });
        });
      });
      expect(stdout).toMatch(/"requests":2/);
      expect(stderr).toMatch(/Re-using existing connection/i);
      expect(stderr).toMatch(/SSL certificate verify ok|issuer: CN=proactor test CA/);
    } finally {
      expect(await example.stop()).toBe(0);
    }
  });
});
