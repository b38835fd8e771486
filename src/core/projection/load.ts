/**
 * Loads a user's projection file (JS or TS; ES module or CommonJS) by bundling it with esbuild
 * into one CommonJS text with an inline source map, so errors point at the user's own lines. The
 * text is what a sandboxed worker evaluates; `evaluateProjection` is that evaluation.
 */

import { build } from 'esbuild';
import { resolve } from 'node:path';
import { EventscopeError } from '../errors';
import type { Projection } from './projection';

export interface BundledProjection {
  path: string;
  /** CommonJS source with an inline source map. */
  code: string;
}

export async function bundleProjection(file: string): Promise<BundledProjection> {
  const path = resolve(file);
  try {
    const result = await build({
      entryPoints: [path],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      sourcemap: 'inline',
      logLevel: 'silent',
    });
    return { path, code: result.outputFiles[0].text };
  } catch (error) {
    const first = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] }).errors?.[0];
    const where = first?.location ? `${resolve(first.location.file)}:${first.location.line}:${first.location.column + 1}` : path;
    throw new EventscopeError(`${where}: ${first?.text ?? (error as Error).message}.`, { cause: error });
  }
}

/** Evaluates bundled code and returns its projection (the default export, or module.exports). */
export function evaluateProjection(bundled: BundledProjection, require: NodeJS.Require): Projection {
  const module = { exports: {} as Record<string, unknown> };
  const run = new Function('module', 'exports', 'require', `${bundled.code}\n//# sourceURL=${bundled.path}`);
  run(module, module.exports, require);
  const exported = (module.exports.default ?? module.exports) as Projection;
  if (!exported || typeof exported !== 'object' || (!exported.when && !exported.any && !exported.init)) {
    throw new EventscopeError(`${bundled.path} does not export a projection: export default { init, when: { ... } }.`);
  }
  return exported;
}
