/**
 * The entry point of the single-file executable (`npm run sea`, scripts/sea.mjs): Node's single
 * executable applications run one script that can require only built-in modules, and the CLI starts
 * worker threads and the Python runner from files beside it. So the executable carries dist/'s CLI
 * files and python/eventscope_runner.py as assets, writes them once per build into a cache folder
 * (the same layout as the package: dist/ beside python/), and runs dist/cli.js from there, which
 * finds its workers as it does in the package. SQLite is node:sqlite (src/core/sqlite/drivers.ts
 * asks `isSea()`); the KurrentDB client (dist/kurrentdb.js and its native reader) is not in it.
 *
 * The folder: EVENTSCOPE_SEA_CACHE, else the user's cache folder (~/.cache, ~/Library/Caches,
 * %LOCALAPPDATA%), else the system's temporary folder; then eventscope/sea/<version>-<build id>.
 */

import { existsSync, lstatSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, registerHooks } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { getAsset } from 'node:sea';
import { pathToFileURL } from 'node:url';

/** What scripts/sea.mjs puts in the `manifest.json` asset. */
export interface SeaManifest {
  version: string;
  /** Names the build: a hash of the files. */
  id: string;
  /** Asset name (a path relative to the folder, with `/`) -> size in bytes. */
  files: Record<string, number>;
}

function userCacheRoot(): string | undefined {
  if (process.platform === 'win32') return process.env.LOCALAPPDATA || undefined;
  let home: string;
  try {
    home = homedir();
  } catch {
    return undefined;
  }
  if (!home) return undefined;
  if (process.platform === 'darwin') return join(home, 'Library', 'Caches');
  return process.env.XDG_CACHE_HOME || join(home, '.cache');
}

/** Whether `dir` holds this build's files (each at its size). */
function complete(dir: string, manifest: SeaManifest): boolean {
  return Object.entries(manifest.files).every(([name, size]) => {
    try {
      return statSync(join(dir, name)).size === size;
    } catch {
      return false;
    }
  });
}

/** Writes the build's files into `dir` (through a folder of this process's, renamed into place). */
function extract(dir: string, manifest: SeaManifest): void {
  const incoming = `${dir}.${process.pid}.tmp`;
  rmSync(incoming, { recursive: true, force: true });
  for (const name of Object.keys(manifest.files)) {
    const path = join(incoming, ...name.split('/'));
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, new Uint8Array(getAsset(name)), { mode: 0o600 });
  }
  try {
    rmSync(dir, { recursive: true, force: true });
    renameSync(incoming, dir);
  } catch (error) {
    rmSync(incoming, { recursive: true, force: true });
    // Another run put it in place meanwhile.
    if (!complete(dir, manifest)) throw error;
  }
}

/** The folder with this build's files, written there first if they are not. */
function filesFolder(manifest: SeaManifest): string {
  const name = join('eventscope', 'sea', `${manifest.version}-${manifest.id}`);
  const roots = [process.env.EVENTSCOPE_SEA_CACHE, userCacheRoot()].filter((root): root is string => !!root);
  // The shared temporary folder last, in a folder only this user can enter.
  const uid = process.getuid?.();
  const shared = join(tmpdir(), `eventscope-${uid ?? 'user'}`);
  roots.push(shared);
  const failures: string[] = [];
  for (const root of roots) {
    const dir = join(root, name);
    try {
      if (root === shared) {
        mkdirSync(root, { recursive: true, mode: 0o700 });
        const stat = lstatSync(root);
        if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o077) !== 0)
          throw new Error(`${root} is not a private folder of this user`);
      }
      if (!existsSync(dir) || !complete(dir, manifest)) {
        mkdirSync(dirname(dir), { recursive: true });
        extract(dir, manifest);
      }
      return dir;
    } catch (error) {
      failures.push(`${dir}: ${(error as Error).message}`);
    }
  }
  process.stderr.write(`eventscope: could not write its files to a cache folder (set EVENTSCOPE_SEA_CACHE):\n  ${failures.join('\n  ')}\n`);
  process.exit(1);
}

const manifest = JSON.parse(getAsset('manifest.json', 'utf8')) as SeaManifest;
const dir = filesFolder(manifest);

// What the package resolves from node_modules is not in the executable: better-sqlite3
// (node:sqlite serves) and esbuild (JavaScript projections load without it). Their requests from the
// CLI's files fail here whatever a folder above the cache or NODE_PATH holds, so that the executable
// runs the same everywhere.
const own = pathToFileURL(dir + sep).href;
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (/^(better-sqlite3|esbuild)(\/|$)/.test(specifier) && context.parentURL?.startsWith(own)) {
      throw Object.assign(new Error(`Cannot find module '${specifier}': the single-file executable does not include it`), {
        code: 'MODULE_NOT_FOUND',
      });
    }
    return nextResolve(specifier, context);
  },
});

const cli = join(dir, 'dist', 'cli.js');
createRequire(cli)(cli);
