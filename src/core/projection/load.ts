/**
 * Loads a user's projection file (JS or TS; ES module, CommonJS or a KurrentDB script). The host
 * bundles it with esbuild into one CommonJS text with an inline source map; the replay worker
 * evaluates that text (`loadEngine`) and maps positions in it back to the user's own lines. Where
 * esbuild's native binary is missing (or cannot run), JavaScript files load without it (plain.ts).
 */

import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { compileFunction } from 'node:vm';
import { EventscopeError, messageOf } from '../errors';
import { genericEngine, moduleEngine } from './engines';
import type { ProjectionEngine } from './types';
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

/** What to replay with: the built-in generic projection, or a bundled user file. */
export type ProjectionSpec = { kind: 'generic' } | { kind: 'bundle'; bundle: BundledProjection };

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

  constructor(private readonly bundle: BundledProjection) {
    const inline = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(bundle.code);
    try {
      this.map = inline ? new SourceMap(JSON.parse(Buffer.from(inline[1], 'base64').toString('utf8'))) : undefined;
    } catch {
      this.map = undefined;
    }
    // A bundle is one file; a plain projection's frames can be in any of its files.
    const files = bundle.plain ? [bundle.path, ...bundle.inputs.filter((input) => input !== bundle.path)] : [bundle.path];
    this.framePattern = new RegExp(`(${files.map((file) => file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')}):(\\d+):(\\d+)`);
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

  /** Where a function of the bundle is defined (by its source text), or undefined. */
  ofFunction(fn: unknown): string | undefined {
    if (typeof fn !== 'function') return undefined;
    const offset = this.bundle.code.indexOf(Function.prototype.toString.call(fn));
    if (offset < 0) return undefined;
    const before = this.bundle.code.slice(0, offset);
    const line = before.split('\n').length;
    return this.original(line, offset - before.lastIndexOf('\n'));
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

export interface LoadedEngine {
  engine: ProjectionEngine;
  locator?: CodeLocator;
}

/**
 * Evaluates bundled code and returns its engine: a KurrentDB script when it called `fromAll`,
 * `fromStream`… at load, else the module's default export (or module.exports).
 */
export function loadEngine(spec: ProjectionSpec, require: NodeJS.Require): LoadedEngine {
  const loaded = evaluate(spec, require);
  registerUserFunctions(loaded.engine.userFunctions);
  return loaded;
}

function evaluate(spec: ProjectionSpec, require: NodeJS.Require): LoadedEngine {
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
