/**
 * Projection files without esbuild, for an install that lacks esbuild's native binary (a platform
 * without its own package): JavaScript projections still run, read as written. CommonJS files and
 * scripts (KurrentDB's) run unchanged; in an ES module the `import` and `export` statements are
 * rewritten in place into `require` and `exports` on the same lines, so the lines in errors stay
 * the user's. The local files a projection imports load the same way, afresh on every run.
 * TypeScript (and JSX) needs esbuild: such files are refused with a sentence saying so.
 */

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileFunction } from 'node:vm';
import { EventscopeError, messageOf } from '../errors';
import { C, isDotAt, isPunct, isWord, K, type Scan, scan, stringValue, textOf } from '../jsScan';

/** JavaScript the plain loader compiles itself (local JSON it parses; anything else goes to Node's require). */
const JS_FILE = /\.(c|m)?js$/i;
const NEEDS_ESBUILD = /\.(ts|mts|cts|tsx|jsx)$/i;

/** ES modules are strict; the directive goes on the first line, whose columns it shifts. */
export const STRICT = "'use strict';";

/** The names every plain module's code is compiled with (the interop helpers the rewrite uses). */
const MODULE_PARAMS = ['exports', 'require', 'module', '__filename', '__dirname', '__esm_ns', '__esm_default', '__esm_star', '__esm_meta'];

// ---------------------------------------------------------------------------------------------
// The rewrite of an ES module into CommonJS, line for line.

