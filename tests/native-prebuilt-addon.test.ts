import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { addonCandidates } from '../src/net/native/native-addon.js';

/*
 * A package that carries a prebuilt addon (prebuilds/<platform>-<arch>/,
 * as native/prebuild.mjs packs it) and has no build/Release: the library
 * loads the prebuilt binary and its sockets run on the native transport;
 * the install script uses it instead of compiling; a prebuilt binary that
 * does not load leaves the JavaScript transports, with the reason.
 */

const root = path.join(__dirname, '..');
const built = path.join(root, 'build', 'Release', 'proactor_native.node');
const platformDir = `${process.platform}-${process.arch}`;
// The built library (npm test builds dist/ before jest) and an addon to stand in for the prebuilt one.
const haveBuild = existsSync(built) && existsSync(path.join(root, 'dist', 'src', 'index.js'));
const withBuild = haveBuild ? test : test.skip;

let work = '';

/** A package folder: package.json, dist/src, native/, and `prebuilt` as its prebuilt addon. */
function makePackage(name: string, prebuilt: (file: string) => void): string {
  const pkg = path.join(work, name);
  cpSync(path.join(root, 'dist', 'src'), path.join(pkg, 'dist', 'src'), { recursive: true });
  cpSync(path.join(root, 'native'), path.join(pkg, 'native'), { recursive: true });
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'proactor', version: '0.0.0', type: 'module' }));
  const file = path.join(pkg, 'prebuilds', platformDir, 'proactor_native.node');
  mkdirSync(path.dirname(file), { recursive: true });
  prebuilt(file);
  return pkg;
}

/** Runs an echo through a socket of the default transport in `pkg`; prints the transport, the echo and any fallback. */
function echoIn(pkg: string): string {
  const script = `
    import { IoContext, TcpAcceptor, TcpSocket, defaultTransport, transportFallbacks } from ${JSON.stringify(path.join(pkg, 'dist', 'src', 'index.js'))};
    const ctx = new IoContext();
    const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
    const buf = Buffer.alloc(5);
    acceptor.asyncAccept((err, server) => {
      if (err) throw err;
      server.asyncReadSome(buf, (e, n) => { if (e) throw e; server.asyncWriteSome(buf.subarray(0, n), () => server.close()); });
    });
    const client = new TcpSocket(ctx);
    const back = Buffer.alloc(5);
    client.asyncConnect(acceptor.localEndpoint(), (err) => {
      if (err) throw err;
      client.asyncWriteSome(Buffer.from('hello'), () => client.asyncReadSome(back, () => { client.close(); acceptor.close(); }));
    });
    await ctx.run();
    console.log(JSON.stringify({ transport: defaultTransport(), socket: client.transport, echo: back.toString(), fallbacks: transportFallbacks() }));
  `;
  const env = { ...process.env };
  delete env.PROACTOR_NATIVE_ADDON;
  delete env.PROACTOR_TRANSPORT;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 20_000 });
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'proactor-prebuilt-'));
});

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

describe('a package with a prebuilt addon and no build', () => {
  withBuild('loads the prebuilt binary: sockets use the native transport', () => {
    const pkg = makePackage('good', (file) => {
      copyFileSync(built, file);
    });
    expect(existsSync(path.join(pkg, 'build'))).toBe(false);
    const got = JSON.parse(echoIn(pkg)) as { transport: string; socket: string; echo: string; fallbacks: unknown[] };
    expect(got).toEqual({ transport: 'native', socket: 'native', echo: 'hello', fallbacks: [] });
  });

  withBuild('a prebuilt binary that does not load: the handle transport, and the reason names the file', () => {
    const pkg = makePackage('broken', (file) => {
      writeFileSync(file, 'not an addon');
    });
    const got = JSON.parse(echoIn(pkg)) as { transport: string; socket: string; echo: string; fallbacks: { what: string; reason: string }[] };
    expect(got.transport).toBe('handle');
    expect(got.socket).toBe('handle');
    expect(got.echo).toBe('hello');
    expect(got.fallbacks).toHaveLength(1);
    expect(got.fallbacks[0]!.reason).toContain(path.join('prebuilds', platformDir, 'proactor_native.node'));
    expect(got.fallbacks[0]!.reason).toContain('does not load');
  });

  withBuild('the install script uses a prebuilt binary that loads and compiles nothing', () => {
    const pkg = makePackage('install', (file) => {
      copyFileSync(built, file);
    });
    // As a packed tarball unpacks: every file with the same time.
    const packedTime = new Date('1985-10-26T08:15:00Z');
    utimesSync(path.join(pkg, 'native', 'proactor_native.c'), packedTime, packedTime);
    utimesSync(path.join(pkg, 'prebuilds', platformDir, 'proactor_native.node'), packedTime, packedTime);
    const env = { ...process.env };
    delete env.PROACTOR_SKIP_NATIVE;
    delete env.PROACTOR_BUILD_NATIVE;
    const r = spawnSync(process.execPath, [path.join(pkg, 'native', 'build.mjs')], { cwd: pkg, env, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('using the prebuilt native transport');
    expect(existsSync(path.join(pkg, 'build'))).toBe(false);
  });
});

describe('where the addon is looked for', () => {
  test('the build made at install first, then the prebuilt binary, in the nearest folder that has either', () => {
    const pkg = path.join(work, 'lookup');
    const file = path.join(pkg, 'dist', 'src', 'net', 'native', 'native-addon.js');
    mkdirSync(path.dirname(file), { recursive: true });
    expect(addonCandidates(file, '')).toEqual([]);
    const prebuilt = path.join(pkg, 'prebuilds', platformDir, 'proactor_native.node');
    mkdirSync(path.dirname(prebuilt), { recursive: true });
    writeFileSync(prebuilt, '');
    expect(addonCandidates(file, '')).toEqual([prebuilt]);
    const ownBuild = path.join(pkg, 'build', 'Release', 'proactor_native.node');
    mkdirSync(path.dirname(ownBuild), { recursive: true });
    writeFileSync(ownBuild, '');
    expect(addonCandidates(file, '')).toEqual([ownBuild, prebuilt]);
    expect(addonCandidates(file, 'elsewhere.node')).toEqual([path.resolve('elsewhere.node')]);
    expect(addonCandidates(null, '')).toEqual([]);
  });
});
