/**
 * `log --json`/`--ndjson` reads a long log in two worker threads (src/cli/eventPages.ts): the
 * output must be byte for byte that of the one-thread read, at every cut (--from, --limit in the
 * middle of a range), over gaps in the positions, and a failure in a worker is the same one line.
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { copyFixture, makeTempDir, removeTempDirs, runCli, writeManyStreamsStore } from './helpers/cli';

const one = { EVENTSCOPE_CLI_THREADS: '1' };
const two = { EVENTSCOPE_CLI_THREADS: '2' };

describe('CLI: log in two threads', function () {
  this.timeout(60_000);
  let path: string;
  let gappy: string;

  before(() => {
    path = writeManyStreamsStore(join(makeTempDir(), 'log.sqlite'), 3_000, 2_500).path;
    // A copy with holes in the positions (the library's notification ids can have gaps), including
    // a whole range of 2,000 positions and the range boundaries.
    gappy = writeManyStreamsStore(join(makeTempDir(), 'gappy.sqlite'), 3_000, 2_500).path;
    const db = new Database(gappy); // the test's own file, not a user's store
    try {
      db.prepare('DELETE FROM stored_events WHERE rowid % 7 = 0 OR rowid BETWEEN 1990 AND 4010 OR rowid = 4001').run();
    } finally {
      db.close();
    }
  });
  after(removeTempDirs);

  const cases: [string, string[]][] = [
    ['--json', ['--json']],
    ['--ndjson', ['--ndjson']],
    ['--json --limit in the middle of a range', ['--json', '--limit', '3001']],
    ['--ndjson --from --limit', ['--ndjson', '--from', '1777', '--limit', '2500']],
    ['--json --from past the head', ['--json', '--from', '999999']],
  ];
  for (const [title, args] of cases) {
    it(`${title}: the same bytes as one thread, with and without gaps`, () => {
      for (const store of [path, gappy]) {
        const a = runCli(['log', store, ...args], { env: one });
        const b = runCli(['log', store, ...args], { env: two });
        assert.equal(a.code, 0, a.stderr);
        assert.equal(b.code, 0, b.stderr);
        assert.ok(a.stdout.length > 1, 'printed something');
        assert.equal(b.stdout, a.stdout);
        assert.equal(b.stderr, '');
      }
    });
  }

  it('counts what it promised: --limit N events, all when N is larger, a valid array', () => {
    const all = JSON.parse(runCli(['log', path, '--json'], { env: two }).stdout) as { position: number }[];
    const head = all.at(-1)!.position;
    assert.equal(all.length, head, 'every position once (no gaps in this store)');
    assert.deepEqual(
      all.map((e) => e.position),
      Array.from({ length: head }, (_, i) => i + 1),
    );
    assert.equal((JSON.parse(runCli(['log', path, '--json', '--limit', '4321'], { env: two }).stdout) as unknown[]).length, 4321);
  });

  it('a store that fails to decode in a worker fails with the same one line as in one thread', () => {
    const store = copyFixture('c_aes_zlib.db');
    const wrong = ['--cipher-key', Buffer.alloc(32, 7).toString('base64')];
    const a = runCli(['log', store, '--json', ...wrong], { env: one });
    const b = runCli(['log', store, '--json', ...wrong], { env: two });
    assert.equal(a.code, 1);
    assert.equal(b.code, 1);
    assert.equal(b.stderr, a.stderr);
    assert.match(b.stderr, /^eventscope: [^\n]+\n$/);
    assert.equal(b.stdout, '');
  });

  it('a store that needs the cipher key says how to give it, in a worker as in one thread, and in a replay', () => {
    const store = copyFixture('c_aes_zlib.db');
    const a = runCli(['log', store, '--json'], { env: one });
    const b = runCli(['log', store, '--json'], { env: two });
    assert.equal(b.code, 1);
    assert.equal(b.stderr, a.stderr);
    assert.match(
      b.stderr,
      /looks encrypted and no cipher key was given; give it with --cipher-key or EVENTSCOPE_CIPHER_KEY \(the library’s CIPHER_KEY\)\.\n$/,
    );
    // A replay reads in its own worker: the error crosses it as a MissingCipherKey too.
    const replay = runCli(['replay', store]);
    assert.equal(replay.code, 1);
    assert.match(replay.stderr, /no cipher key was given; give it with --cipher-key or EVENTSCOPE_CIPHER_KEY/);
  });
});
