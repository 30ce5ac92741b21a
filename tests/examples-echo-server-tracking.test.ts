import { instance } from '@viz-js/viz';
import { parseHandlerTrace } from '../src/index.js';
import { startExample } from './support/example-process.js';
import { runHandlerviz } from './support/handlerviz-cli.js';
import { echoOnce } from './support/net-helpers.js';

/** `proactor-handlerviz < input`: the DOT it prints. */
async function handlerviz(input: string): Promise<string> {
  const { code, stdout, stderr } = await runHandlerviz([], input);
  if (code !== 0) throw new Error(`proactor-handlerviz exited ${String(code)}: ${stderr}`);
  return stdout;
}

describe('tracing the echo server as a user would', () => {
  test('PROACTOR_HANDLER_TRACKING=1 npm start 2> trace; proactor-handlerviz < trace > graph.dot; Graphviz renders the chains', async () => {
    const server = await startExample('echo-server.js', ['--port', '0'], 10_000, { PROACTOR_HANDLER_TRACKING: '1' });
    expect((await echoOnce(server.port, Buffer.from('hello proactor\n'))).toString()).toBe('hello proactor\n');
    expect((await echoOnce(server.port, Buffer.from('second client\n'))).toString()).toBe('second client\n');
    expect(await server.stop('SIGTERM')).toBe(0);

    const trace = server.stderr();
    const parsed = parseHandlerTrace(trace);
    const operations = parsed.edges.map((e) => `${e.operation.objectType}.${e.operation.name}`);
    expect(operations).toContain('socket.async_accept');
    expect(operations).toContain('socket.async_receive');
    expect(operations).toContain('socket.async_send');
    expect(operations).toContain('signal_set.async_wait');
    // Every handler ran to its end or was destroyed: the server shut down cleanly.
    expect(parsed.handlers.filter((h) => h.state !== 'completed' && h.state !== 'destroyed')).toEqual([]);
    // A session's chain: an accept handler started a read, whose handler started a write, whose handler started a read.
    const byId = new Map(parsed.handlers.map((h) => [h.id, h]));
    const chain = parsed.handlers.find((h) => {
      if (h.creation?.name !== 'async_receive') return false;
      const write = parsed.handlers.find((w) => w.parent === h.id && w.creation?.name === 'async_send');
      return write !== undefined && parsed.handlers.some((r) => r.parent === write.id && r.creation?.name === 'async_receive');
    });
    expect(chain).toBeDefined();
    expect(byId.get(chain!.parent!)?.creation?.name).toBe('async_accept');

    const dot = await handlerviz(trace);
    expect(dot).toMatch(/^digraph /m);
    const viz = await instance();
    const rendered = viz.render(dot, { format: 'svg' });
    expect(rendered.errors).toEqual([]);
    expect(rendered.status).toBe('success');
    expect(rendered.output).toContain('async_receive');
    expect(rendered.output).toContain('async_accept');
  });
});
