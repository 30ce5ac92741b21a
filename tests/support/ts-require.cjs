/**
 * Lets a plain `node` child process load the TypeScript sources: `.ts` files
 * are transpiled on require, and `./x.js` specifiers resolve to `./x.ts`.
 * Used by tests that need a real process (for example real OS signals,
 * which Jest's sandboxed `process` object never receives).
 */
const fs = require('node:fs');
const Module = require('node:module');
const ts = require('typescript');

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (request.startsWith('.') && request.endsWith('.js') && parent && parent.filename && parent.filename.endsWith('.ts')) {
    try {
      return resolve.call(this, request.slice(0, -3) + '.ts', parent, ...rest);
    } catch {
      // fall through to the original specifier
    }
  }
  return resolve.call(this, request, parent, ...rest);
};

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(outputText, filename);
};
