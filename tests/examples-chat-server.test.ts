import { LineClient, startExample, type RunningExample } from './support/example-process.js';

/** Connects, reads the two welcome lines, renames itself and joins `room`. */
async function member(port: number, nick: string, room: string): Promise<LineClient> {
  const c = await LineClient.connect(port);
  expect(await c.next()).toMatch(/^\* welcome, guest\d+; you are in #lobby$/);
  expect(await c.next()).toMatch(/^\* commands:/);
  c.send(`/nick ${nick}`);
  await c.until(new RegExp(`^\\* you are now ${nick}$`));
  c.send(`/join ${room}`);
  await c.until(new RegExp(`^\\* you are in #${room} `));
  return c;
}

describe('example chat-server', () => {
  let server: RunningExample | null = null;

  afterEach(async () => {
    if (server !== null && server.child.exitCode === null) await server.stop('SIGKILL');
    server = null;
  });

  test('rooms: a line goes to the others in the room, not to the sender nor to other rooms', async () => {
    server = await startExample('chat-server.js', ['--port', '0']);
    const alice = await member(server.port, 'alice', 'tea');
    const bob = await member(server.port, 'bob', 'tea');
    const carol = await member(server.port, 'carol', 'coffee');
    expect(await alice.until(/joined #tea/)).toBe('* bob joined #tea');

    alice.send('hello, tea drinkers');
    expect(await bob.until(/^\[/)).toBe('[tea] alice: hello, tea drinkers');
    bob.send('/who');
    expect(await bob.until(/^\* in #tea/)).toBe('* in #tea: alice, bob');
    carol.send('/rooms');
    expect(await carol.until(/^\* rooms/)).toBe('* rooms: #coffee (1), #tea (2)');

    // Nothing from #tea reached carol, and alice got no copy of her own line.
    expect(carol.lines.some((l) => l.includes('hello, tea drinkers'))).toBe(false);
    bob.send('bye now');
    expect(await alice.until(/^\[/)).toBe('[tea] bob: bye now');
    expect(alice.lines.filter((l) => l.startsWith('[tea] alice'))).toEqual([]);

    alice.send('/quit');
    expect(await alice.until(/bye/)).toBe('* bye');
    await alice.closed();
    expect(await bob.until(/alice/)).toBe('* alice left #tea');

    expect(await server.stop('SIGTERM')).toBe(0);
    for (const c of [bob, carol]) {
      expect(await c.until(/shutting down/)).toBe('* server shutting down');
      await c.closed();
    }
    expect(server.output()).toMatch(/SIGTERM: shutting down \(2 clients\)/);
    expect(server.output()).toMatch(/stopped after \d+ handlers; 3 sessions/);
  });

  test('a client that stops reading is dropped once its queue passes --max-queue; the others get every line', async () => {
    server = await startExample('chat-server.js', ['--port', '0', '--max-queue', '65536', '--grace', '200']);
    const slow = await member(server.port, 'slow', 'flood');
    const fast = await member(server.port, 'fast', 'flood');
    const talker = await member(server.port, 'talker', 'flood');
    await fast.until(/talker joined/);
    slow.socket.pause(); // reads nothing more: the kernel buffers fill, then the server's queue for it

    // Talk until the server gives up on the slow client (its socket buffers
    // hold a few MB first), then a last line.
    const text = 'x'.repeat(1000);
    let sent = 0;
    const running = server;
    const dropped = (): boolean => running.output().includes('slow fell too far behind');
    // The fast client is read by this process too: the talker stays at most one batch ahead of what
    // it has received, so a busy machine (a collection in this process, say) cannot make it the one
    // that falls behind.
    const before = fast.lines.length;
    const caughtUp = async (): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (fast.lines.length - before < sent - 100) {
        if (fast.ended || Date.now() >= deadline) throw new Error(`the fast client stopped receiving at ${fast.lines.length - before} of ${sent} lines`);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    };
    while (!dropped()) {
      if (sent >= 200_000) throw new Error('the slow client was never dropped');
      const batch: string[] = [];
      for (let i = 0; i < 100; i++) batch.push(`${sent++} ${text}\n`);
      if (!talker.socket.write(batch.join(''))) await new Promise((resolve) => talker.socket.once('drain', resolve));
      await caughtUp();
    }
    talker.send('done');

    // The fast client got every line, in order, while the slow one was stuck.
    let expected = 0;
    for (;;) {
      const line = await fast.next(10_000);
      if (line === '[flood] talker: done') break;
      if (line.startsWith('*')) {
        expect(line).toBe('* slow was disconnected: too far behind');
        continue;
      }
      expect(line).toBe(`[flood] talker: ${expected++} ${text}`);
    }
    expect(expected).toBe(sent);
    // The room hears of the drop when the slow session ends: once its farewell is written or, as
    // here, its --grace period is over, which may be after the last line has reached the others.
    if (!fast.lines.includes('* slow was disconnected: too far behind')) {
      expect(await fast.until(/slow was disconnected/)).toBe('* slow was disconnected: too far behind');
    }
    expect(server.output()).toMatch(/slow fell too far behind \(\d+ bytes queued\): disconnecting/);

    // The slow client, reading again, finds its connection closed.
    slow.socket.resume();
    await slow.closed(10_000);

    expect(await server.stop('SIGTERM')).toBe(0);
  });

  test('an invalid room name or nickname is refused with a message; the client stays where it was', async () => {
    server = await startExample('chat-server.js', ['--port', '0']);
    const alice = await member(server.port, 'alice', 'tea');
    const bob = await member(server.port, 'bob', 'tea');
    await alice.until(/bob joined #tea/);

    alice.send('/join bad room!');
    const refusal = '* invalid room name "bad room!": a room name is 1 to 32 letters, digits, _ or -; you are still in #tea';
    expect(await alice.until(/^\* invalid room name/)).toBe(refusal);
    for (const room of ['bad!', '#', 'r'.repeat(33), 'caf\u00e9']) {
      alice.send(`/join ${room}`);
      expect(await alice.until(/^\* (invalid room name|usage)/)).toMatch(/^\* (invalid room name|usage: \/join <room>)/);
    }
    alice.send('/nick alice smith');
    expect(await alice.until(/^\* invalid nickname/)).toBe('* invalid nickname "alice smith": a nickname is 1 to 32 letters, digits, _ or -; you are still alice');

    alice.send('/rooms');
    expect(await alice.until(/^\* rooms/)).toBe('* rooms: #tea (2)');
    alice.send('still here');
    expect(await bob.until(/^\[/)).toBe('[tea] alice: still here');
    expect(bob.lines.filter((l) => l.includes('left #tea'))).toEqual([]);
    alice.send('/join #r-'.concat('r'.repeat(30)));
    expect(await alice.until(/^\* you are in/)).toBe(`* you are in #r-${'r'.repeat(30)} (1 here)`);
    expect(await server.stop('SIGTERM')).toBe(0);
  });

  test('a line longer than --max-line ends the session with a message', async () => {
    server = await startExample('chat-server.js', ['--port', '0', '--max-line', '64']);
    const c = await member(server.port, 'verbose', 'lobby2');
    c.socket.write('y'.repeat(100));
    expect(await c.until(/line longer/)).toBe('* line longer than 64 bytes; disconnecting');
    await c.closed();
    expect(await server.stop('SIGINT')).toBe(0);
  });
});
