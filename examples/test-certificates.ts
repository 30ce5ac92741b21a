/**
 * What the TLS examples use when they are given no certificate: test-only
 * certificates made by make-tls-certs (the `openssl` command) in a new
 * temporary folder. Not a runnable example.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Makes test-only certificates in a new temporary folder; returns the paths of the server's key and certificate and of the CA to trust. */
export function makeTestCertificates(): { key: string; cert: string; ca: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proactor-tls-certs-'));
  execFileSync(process.execPath, [path.join(path.dirname(fileURLToPath(import.meta.url)), 'make-tls-certs.js'), dir], { stdio: 'ignore' });
  return { key: path.join(dir, 'server.key'), cert: path.join(dir, 'server.crt'), ca: path.join(dir, 'ca.crt') };
}
