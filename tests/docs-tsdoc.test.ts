/**
 * Every public export is documented: a summary, an area (`@category`), for
 * asynchronous operations the completion signature, and, on the
 * user-facing API, an `@example`.
 *
 * The rule, checked with the TypeScript compiler on `src/index.ts`:
 *
 * 1. Public means exported from `src/index.ts` (re-exports followed to the
 *    declaration), minus anything tagged `@internal` (left out of the API
 *    reference). A symbol's comment is the last doc comment of each of its
 *    declarations, taken together (an overloaded function may carry it on
 *    its first signature; a const and a type of the same name may share it).
 * 2. Every public export has a summary (text before the first tag) and a
 *    `@category` naming one of the areas of `typedoc.json`'s
 *    `categoryOrder` (the areas the API reference is grouped by). Only a
 *    declaration in `src/ops/` may be in `Operations (advanced)`.
 * 3. User-facing means a public export whose category is not
 *    `Operations (advanced)` (the op classes allocator authors key by),
 *    together with the public methods of its class (rule 4). Each has an
 *    `@example` tag containing a ```ts fenced block.
 * 4. Classes: every public member of a public class is checked: members
 *    declared on the class itself and members inherited from an ancestor
 *    class that is not exported (they are documented nowhere else). Skipped:
 *    `#private`, `private` and `protected` members; `@internal` members, and
 *    members of an `@internal` ancestor (left out of the reference with it);
 *    the constructor (the class comment and its example cover
 *    construction); members declared outside `src/` (such as `Error`'s).
 *    Methods, static or not, need a summary, and on a user-facing class an
 *    `@example`; properties and accessors need a summary.
 * 5. Interfaces: every member declared on the interface, or inherited from an
 *    interface that is not exported (and not `@internal`), needs a summary
 *    (the interface's example shows them in use).
 * 6. A class member with no doc comment of its own that overrides a base
 *    class member or implements an interface member is documented by that
 *    member's comment (TypeDoc shows it there), which then only needs a
 *    summary. A member with a comment of its own is held to rule 4.
 * 7. Every function or method (class or interface) named `async` followed by
 *    a capital (`asyncReadSome`, `asyncWait`, `asyncInitiate`, …), or named
 *    `post`, `dispatch` or `defer`, states its completion signature: its
 *    comment contains `Completion signature:`.
 * 8. Over every doc comment in `src/` (public or not): no `@example` on an
 *    `@internal` declaration or on a member of an `@internal` class or
 *    interface (nobody reads them there), and no example body appears
 *    verbatim (whitespace aside) more than twice.
 *
 * Failures are collected and reported as one list.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const root = path.join(__dirname, '..');
const srcDir = path.join(root, 'src') + path.sep;
const entry = path.join(root, 'src', 'index.ts');

const COMPLETION_SIGNATURE = 'Completion signature:';
const ADVANCED = 'Operations (advanced)';
const opsDir = path.join(srcDir, 'ops') + path.sep;
/** The areas of the API reference: typedoc.json's `categoryOrder`, less the documents' own and the catch-all. */
const AREAS: readonly string[] = (JSON.parse(fs.readFileSync(path.join(root, 'typedoc.json'), 'utf8')) as { categoryOrder: string[] }).categoryOrder.filter(
  (area) => area !== '*' && area !== 'Guides',
);
/** How many times one example body may appear in src. */
const MAX_SAME_EXAMPLE = 2;

function loadProgram(): ts.Program {
  const configPath = path.join(root, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (file) => ts.sys.readFile(file));
  if (read.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root);
  return ts.createProgram([entry], { ...parsed.options, noEmit: true });
}

interface DocText {
  /** At least one declaration has a doc comment. */
  present: boolean;
  summary: string;
  examples: string[];
  categories: string[];
  /** The summary and every tag's text. */
  all: string;
  internal: boolean;
}

function isInSrc(node: ts.Node): boolean {
  return path.normalize(node.getSourceFile().fileName).startsWith(srcDir);
}

/** The doc comment TypeDoc uses for `decl`: the last one before it (a variable's sits on its statement). */
function lastJsDoc(decl: ts.Node): ts.JSDoc | undefined {
  const docs = ts.getJSDocCommentsAndTags(decl).filter(ts.isJSDoc);
  return docs[docs.length - 1];
}

function isInternal(decl: ts.Node): boolean {
  return ts.getJSDocCommentsAndTags(decl).some(
    (doc) => ts.isJSDoc(doc) && (doc.tags ?? []).some((tag) => tag.tagName.text === 'internal'),
  );
}

