/**
 * Every ```ts block in README.md and docs/*.md compiles against the built
 * package (`dist/src/index.d.ts`, which `npm test` builds before jest), so
 * the documentation cannot drift from the API.
 *
 * Blocks are fragments of a program. Each one is compiled as its own module:
 * its `import` lines stay at the top (a block without imports gets every
 * export of `'proactor'`), and the rest becomes the body of an `async`
 * function, so `await` works and the names a block declares stay its own.
 * The names the documentation uses without declaring them (`ctx`,
 * `socket`, `buf`, `timer`, …) are declared once, with their real types, in
 * a prelude every block sees. A block that is not TypeScript (shell, output,
 * pseudo-code) is fenced as something else (```sh, ```text).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';

const root = path.join(__dirname, '..');
const distIndex = path.join(root, 'dist', 'src', 'index.js');

/** The documents whose blocks are checked. */
const documents = ['README.md', ...readdirSync(path.join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

/** The free names of the documentation's fragments, with the types they have where the documents use them. */
const prelude = `
type DocsProactor = typeof import(${JSON.stringify(distIndex)});
type DocsInstance<K extends keyof DocsProactor> = DocsProactor[K] extends abstract new (...args: never[]) => infer T ? T : never;
declare const ctx: DocsInstance<'IoContext'>;
declare const socket: DocsInstance<'TcpSocket'>;
declare const sock: DocsInstance<'TcpSocket'>;
declare const acceptor: DocsInstance<'TcpAcceptor'>;
declare const timer: DocsInstance<'SteadyTimer'>;
declare const endpoint: import(${JSON.stringify(distIndex)}).Endpoint;
declare const buf: Buffer;
declare const request: Buffer;
declare const reply: Buffer;
declare const input: DocsInstance<'DynamicBuffer'>;
declare const metrics: { gauge(name: string, value: number): void };
declare function handle(line: string, done: () => void): void;
`;

interface Block {
  /** `README.md`, `docs/guide.md`, … */
  document: string;
  /** 1-based, among the document's ```ts blocks. */
  index: number;
  /** The line of the opening fence. */
  line: number;
  code: string;
}

/** Opening fences that name no language (`document:line`): a TypeScript block could hide there unchecked. */
const untagged: string[] = [];

/** The ```ts (or ```typescript) blocks of `document`. */
function tsBlocks(document: string): Block[] {
  const lines = readFileSync(path.join(root, document), 'utf8').split('\n');
  const blocks: Block[] = [];
  let open: { fence: string; ts: boolean; line: number; body: string[] } | null = null;
  lines.forEach((text, i) => {
    const fence = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/.exec(text);
    if (open === null) {
      if (fence === null) return;
      open = { fence: fence[2]!, ts: ['ts', 'typescript'].includes(fence[3]!), line: i + 1, body: [] };
      if (fence[3] === '') untagged.push(`${document}:${String(i + 1)}`);
      return;
    }
    if (fence !== null && fence[2]!.startsWith(open.fence) && fence[3] === '') {
      if (open.ts) blocks.push({ document, index: blocks.length + 1, line: open.line, code: open.body.join('\n') });
      open = null;
      return;
    }
    open.body.push(text);
  });
  return blocks;
}

const IMPORT = /^import\s[^;]*;\s*$/;

/** The module a block is compiled as, and the module line of the block's first line (0-based). */
function moduleText(block: Block, allExports: readonly string[]): { text: string; bodyLine: number; first: number } {
  const lines = block.code.split('\n');
  let first = 0;
  while (first < lines.length && (IMPORT.test(lines[first]!) || lines[first]!.trim() === '')) first++;
  const own = lines.slice(0, first).filter((text) => text.trim() !== '');
  const head =
    own.length > 0
      ? own.map((text) => text.replace(/from 'proactor'/, `from ${JSON.stringify(distIndex)}`))
      : [`import { ${allExports.join(', ')} } from ${JSON.stringify(distIndex)};`];
  const header = [...head, 'export async function block(): Promise<void> {'];
  return { text: [...header, ...lines.slice(first), '}', ''].join('\n'), bodyLine: header.length, first };
}

const options: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
  types: ['node'],
  typeRoots: [path.join(root, 'node_modules', '@types')],
};

/** Every name `'proactor'` exports (types included), for the blocks that import nothing. */
function exportNames(): string[] {
  const program = ts.createProgram([distIndex.replace(/\.js$/, '.d.ts')], options);
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(distIndex.replace(/\.js$/, '.d.ts'));
  const symbol = file === undefined ? undefined : checker.getSymbolAtLocation(file);
  if (symbol === undefined) throw new Error(`cannot load ${distIndex}: run npm run build first`);
  return checker.getExportsOfModule(symbol).map((exported) => exported.getName());
}

/** Compiles every block; returns each block's diagnostics as `document:line: message`. */
function compile(blocks: readonly Block[]): Map<Block, string[]> {
  const names = exportNames();
  const dir = mkdtempSync(path.join(tmpdir(), 'proactor-docs-'));
  try {
    writeFileSync(path.join(dir, 'prelude.d.ts'), prelude);
    const files = new Map<string, { block: Block; bodyLine: number; first: number }>();
    for (const block of blocks) {
      const file = path.join(dir, `${block.document.replace(/[/.]/g, '-')}-${String(block.index)}.mts`);
      const { text, bodyLine, first } = moduleText(block, names);
      writeFileSync(file, text);
      files.set(file, { block, bodyLine, first });
    }
    const program = ts.createProgram([path.join(dir, 'prelude.d.ts'), ...files.keys()], options);
    const result = new Map<Block, string[]>(blocks.map((block) => [block, []]));
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      const entry = diagnostic.file === undefined ? undefined : files.get(path.normalize(diagnostic.file.fileName));
      if (entry === undefined || diagnostic.start === undefined) {
        // The prelude, or the program as a whole: every block is suspect.
        for (const list of result.values()) list.push(`${diagnostic.file?.fileName ?? 'program'}: ${message}`);
        continue;
      }
      const line = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start).line;
      const inBlock = line >= entry.bodyLine ? entry.first + (line - entry.bodyLine) : 0;
      result.get(entry.block)!.push(`${entry.block.document}:${String(entry.block.line + 1 + inBlock)}: TS${String(diagnostic.code)} ${message}`);
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const blocks = documents.flatMap(tsBlocks);

describe('the ```ts blocks of README.md and docs/*.md', () => {
  const diagnostics = compile(blocks);

  test('finds the blocks', () => {
    expect(blocks.length).toBeGreaterThan(10);
    expect(new Set(blocks.map((block) => block.document))).toContain('README.md');
  });

  test('every fenced block names its language (```text for output and diagrams)', () => {
    expect(untagged).toEqual([]);
  });

  test.each(blocks.map((block) => [`${block.document} block ${String(block.index)} (line ${String(block.line)})`, block] as const))(
    '%s compiles',
    (_name, block) => {
      expect(diagnostics.get(block)).toEqual([]);
    },
  );
});
