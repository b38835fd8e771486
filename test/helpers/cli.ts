/**
 * Runs the built CLI (dist/cli.js) as a child process, and makes throwaway copies of the fixture
 * stores. Build first: `npm run -s build`.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { transcoded } from '../../src/core/codecs/eventsourcing';
import { EventsourcingSqliteWriter, type StoredEventInput } from '../../src/core/stores/eventsourcingSqliteWriter';
import { FIXTURES } from './dumps';

export const CLI = resolve(__dirname, '..', '..', 'dist', 'cli.js');

/** Variables the CLI reads: removed from the inherited environment so the caller decides them. */
const CLI_VARIABLES = [
  'EVENTSCOPE_CIPHER_KEY',
  'CIPHER_KEY',
  'EVENTSCOPE_SQLITE_ENGINE',
  'EVENTSCOPE_DEBUG',
  'EVENTSCOPE_PROGRESS',
  'FORCE_COLOR',
  'EVENTSCOPE_CLI_THREADS',
];

export interface RunOptions {
  /** Extra environment variables (on top of the inherited ones, minus the CLI's own). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** A command to run node under, e.g. `['setpriv', '--reuid=65534', ...]`. */
  prefix?: string[];
  timeoutMs?: number;
  /** What the command reads on stdin. */
  input?: string;
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
    ...(options.input !== undefined ? { input: options.input } : {}),
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

export interface ManyStreamsStore {
  path: string;
  /** Every stream id, dashed, in id order. */
  streamIds: string[];
  events: number;
  /** The stream with `bigStreamEvents` events (the last id). */
  bigStreamId: string;
}

/**
 * Writes a new store of `streams` accounts (ids in order: 0000…0001, …), each opened (with a
 * `full_name`) and every tenth credited twice, plus one account of `bigStreamEvents` events.
 */
export function writeManyStreamsStore(path: string, streams: number, bigStreamEvents = 0): ManyStreamsStore {
  const writer = new EventsourcingSqliteWriter(path, { snapshots: false });
  const topic = 'bank.domain:Account';
  const hex = (i: number) => i.toString(16).padStart(32, '0');
  const dashed = (id: string) => `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
  const event = (id: string, version: number, i: number): StoredEventInput => ({
    originatorId: id,
    version,
    topic: version === 1 ? `${topic}.Opened` : `${topic}.Credited`,
    state:
      version === 1
        ? { timestamp: transcoded.datetime('2026-01-01T00:00:00+00:00'), originator_topic: topic, full_name: `Holder ${i}` }
        : { timestamp: transcoded.datetime('2026-01-02T00:00:00+00:00'), amount: transcoded.decimal(`${version}.05`) },
  });
  const streamIds: string[] = [];
  let events = 0;
  let batch: StoredEventInput[] = [];
  const push = (e: StoredEventInput) => {
    batch.push(e);
    events++;
    if (batch.length === 5000) {
      writer.append(batch);
      batch = [];
    }
  };
  const total = streams + (bigStreamEvents > 0 ? 1 : 0);
  for (let i = 1; i <= total; i++) {
    const id = hex(i);
    streamIds.push(dashed(id));
    const count = i === total && bigStreamEvents > 0 ? bigStreamEvents : i % 10 === 0 ? 3 : 1;
    for (let v = 1; v <= count; v++) push(event(id, v, i));
  }
  writer.append(batch);
  writer.close();
  return { path, streamIds, events, bigStreamId: streamIds[streamIds.length - 1] };
}