/** Implementation signatures of overloaded functions and methods are not shown by TypeDoc. */
function isOverloadImplementation(decl: ts.Declaration, all: readonly ts.Declaration[]): boolean {
  return (
    (ts.isFunctionDeclaration(decl) || ts.isMethodDeclaration(decl)) &&
    decl.body !== undefined &&
    all.some((other) => other !== decl && other.kind === decl.kind && (other as ts.FunctionLikeDeclaration).body === undefined)
  );
}

function docOf(decls: readonly ts.Declaration[]): DocText {
  const text: DocText = { present: false, summary: '', examples: [], categories: [], all: '', internal: false };
  for (const decl of decls) {
    if (isInternal(decl)) text.internal = true;
    if (isOverloadImplementation(decl, decls)) continue;
    const doc = lastJsDoc(decl);
    if (doc === undefined) continue;
    text.present = true;
    const summary = (ts.getTextOfJSDocComment(doc.comment) ?? '').trim();
    if (summary !== '') text.summary += (text.summary === '' ? '' : '\n') + summary;
    text.all += `${summary}\n`;
    for (const tag of doc.tags ?? []) {
      const tagText = ts.getTextOfJSDocComment(tag.comment) ?? '';
      text.all += `${tagText}\n`;
      if (tag.tagName.text === 'example') text.examples.push(tagText);
      if (tag.tagName.text === 'category' && !text.categories.includes(tagText.trim())) text.categories.push(tagText.trim());
    }
  }
  return text;
}

function hasTsExample(doc: DocText): boolean {
  return doc.examples.some((example) => example.includes('```ts'));
}

function needsCompletionSignature(name: string): boolean {
  return /^async[A-Z]/.test(name) || name === 'post' || name === 'dispatch' || name === 'defer';
}

type MemberKind = 'method' | 'property' | 'accessor';

function memberKind(decl: ts.Declaration): MemberKind | null {
  if (ts.isMethodDeclaration(decl) || ts.isMethodSignature(decl)) return 'method';
  if (ts.isPropertyDeclaration(decl) || ts.isPropertySignature(decl) || ts.isParameter(decl)) return 'property';
  if (ts.isGetAccessorDeclaration(decl) || ts.isSetAccessorDeclaration(decl)) return 'accessor';
  return null;
}

/** The class or interface a member is declared in (a parameter property: its constructor's class). */
function containerOf(decl: ts.Declaration): ts.Node {
  return ts.isParameter(decl) ? decl.parent.parent : decl.parent;
}