export interface Converted {
  /** The code to compile as a function body (with MODULE_PARAMS and, for a projection, KurrentDB's globals). */
  code: string;
  /** Whether the file was an ES module (rewritten, strict). */
  esm: boolean;
  /** The module specifiers it names: imports, re-exports, `require('…')` and `import('…')` with a literal. */
  requests: string[];
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

const STATEMENT_WORDS = new Set([
  'import',
  'export',
  'const',
  'let',
  'var',
  'function',
  'class',
  'if',
  'for',
  'while',
  'do',
  'return',
  'switch',
  'try',
  'throw',
]);

/** Blanks a range: spaces for everything but line breaks, so nothing after it moves. */
function blank(text: string): string {
  return text.replace(/[^\r\n]/g, ' ');
}

/** A replacement for a statement: the new text, then the statement's line breaks. */
function keepLines(replacement: string, original: string): string {
  return replacement + (original.match(/\r?\n/g) ?? []).join('');
}

/**
 * Brackets ( [ { and template `${` open around each token (0: the module's top level): the scan's
 * bracket depth, plus the template literals whose `${` a token is in.
 */
function nesting(s: Scan): Int32Array {
  const depth = new Int32Array(s.count);
  let inside = 0;
  for (let k = 0; k < s.count; k++) {
    const template = s.kind[k] === K.Template;
    if (template && s.text.charCodeAt(s.start[k]) === C.RBrace) inside--;
    depth[k] = s.depth[k] + inside;
    if (template && !s.unclosed[k] && s.text.endsWith('${', s.end[k])) inside++;
  }
  return depth;
}

/** Rewrites `text` (the file `file`) for the plain loader; `esm` forces ES module syntax (.mjs). */
export function toCommonJs(text: string, file: string, esm = /\.mjs$/i.test(file)): Converted {
  const s = scan(text);
  const depth = nesting(s);
  const requests: string[] = [];
  const edits: Edit[] = [];
  const exported: [name: string, expression: string][] = [];
  let temp = 0;
  let isModule = esm && !/\.cjs$/i.test(file);
  const commonJs = /\.cjs$/i.test(file);
  const word = (k: number, which?: string) => isWord(s, k, which);
  const punct = (k: number, code: number) => isPunct(s, k, code);
  const isString = (k: number) => s.kind[k] === K.String;
  /** The token's text ('' past the last). */
  const textAt = (k: number) => (k >= 0 && k < s.count ? textOf(s, k) : '');
  const where = (k: number) => {
    const before = text.slice(0, s.start[k]);
    return `${file}:${before.split('\n').length}:${s.start[k] - before.lastIndexOf('\n')}`;
  };
  const unsupported = (k: number, what: string, hint = ''): never => {
    throw new EventscopeError(`${where(k)}: ${what} needs esbuild's native binary, which this install lacks${hint}.`);
  };
  /** The end of a statement at token k: past import attributes (`with { … }`) and one `;`. */
  const statementEnd = (k: number): number => {
    let end = k;
    if ((word(end + 1, 'with') || word(end + 1, 'assert')) && punct(end + 2, C.LBrace)) {
      let close = end + 2;
      while (close < s.count && !(punct(close, C.RBrace) && depth[close] === depth[end + 1])) close++;
      if (close < s.count) end = close;
    }
    if (punct(end + 1, C.Semicolon)) end++;
    return end;
  };
  const source = (k: number, keyword: number): string => {
    if (!isString(k)) return unsupported(keyword, `this ${textOf(s, keyword)} statement`);
    const specifier = stringValue(s, k);
    requests.push(specifier);
    return JSON.stringify(specifier);
  };
  /** A name in braces: an identifier, or a string (`'a-b' as c`). */
  const nameAt = (k: number) => (isString(k) ? stringValue(s, k) : textAt(k));
  /** Parses `{ a, b as c, 'd' as e }` from the `{` at k: [imported/local, name][] and the `}`'s index. */
  const specifiers = (k: number): [pairs: [string, string][], close: number] => {
    const pairs: [string, string][] = [];
    let p = k + 1;
    while (p < s.count && !punct(p, C.RBrace)) {
      const name = nameAt(p);
      if (word(p + 1, 'as')) {
        pairs.push([name, nameAt(p + 2)]);
        p += 3;
      } else {
        pairs.push([name, name]);
        p += 1;
      }
      if (punct(p, C.Comma)) p++;
    }
    return [pairs, p];
  };
  /** Replaces the tokens from `from` to `to`, keeping their lines. */
  const replace = (from: number, to: number, replacement: string) => {
    const original = text.slice(s.start[from], s.end[to]);
    edits.push({ start: s.start[from], end: s.end[to], text: keepLines(replacement, original) });
  };
  /** Blanks the tokens from `from` to `to`. */
  const erase = (from: number, to: number) =>
    edits.push({ start: s.start[from], end: s.end[to], text: blank(text.slice(s.start[from], s.end[to])) });

  for (let k = 0; k < s.count; k++) {
    if (!word(k) || isDotAt(s, k - 1)) continue;
    const keyword = textOf(s, k);
    // require('x') and import('x') anywhere: only noted (for the files to watch and check).
    if ((keyword === 'require' || keyword === 'import') && punct(k + 1, C.LParen) && isString(k + 2) && punct(k + 3, C.RParen)) {
      requests.push(stringValue(s, k + 2));
      continue;
    }
    if (keyword === 'import' && punct(k + 1, C.Dot) && word(k + 2, 'meta')) {
      if (commonJs) continue;
      isModule = true;
      edits.push({ start: s.start[k], end: s.end[k + 2], text: '__esm_meta' });
      k += 2;
      continue;
    }
    if (depth[k] !== 0 || commonJs || (keyword !== 'import' && keyword !== 'export')) continue;
    const next = k + 1;
    if (next >= s.count || punct(next, C.LParen) || punct(next, C.Dot)) continue;
    isModule = true;

    if (keyword === 'import') {
      if (isString(next)) {
        const end = statementEnd(next);
        replace(k, end, `require(${source(next, k)});`);
        k = end;
        continue;
      }
      let p = next;
      let defaultName: string | undefined;
      let namespace: string | undefined;
      let named: [string, string][] | undefined;
      if (word(p) && (punct(p + 1, C.Comma) || word(p + 1, 'from'))) {
        defaultName = textOf(s, p);
        p++;
        if (punct(p, C.Comma)) p++;
      }
      if (punct(p, C.Star)) {
        if (!word(p + 1, 'as')) unsupported(k, 'this import statement');
        namespace = textAt(p + 2);
        p += 3;
      } else if (punct(p, C.LBrace)) {
        const [pairs, close] = specifiers(p);
        named = pairs;
        p = close + 1;
      }
      if (!word(p, 'from')) unsupported(k, 'this import statement');
      const module = `__esm_ns(require(${source(p + 1, k)}))`;
      const end = statementEnd(p + 1);
      const bindings = named?.map(([imported, local]) => (imported === local ? local : `${JSON.stringify(imported)}: ${local}`));
      let declaration: string;
      if (!namespace && !defaultName && bindings) declaration = `const { ${bindings.join(', ')} } = ${module};`;
      else if (namespace && !defaultName && !bindings) declaration = `const ${namespace} = ${module};`;
      else if (defaultName && !namespace && !bindings)
        declaration = `const ${defaultName} = __esm_default(${module.slice('__esm_ns('.length, -1)});`;
      else {
        const m = `__esm_m${++temp}`;
        const parts = [`${m} = ${module}`];
        if (defaultName) parts.push(`${defaultName} = ${m}.default`);
        if (namespace) parts.push(`${namespace} = ${m}`);
        if (bindings) parts.push(`{ ${bindings.join(', ')} } = ${m}`);
        declaration = `const ${parts.join(', ')};`;
      }
      replace(k, end, declaration);
      k = end;
      continue;
    }

    // export …
    if (word(next, 'default')) {
      let name = word(k + 2, 'class') || word(k + 2, 'function') ? k + 3 : word(k + 2, 'async') && word(k + 3, 'function') ? k + 4 : -1;
      if (name >= 0 && punct(name, C.Star)) name++;
      if (name >= 0 && word(name) && !word(name, 'extends')) {
        // A named function or class stays a declaration (hoisted, bound by its name).
        erase(k, next);
        exported.push(['default', textOf(s, name)]);
      } else {
        replace(k, next, 'exports.default =');
      }
      k += 1;
      continue;
    }
    if (word(next, 'const') || word(next, 'let') || word(next, 'var')) {
      erase(k, k);
      let p = k + 2;
      for (;;) {
        if (!word(p)) return unsupported(k, 'exporting a destructuring pattern', '; export the names one by one');
        exported.push([textOf(s, p), textOf(s, p)]);
        // On to the next declarator (a comma at the top level), or the end of the statement.
        p++;
        while (
          p < s.count &&
          !(depth[p] === 0 && (punct(p, C.Comma) || punct(p, C.Semicolon) || (word(p) && STATEMENT_WORDS.has(textOf(s, p)))))
        )
          p++;
        if (!punct(p, C.Comma)) break;
        p++;
      }
      k = p - 1;
      continue;
    }
    if (word(next, 'function') || word(next, 'class') || (word(next, 'async') && word(k + 2, 'function'))) {
      erase(k, k);
      let p = word(next, 'async') ? k + 3 : k + 2;
      if (punct(p, C.Star)) p++;
      exported.push([textAt(p), textAt(p)]);
      k = p;
      continue;
    }
    if (punct(next, C.LBrace)) {
      const [pairs, close] = specifiers(next);
      if (word(close + 1, 'from')) {
        const m = `__esm_m${++temp}`;
        const end = statementEnd(close + 2);
        replace(k, end, `const ${m} = __esm_ns(require(${source(close + 2, k)}));`);
        for (const [local, name] of pairs) exported.push([name, `${m}[${JSON.stringify(local)}]`]);
        k = end;
      } else {
        const end = statementEnd(close);
        erase(k, end);
        for (const [local, name] of pairs) exported.push([name, local]);
        k = end;
      }
      continue;
    }
    if (punct(next, C.Star)) {
      if (word(k + 2, 'as')) {
        const m = `__esm_m${++temp}`;
        if (!word(k + 4, 'from')) unsupported(k, 'this export statement');
        const end = statementEnd(k + 5);
        replace(k, end, `const ${m} = __esm_ns(require(${source(k + 5, k)}));`);
        exported.push([textAt(k + 3), m]);
        k = end;
      } else {
        if (!word(k + 2, 'from')) unsupported(k, 'this export statement');
        const end = statementEnd(k + 3);
        replace(k, end, `__esm_star(exports, require(${source(k + 3, k)}));`);
        k = end;
      }
      continue;
    }
    unsupported(k, 'this export statement');
  }

  let code = text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) code = code.slice(0, edit.start) + edit.text + code.slice(edit.end);
  if (code.startsWith('#!')) code = blank(code.slice(0, code.search(/\r?\n|$/))) + code.slice(code.search(/\r?\n|$/));
  if (!isModule) return { code, esm: false, requests };
  // Exports are getters (live, as in an ES module), defined after the last line.
  const getters = exported.map(
    ([name, expression]) => `Object.defineProperty(exports, ${JSON.stringify(name)}, { enumerable: true, get: () => ${expression} });`,
  );
  code = `${STRICT}${code}\n;Object.defineProperty(exports, '__esModule', { value: true });${getters.join('')}\n`;
  return { code, esm: true, requests };
}

