// Bundles each entry point into dist/ with esbuild. Type-checking is `npm run typecheck`.
import { build } from 'esbuild';
import { commonOptions as common } from './esbuild-options.mjs';

await Promise.all([
  build({ ...common, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { 'projection-worker': 'src/core/projection/worker.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { 'log-worker': 'src/cli/logWorker.ts' }, outdir: 'dist' }),
  // The MCP server (`eventscope mcp`, and VS Code's definition of it), loaded only by that command.
  build({ ...common, entryPoints: { mcp: 'src/mcp/main.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { 'search-worker': 'src/core/tools/searchWorker.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { 'python-bridge': 'src/core/python/bridgeWorker.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { debugAdapter: 'src/debug/main.ts' }, outdir: 'dist' }),
  // The language server, a process of its own (VS Code starts it; other editors run it with --stdio).
  build({ ...common, entryPoints: { server: 'src/server/main.ts' }, outdir: 'dist' }),
  // The KurrentDB client, loaded only for KurrentDB connections; its native reader stays outside.
  build({
    ...common,
    entryPoints: { kurrentdb: 'src/core/stores/kurrentdbClient.ts' },
    outdir: 'dist',
    external: [...common.external, '@kurrent/bridge-*', '../index.node'],
  }),
  build({ ...common, entryPoints: { bench: 'scripts/bench.ts' }, outdir: 'dist' }),
  // The replay panel's UI runs in the webview (a browser), not in Node.
  build({
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'esm',
    sourcemap: true,
    logLevel: 'warning',
    entryPoints: { replay: 'webview/src/main.ts' },
    outdir: 'dist/webview',
  }),
]);
