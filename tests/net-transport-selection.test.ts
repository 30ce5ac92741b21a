import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { TcpSocket, defaultTransport, type TransportKind } from '../src/index.js';
import { nativeAddon } from '../src/net/native/native-addon.js';
import { acceptOne, localAcceptor, nodeClient, trackedContext } from './support/net-helpers.js';

const root = resolve(__dirname, '..');

/** Runs `script` in a fresh Node with `env` added, `lib` the built package (dist/); resolves with its stdout. */
function runChild(env: Record<string, string>, script: string): Promise<string> {
  const program = `import(${JSON.stringify(resolve(root, 'dist/src/index.js'))}).then((lib) => {
${script}
});`;
  return new Promise((ok, fail) => {
    execFile(process.execPath, ['-e', program], { timeout: 20_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      if (err) fail(new Error(`${err.message}\n${stderr}`));
      else ok(stdout.trim());
    });
  });
}

/** What a child reports: the default, an accepted and a connected socket's transport, the fallbacks. */
const REPORT = `
const dc = require('node:diagnostics_channel');
const messages = [];
dc.subscribe(lib.CHANNELS.transport, (m) => messages.push(m.what));
let report = '';
try { report = lib.defaultTransport(); } catch (e) { console.log('throws ' + e.name + ' ' + (e.code ?? '')); process.exit(0); }
const ctx = new lib.IoContext();
const acceptor = new lib.TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
const client = new lib.TcpSocket(ctx);
acceptor.asyncAccept((err, s) => {
  report += ' accepted:' + s.transport;
  s.close();
  acceptor.close();
});
client.asyncConnect({ host: '127.0.0.1', port: acceptor.localEndpoint().port }, (err) => {
  report += ' connected:' + (err ? err.code : client.transport);
  client.close();
});
ctx.run().then(() => console.log(report + ' fallbacks:' + JSON.stringify(lib.transportFallbacks().map((f) => f.what)) + ' messages:' + messages.join(',')));
`;

describe('which transport sockets use', () => {
  // In the jest projects that force a transport (jest.config.cjs), this names it.
  const forced = (globalThis as { PROACTOR_TRANSPORT?: TransportKind }).PROACTOR_TRANSPORT;

  test('this run: accepted and connected sockets use the default transport (native where the addon loads)', async () => {
    const expected: TransportKind = forced ?? (nativeAddon() !== null ? 'native' : 'handle');
    expect(defaultTransport()).toBe(expected);
    const { ctx, tracking } = trackedContext();
    const { acceptor, port } = localAcceptor(ctx);
    const accepted = acceptOne(acceptor);
    const client = new TcpSocket(ctx);
    let connected: string | null = null;
    client.asyncConnect({ host: '127.0.0.1', port }, (err) => (connected = err ? err.code : client.transport));
    const peer = await nodeClient(port);
    const running = ctx.run();
    const s = await accepted;
    await new Promise((r) => setTimeout(r, 20));
    expect(s.transport).toBe(expected);
    expect(connected).toBe(expected);
    s.close();
    client.close();
    acceptor.close();
    peer.destroy();
    await running;
    expect(tracking.live).toBe(0);
  });

  test('the transport option overrides the default for a socket and for an acceptor', async () => {
    const { ctx, tracking } = trackedContext();
    const { acceptor, port } = localAcceptor(ctx, 'chunk');
    const accepted = acceptOne(acceptor);
    const client = new TcpSocket(ctx, { transport: 'handle' });
    client.asyncConnect({ host: '127.0.0.1', port }, () => undefined);
    const running = ctx.run();
    const s = await accepted;
    expect(s.transport).toBe('chunk');
    expect(client.transport).toBe('handle');
    s.close();
    client.close();
    acceptor.close();
    await running;
    expect(tracking.live).toBe(0);
    expect(() => new TcpSocket(ctx, { transport: 'fast' as TransportKind })).toThrow(TypeError);
  });

  test('PROACTOR_TRANSPORT forces each transport; a bad value is a TypeError', async () => {
    const handle = await runChild({ PROACTOR_TRANSPORT: 'handle' }, REPORT);
    expect(handle).toBe('handle accepted:handle connected:handle fallbacks:[] messages:');
    const chunk = await runChild({ PROACTOR_TRANSPORT: 'chunk' }, REPORT);
    expect(chunk).toBe('chunk accepted:chunk connected:chunk fallbacks:[] messages:');
    expect(await runChild({ PROACTOR_TRANSPORT: 'fast' }, REPORT)).toBe('throws TypeError');
  });

  test('where the addon does not load: the handle transport, and the reason on the diagnostics channel; forcing native is invalid_argument', async () => {
    const missing = { PROACTOR_TRANSPORT: '', PROACTOR_NATIVE_ADDON: resolve(root, 'build', 'no-such-addon.node') };
    const fallback = await runChild(missing, REPORT);
    expect(fallback).toBe('handle accepted:handle connected:handle fallbacks:["native transport"] messages:native transport');
    const thrown = await runChild(
      { ...missing, PROACTOR_TRANSPORT: 'native' },
      `try { new lib.TcpAcceptor(new lib.IoContext(), { host: '127.0.0.1', port: 0 }); } catch (e) { console.log(e.code + ': ' + e.message); }`,
    );
    expect(thrown).toMatch(/^invalid_argument: TcpAcceptor: the native transport was asked for, but the native addon at .*no-such-addon\.node does not load/);
  });

  (nativeAddon() === null ? test.skip : test)('PROACTOR_TRANSPORT=native where the addon loads: native sockets', async () => {
    const native = await runChild({ PROACTOR_TRANSPORT: 'native' }, REPORT);
    expect(native).toBe('native accepted:native connected:native fallbacks:[] messages:');
  });
});
