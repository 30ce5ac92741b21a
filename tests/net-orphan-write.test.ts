import { CancellationSignal, CancellationType, bindCancellationSlot, type IoError } from '../src/index.js';
import { STREAM_KINDS, pattern, streamPair } from './support/net-helpers.js';

/*
 * The orphan-write rule: a write abandoned while in progress (terminal
 * cancellation after some of its bytes were taken) still finishes in the
 * kernel later, and that late completion must not be taken for the next
 * write's. Otherwise the next write would complete before its own bytes
 * were handed over.
 */

const FIRST = 16 * 1024 * 1024;
const SECOND = 32 * 1024 * 1024;

describe.each(STREAM_KINDS)('a write cancelled after partial progress, on a %s stream', (kind) => {
  test('does not let the next write complete early: its late completion is swallowed', async () => {
    const { ctx, tracking, sock, peer } = await streamPair(kind);
    peer.pause();
    const first = pattern(FIRST, 3);
    const second = pattern(SECOND, 4);
    const cancel = new CancellationSignal();
    const events: string[] = [];
    let received = 0;
    let holdAfterFirst = true;
    let receivedAtSecond = -1;
    const chunks: Buffer[] = [];
    peer.on('data', (d: Buffer) => {
      chunks.push(d);
      received += d.length;
      // Take exactly the first write's bytes (and a little of the next), then stop reading again.
      if (holdAfterFirst && received >= FIRST) peer.pause();
    });
    sock.asyncWriteSome(first, bindCancellationSlot(cancel.slot(), (err: IoError | null, n: number) => {
      events.push(`first:${String(err?.code)}:${String(n)}`);
    }));
    // The kernel cannot take 16 MiB for a peer that reads nothing: the first write is in progress now.
    cancel.emit(CancellationType.terminal);
    sock.asyncWriteSome(second, (err, n) => {
      events.push(`second:${String(err?.code)}:${String(n)}`);
      receivedAtSecond = received;
      sock.close();
    });
    const running = ctx.run();
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toEqual(['first:operation_aborted:0']);
    peer.resume(); // reads the first write's bytes (which terminal cancellation still sends), then pauses
    await waitFor(() => received >= FIRST);
    // The first write has finished in the kernel by now; the second cannot have: the peer stopped reading.
    await new Promise((r) => setTimeout(r, 300));
    expect(events).toEqual(['first:operation_aborted:0']);
    holdAfterFirst = false;
    peer.resume();
    await running;
    expect(events).toEqual(['first:operation_aborted:0', `second:undefined:${String(SECOND)}`]);
    // Every byte of the second write was handed to the kernel before it completed.
    expect(receivedAtSecond).toBeGreaterThan(FIRST);
    await waitFor(() => received >= FIRST + SECOND);
    const all = Buffer.concat(chunks);
    expect(all.subarray(0, FIRST).equals(first)).toBe(true);
    expect(all.subarray(FIRST).equals(second)).toBe(true);
    peer.destroy();
    expect(tracking.live).toBe(0);
  });
});

async function waitFor(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((r) => setTimeout(r, 5));
}
