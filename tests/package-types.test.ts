import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';

/** The declarations `npm run build` emits (npm test builds before jest). */
const distIndex = path.join(__dirname, '..', 'dist', 'src', 'index.js');

/**
 * A user's program against the built package, checked the strict way a
 * consumer without `skipLibCheck` checks it: every emitted `.d.ts` must be
 * complete (no reference to a declaration the build left out).
 */
const consumer = `
import {
  IoContext, TcpAcceptor, TcpSocket, SteadyTimer, Strand, SignalSet, Resolver, HandlerAllocator,
  ReadOp, WriteSomeOp, AcceptOp, asyncWrite, asyncRead, transferExactly, makeCustomAllocHandler,
  usePromise, asTuple, post, formatAllocationStats, handlerTrackingToDot, type IoError,
} from ${JSON.stringify(distIndex)};

export async function main(): Promise<void> {
  const ctx = new IoContext({ handlerTracking: false });
  const acceptor = new TcpAcceptor(ctx, { host: '127.0.0.1', port: 0 });
  const memory = new HandlerAllocator();
  const buf = Buffer.alloc(64);
  acceptor.asyncAccept((err: IoError | null, socket: TcpSocket) => {
    if (err) return;
    socket.asyncReadSome(buf, makeCustomAllocHandler(memory, (e, n) => {
      if (!e) asyncWrite(socket, buf.subarray(0, n), () => socket.close());
    }));
  });
  const client = new TcpSocket(ctx);
  const [err] = await client.asyncConnect(acceptor.localEndpoint(), asTuple(usePromise));
  if (err === null) await asyncRead(client, buf, transferExactly(1), usePromise);
  const timer = new SteadyTimer(ctx);
  timer.expiresAfter(1);
  await timer.asyncWait(usePromise);
  post(new Strand(ctx), () => undefined);
  new SignalSet(ctx).close();
  void new Resolver(ctx);
  const ops: unknown[] = [ReadOp, WriteSomeOp, AcceptOp];
  console.log(ops.length, formatAllocationStats(ctx.allocationStats()), handlerTrackingToDot(''));
  await ctx.run();
}
`;

describe('the built package', () => {
  test('its declarations type-check in a consumer without skipLibCheck', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'proactor-consumer-'));
    try {
      const file = path.join(dir, 'consumer.ts');
      writeFileSync(file, consumer);
      const program = ts.createProgram([file], {
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        types: ['node'],
        typeRoots: [path.join(__dirname, '..', 'node_modules', '@types')],
      });
      const messages = ts
        .getPreEmitDiagnostics(program)
        .map((d) => `${d.file ? path.basename(d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      expect(messages).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
