// Shared by setup.mjs / run.mjs / ui.mjs: where the real-VS Code tooling lives and which Node runs it.
// The why of this harness (code-server + Debian chromium + playwright-core, no browser downloads): harness.mjs and CONTRIBUTING.md.
import { setTimeout as sleep } from 'node:timers/promises';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

export const REPO = resolve(import.meta.dirname, '..', '..');
/** Git-ignored (`.cache/` in .gitignore); holds its own package.json, node_modules and a marker. */
export const CACHE_DIR = join(REPO, '.cache', 'vscode');
export const MARKER = join(CACHE_DIR, 'installed.json');
/** The last run's logs (code-server, workbench automation log, UI failure screenshot); the sandbox itself is deleted. */
export const LOG_DIR = join(CACHE_DIR, 'logs');
export const CODE_SERVER_VERSION = '4.139.1';
export const PLAYWRIGHT_CORE_VERSION = '1.65.1';
export const CHROMIUM = '/usr/bin/chromium';

export function log(message) {
  process.stderr.write(`[vscode] ${message}\n`);
}

/** `elapsed()` -> seconds since the call of `stopwatch()`, as "12.3 s". */
export function stopwatch() {
  const start = performance.now();
  return () => `${((performance.now() - start) / 1000).toFixed(1)} s`;
}

/**
 * The project's Node 24 (the `node` dev dependency): its binary, the folder to put first on PATH, and
 * a `nodedir` with headers for node-gyp, or null when the headers are not there. The `node` package
 * installs `node-<platform>-<arch>` (binary + include/) into node_modules/node/node_modules and
 * hard-links its binary to node_modules/node/bin/node; a later `npm install` in the project may prune
 * that nested package as extraneous, leaving the binary without headers (setup.mjs then fetches them).
 */
export function projectNode() {
  const pkgDir = join(REPO, 'node_modules', 'node');
  if (!existsSync(join(pkgDir, 'package.json'))) {
    throw new Error(`${pkgDir} is missing: run "npm ci" (or "npm install") in ${REPO} first`);
  }
  const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  const archPkg = `node-${platform}-${process.arch}`;
  const archDirs = [join(pkgDir, 'node_modules', archPkg), join(REPO, 'node_modules', archPkg)];
  const candidates = [join(pkgDir, 'bin', 'node'), ...archDirs.map((d) => join(d, 'bin', 'node'))];
  const bin = candidates.find((file) => existsSync(file));
  if (!bin) throw new Error(`no Node binary under ${pkgDir}: reinstall the "node" dev dependency`);
  const actual = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  if (actual !== `v${version}`) throw new Error(`${bin} is ${actual}, expected v${version}`);
  const nodedir = archDirs.find((d) => hasHeaders(d)) ?? null;
  return { bin, binDir: dirname(bin), version, archPkg, nodedir };
}

export function hasHeaders(dir) {
  return existsSync(join(dir, 'include', 'node', 'node_api.h')) && existsSync(join(dir, 'include', 'node', 'common.gypi'));
}

/** PATH with the given folder first (Node 24 shadows the system Node for every child). */
export function pathWith(first) {
  return [first, ...(process.env.PATH ?? '').split(delimiter).filter((p) => p && p !== first)].join(delimiter);
}

/**
 * The inherited environment minus what an outer `npm run` injects about *this* project or about the Node
 * that runs npm itself: npm_config_user_agent names the system Node (npm's own), and code-server's
 * postinstall reads the Node major from it and refuses anything but 24.
 */
export function cleanEnv(extra = {}) {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^npm_(package_|lifecycle_|command$|execpath$|node_execpath$|config_local_prefix$|config_nodedir$|config_user_agent$)/i.test(name))
      delete env[name];
  }
  return Object.assign(env, extra);
}

export function readMarker() {
  try {
    return JSON.parse(readFileSync(MARKER, 'utf8'));
  } catch {
    return null;
  }
}

/** playwright-core from the cache folder (never from the project's node_modules; never `playwright install`). */
export function loadPlaywright() {
  return createRequire(join(CACHE_DIR, 'package.json'))('playwright-core');
}

export function codeServerEntry() {
  const pkgDir = join(CACHE_DIR, 'node_modules', 'code-server');
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin['code-server'];
  return join(pkgDir, bin);
}

/**
 * Waits until `probe()` is truthy (polling every 100 ms) and answers it, or fails with
 * "<who>: timed out … waiting for <what>" and what `seen()` (default: the probe's last answer) shows then.
 */
export async function waitUntil(who, what, probe, { ms = 15_000, seen } = {}) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (error) {
      last = error.message;
    }
    if (Date.now() > end) {
      const shown = seen ? await seen().catch((error) => error.message) : JSON.stringify(last);
      throw new Error(`${who}: timed out after ${ms / 1000} s waiting for ${what} (seen: ${shown})`);
    }
    await sleep(100);
  }
}
