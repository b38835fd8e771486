// The esbuild options every bundle of ours shares (scripts/build.mjs, the VS Code test build).
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

export const commonOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // Native / host-provided modules stay outside the bundle.
  external: ['better-sqlite3', 'vscode', 'esbuild'],
  define: { EVENTSCOPE_VERSION: JSON.stringify(pkg.version) },
};
