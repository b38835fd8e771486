/**
 * Loads a user's projection file (JS or TS; ES module, CommonJS or a KurrentDB script). The host
 * bundles it with esbuild into one CommonJS text with an inline source map; the replay worker
 * evaluates that text (`loadEngine`) and maps positions in it back to the user's own lines. Where
 * esbuild's native binary is missing (or cannot run), JavaScript files load without it (plain.ts).
 */

import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFunction } from 'node:vm';
import { EventscopeError, messageOf } from '../errors';
import { genericEngine, moduleEngine } from './engines';
import type { ProjectionEngine, PythonChoice, UserCodeGuard } from './types';
import { pythonEngine } from '../python/engine';
import { registerUserFunctions } from './guard';
import { createKurrentEnvironment, kurrentEngine } from './kurrent';
import { plainProjection, runPlain, STRICT } from './plain';
import type { Projection } from './projection';

export interface BundledProjection {
  path: string;
  /** CommonJS source with an inline source map. */
  code: string;
  /** Every file of the user's the bundle was made from (the projection and what it imports, outside node_modules). */
  inputs: string[];
  /**
   * Set when esbuild could not run (why): then `code` is the file's own code, rewritten into
   * CommonJS line for line, without a source map, and the local files it imports load at run time.
   */
  plain?: { reason: string };
}

/** What to replay with: the built-in generic projection, a bundled user file, or the user's Python code. */
export type ProjectionSpec =
  | { kind: 'generic' }
  | { kind: 'bundle'; bundle: BundledProjection }
  | { kind: 'python'; choice: PythonChoice; single: boolean; memoryMb?: number };

/** What of esbuild this needs; a test can pass one that fails like a missing binary. */
export type Esbuild = Pick<typeof import('esbuild'), 'build'>;

// Required when first used, never at load: an install without esbuild still activates.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const requireEsbuild = async () => require('esbuild') as Esbuild;

export async function bundleProjection(file: string, esbuild: () => Promise<Esbuild> = requireEsbuild): Promise<BundledProjection> {
  const path = resolve(file);
  try {
    const { build } = await esbuild();
    const result = await build({
      entryPoints: [path],
      absWorkingDir: dirname(path),
      bundle: true,
      write: false,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      sourcemap: 'inline',
      sourcesContent: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs)
      .filter((input) => !/(^|[\\/])node_modules[\\/]/.test(input) && !input.includes(':'))
      .map((input) => resolve(dirname(path), input));
    return { path, code: result.outputFiles[0].text, inputs };
  } catch (error) {
    const first = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] }).errors?.[0];
    // No build errors: esbuild itself did not run (its platform package or binary is missing).
    if (!first) {
      const reason = messageOf(error).split('\n')[0].trim().replace(/\.$/, '');
      const plain = plainProjection(path, reason, Object.keys(createKurrentEnvironment().globals));
      return { path, code: plain.code, inputs: plain.inputs, plain: { reason } };
    }
    const where = first?.location
      ? `${resolve(dirname(path), first.location.file)}:${first.location.line}:${first.location.column + 1}`
      : path;
    throw new EventscopeError(`${where}: ${first?.text ?? messageOf(error)}.`, { cause: error });
  }
}

/** Maps positions in bundled code back to the user's files through its inline source map. */
export class CodeLocator {
  private readonly map: SourceMap | undefined;
  private readonly framePattern: RegExp;
  /** The scripts user code runs as: the bundle, or a plain projection's own files. */
  private readonly scripts: string[];

  constructor(private readonly bundle: BundledProjection) {
    const inline = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(bundle.code);
    try {
      this.map = inline ? new SourceMap(JSON.parse(Buffer.from(inline[1], 'base64').toString('utf8'))) : undefined;
    } catch {
      this.map = undefined;
    }
    // A bundle is one file; a plain projection's frames can be in any of its files.
    this.scripts = bundle.plain ? [bundle.path, ...bundle.inputs.filter((input) => input !== bundle.path)] : [bundle.path];
    this.framePattern = new RegExp(`(${this.scripts.map((file) => file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')}):(\\d+):(\\d+)`);
  }

