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

/** JavaScript the plain loader compiles itself (local JSON it parses; anything else goes to Node's require). */
const JS_FILE = /\.(c|m)?js$/i;
const NEEDS_ESBUILD = /\.(ts|mts|cts|tsx|jsx)$/i;

/** ES modules are strict; the directive goes on the first line, whose columns it shifts. */
export const STRICT = "'use strict';";

/** The names every plain module's code is compiled with (the interop helpers the rewrite uses). */
const MODULE_PARAMS = ['exports', 'require', 'module', '__filename', '__dirname', '__esm_ns', '__esm_default', '__esm_star', '__esm_meta'];

// ---------------------------------------------------------------------------------------------
// A tokenizer just good enough to find the top-level `import`/`export` statements: it skips
// comments, strings, template literals (nested) and regular expressions, and tracks bracket depth.

interface Token {
  kind: 'word' | 'string' | 'template' | 'regex' | 'number' | 'punct';
  text: string;
  start: number;
  end: number;
  /** Brackets ( [ { and template `${` open around the token (0: the module's top level). */
  depth: number;
}

/** Words after which a `/` starts a regular expression rather than a division. */
const BEFORE_EXPRESSION = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
  'extends',
]);
const PAREN_KEYWORDS = new Set(['if', 'while', 'for', 'with']);
const ID_START = /[A-Za-z_$#\u0080-\uffff]/;
const ID_PART = /[\w$\u0080-\uffff]/;
const NUMBER = /0[xXoObB][\da-fA-F_]*n?|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?n?/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const stack: string[] = [];
  const n = text.length;
  let i = 0;
  let regexAllowed = true;
  const push = (kind: Token['kind'], start: number, end: number) =>
    tokens.push({ kind, text: text.slice(start, end), start, end, depth: stack.length });
  /** Scans template characters from `from` to the closing backtick or a `${` (which it opens). */
  const template = (from: number): number => {
    let j = from;
    while (j < n) {
      const c = text[j];
      if (c === '\\') j += 2;
      else if (c === '`') return j + 1;
      else if (c === '$' && text[j + 1] === '{') {
        stack.push('${');
        return j + 2;
      } else j++;
    }
    return n;
  };
  if (text.startsWith('#!')) i = text.indexOf('\n') < 0 ? n : text.indexOf('\n');
  while (i < n) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? n : end;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      push('string', i, Math.min(j + 1, n));
      i = j + 1;
      regexAllowed = false;
    } else if (c === '`') {
      const start = i;
      i = template(i + 1);
      push('template', start, i);
      regexAllowed = false;
    } else if (c === '}' && stack[stack.length - 1] === '${') {
      stack.pop();
      const start = i;
      i = template(i + 1);
      push('template', start, i);
      regexAllowed = false;
    } else if (c === '(' || c === '[' || c === '{') {
      // `if (…) /re/`: after the parenthesis of if/while/for/with a regular expression may follow.
      const keyword = c === '(' && PAREN_KEYWORDS.has(tokens[tokens.length - 1]?.text ?? '');
      push('punct', i, i + 1);
      stack.push(keyword ? '(kw' : c);
      i++;
      regexAllowed = true;
    } else if (c === ')' || c === ']' || c === '}') {
      const open = stack.pop();
      push('punct', i, i + 1);
      i++;
      regexAllowed = c === '}' || open === '(kw';
    } else if (ID_START.test(c)) {
      let j = i + 1;
      while (j < n && ID_PART.test(text[j])) j++;
      const word = text.slice(i, j);
      const previous = tokens[tokens.length - 1];
      push('word', i, j);
      regexAllowed = BEFORE_EXPRESSION.has(word) && previous?.text !== '.';
      i = j;
    } else if (/\d/.test(c) || (c === '.' && /\d/.test(text[i + 1] ?? ''))) {
      NUMBER.lastIndex = i;
      NUMBER.exec(text);
      const end = Math.max(NUMBER.lastIndex, i + 1);
      push('number', i, end);
      i = end;
      regexAllowed = false;
    } else if (c === '/' && regexAllowed) {
      // A regular expression, unless it does not close on its line: then it was a division.
      let j = i + 1;
      let inClass = false;
      while (j < n && text[j] !== '\n' && (inClass || text[j] !== '/')) {
        if (text[j] === '\\') j++;
        else if (text[j] === '[') inClass = true;
        else if (text[j] === ']') inClass = false;
        j++;
      }
      if (j < n && text[j] === '/') {
        j++;
        while (j < n && ID_PART.test(text[j])) j++;
        push('regex', i, j);
        i = j;
        regexAllowed = false;
      } else {
        push('punct', i, i + 1);
        i++;
        regexAllowed = true;
      }
    } else {
      push('punct', i, i + 1);
      i++;
      regexAllowed = true;
    }
  }
  return tokens;
}

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