// ---------------------------------------------------------------------------------------------
// Checking and loading.

/** Where a SyntaxError from compiling `file` is ("file:line:col"), from V8's "file:line / code / ^^^" stack head. */
function syntaxErrorAt(error: unknown, file: string, esm: boolean): string {
  const lines = error instanceof Error ? (error.stack ?? '').split('\n') : [];
  const line = /:(\d+)$/.exec(lines[0] ?? '')?.[1];
  const caret = (lines[2] ?? '').indexOf('^');
  if (!line) return file;
  const column = caret < 0 ? 1 : caret + 1 - (esm && line === '1' ? STRICT.length : 0);
  return `${file}:${line}:${Math.max(column, 1)}`;
}

/**
 * Compiles a module's code as a function of MODULE_PARAMS and `globals` (KurrentDB's), leaving out
 * a global the module declares itself at its top level (`const when = …`: a bundle has it as a var).
 */
function compile(code: string, file: string, globals: string[]): { run: (...args: unknown[]) => unknown; names: string[] } {
  let names = globals;
  for (;;) {
    try {
      return { run: compileFunction(code, [...MODULE_PARAMS, ...names], { filename: file }) as (...args: unknown[]) => unknown, names };
    } catch (error) {
      const clash = error instanceof SyntaxError ? /^Identifier '(.+)' has already been declared$/.exec(error.message)?.[1] : undefined;
      if (!clash || !names.includes(clash)) throw error;
      names = names.filter((name) => name !== clash);
    }
  }
}

