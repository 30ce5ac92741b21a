/**
 * The guard for the compile-time assertions in
 * tests/tokens-bind-inference.test.ts. Jest runs ts-jest with
 * `diagnostics: false`, so a type error in that file would never fail a jest
 * run by itself; this test compiles it with tsconfig.json's options, as
 * `npm run typecheck` does (ESM, NodeNext, strict), and checks that:
 *
 * 1. the file has no diagnostic;
 * 2. each `// @ts-expect-error TSnnnn` directive in it, once removed, leaves
 *    exactly error TSnnnn on the line after it and no other error anywhere,
 *    so no unrelated error can satisfy a directive;
 * 3. `Exact` tells `any`, `never`, `unknown`, optional parameters and
 *    intersections from the types they resemble, and fails on a handler
 *    parameter that is `any`;
 * 4. with any one binding helper redeclared so that its handler parameter is
 *    `(...args: any[]) => void` (the callbacks passed to it then get `any`
 *    parameters), the file's `Exact` assertions report errors, and nothing
 *    but those (and the implicit-`any` errors that come with them) does.
 *
 * The real file and all its variants are in-memory roots of one Program, so
 * src is parsed and checked once.
 */
import * as path from 'node:path';
import ts from 'typescript';

const root = path.join(__dirname, '..');
const testsDir = path.join(root, 'tests');
const target = path.join(testsDir, 'tokens-bind-inference.test.ts');
const targetImport = "} from '../src/index.js';";

const targetText = ts.sys.readFile(target) ?? '';

const TS_EXPECT_ERROR = /^\s*\/\/ @ts-expect-error\b(?: (TS\d+)\b)?/;
const TS_IMPLICIT_ANY = 7006;
const TS_NOT_ASSIGNABLE = 2322;

/**
 * The helpers whose handler parameter the variants break, each redeclared
 * with the real first (and third) parameter type and an `any` handler.
 */
const regressions: Record<string, string> = {
  bindAllocator: 'export declare function bindAllocator<F>(allocator: Parameters<typeof real.bindAllocator>[0], handler: F & AnyHandler): F;',
  makeCustomAllocHandler:
    'export declare function makeCustomAllocHandler<F>(allocator: Parameters<typeof real.makeCustomAllocHandler>[0], handler: F & AnyHandler): F;',
  bindExecutor: 'export declare function bindExecutor<F>(ex: Parameters<typeof real.bindExecutor>[0], handler: F & AnyHandler): F;',
  bindCancellationSlot:
    'export declare function bindCancellationSlot<F>(slot: Parameters<typeof real.bindCancellationSlot>[0], handler: F & AnyHandler): F;',
  bindAbortSignal:
    'export declare function bindAbortSignal<F>(signal: AbortSignal, handler: F & AnyHandler, type?: Parameters<typeof real.bindAbortSignal>[2]): F;',
  withAbortSignal:
    'export declare function withAbortSignal<T extends CompletionToken<never[]>>(signal: AbortSignal, token: T & AnyHandler, type?: Parameters<typeof real.withAbortSignal>[2]): WrappedToken<T>;',
};

/** Lines appended to the file: `fails` says whether tsc must reject the line. */
const probes: { text: string; fails: boolean }[] = [
  { text: 'const _probeSame: Exact<IoError | null, IoError | null> = true;', fails: false },
  { text: 'const _probeAny: Exact<any, number> = true;', fails: true },
  { text: 'const _probeAnyExpected: Exact<number, any> = true;', fails: true },
  { text: 'const _probeNever: Exact<never, number> = true;', fails: true },
  { text: 'const _probeUnknown: Exact<unknown, number> = true;', fails: true },
  { text: 'const _probeOptional: Exact<(x?: number) => void, (x: number) => void> = true;', fails: true },
  { text: 'const _probeIntersection: Exact<(() => void) & CallableFunction, () => void> = true;', fails: true },
  { text: 'const _probeHandler = bindAllocator(handlerMemory(), (err: any) => {', fails: false },
  { text: '  const _probeErr: Exact<typeof err, IoError | null> = true;', fails: true },
  { text: '});', fails: false },
  { text: 'const _probeBound: Exact<typeof _probeHandler, (err: IoError | null) => void> = true;', fails: true },
];

function compilerOptions(): ts.CompilerOptions {
  const configPath = path.join(root, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (file) => ts.sys.readFile(file));
  if (read.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root);
  return { ...parsed.options, noEmit: true };
}

function replaceOnce(text: string, search: string, replacement: string): string {
  const at = text.indexOf(search);
  if (at < 0 || text.indexOf(search, at + 1) >= 0) throw new Error(`expected exactly one ${JSON.stringify(search)}`);
  return text.slice(0, at) + replacement + text.slice(at + search.length);
}

interface Found {
  /** 1-based. */
  line: number;
  code: number;
  /** The source line, trimmed. */
  text: string;
  message: string;
}

