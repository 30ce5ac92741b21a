/**
 * Makes the certificates the TLS examples, tests and benchmarks use, with
 * the `openssl` command-line tool, in a folder of your choice. Nothing is
 * downloaded, and every key it writes is for testing only: never use them
 * to protect anything.
 *
 * It writes, as PEM files:
 * - `ca.key`, `ca.crt`: a test certificate authority;
 * - `server.key`, `server.crt`: a server certificate for `localhost` and
 *   `127.0.0.1`, signed by that CA, valid for 30 days;
 * - `expired.key`, `expired.crt`: the same names, signed by the CA, expired in 2020;
 * - `client.key`, `client.crt`: a client certificate signed by the CA, for
 *   servers that ask for one (`requestCert`);
 * - `other-ca.key`, `other-ca.crt`, `other.key`, `other.crt`: a second CA
 *   and a server certificate it signed (a verifying client that trusts only
 *   `ca.crt` refuses it), and `other-client.key`, `other-client.crt`: a
 *   client certificate it signed (a server that trusts only `ca.crt` refuses it).
 *
 * Run it:   node dist/examples/make-tls-certs.js tls-certs
 *           (then: npm run example -- tls-echo-server --cert tls-certs/server.crt --key tls-certs/server.key)
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const dir = path.resolve(process.argv[2] ?? 'tls-certs');
fs.mkdirSync(dir, { recursive: true });

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const names = 'subjectAltName=DNS:localhost,IP:127.0.0.1';

function makeCa(name: string, cn: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`,
    '-days', '30', '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}

function makeRequest(name: string, cn = 'localhost'): void {
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
}

/** Signs `name.csr` with `ca` for 30 days from now, for a server (the default) or a client (`clientAuth`). */
function sign(name: string, ca: string, usage: 'serverAuth' | 'clientAuth' = 'serverAuth'): void {
  fs.writeFileSync(path.join(dir, 'usage.ext'), usage === 'serverAuth' ? `${names}\nextendedKeyUsage=serverAuth\n` : 'extendedKeyUsage=clientAuth\n');
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '30', '-extfile', 'usage.ext', '-out', `${name}.crt`);
}

/** Signs `name.csr` with `ca` for a period in 2020 (`openssl x509` cannot set past dates; `openssl ca` can). */
function signExpired(name: string, ca: string): void {
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'serial'), '1000\n');
  fs.writeFileSync(
    path.join(dir, 'ca.cnf'),
    [
      '[ca]', 'default_ca = test', '[test]', `dir = .`, 'database = index.txt', 'serial = serial', 'new_certs_dir = .',
      'default_md = sha256', 'policy = any', 'copy_extensions = none', 'x509_extensions = ext', 'unique_subject = no',
      '[any]', 'commonName = supplied', '[ext]', names, 'extendedKeyUsage = serverAuth', '',
    ].join('\n'),
  );
  openssl('ca', '-batch', '-config', 'ca.cnf', '-cert', `${ca}.crt`, '-keyfile', `${ca}.key`, '-in', `${name}.csr`, '-out', `${name}.crt`,
    '-startdate', '200101000000Z', '-enddate', '200201000000Z', '-notext');
}

makeCa('ca', 'proactor test CA (test only)');
makeRequest('server');
sign('server', 'ca');
makeRequest('expired');
signExpired('expired', 'ca');
makeRequest('client', 'proactor test client');
sign('client', 'ca', 'clientAuth');
makeCa('other-ca', 'another test CA (test only)');
makeRequest('other');
sign('other', 'other-ca');
makeRequest('other-client', 'client of another CA');
sign('other-client', 'other-ca', 'clientAuth');
for (const f of fs.readdirSync(dir)) {
  if (!/\.(key|crt)$/.test(f)) fs.rmSync(path.join(dir, f));
}
console.log(`test-only certificates in ${dir}: ca.crt, server.crt/.key, expired.crt/.key, client.crt/.key, other-ca.crt, other.crt/.key, other-client.crt/.key`);
