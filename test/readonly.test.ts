/**
 * Eventscope never writes to a store: every command leaves the .db byte for byte as it was, and a
 * store in a folder the user cannot write to still opens (immutable, with a warning).
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CLI, copyFixture, makeTempDir, removeTempDirs, runCli, sha256, type RunResult } from './helpers/cli';
import { FIXTURE_KEY } from './helpers/dumps';

const ENGINES = ['better-sqlite3', 'node:sqlite'] as const;
const FIXTURES: { name: string; events: number; key?: boolean }[] = [
  { name: 'a_plain.db', events: 21 },
  { name: 'a_plain_counters.db', events: 9 },
  { name: 'b_zlib.db', events: 21 },
  { name: 'c_aes_zlib.db', events: 21, key: true },
  { name: 'd_pydantic_orjson.db', events: 4 },
];

function describeRun(args: string[], r: RunResult): string {
  return `eventscope ${args.join(' ')} -> exit ${r.code}\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout.slice(0, 2000)}`;
}

function ok(args: string[], r: RunResult): RunResult {
  assert.equal(r.code, 0, describeRun(args, r));
  return r;
}

/** The SQLite side files next to a store. */
function sideFiles(path: string): string[] {
  return ['-wal', '-shm', '-journal'].map((s) => path + s).filter((p) => existsSync(p));
}

describe('read-only: commands never change a store', function () {
  this.timeout(60_000);
  after(() => removeTempDirs());

  for (const engine of ENGINES) {
    for (const fixture of FIXTURES) {
      it(`${fixture.name} (${engine}): info, streams, events, log, show, with and without --json, leave the .db unchanged`, () => {
        const store = copyFixture(fixture.name);
        const upstream = fixture.name === 'a_plain_counters.db' ? copyFixture('a_plain.db') : undefined;
        const originalHash = sha256(store);
        const upstreamBefore = upstream && sha256(upstream);
        const env = { EVENTSCOPE_SQLITE_ENGINE: engine, ...(fixture.key ? { EVENTSCOPE_CIPHER_KEY: FIXTURE_KEY } : {}) };
        const run = (args: string[]) => ok(args, runCli(args, { env }));

        const streams = JSON.parse(run(['streams', '--json', store]).stdout) as { streamId: string; count: number }[];
        assert.ok(streams.length > 0);
        const stream = streams[0];

        const info = JSON.parse(run(['info', '--json', store]).stdout) as { engine: string; openMode: string; events: number };
        assert.equal(info.engine, engine);
        assert.equal(info.openMode, 'read-only');
        assert.equal(info.events, fixture.events);

        const log = JSON.parse(run(['log', '--json', store]).stdout) as unknown[];
        assert.equal(log.length, fixture.events);
        const events = JSON.parse(run(['events', '--json', store, stream.streamId]).stdout) as { revision: number }[];
        assert.equal(events.length, stream.count);
        const shown = JSON.parse(run(['show', '--json', store, stream.streamId, '1']).stdout) as { streamId: string; revision: number };
        assert.equal(shown.streamId, stream.streamId);
        assert.equal(shown.revision, 1);

        for (const args of [
          ['info', store],
          ['streams', store],
          ['events', store, stream.streamId],
          ['events', '--backwards', '--limit', '2', store, stream.streamId],
          ['log', store],
          ['log', '--from', '2', '--limit', '3', store],
          ['show', store, stream.streamId, '1'],
        ]) {
          assert.notEqual(run(args).stdout, '', `eventscope ${args.join(' ')} printed nothing`);
        }
        if (upstream) {
          const withLag = JSON.parse(run(['info', '--json', store, '--upstream', upstream]).stdout) as { checkpoints: { lag: number }[] };
          assert.ok(withLag.checkpoints.length > 0);
          assert.equal(typeof withLag.checkpoints[0].lag, 'number');
          assert.equal(sha256(upstream), upstreamBefore, 'the --upstream store changed');
        }

        assert.equal(sha256(store), originalHash, `${fixture.name} changed`);
        // A store at rest is read without side files (no -wal/-shm/-journal): its folder is as it was.
        assert.deepEqual(sideFiles(store), []);
        assert.deepEqual(readdirSync(dirname(store)), [fixture.name]);
        if (upstream) assert.deepEqual(sideFiles(upstream), []);
      });
    }
  }
});

describe('read-only: a store in a folder the user cannot write to', function () {
  this.timeout(60_000);
  const asRoot = process.getuid?.() === 0;
  // Root ignores file permissions, so run the CLI as `nobody` to make the folder really read-only.
  const prefix = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
  let folder: string;
  let store: string;
  let originalHash: string;

  before(() => {
    const parent = makeTempDir('eventscope-readonly-');
    chmodSync(parent, 0o755); // mkdtemp makes 0700 folders; nobody must get through it
    folder = join(parent, 'store');
    mkdirSync(folder);
    store = copyFixture('a_plain.db', folder);
    originalHash = sha256(store);
    chmodSync(folder, 0o555);

    if (asRoot) {
      // The node binary, dist/ and node_modules/ (better-sqlite3) must be readable by nobody,
      // and the folder must really be unwritable for them.
      const probe = spawnSync(
        prefix[0],
        [
          ...prefix.slice(1),
          process.execPath,
          '-e',
          `const fs = require('fs');
           for (const p of process.argv.slice(1, 4)) fs.accessSync(p, fs.constants.R_OK);
           let writable = true;
           try { fs.accessSync(process.argv[4], fs.constants.W_OK); } catch { writable = false; }
           if (writable) throw new Error(process.argv[4] + ' is writable');`,
          CLI,
          require.resolve('better-sqlite3'),
          store,
          folder,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(probe.status, 0, `as nobody: ${probe.stderr}${probe.error ?? ''}`);
    }
  });
  after(() => {
    if (folder) chmodSync(folder, 0o755);
    removeTempDirs();
  });

  for (const engine of ENGINES) {
    it(`opens immutable with a warning and reads all 21 events (${engine})`, () => {
      const env = { EVENTSCOPE_SQLITE_ENGINE: engine };
      const infoArgs = ['info', '--json', store];
      const infoRun = runCli(infoArgs, { env, prefix, cwd: dirname(folder) });
      assert.equal(infoRun.code, 0, describeRun(infoArgs, infoRun));
      const info = JSON.parse(infoRun.stdout) as { engine: string; openMode: string; warnings: string[]; events: number };
      assert.equal(info.engine, engine);
      assert.equal(info.openMode, 'immutable');
      assert.ok(
        info.warnings.some((w) => /live updates/.test(w) && w.includes(store)),
        `warnings: ${JSON.stringify(info.warnings)}`,
      );
      assert.equal(info.events, 21);

      const textArgs = ['info', store];
      const text = runCli(textArgs, { env, prefix, cwd: dirname(folder) });
      assert.equal(text.code, 0, describeRun(textArgs, text));
      assert.match(text.stdout, /immutable/);
      assert.match(text.stdout, /live updates/);

      const logArgs = ['log', '--json', store];
      const logRun = runCli(logArgs, { env, prefix, cwd: dirname(folder) });
      assert.equal(logRun.code, 0, describeRun(logArgs, logRun));
      const events = JSON.parse(logRun.stdout) as { position: number }[];
      assert.deepEqual(
        events.map((e) => e.position),
        Array.from({ length: 21 }, (_, i) => i + 1),
      );

      assert.deepEqual(readdirSync(folder), ['a_plain.db'], 'no -wal/-shm side files in the read-only folder');
      assert.deepEqual(sideFiles(store), []);
      assert.equal(sha256(store), originalHash);
    });
  }
});