const virtualFiles = new Map<string, string>();
const strippedFile = path.join(testsDir, 'tokens-bind-inference.no-expect-error.ts');
const probedFile = path.join(testsDir, 'tokens-bind-inference.probes.ts');
const regressedFile = (helper: string): string => path.join(testsDir, `tokens-bind-inference.regressed-${helper}.ts`);
const regressedModule = (helper: string): string => path.join(testsDir, `regressed-${helper}.ts`);

const lines = targetText.split('\n');
const directives = lines.flatMap((text, i) => {
  const match = TS_EXPECT_ERROR.exec(text);
  return match === null ? [] : [{ line: i + 1, code: match[1] }];
});
virtualFiles.set(strippedFile, lines.map((text) => (TS_EXPECT_ERROR.test(text) ? '' : text)).join('\n'));
const probeStart = lines.length + 1;
virtualFiles.set(probedFile, [...lines, ...probes.map((p) => p.text)].join('\n'));
for (const [helper, declaration] of Object.entries(regressions)) {
  virtualFiles.set(regressedFile(helper), replaceOnce(targetText, targetImport, `} from './regressed-${helper}.js';`));
  virtualFiles.set(
    regressedModule(helper),
    [
      "import type * as real from '../src/index.js';",
      "import type { CompletionToken, WrappedToken } from '../src/index.js';",
      "export * from '../src/index.js';",
      'type AnyHandler = (...args: any[]) => void;',
      declaration,
      '',
    ].join('\n'),
  );
}

/** Each root file's diagnostics, from the one Program `beforeAll` compiles. */
let compiled: Map<string, Found[]> | undefined;

function compile(): Map<string, Found[]> {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const text = virtualFiles.get(path.resolve(fileName));
    return text === undefined ? getSourceFile(fileName, languageVersion, onError, shouldCreate) : ts.createSourceFile(fileName, text, languageVersion, true);
  };
  host.fileExists = (fileName) => virtualFiles.has(path.resolve(fileName)) || fileExists(fileName);
  host.readFile = (fileName) => virtualFiles.get(path.resolve(fileName)) ?? readFile(fileName);
  const roots = [target, ...virtualFiles.keys()];
  const program = ts.createProgram(roots, options, host);
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  if (global.length > 0) throw new Error(ts.formatDiagnostics(global, host));
  const result = new Map<string, Found[]>();
  for (const fileName of roots) {
    const sf = program.getSourceFile(fileName);
    if (sf === undefined) throw new Error(`not in the program: ${fileName}`);
    const found = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map((d): Found => {
      const line = sf.getLineAndCharacterOfPosition(d.start ?? 0).line;
      return {
        line: line + 1,
        code: d.code,
        text: (sf.text.split('\n')[line] ?? '').trim(),
        message: ts.flattenDiagnosticMessageText(d.messageText, ' '),
      };
    });
    result.set(fileName, found);
  }
  return result;
}

function diagnostics(file: string): Found[] {
  const found = compiled?.get(file);
  if (found === undefined) throw new Error(`not compiled: ${file}`);
  return found;
}

const show = (d: Found): string => `line ${d.line}: TS${d.code} ${d.message}  [${d.text}]`;
const isExactAssertion = (d: Found): boolean => d.code === TS_NOT_ASSIGNABLE && /^const _\w+: Exact</.test(d.text);

describe('the compile-time assertions of tokens-bind-inference.test.ts', () => {
  // Parsing the lib, @types and src takes a few seconds; more on a loaded machine.
  beforeAll(() => {
    compiled = compile();
  }, 120_000);

  test('the file type-checks with the project options', () => {
    expect(targetText).toContain(targetImport);
    expect(diagnostics(target).map(show)).toEqual([]);
  });

  test('each @ts-expect-error names its error, and only that error satisfies it', () => {
    expect(directives.length).toBeGreaterThanOrEqual(3);
    expect(directives.filter((d) => d.code === undefined).map((d) => `line ${d.line} names no TSnnnn code`)).toEqual([]);
    const expected = directives.map((d) => `line ${d.line + 1}: ${d.code ?? ''}`);
    const actual = diagnostics(strippedFile).map((d) => `line ${d.line}: TS${d.code}`);
    expect(actual.sort()).toEqual(expected.sort());
  });

  test('Exact rejects any, never, unknown, optional parameters, intersections and an `any` handler parameter', () => {
    const expected = probes.flatMap((p, i) => (p.fails ? [`line ${probeStart + i}: TS${TS_NOT_ASSIGNABLE} [${p.text.trim()}]`] : []));
    const actual = diagnostics(probedFile).map((d) => `line ${d.line}: TS${d.code} [${d.text}]`);
    expect(actual).toEqual(expected);
  });

  test.each(Object.keys(regressions))('with %s taking `(...args: any[]) => void`, the Exact assertions fail the build', (helper) => {
    expect(diagnostics(regressedModule(helper)).map(show)).toEqual([]);
    const found = diagnostics(regressedFile(helper));
    expect(found.filter(isExactAssertion).length).toBeGreaterThan(0);
    // Nothing else reports: the redeclaration broke inference and nothing more.
    expect(found.filter((d) => !isExactAssertion(d) && d.code !== TS_IMPLICIT_ANY).map(show)).toEqual([]);
  });
});