function isHiddenMember(decl: ts.Declaration): boolean {
  const name = ts.getNameOfDeclaration(decl);
  if (name !== undefined && ts.isPrivateIdentifier(name)) return true;
  return (ts.getCombinedModifierFlags(decl) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0;
}

interface Finding {
  /** Re-exported modules that do not resolve: their exports would go unchecked. */
  unresolved: string[];
  missingSummary: string[];
  missingExample: string[];
  missingCompletionSignature: string[];
  badCategory: string[];
  /** How many public exports and members are user-facing (held to the example rule). */
  userFacing: number;
  checked: number;
}

function collect(): Finding {
  const program = loadProgram();
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (source === undefined) throw new Error(`cannot load ${entry}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) throw new Error('src/index.ts has no module symbol');

  const resolve = (symbol: ts.Symbol): ts.Symbol =>
    (symbol.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(symbol) : symbol;

  const exported = checker.getExportsOfModule(moduleSymbol).map((symbol) => ({ name: symbol.getName(), symbol: resolve(symbol) }));
  /** Class and interface declarations whose members are checked under their own name. */
  const publicContainers = new Set<ts.Node>();
  for (const { symbol } of exported) {
    for (const decl of symbol.declarations ?? []) {
      if (!isInternal(decl)) publicContainers.add(decl);
    }
  }

  const finding: Finding = { unresolved: [], missingSummary: [], missingExample: [], missingCompletionSignature: [], badCategory: [], userFacing: 0, checked: 0 };

  // Walk the `export … from` chain: an unresolved module would hide its exports from this test.
  const visited = new Set<ts.SourceFile>();
  const walk = (file: ts.SourceFile): void => {
    if (visited.has(file)) return;
    visited.add(file);
    for (const statement of file.statements) {
      if (!ts.isExportDeclaration(statement) || statement.moduleSpecifier === undefined) continue;
      const target = checker.getSymbolAtLocation(statement.moduleSpecifier);
      const targetFile = target?.valueDeclaration;
      if (targetFile === undefined || !ts.isSourceFile(targetFile)) {
        finding.unresolved.push(`${path.relative(root, file.fileName)}: ${statement.moduleSpecifier.getText(file)}`);
      } else {
        walk(targetFile);
      }
    }
  };
  walk(source);

  /** The comment a class member shows: its own, else that of the member it overrides or implements. */
  const inheritedDoc = (owner: ts.Type, memberName: string, isStatic: boolean, seen: Set<ts.Type>): DocText | null => {
    if (seen.has(owner)) return null;
    seen.add(owner);
    const candidates: ts.Type[] = [];
    if (!isStatic && owner.isClassOrInterface()) candidates.push(...checker.getBaseTypes(owner));
    for (const decl of owner.getSymbol()?.declarations ?? []) {
      if (!ts.isClassDeclaration(decl)) continue;
      for (const clause of decl.heritageClauses ?? []) {
        if (clause.token !== ts.SyntaxKind.ImplementsKeyword) continue;
        for (const node of clause.types) candidates.push(checker.getTypeAtLocation(node));
      }
    }
    for (const base of candidates) {
      const member = base.getProperty(memberName);
      const decls = member?.declarations ?? [];
      const doc = docOf(decls);
      if (doc.present) return doc;
      const deeper = inheritedDoc(base, memberName, isStatic, seen);
      if (deeper !== null) return deeper;
    }
    return null;
  };

  const checkMember = (
    ownerName: string,
    ownerType: ts.Type,
    container: 'class' | 'interface',
    member: ts.Symbol,
    isStatic: boolean,
    userFacing: boolean,
  ): void => {
    const decls = (member.declarations ?? []).filter(isInSrc);
    if (decls.length === 0) return;
    if (decls.some(isHiddenMember)) return;
    // Members declared on another public class or interface are checked there.
    const ownDecls: readonly ts.Node[] = ownerType.getSymbol()?.declarations ?? [];
    const containers = decls.map(containerOf);
    if (!containers.some((node) => ownDecls.includes(node)) && containers.every((node) => publicContainers.has(node))) return;
    if (containers.some(isInternal)) return;
    const kind = memberKind(decls[0]!);
    if (kind === null) return;
    const own = docOf(decls);
    if (own.internal) return;
    const name = `${ownerName}${isStatic ? '.' : '#'}${member.getName()}`;
    finding.checked++;

    let doc = own;
    let inherited = false;
    if (!own.present && container === 'class') {
      const fromBase = inheritedDoc(ownerType, member.getName(), isStatic, new Set());
      if (fromBase !== null) {
        doc = fromBase;
        inherited = true;
      }
    }
    if (doc.summary === '') finding.missingSummary.push(name);
    if (container === 'class' && kind === 'method' && !inherited && userFacing) {
      finding.userFacing++;
      if (!hasTsExample(doc)) finding.missingExample.push(name);
    }
    if (kind === 'method' && needsCompletionSignature(member.getName()) && !doc.all.includes(COMPLETION_SIGNATURE)) {
      finding.missingCompletionSignature.push(name);
    }
  };

  for (const { name, symbol } of exported) {
    const decls = symbol.declarations ?? [];
    const doc = docOf(decls);
    if (doc.internal) continue;
    finding.checked++;
    if (doc.summary === '') finding.missingSummary.push(name);
    const inOps = decls.some((decl) => path.normalize(decl.getSourceFile().fileName).startsWith(opsDir));
    const category = doc.categories.length === 1 ? doc.categories[0]! : null;
    if (category === null || !AREAS.includes(category) || (category === ADVANCED && !inOps)) {
      finding.badCategory.push(`${name}: ${doc.categories.length === 0 ? 'no @category' : doc.categories.join(', ')}`);
    }
    const userFacing = category !== ADVANCED;
    if (userFacing) {
      finding.userFacing++;
      if (!hasTsExample(doc)) finding.missingExample.push(name);
    }
    if ((symbol.flags & ts.SymbolFlags.Function) !== 0 && needsCompletionSignature(name) && !doc.all.includes(COMPLETION_SIGNATURE)) {
      finding.missingCompletionSignature.push(name);
    }

    if ((symbol.flags & ts.SymbolFlags.Class) !== 0) {
      const instanceType = checker.getDeclaredTypeOfSymbol(symbol);
      for (const member of checker.getPropertiesOfType(instanceType)) checkMember(name, instanceType, 'class', member, false, userFacing);
      const staticType = checker.getTypeOfSymbol(symbol);
      for (const member of checker.getPropertiesOfType(staticType)) {
        if (member.getName() !== 'prototype') checkMember(name, instanceType, 'class', member, true, userFacing);
      }
    } else if ((symbol.flags & ts.SymbolFlags.Interface) !== 0) {
      const type = checker.getDeclaredTypeOfSymbol(symbol);
      for (const member of checker.getPropertiesOfType(type)) checkMember(name, type, 'interface', member, false, userFacing);
    }
  }
  return finding;
}

interface ExampleScan {
  /** Examples on `@internal` declarations or members of `@internal` classes and interfaces: `file:line name`. */
  onInternal: string[];
  /** Example bodies that appear more than `MAX_SAME_EXAMPLE` times, with where. */
  repeated: string[];
  total: number;
}

function hasInternalTag(doc: ts.JSDoc): boolean {
  return (doc.tags ?? []).some((tag) => tag.tagName.text === 'internal');
}

/** Every doc comment in src/ with its host declaration, public or not. */
function scanExamples(): ExampleScan {
  const program = loadProgram();
  program.getTypeChecker(); // binds the files: doc comments are found through parent links
  const scan: ExampleScan = { onInternal: [], repeated: [], total: 0 };
  const bodies = new Map<string, string[]>();
  const internalContainer = (node: ts.Node): boolean => {
    for (let up = node.parent as ts.Node | undefined; up !== undefined; up = up.parent) {
      if ((ts.isClassDeclaration(up) || ts.isInterfaceDeclaration(up) || ts.isClassExpression(up)) && isInternal(up)) return true;
    }
    return false;
  };
  for (const file of program.getSourceFiles()) {
    if (!path.normalize(file.fileName).startsWith(srcDir)) continue;
    const visit = (node: ts.Node): void => {
      for (const doc of ts.getJSDocCommentsAndTags(node)) {
        if (!ts.isJSDoc(doc) || doc.parent !== node) continue;
        const examples = (doc.tags ?? []).filter((tag) => tag.tagName.text === 'example');
        if (examples.length === 0) continue;
        const line = file.getLineAndCharacterOfPosition(doc.getStart(file)).line + 1;
        const declName = ts.getNameOfDeclaration(node as ts.Declaration)?.getText(file) ?? ts.SyntaxKind[node.kind];
        const where = `${path.relative(root, file.fileName)}:${String(line)} ${declName}`;
        if (hasInternalTag(doc) || isInternal(node) || internalContainer(node)) scan.onInternal.push(where);
        for (const tag of examples) {
          scan.total++;
          const body = (ts.getTextOfJSDocComment(tag.comment) ?? '')
            .split('\n')
            .map((text) => text.trim().replace(/\s+/g, ' '))
            .filter((text) => text !== '')
            .join('\n');
          bodies.set(body, [...(bodies.get(body) ?? []), where]);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  for (const [body, places] of bodies) {
    if (places.length > MAX_SAME_EXAMPLE) scan.repeated.push(`${String(places.length)}× in ${places.join(', ')}:\n${body}`);
  }
  return scan;
}

describe('TSDoc on the public API', () => {
  const finding = collect();
  const examples = scanExamples();

  test('finds the public exports', () => {
    expect(finding.unresolved).toEqual([]);
    expect(finding.checked).toBeGreaterThan(50);
  });

  test('every public export and member has a summary', () => {
    expect(finding.missingSummary).toEqual([]);
  });

  test('finds the user-facing API and the examples in src', () => {
    expect(finding.userFacing).toBeGreaterThan(100);
    expect(examples.total).toBeGreaterThan(100);
  });

  test(`every public export has one @category from typedoc.json's categoryOrder; only src/ops/ declarations are "${ADVANCED}"`, () => {
    expect(finding.badCategory).toEqual([]);
  });

  test('every user-facing export and its public class methods have an @example with a ```ts block', () => {
    expect(finding.missingExample).toEqual([]);
  });

  test('no @example on an @internal declaration or a member of an @internal class or interface', () => {
    expect(examples.onInternal).toEqual([]);
  });

  test(`no example body appears verbatim more than ${String(MAX_SAME_EXAMPLE)} times in src`, () => {
    expect(examples.repeated).toEqual([]);
  });

  test(`every async* function or method, and post/dispatch/defer, states "${COMPLETION_SIGNATURE}"`, () => {
    expect(finding.missingCompletionSignature).toEqual([]);
  });
});
