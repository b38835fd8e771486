/**
 * Runs the built CLI (dist/cli.js) as a child process, and makes throwaway copies of the fixture
 * stores. Build first: `npm run -s build`.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { FIXTURES } from './dumps';

export const CLI = resolve(__dirname, '..', '..', 'dist', 'cli.js');

/** Variables the CLI reads: removed from the inherited environment so the caller decides them. */
const CLI_VARIABLES = ['EVENTSCOPE_CIPHER_KEY', 'CIPHER_KEY', 'EVENTSCOPE_SQLITE_ENGINE', 'EVENTSCOPE_DEBUG', 'FORCE_COLOR'];

export interface RunOptions {
  /** Extra environment variables (on top of the inherited ones, minus the CLI's own). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** A command to run node under, e.g. `['setpriv', '--reuid=65534', ...]`. */
  prefix?: string[];
  timeoutMs?: number;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: RunOptions = {}): RunResult {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run -s build" first`);
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of CLI_VARIABLES) delete env[name];
  Object.assign(env, { NO_COLOR: '1' }, options.env);
  const [command, ...rest] = [...(options.prefix ?? []), process.execPath, CLI, ...args];
  const result = spawnSync(command, rest, {
    cwd: options.cwd,
    env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 20_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const tempDirs: string[] = [];

/** A fresh temporary folder (removed by `removeTempDirs`). */
export function makeTempDir(prefix = 'eventscope-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Copies a fixture store into `dir` (default: a fresh temp folder); returns the copy's path (mode 0644). */
export function copyFixture(name: string, dir: string = makeTempDir()): string {
  const target = join(dir, basename(name));
  copyFileSync(join(FIXTURES, name), target);
  chmodSync(target, 0o644);
  return target;
}

/** Removes every folder made by `makeTempDir`/`copyFixture` (call in an `after` hook). */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) {
    try {
      chmodSync(dir, 0o755);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