  /** "file:line:col" in the user's file for a 1-based line and column of the bundled code. */
  original(line: number, column: number): string {
    if (this.bundle.plain) {
      // The plain code is the file's own, line for line (an ES module's first line starts with "use strict").
      const shift = line === 1 && this.bundle.code.startsWith(STRICT) ? STRICT.length : 0;
      return `${this.bundle.path}:${line}:${Math.max(column - shift, 1)}`;
    }
    const entry = this.map?.findEntry(line - 1, column - 1) as
      { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
    if (!entry?.originalSource) return `${this.bundle.path}:${line}:${column}`;
    return `${resolve(dirname(this.bundle.path), entry.originalSource)}:${(entry.originalLine ?? 0) + 1}:${(entry.originalColumn ?? 0) + 1}`;
  }

  /**
   * Where code of the user's file `path` at `line` (1-based) runs: the script V8 knows it by (its
   * URL: the bundle, or a plain projection's own file) and the first position there made from that
   * line (0-based, as the inspector counts). Undefined when no code comes from that line.
   */
  scriptPosition(path: string, line: number): { url: string; line: number; column: number } | undefined {
    if (this.bundle.plain) {
      const known = this.scripts.find((file) => samePath(file, path));
      return known ? { url: known, line: line - 1, column: 0 } : undefined;
    }
    this.reverse ??= reverseMappings(this.map, dirname(this.bundle.path));
    const at = [...this.reverse].find(([file]) => samePath(file, path))?.[1].get(line - 1);
    return at && { url: this.bundle.path, ...at };
  }

  /** Where a position of a script (its URL and 0-based line and column, as the inspector reports it) is in the user's files. */
  originalOf(url: string, line: number, column: number): { path: string; line: number; column: number } {
    const path = pathOfUrl(url);
    const m =
      samePath(path, this.bundle.path) && !this.bundle.plain ? /^(.*):(\d+):(\d+)$/.exec(this.original(line + 1, column + 1)) : null;
    return m ? { path: m[1], line: Number(m[2]), column: Number(m[3]) } : { path, line: line + 1, column: column + 1 };
  }

  /** Whether a script (by its URL) holds the user's code. */
  isUserScript(url: string): boolean {
    const path = pathOfUrl(url);
    return this.scripts.some((file) => samePath(file, path));
  }

  private reverse: Map<string, Map<number, { line: number; column: number }>> | undefined;

  /** Where a function of the bundle is defined (by its source text), or undefined. */
  ofFunction(fn: unknown): string | undefined {
    const range = this.rangeOf(fn);
    return range && `${range.path}:${range.line}:${range.column}`;
  }

  /** The lines a function of the bundle spans in the user's file (1-based), or undefined. */
  rangeOf(fn: unknown): SourceRange | undefined {
    if (typeof fn !== 'function') return undefined;
    const text = Function.prototype.toString.call(fn);
    const offset = this.bundle.code.indexOf(text);
    if (offset < 0) return undefined;
    const at = (o: number) => {
      const before = this.bundle.code.slice(0, o);
      return this.original(before.split('\n').length, o - before.lastIndexOf('\n'));
    };
    const start = /^(.*):(\d+):(\d+)$/.exec(at(offset));
    const end = /^(.*):(\d+):(\d+)$/.exec(at(offset + Math.max(text.length - 1, 0)));
    if (!start) return undefined;
    const line = Number(start[2]);
    const endLine = end && end[1] === start[1] ? Math.max(Number(end[2]), line) : line;
    return { path: start[1], line, column: Number(start[3]), endLine };
  }

  /** The innermost frame of an error's stack that is in the user's code. */
  ofError(error: unknown): string | undefined {
    const stack = error instanceof Error ? error.stack : undefined;
    const match = stack ? this.framePattern.exec(stack) : null;
    if (!match) return undefined;
    return match[1] === this.bundle.path ? this.original(Number(match[2]), Number(match[3])) : `${match[1]}:${match[2]}:${match[3]}`;
  }

  /** An error thrown by user code, as one line: its message and where. */
  describe(error: unknown): string {
    const where = this.ofError(error);
    const name = error instanceof Error && error.name !== 'Error' && !(error instanceof EventscopeError) ? `${error.name}: ` : '';
    return `${name}${messageOf(error)}${where ? ` (at ${where})` : ''}`;
  }
}

/** A script's path from its URL as V8 reports it (a path, or a file: URL). */
function pathOfUrl(url: string): string {
  return url.startsWith('file:') ? fileURLToPath(url) : url;
}

/** Whether two paths name the same file (case-insensitively where the file system is). */
export function samePath(a: string, b: string): boolean {
  return process.platform === 'win32' || process.platform === 'darwin' ? a.toLowerCase() === b.toLowerCase() : a === b;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * For each original file of a source map (resolved against `base`), its lines (0-based) and the
 * first generated position made from each: the reverse of `SourceMap.findEntry`, which Node lacks.
 */
export function reverseMappings(map: SourceMap | undefined, base: string): Map<string, Map<number, { line: number; column: number }>> {
  const result = new Map<string, Map<number, { line: number; column: number }>>();
  const payload = map?.payload as { sources?: string[]; sourceRoot?: string; mappings?: string } | undefined;
  if (!payload?.mappings || !payload.sources) return result;
  const files = payload.sources.map((source) => resolve(base, payload.sourceRoot ?? '', source));
  const fields = [0, 0, 0, 0]; // generated column (unused across lines), source, original line, original column
  payload.mappings.split(';').forEach((line, generatedLine) => {
    let column = 0;
    for (const segment of line.split(',')) {
      if (!segment) continue;
      const values: number[] = [];
      for (let i = 0, value = 0, shift = 0; i < segment.length; i++) {
        const digit = BASE64.indexOf(segment[i]);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += values[0];
      if (values.length < 4) continue;
      for (let k = 1; k < 4; k++) fields[k] += values[k];
      const file = files[fields[1]];
      if (file === undefined) continue;
      let lines = result.get(file);
      if (!lines) result.set(file, (lines = new Map()));
      if (!lines.has(fields[2])) lines.set(fields[2], { line: generatedLine, column });
    }
  });
  return result;
}

/** Where a user function is: its file, first line and column, and last line (1-based). */
export interface SourceRange {
  path: string;
  line: number;
  column: number;
  endLine: number;
}

export interface LoadedEngine {
  engine: ProjectionEngine;
  locator?: CodeLocator;
}

/**
 * Evaluates bundled code and returns its engine: a KurrentDB script when it called `fromAll`,
 * `fromStream`… at load, else the module's default export (or module.exports).
 */
export function loadEngine(spec: ProjectionSpec, require: NodeJS.Require, guard?: UserCodeGuard): LoadedEngine {
  const loaded =
    spec.kind === 'python'
      ? {
          engine: pythonEngine(spec.choice, {
            single: spec.single,
            ...(spec.memoryMb ? { memoryMb: spec.memoryMb } : {}),
            ...(guard ? { guard } : {}),
          }),
        }
      : evaluate(spec, require);
  registerUserFunctions(loaded.engine.userFunctions);
  return loaded;
}

function evaluate(spec: Exclude<ProjectionSpec, { kind: 'python' }>, require: NodeJS.Require): LoadedEngine {
  if (spec.kind === 'generic') return { engine: genericEngine() };
  const { bundle } = spec;
  const locator = new CodeLocator(bundle);
  const kurrent = createKurrentEnvironment();
  const names = Object.keys(kurrent.globals);
  const module = { exports: {} as Record<string, unknown> };
  try {
    if (bundle.plain) runPlain(bundle.path, bundle.code, bundle.plain.reason, module, kurrent.globals);
    else {
      const run = compileFunction(bundle.code, ['module', 'exports', 'require', ...names], { filename: bundle.path });
      run(module, module.exports, require, ...Object.values(kurrent.globals));
    }
  } catch (error) {
    if (error instanceof EventscopeError) throw error;
    throw new EventscopeError(`${bundle.path} failed to load: ${locator.describe(error)}.`, { cause: error });
  }
  const fileName = bundle.path.split(/[\\/]/).pop() ?? bundle.path;
  const definition = kurrent.definition();
  if (definition) return { engine: kurrentEngine(definition, fileName.replace(/\.[^.]+$/, '')), locator };
  const exported = (module.exports.default ?? module.exports) as Projection;
  if (!exported || typeof exported !== 'object' || (!exported.when && !exported.any && !exported.init)) {
    throw new EventscopeError(
      `${bundle.path} is not a projection: export default { init, when: { ... } }, or write a KurrentDB script (fromAll().when({ ... })).`,
    );
  }
  return { engine: moduleEngine(exported, fileName), locator };
}
