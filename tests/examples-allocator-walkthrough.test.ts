import { runExample } from './support/example-process.js';

interface Row {
  allocations: number;
  hits: number;
  fallbacks: number;
  live: number;
}

/** Reads the numeric columns of the table row whose label starts with `label`. */
function row(output: string, label: string): Row {
  const line = output.split('\n').find((l) => l.startsWith(label));
  if (line === undefined) throw new Error(`no row ${label} in:\n${output}`);
  const numbers = line.trim().split(/\s{2,}/).slice(-4).map(Number);
  const [allocations, hits, fallbacks, live] = numbers as [number, number, number, number];
  return { allocations, hits, fallbacks, live };
}

describe('example allocator-walkthrough', () => {
  test('prints the three allocators side by side: NewAllocator always constructs, the other two reuse, nothing stays live', async () => {
    const sessions = 3;
    const roundTrips = 300;
    const { code, output } = await runExample('allocator-walkthrough.js', ['--round-trips', String(roundTrips), '--sessions', String(sessions), '--size', '32']);
    expect(code).toBe(0);
    expect(output).toContain(`${sessions} sessions × ${roundTrips} round trips of 32 B`);
    expect(output).toMatch(/^allocator\s+used for\s+allocations\s+hits\s+fallbacks\s+live$/m);

    const plain = row(output, 'NewAllocator ');
    const recycling = row(output, 'RecyclingAllocator ');
    const perSession = row(output, 'HandlerAllocator ');
    const accepts = row(output, "  + context's RecyclingAllocator");

    // At least 7 operations per round trip (see the example's explanation).
    const minimum = 7 * sessions * roundTrips;
    for (const r of [plain, recycling]) expect(r.allocations).toBeGreaterThanOrEqual(minimum);
    expect(perSession.allocations + accepts.allocations).toBeGreaterThanOrEqual(minimum);

    expect(plain.hits).toBe(0);
    expect(plain.fallbacks).toBe(plain.allocations);
    expect(recycling.hits + recycling.fallbacks).toBe(recycling.allocations);
    expect(recycling.fallbacks).toBeLessThan(100);
    // One slot per operation kind per session: connect, write, write-some, read, read-some on a
    // client; read-some, write, write-some on a server session.
    expect(perSession.fallbacks).toBeLessThanOrEqual(8 * sessions);
    expect(perSession.hits + perSession.fallbacks).toBe(perSession.allocations);
    expect(accepts.allocations).toBe(sessions);

    for (const r of [plain, recycling, perSession, accepts]) expect(r.live).toBe(0);
    expect(output).toMatch(/NewAllocator\s+7\.\d{3} op objects constructed per round trip/);
    expect(output).toContain('What the numbers mean:');

    // The by-kind table from each context's allocationStats(): `recycled / new` per allocator.
    const kinds = new Map(
      [...output.matchAll(/^(connect|accept|readSome|writeSome|read|write)\s+(\d+) \/ (\d+)\s+(\d+) \/ (\d+)\s+(\d+) \/ (\d+)$/gm)].map((m) => [
        m[1]!,
        m.slice(2).map(Number),
      ]),
    );
    expect([...kinds.keys()].sort()).toEqual(['accept', 'connect', 'read', 'readSome', 'write', 'writeSome']);
    for (const [, [newHits, newFresh, recHits, recFresh, handlerHits, handlerFresh]] of kinds) {
      expect(newHits).toBe(0); // NewAllocator never recycles
      expect(recHits! + recFresh!).toBe(newFresh); // the same workload: the same number of ops of each kind
      expect(handlerHits! + handlerFresh!).toBe(newFresh);
    }
    expect(kinds.get('connect')).toEqual([0, sessions, 0, sessions, 0, sessions]);
    expect(kinds.get('read')![0]! + kinds.get('read')![1]!).toBe(sessions * roundTrips);
  });

  test('rejects a bad argument with exit code 1', async () => {
    const { code, output } = await runExample('allocator-walkthrough.js', ['--sessions', '0']);
    expect(code).toBe(1);
    expect(output).toContain('--sessions must be a positive integer');
  });
});
