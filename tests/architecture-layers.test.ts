import * as fs from 'node:fs';
import * as path from 'node:path';

/*
 * DESIGN.md §4: dependencies point down. Front-ends (net, timer, signal, …)
 * → io → ops → allocation/associations → tokens → errors; ops and io know
 * no sockets; the context knows no sockets; nothing in src imports
 * examples, bench or tests. The one place that uses Node internals for
 * streams is the handle transport.
 */

const src = path.resolve(__dirname, '..', 'src');

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import of `file`, resolved to a path relative to src/. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/from\s+'(\.{1,2}\/[^']+)'/g)) {
    found.push(path.relative(src, path.resolve(path.dirname(file), m[1]!)));
  }
  return found;
}

function folderOf(relative: string): string {
  return relative.split(path.sep)[0]!;
}

const files = filesUnder(src);

describe('layers', () => {
  test.each(['ops', 'io', 'io-context', 'allocation', 'associations', 'tokens', 'errors'])('%s imports nothing from net/', (folder) => {
    const offending = files
      .filter((f) => folderOf(path.relative(src, f)) === folder)
      .flatMap((f) => importsOf(f).filter((i) => folderOf(i) === 'net').map((i) => `${path.relative(src, f)} → ${i}`));
    expect(offending).toEqual([]);
  });

  test('nothing in src imports examples, bench or tests', () => {
    const offending = files.flatMap((f) => importsOf(f).filter((i) => i.startsWith('..')).map((i) => `${path.relative(src, f)} → ${i}`));
    expect(offending).toEqual([]);
  });

  test('only the handle transport and its write protocol touch a stream handle (`_handle`); the cluster route, a listening one; the TLS peer check, a TLS one', () => {
    const users = files.filter((f) => /\b_handle\b/.test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative(src, f));
    // cluster-listen.ts takes the listening handle a net.Server got from the cluster primary: a server handle, never a stream's.
    // peer-verification.ts reads OpenSSL's verify result off a TLS handle, which Node hands only to its own tls.Server.
    expect(users.sort()).toEqual([path.join('net', 'cluster-listen.ts'), path.join('net', 'handle-transport.ts'), path.join('net', 'handle-write.ts'), path.join('tls', 'peer-verification.ts')]);
  });

  test('the stream core never asks which transport it drives', () => {
    const core = fs.readFileSync(path.join(src, 'net', 'stream-core.ts'), 'utf8');
    expect(core).not.toMatch(/instanceof (HandleTransport|ChunkTransport)|\.kind ===|kind === '(handle|chunk)'/);
  });
});
