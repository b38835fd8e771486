/**
 * The project's import graph, read with TypeScript's own pre-processor (every `import`, `export …
 * from`, `import type`, `require` and `import()` of a file), resolved to files of the repository.
 * Used by eslint.config.mjs (the core files the webview bundles) and by test/layers.test.ts (no
 * cycles). External packages and Node's modules appear as their specifier.
 */

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const EXTENSIONS = ['.ts', '.tsx', '.mts', '.js', '.mjs', '.cjs'];

/** The repository file a relative specifier names, or undefined. */
function resolveRelative(from, specifier) {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base, ...EXTENSIONS.map((e) => base + e), ...EXTENSIONS.map((e) => join(base, 'index' + e))]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** What `file` imports: repository files (absolute paths) and other specifiers (packages, node:*). */
export function importsOf(file) {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const files = [];
  const external = [];
  for (const { fileName } of info.importedFiles) {
    if (fileName.startsWith('.')) {
      const target = resolveRelative(file, fileName);
      if (target) files.push(target);
    } else external.push(fileName);
  }
  return { files, external };
}

/** The TypeScript files under `dir` (absolute), recursively. */
export function sourceFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The repository files reachable from `roots` through their imports (roots included), absolute. */
export function reachable(roots) {
  const seen = new Set();
  const stack = [...roots];
  while (stack.length) {
    const file = stack.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    stack.push(...importsOf(file).files);
  }
  return [...seen];
}

/** A repository-relative path with forward slashes. */
export const rel = (file) => relative(ROOT, file).split('\\').join('/');

/** The files the replay panel's browser bundle can reach: webview/src and what it imports. */
export function webviewBundled() {
  return reachable(sourceFiles(join(ROOT, 'webview', 'src')))
    .map(rel)
    .sort();
}

/** The import cycles among `files` (strongly connected components of two or more, or a self-import). */
export function cycles(files) {
  const inside = new Set(files);
  const edges = new Map(files.map((f) => [f, importsOf(f).files.filter((t) => inside.has(t))]));
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const found = [];
  const visit = (v) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || edges.get(v).includes(v)) found.push(component.map(rel).sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return found;
}