/** Compiles (never runs) converted code, so a syntax error names its file and line like esbuild's. */
function checkSyntax(converted: Converted, file: string, globals: string[]): void {
  try {
    compile(converted.code, file, globals);
  } catch (error) {
    throw new EventscopeError(`${syntaxErrorAt(error, file, converted.esm)}: ${messageOf(error)}.`, { cause: error });
  }
}

/** The sentence for a file that needs esbuild when it cannot run. */
export function needsEsbuild(file: string, reason: string, importedBy?: string): EventscopeError {
  const what = /\.(jsx|tsx)$/i.test(file) ? 'JSX and TypeScript projections' : 'TypeScript projections';
  const lacking = /could not be found|cannot find module/i.test(reason) ? 'which this install lacks' : 'which cannot run here';
  return new EventscopeError(
    `${importedBy ? `${importedBy} imports ${file}: ` : `${file}: `}${what} need esbuild's native binary for ${process.platform}-${process.arch}, ${lacking} (${reason}); write the projection in JavaScript (.js, .mjs or .cjs), or install the Eventscope package built for this platform.`,
  );
}

/** The local file a request of `parent` names (outside node_modules), or undefined (a package, a builtin, not found). */
function resolveLocal(parent: string, request: string): string | undefined {
  let resolved: string;
  try {
    resolved = createRequire(parent).resolve(request);
  } catch {
    // Node's require resolves no TypeScript: name the .ts file an extensionless import means.
    if (!/^\.\.?([\\/]|$)/.test(request)) return undefined;
    const base = resolvePath(dirname(parent), request);
    return ['.ts', '.mts', '.cts', '.tsx', '.jsx'].map((ext) => base + ext).find((candidate) => existsSync(candidate));
  }
  if (!isAbsolute(resolved) || /[\\/]node_modules[\\/]/.test(resolved)) return undefined;
  return resolved;
}

export interface PlainProjection {
  /** The main file's code, rewritten (see toCommonJs). */
  code: string;
  /** The files it was read from: itself and the local files it imports, transitively. */
  inputs: string[];
}

