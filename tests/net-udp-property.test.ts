import * as fc from 'fast-check';
import { UdpSocket, asTuple, cancelAfter, usePromise } from '../src/index.js';
import { withRunningContext } from './support/udp-helpers.js';

describe('UdpSocket datagrams of random sizes against a reference', () => {
  test('every size from 0 to 65,507 bytes arrives whole, or truncated to the buffer, byte for byte', async () => {
    const MAX = 65_507;
    const { tracking } = await withRunningContext(async (ctx) => {
      const rx = new UdpSocket(ctx);
      await rx.bind({ host: '127.0.0.1', port: 0 }, usePromise);
      const tx = new UdpSocket(ctx);
      await tx.asyncConnect(rx.localEndpoint(), usePromise);
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: MAX }), fc.integer({ min: 0, max: MAX }), fc.integer(), async (size, bufSize, seed) => {
          const datagram = Buffer.alloc(size);
          for (let i = 0; i < size; i++) datagram[i] = (seed + i * 31) & 0xff;
          const buf = Buffer.alloc(bufSize, 0xee);
          const receiving = rx.asyncReceiveFrom(buf, cancelAfter(5000, asTuple(usePromise)));
          const sent = await tx.asyncSend(datagram, usePromise);
          const [err, n, from] = await receiving;
          // The reference: recvfrom's rule, the first min(size, bufSize) bytes, the rest of buf untouched.
          const expectedN = Math.min(size, bufSize);
          expect(err).toBeNull();
          expect(sent).toBe(size);
          expect(n).toBe(expectedN);
          expect(from!.port).toBe(tx.localEndpoint().port);
          expect(buf.subarray(0, n).equals(datagram.subarray(0, expectedN))).toBe(true);
          expect(buf.subarray(n).every((b) => b === 0xee)).toBe(true);
        }),
        { numRuns: 60, examples: [[0, 0, 1], [0, 10, 1], [MAX, MAX, 2], [MAX, 1, 3], [1, MAX, 4]] },
      );
      rx.close();
      tx.close();
    });
    expect(tracking.live).toBe(0);
  });
});
