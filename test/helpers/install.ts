/**
 * An installed extension folder (what VS Code unpacks a .vsix into, or one assembled from dist/),
 * driven through the CLI bundle copied beside the extension's own bundles: it resolves esbuild and
 * better-sqlite3 from the folder's node_modules, as the extension does. The fallback checks remove
 * the native parts (esbuild's binary, the SQLite addon) and prove what still works.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEMO_STORY } from '../../src/core/demo';

export const REPO = resolve(__dirname, '..', '..');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class Install {
  /** `dir` holds the extension's package.json, dist/ and node_modules/. */
  constructor(readonly dir: string) {
    copyFileSync(join(REPO, 'dist', 'cli.js'), join(dir, 'dist', 'cli.js'));
  }

  /** The files of dist/ and node_modules a package holds, without any native part (a platform without its package). */
  static assemble(dir: string): Install {
    const copy = (path: string) => cpSync(join(REPO, path), join(dir, path), { recursive: true });
    mkdirSync(join(dir, 'dist'), { recursive: true });
    for (const path of [
      'package.json',
      'dist/extension.js',
      'dist/projection-worker.js',
      'examples/bank-balances.js',
      'node_modules/esbuild/package.json',
      'node_modules/esbuild/lib/main.js',
      'node_modules/better-sqlite3/package.json',
      'node_modules/better-sqlite3/lib',
    ]) {
      copy(path);
    }
    return new Install(dir);
  }

  cli(args: string[], env: Record<string, string> = {}): Run {
    const clean = { ...process.env };
    for (const name of ['ESBUILD_BINARY_PATH', 'EVENTSCOPE_SQLITE_ENGINE', 'EVENTSCOPE_DEBUG', 'NODE_PATH', 'NODE_OPTIONS'])
      delete clean[name];
    const result = spawnSync(process.execPath, [join(this.dir, 'dist', 'cli.js'), ...args], {
      cwd: this.dir,
      env: { ...clean, NO_COLOR: '1', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (result.error) throw result.error;
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** Runs the CLI and expects exit 0. */
  ok(args: string[], env: Record<string, string> = {}): string {
    const run = this.cli(args, env);
    assert.equal(run.code, 0, `eventscope ${args.join(' ')} exited ${run.code}:\n${run.stderr}${run.stdout}`);
    return run.stdout;
  }

  removeEsbuildBinary(): void {
    rmSync(join(this.dir, 'node_modules', '@esbuild'), { recursive: true, force: true });
  }

  removeSqliteAddon(): void {
    rmSync(join(this.dir, 'node_modules', 'better-sqlite3', 'prebuilds'), { recursive: true, force: true });
    rmSync(join(this.dir, 'node_modules', 'better-sqlite3', 'build'), { recursive: true, force: true });
  }

  /**
   * Loads dist/extension.js the way the extension host does (with a stand-in `vscode` module) and
   * says which packages it required while loading, and whether it exports activate.
   */
  loadExtension(): { activate: string; required: string[] } {
    const script = `
      const Module = require('node:module');
      const required = [];
      const load = Module._load;
      const stub = new Proxy(function () {}, { get: (t, k) => (k === 'then' ? undefined : stub), apply: () => stub, construct: () => stub });
      Module._load = function (request, ...rest) {
        if (!/^([./]|[A-Za-z]:)/.test(request) && !Module.isBuiltin(request)) required.push(request);
        return request === 'vscode' ? stub : load.call(this, request, ...rest);
      };
      const extension = require(${JSON.stringify(join(this.dir, 'dist', 'extension.js'))});
      console.log(JSON.stringify({ activate: typeof extension.activate, required }));`;
    const result = spawnSync(process.execPath, ['-e', script], { cwd: this.dir, encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 0, result.stderr);
    return JSON.parse(result.stdout.trim().split('\n').pop()!) as { activate: string; required: string[] };
  }
}

/** The first failure the demo's projection must find, with or without esbuild. */
export const DEMO_FAILURE = new RegExp(`First failure +step \\d+: BankAccount\\.Debited .*${DEMO_STORY.accountName}'s balance is -`);

/**
 * The checks of an install without native parts (call after removing them): stores open with
 * node:sqlite; JavaScript projections (ES modules with local imports, CommonJS, KurrentDB scripts)
 * replay without esbuild, with errors on the user's lines; TypeScript ones say what is missing.
 */
export function checkWithoutNativeParts(install: Install, work: string): void {
  const store = join(work, 'demo.sqlite');
  install.ok(['demo', store, '--force']);
  assert.match(install.ok(['info', store]), /opened read-only with node:sqlite/);

  assert.match(install.ok(['replay', store, '--projection', join(install.dir, 'examples', 'bank-balances.js')]), DEMO_FAILURE);

  const file = (name: string, text: string) => {
    writeFileSync(join(work, name), text);
    return join(work, name);
  };
  file('cents.mjs', 'export const cents = (amount) => Math.round(Number(amount) * 100);\nexport default 100;\n');
  file('names.cjs', 'exports.short = (id) => id.slice(0, 8);\n');
  const esm = file(
    'esm.js',
    [
      "import hundred, { cents } from './cents.mjs';", // 1
      "import { short } from './names.cjs';", // 2
      'export default {', // 3
      '  init: () => ({ total: 0, seen: {} }),', // 4
      '  when: {', // 5
      '    Credited: (s, e) => { s.total += cents(e.data.amount) / hundred; s.seen[short(e.streamId)] = true; },', // 6
      "    Debited: (s, e) => { if (s.total > 1e12) throw new Error('too rich'); s.nope.x = 1; },", // 7
      '  },', // 8
      '};', // 9
    ].join('\n'),
  );
  // The handler throws on each Debited: the CLI names the first one and the handler's line in esm.js.
  const broken = install.cli(['replay', store, '--projection', esm]);
  assert.equal(broken.code, 1, broken.stderr);
  assert.match(broken.stderr, new RegExp(`Debited.*Cannot set properties of undefined .*\\(at ${esm.replace(/[.]/g, '\\.')}:7:\\d+\\)`));

  const cjs = file(
    'p.cjs',
    "const { cents } = require('./cents.mjs');\nmodule.exports = { init: () => 0, when: { Credited: (n, e) => n + cents(e.data.amount) } };\n",
  );
  assert.match(install.ok(['replay', store, '--projection', cjs]), /^State after step \d+\n\d+/m);
  const kurrent = file('k.js', "fromCategory('BankAccount').when({ $init: () => ({ n: 0 }), Credited: (s) => { s.n++; } });\n");
  assert.match(install.ok(['replay', store, '--projection', kurrent]), /"n": \d+/);

  const ts = file('p.ts', 'export default { when: {} } satisfies object;\n');
  const refused = install.cli(['replay', store, '--projection', ts]);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    new RegExp(
      `${ts.replace(/[.]/g, '\\.')}: TypeScript projections need esbuild's native binary for ${process.platform}-${process.arch}, which this install lacks .*write the projection in JavaScript`,
    ),
  );

  const loaded = install.loadExtension();
  assert.equal(loaded.activate, 'function');
  assert.deepEqual(
    loaded.required.filter((name) => name !== 'vscode'),
    [],
    'the extension requires no package when it loads',
  );
}