function stringValue(token: Token): string {
  // Module specifiers are plain in practice; JSON.parse reads the double-quoted escapes.
  const inner = token.text.slice(1, -1);
  try {
    return JSON.parse(`"${inner.replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) as string;
  } catch {
    return inner;
  }
}

/** Rewrites `text` (the file `file`) for the plain loader; `esm` forces ES module syntax (.mjs). */
export function toCommonJs(text: string, file: string, esm = /\.mjs$/i.test(file)): Converted {
  const tokens = tokenize(text);
  const requests: string[] = [];
  const edits: Edit[] = [];
  const exported: [name: string, expression: string][] = [];
  let temp = 0;
  let isModule = esm && !/\.cjs$/i.test(file);
  const commonJs = /\.cjs$/i.test(file);
  const at = (k: number) => tokens[k] as Token | undefined;
  const where = (token: Token) => {
    const before = text.slice(0, token.start);
    return `${file}:${before.split('\n').length}:${token.start - before.lastIndexOf('\n')}`;
  };
  const unsupported = (token: Token, what: string, hint = ''): never => {
    throw new EventscopeError(`${where(token)}: ${what} needs esbuild's native binary, which this install lacks${hint}.`);
  };
  /** The end of a statement at token k: past import attributes (`with { … }`) and one `;`. */
  const statementEnd = (k: number): number => {
    let end = k;
    const next = at(end + 1);
    if (next && (next.text === 'with' || next.text === 'assert') && at(end + 2)?.text === '{') {
      end += 2;
      while (at(end) && !(at(end)!.text === '}' && at(end)!.depth === next.depth)) end++;
    }
    if (at(end + 1)?.text === ';') end++;
    return end;
  };
  const source = (k: number, keyword: Token): string => {
    const token = at(k);
    if (token?.kind !== 'string') return unsupported(keyword, `this ${keyword.text} statement`);
    const specifier = stringValue(token);
    requests.push(specifier);
    return JSON.stringify(specifier);
  };
  /** Parses `{ a, b as c, 'd' as e }` from the `{` at k: [imported/local, name][] and the `}`'s index. */
  const specifiers = (k: number): [pairs: [string, string][], close: number] => {
    const pairs: [string, string][] = [];
    let p = k + 1;
    while (at(p) && at(p)!.text !== '}') {
      const first = at(p)!;
      const name = first.kind === 'string' ? stringValue(first) : first.text;
      if (at(p + 1)?.text === 'as') {
        const second = at(p + 2)!;
        pairs.push([name, second.kind === 'string' ? stringValue(second) : second.text]);
        p += 3;
      } else {
        pairs.push([name, name]);
        p += 1;
      }
      if (at(p)?.text === ',') p++;
    }
    return [pairs, p];
  };
  const replace = (from: Token, to: Token, replacement: string) =>
    edits.push({ start: from.start, end: to.end, text: keepLines(replacement, text.slice(from.start, to.end)) });

  for (let k = 0; k < tokens.length; k++) {
    const token = tokens[k];
    if (token.kind !== 'word') continue;
    const previous = at(k - 1);
    if (previous?.text === '.' || (previous?.text === '?' && text[previous.end] === '.')) continue;
    // require('x') and import('x') anywhere: only noted (for the files to watch and check).
    if (
      (token.text === 'require' || token.text === 'import') &&
      at(k + 1)?.text === '(' &&
      at(k + 2)?.kind === 'string' &&
      at(k + 3)?.text === ')'
    ) {
      requests.push(stringValue(at(k + 2)!));
      continue;
    }
    if (token.text === 'import' && at(k + 1)?.text === '.' && at(k + 2)?.text === 'meta') {
      if (commonJs) continue;
      isModule = true;
      edits.push({ start: token.start, end: at(k + 2)!.end, text: '__esm_meta' });
      k += 2;
      continue;
    }
    if (token.depth !== 0 || commonJs || (token.text !== 'import' && token.text !== 'export')) continue;
    const next = at(k + 1);
    if (!next || next.text === '(' || next.text === '.') continue;
    isModule = true;

    if (token.text === 'import') {
      if (next.kind === 'string') {
        const end = statementEnd(k + 1);
        replace(token, tokens[end], `require(${source(k + 1, token)});`);
        k = end;
        continue;
      }
      let p = k + 1;
      let defaultName: string | undefined;
      let namespace: string | undefined;
      let named: [string, string][] | undefined;
      if (at(p)?.kind === 'word' && (at(p + 1)?.text === ',' || at(p + 1)?.text === 'from')) {
        defaultName = at(p)!.text;
        p++;
        if (at(p)?.text === ',') p++;
      }
      if (at(p)?.text === '*') {
        if (at(p + 1)?.text !== 'as') unsupported(token, 'this import statement');
        namespace = at(p + 2)!.text;
        p += 3;
      } else if (at(p)?.text === '{') {
        const [pairs, close] = specifiers(p);
        named = pairs;
        p = close + 1;
      }
      if (at(p)?.text !== 'from') unsupported(token, 'this import statement');
      const module = `__esm_ns(require(${source(p + 1, token)}))`;
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
      replace(token, tokens[end], declaration);
      k = end;
      continue;
    }

    // export …
    if (next.text === 'default') {
      const what = at(k + 2);
      const named =
        what?.text === 'class'
          ? at(k + 3)
          : what?.text === 'function'
            ? at(k + 3)
            : what?.text === 'async' && at(k + 3)?.text === 'function'
              ? at(k + 4)
              : undefined;
      const name = named?.text === '*' ? at(tokens.indexOf(named) + 1) : named;
      if (name?.kind === 'word' && name.text !== 'extends') {
        // A named function or class stays a declaration (hoisted, bound by its name).
        edits.push({ start: token.start, end: next.end, text: blank(text.slice(token.start, next.end)) });
        exported.push(['default', name.text]);
      } else {
        edits.push({ start: token.start, end: next.end, text: keepLines('exports.default =', text.slice(token.start, next.end)) });
      }
      k += 1;
      continue;
    }
    if (next.text === 'const' || next.text === 'let' || next.text === 'var') {
      edits.push({ start: token.start, end: token.end, text: blank(token.text) });
      let p = k + 2;
      for (;;) {
        const name = at(p);
        if (!name || name.kind !== 'word') return unsupported(token, 'exporting a destructuring pattern', '; export the names one by one');
        exported.push([name.text, name.text]);
        // On to the next declarator (a comma at the top level), or the end of the statement.
        p++;
        while (
          at(p) &&
          !(
            at(p)!.depth === 0 &&
            (at(p)!.text === ',' || at(p)!.text === ';' || (at(p)!.kind === 'word' && STATEMENT_WORDS.has(at(p)!.text)))
          )
        )
          p++;
        if (at(p)?.text !== ',') break;
        p++;
      }
      k = p - 1;
      continue;
    }
    if (next.text === 'function' || next.text === 'class' || (next.text === 'async' && at(k + 2)?.text === 'function')) {
      edits.push({ start: token.start, end: token.end, text: blank(token.text) });
      let p = next.text === 'async' ? k + 3 : k + 2;
      if (at(p)?.text === '*') p++;
      exported.push([at(p)!.text, at(p)!.text]);
      k = p;
      continue;
    }
    if (next.text === '{') {
      const [pairs, close] = specifiers(k + 1);
      if (at(close + 1)?.text === 'from') {
        const m = `__esm_m${++temp}`;
        const end = statementEnd(close + 2);
        replace(token, tokens[end], `const ${m} = __esm_ns(require(${source(close + 2, token)}));`);
        for (const [local, name] of pairs) exported.push([name, `${m}[${JSON.stringify(local)}]`]);
        k = end;
      } else {
        const end = statementEnd(close);
        edits.push({ start: token.start, end: tokens[end].end, text: blank(text.slice(token.start, tokens[end].end)) });
        for (const [local, name] of pairs) exported.push([name, local]);
        k = end;
      }
      continue;
    }
    if (next.text === '*') {
      if (at(k + 2)?.text === 'as') {
        const m = `__esm_m${++temp}`;
        if (at(k + 4)?.text !== 'from') unsupported(token, 'this export statement');
        const end = statementEnd(k + 5);
        replace(token, tokens[end], `const ${m} = __esm_ns(require(${source(k + 5, token)}));`);
        exported.push([at(k + 3)!.text, m]);
        k = end;
      } else {
        if (at(k + 2)?.text !== 'from') unsupported(token, 'this export statement');
        const end = statementEnd(k + 3);
        replace(token, tokens[end], `__esm_star(exports, require(${source(k + 3, token)}));`);
        k = end;
      }
      continue;
    }
    unsupported(token, 'this export statement');
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