/**
 * Reads a JavaScript projection for the plain loader: checks the syntax of it and of the local
 * files it imports (naming the line of an error), and lists those files. `reason` says why esbuild
 * could not be used (for the sentence refusing TypeScript).
 */
export function plainProjection(path: string, reason: string, extraParams: string[]): PlainProjection {
  if (NEEDS_ESBUILD.test(path)) throw needsEsbuild(path, reason);
  const inputs: string[] = [];
  let main: Converted | undefined;
  const visit = (file: string, importedBy?: string) => {
    if (inputs.includes(file)) return;
    if (NEEDS_ESBUILD.test(file)) throw needsEsbuild(file, reason, importedBy);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as { code?: string }).code;
      const problem = code === 'ENOENT' ? 'the file does not exist' : code === 'EISDIR' ? 'this is a folder' : messageOf(error);
      throw new EventscopeError(`${importedBy ? `${importedBy} imports ${file}: ` : `${file}: `}${problem}.`, { cause: error });
    }
    inputs.push(file);
    if (file !== path && !JS_FILE.test(file)) return; // JSON; the projection itself is JavaScript whatever its name
    const converted = toCommonJs(text, file);
    checkSyntax(converted, file, file === path ? extraParams : []);
    if (file === path) main = converted;
    for (const request of converted.requests) {
      const local = resolveLocal(file, request);
      if (local) visit(local, file);
    }
  };
  visit(path);
  return { code: main!.code, inputs };
}

type ModuleRecord = { exports: unknown };

const isEsModule = (m: unknown) =>
  m !== null &&
  (typeof m === 'object' || typeof m === 'function') &&
  ((m as { __esModule?: unknown }).__esModule === true || Object.prototype.toString.call(m) === '[object Module]');

/** The interop helpers the rewritten code calls (what an ES module sees of a CommonJS one). */
const helpers = {
  ns: (m: unknown) => (isEsModule(m) ? m : Object.assign({}, m, { default: m })),
  default: (m: unknown) => (isEsModule(m) ? (m as { default: unknown }).default : m),
  star: (target: object, m: unknown) => {
    for (const key of Object.keys(m as object)) {
      if (key !== 'default' && !(key in target))
        Object.defineProperty(target, key, { enumerable: true, get: () => (m as Record<string, unknown>)[key] });
    }
  },
};

/**
 * Runs a plain projection (in the worker): its code with `extra` globals (KurrentDB's), and the
 * local files it requires or imports, each read and compiled afresh, once per run.
 */
export function runPlain(
  path: string,
  code: string,
  reason: string,
  module: { exports: Record<string, unknown> },
  extra: Record<string, unknown>,
): void {
  const modules = new Map<string, ModuleRecord>();
  const requireFrom = (parent: string) => {
    const nodeRequire = createRequire(parent);
    const require = (request: string): unknown => {
      const local = resolveLocal(parent, request);
      if (!local) return nodeRequire(request);
      if (NEEDS_ESBUILD.test(local)) throw needsEsbuild(local, reason, parent);
      const known = modules.get(local);
      if (known) return known.exports;
      if (!JS_FILE.test(local)) {
        const record = { exports: /\.json$/i.test(local) ? JSON.parse(readFileSync(local, 'utf8')) : nodeRequire(local) };
        modules.set(local, record);
        return record.exports;
      }
      const record: ModuleRecord = { exports: {} };
      modules.set(local, record);
      evaluate(local, toCommonJs(readFileSync(local, 'utf8'), local).code, record, {});
      return record.exports;
    };
    return Object.assign(require, {
      resolve: (request: string) => nodeRequire.resolve(request),
      cache: nodeRequire.cache,
      main: undefined,
    });
  };
  const evaluate = (file: string, source: string, record: ModuleRecord, globals: Record<string, unknown>) => {
    const meta = { url: pathToFileURL(file).href, filename: file, dirname: dirname(file) };
    const { run, names } = compile(source, file, Object.keys(globals));
    run(
      record.exports,
      requireFrom(file),
      record,
      file,
      dirname(file),
      helpers.ns,
      helpers.default,
      helpers.star,
      meta,
      ...names.map((name) => globals[name]),
    );
  };
  modules.set(path, module);
  evaluate(path, code, module, extra);
}
