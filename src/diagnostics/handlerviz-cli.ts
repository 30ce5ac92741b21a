#!/usr/bin/env node
/**
 * `proactor-handlerviz`: reads handler-tracking output on standard input and
 * writes the Graphviz graph of its handlers on standard output.
 *
 *     PROACTOR_HANDLER_TRACKING=1 node app.js 2> trace.txt
 *     npx proactor-handlerviz < trace.txt > handlers.dot
 *     dot -Tsvg handlers.dot > handlers.svg
 *
 * Exits with 1, and a message on standard error, when the input holds no
 * handler-tracking line at all; with 2 on an unknown argument.
 */
import { parseHandlerTrace } from './handler-trace.js';
import { handlerTraceToDot } from './handlerviz.js';

const USAGE = `usage: proactor-handlerviz < trace > graph.dot

Reads Boost.Asio-style handler-tracking lines (@asio|<time>|<action>|<description>)
from standard input, ignoring every other line, and writes a Graphviz digraph
of the handlers to standard output. A program writes these lines to stderr
when run with PROACTOR_HANDLER_TRACKING=1. Render the graph with, for example:

  dot -Tsvg graph.dot > graph.svg

options:
  -h, --help  show this message`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(args: readonly string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.length > 0) {
    process.stderr.write(`proactor-handlerviz: unexpected argument: ${args[0]!}\n\n${USAGE}\n`);
    return 2;
  }
  const trace = parseHandlerTrace(await readStdin());
  if (trace.trackingLines === 0) {
    process.stderr.write(
      'proactor-handlerviz: no handler-tracking lines (starting with "@asio|") on standard input; ' +
        'run the program with handler tracking on (PROACTOR_HANDLER_TRACKING=1 or the handlerTracking option ' +
        'of IoContext) and give it what the program writes to stderr\n',
    );
    return 1;
  }
  process.stdout.write(handlerTraceToDot(trace));
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
