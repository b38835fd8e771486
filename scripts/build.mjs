// Bundles each entry point into dist/ with esbuild. Type-checking is `npm run typecheck`.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // Native / host-provided modules stay outside the bundle.
  external: ['better-sqlite3', 'vscode'],
  define: { EVENTSCOPE_VERSION: JSON.stringify(pkg.version) },
};

await Promise.all([
  build({ ...common, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { bench: 'scripts/bench.ts' }, outdir: 'dist' }),
]);
