/**
 * The CLI on bad input: every user mistake or damaged file ends with exit code 1 (2 for bad usage)
 * and one line on stderr that names the file and the problem, never a stack trace.
 */

import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { copyFixture, makeTempDir, removeTempDirs, runCli, type RunResult } from './helpers/cli';
import { FIXTURE_KEY } from './helpers/dumps';

/** Stream ids (dashed) in a_plain.db and b_zlib.db whose first event is at rowid 3 (see dumps.txt). */
const A_PLAIN_ROW3_STREAM = 'a588c5ee-627f-45e9-a6be-1b1a9da773c2';
const B_ZLIB_ROW3_STREAM = '142fe611-2b9b-4bdd-82ae-32417e2215f2';
/** A stream id no fixture has. */
const NO_SUCH_STREAM = '00000000-0000-4000-8000-000000000000';
/** A valid base64 32-byte AES key that is not the fixture's. */
const WRONG_KEY = Buffer.alloc(32, 7).toString('base64');

function describeRun(r: RunResult): string {
  return `exit ${r.code}\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout.slice(0, 2000)}`;
}

/** Exit 1, stdout empty, and exactly one stderr line `eventscope: ...` matching every pattern. */
function assertOneLineError(r: RunResult, patterns: RegExp[], mention?: string): string {
  assert.equal(r.code, 1, describeRun(r));
  assert.equal(r.stdout, '', describeRun(r));
  assert.ok(r.stderr.endsWith('\n'), describeRun(r));
  const lines = r.stderr.slice(0, -1).split('\n');
  assert.equal(lines.length, 1, `stderr must be one line:\n${describeRun(r)}`);
  const [line] = lines;
  assert.match(line, /^eventscope: \S/);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(line, /unexpected error|TypeError|Cannot read properties|is not iterable|undefined/);
  if (mention !== undefined) assert.ok(line.includes(mention), `stderr should name ${mention}:\n${line}`);
  for (const pattern of patterns) assert.match(line, pattern);
  return line;
}

/** Exit 2, stdout empty, stderr starts with `eventscope: ` and points to the help. */
function assertUsageError(r: RunResult, pattern: RegExp): void {
  assert.equal(r.code, 2, describeRun(r));
  assert.equal(r.stdout, '', describeRun(r));
  assert.match(r.stderr, /^eventscope: /);
  assert.match(r.stderr.split('\n')[0], pattern);
  assert.match(r.stderr, /--help/);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
}

function parseEvents(r: RunResult): { position: number; streamId: string; type: string; data: Record<string, unknown> }[] {
  assert.equal(r.code, 0, describeRun(r));
  assert.equal(r.stderr, '');
  const events = JSON.parse(r.stdout) as { position: number; streamId: string; type: string; data: Record<string, unknown> }[];
  assert.ok(Array.isArray(events));
  return events;
}

/** Every command that opens a store, as it would be called on `path` (a stream a_plain.db has). */
function storeCommands(path: string): string[][] {
  return [
    ['info', path],
    ['streams', path],
    ['log', path],
    ['events', path, A_PLAIN_ROW3_STREAM],
    ['show', path, A_PLAIN_ROW3_STREAM, '1'],
  ];
}

describe('CLI on bad input', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = makeTempDir('eventscope-bad-input-');
  });
  after(() => removeTempDirs());

  /** A new SQLite file in the test folder, made by running `sql`. */
  const sqliteFile = (name: string, sql: string) => {
    const p = join(dir, name);
    const db = new Database(p);
    db.exec(sql);
    db.close();
    return p;
  };

  describe('files that are not eventsourcing stores (every command)', () => {
    const cases: { name: string; make: () => string; patterns: RegExp[] }[] = [
      { name: 'a missing file', make: () => join(dir, 'no-such-store.db'), patterns: [/no file/i] },
      {
        name: 'a directory',
        make: () => {
          const p = join(dir, 'a-folder.db');
          mkdirSync(p, { recursive: true });
          return p;
        },
        patterns: [/folder|directory/i, /not an event store/i],
      },
      {
        name: 'a text file',
        make: () => {
          const p = join(dir, 'notes.txt');
          writeFileSync(p, 'hello, this is not a database\n');
          return p;
        },
        patterns: [/not a SQLite database/],
      },
      {
        name: 'a text file longer than the SQLite header',
        make: () => {
          const p = join(dir, 'long-notes.txt');
          writeFileSync(p, 'SQLite format 2 is what this says, but it is only text. '.repeat(20));
          return p;
        },
        patterns: [/not a SQLite database/],
      },
      {
        name: 'an empty (0-byte) file',
        make: () => {
          const p = join(dir, 'empty.db');
          writeFileSync(p, '');
          return p;
        },
        patterns: [/empty/],
      },
      {
        name: 'an empty but valid SQLite database',
        make: () => sqliteFile('valid-empty.db', 'PRAGMA user_version=1'),
        patterns: [/not an eventsourcing store/, /stored_events/],
      },
      {
        name: 'a SQLite database with unrelated tables',
        make: () =>
          sqliteFile(
            'unrelated.db',
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('x');",
          ),
        patterns: [/not an eventsourcing store/, /customers/],
      },
      {
        name: 'a SQLite database whose stored_events table lacks the eventsourcing columns',
        make: () => sqliteFile('other-stored-events.db', 'CREATE TABLE stored_events (id INTEGER PRIMARY KEY, payload TEXT)'),
        patterns: [/not an eventsourcing store/, /originator_id/],
      },
      {
        name: 'a store with a corrupt page (header intact)',
        make: () => {
          const p = copyFixture('a_plain.db', makeTempDir('eventscope-corrupt-'));
          // Page 2 is the root of stored_events; the 100-byte header on page 1 still says SQLite.
          const fd = openSync(p, 'r+');
          writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 4096);
          closeSync(fd);
          return p;
        },
        patterns: [/damaged/],
      },
    ];
    for (const c of cases) {
      it(`${c.name}: exit 1 and one line naming the file`, () => {
        const path = c.make();
        for (const args of storeCommands(path)) {
          const r = runCli(args, { cwd: dir });
          try {
            assertOneLineError(r, c.patterns, path);
          } catch (error) {
            (error as Error).message = `eventscope ${args.join(' ')}: ${(error as Error).message}`;
            throw error;
          }
        }
      });
    }

    it('a relative path is reported as the absolute path it resolves to', () => {
      const r = runCli(['log', 'relative-missing.db'], { cwd: dir });
      assertOneLineError(r, [/no file/i], join(dir, 'relative-missing.db'));
    });
  });

  describe('encrypted store (c_aes_zlib.db)', () => {
    let store: string;
    let firstStream: string;
    before(() => {
      store = copyFixture('c_aes_zlib.db');
      // `streams` works without a key (ids and topics are not encrypted).
      const r = runCli(['streams', '--json', store]);
      assert.equal(r.code, 0, describeRun(r));
      firstStream = (JSON.parse(r.stdout) as { streamId: string }[])[0].streamId;
    });

    it('a wrong cipher key: exit 1, says the key does not decrypt (log, events, show)', () => {
      for (const args of [
        ['log', store],
        ['events', store, firstStream],
        ['show', store, firstStream, '1'],
      ]) {
        const line = assertOneLineError(runCli([...args, '--cipher-key', WRONG_KEY]), [/cipher key/, /wrong key|does not decrypt/], store);
        assert.doesNotMatch(line, new RegExp(WRONG_KEY.replace(/[+/=]/g, '\\$&')), 'the key itself is not echoed');
      }
    });

    it('a wrong cipher key: info tries it and fails with the same sentence as log (exit 1), text and --json', () => {
      const logLine = assertOneLineError(runCli(['log', store, '--cipher-key', WRONG_KEY]), [/does not decrypt/], store);
      assert.match(
        logLine,
        /: cannot decode the event at position 1 \(stream [0-9a-f-]{36}, revision 1\): the cipher key does not decrypt/,
      );
      for (const args of [
        ['info', store, '--cipher-key', WRONG_KEY],
        ['info', '--json', store, '--cipher-key', WRONG_KEY],
      ]) {
        const run = runCli(args);
        const line = assertOneLineError(run, [/cipher key/, /does not decrypt/], store);
        assert.equal(line, logLine, `eventscope ${args.join(' ')} must say what log says`);
        assert.doesNotMatch(run.stderr, /encrypted\? \(no key given\)/);
      }
      assertOneLineError(runCli(['info', store], { env: { EVENTSCOPE_CIPHER_KEY: WRONG_KEY } }), [/does not decrypt/], store);
      // Without a key, info still says the store looks encrypted (and exits 0); with the key, AES-GCM.
      const noKey = runCli(['info', store]);
      assert.equal(noKey.code, 0, describeRun(noKey));
      assert.match(noKey.stdout, /^Encoding +encrypted\? \(no key given\)/m);
      const withKey = runCli(['info', store, '--cipher-key', FIXTURE_KEY]);
      assert.equal(withKey.code, 0, describeRun(withKey));
      assert.match(withKey.stdout, /^Encoding +AES-GCM \+ zlib$/m);
    });

    it('a wrong key from EVENTSCOPE_CIPHER_KEY fails the same way', () => {
      assertOneLineError(runCli(['log', store], { env: { EVENTSCOPE_CIPHER_KEY: WRONG_KEY } }), [/cipher key/, /does not decrypt/], store);
    });

    it('no key: log and events say the store is encrypted and how to give the key', () => {
      for (const args of [
        ['log', store],
        ['events', store, firstStream],
        ['log', '--limit', '1', store],
      ]) {
        const line = assertOneLineError(runCli(args), [/encrypted/, /--cipher-key/], store);
        // The core says what is missing; the CLI adds how a terminal gives it.
        assert.match(
          line,
          /: the state looks encrypted and no cipher key was given; give it with --cipher-key or EVENTSCOPE_CIPHER_KEY \(the library’s CIPHER_KEY\)\.$/,
        );
      }
    });

    const malformed: [string, string][] = [
      ['not base64', 'this is not base64!'],
      ['base64 of 3 bytes', 'AAAA'],
      ['base64 of 20 bytes', Buffer.alloc(20, 1).toString('base64')],
      ['base64 of 33 bytes', Buffer.alloc(33, 1).toString('base64')],
    ];
    for (const [what, key] of malformed) {
      it(`a malformed key (${what}): exit 1, says the cipher key is not valid`, () => {
        for (const args of [
          ['log', store, '--cipher-key', key],
          ['info', store, '--cipher-key', key],
        ]) {
          assertOneLineError(runCli(args), [/cipher key/i, /not valid|invalid/i]);
        }
        assertOneLineError(runCli(['log', store], { env: { CIPHER_KEY: key } }), [/cipher key/i, /not valid|invalid/i]);
      });
    }

    it('EVENTSCOPE_CIPHER_KEY gives the key (21 events)', () => {
      const events = parseEvents(runCli(['log', '--json', store], { env: { EVENTSCOPE_CIPHER_KEY: FIXTURE_KEY } }));
      assert.equal(events.length, 21);
      assert.deepEqual(
        events.map((e) => e.position),
        Array.from({ length: 21 }, (_, i) => i + 1),
      );
      assert.equal(events[0].data.full_name, 'Alice Smith');
    });

    it('CIPHER_KEY (the library’s own variable) gives the key (21 events)', () => {
      const events = parseEvents(runCli(['log', '--json', store], { env: { CIPHER_KEY: FIXTURE_KEY } }));
      assert.equal(events.length, 21);
      assert.equal(events[0].data.full_name, 'Alice Smith');
    });

    it('--cipher-key takes precedence over both variables', () => {
      const right = parseEvents(
        runCli(['log', '--json', store, '--cipher-key', FIXTURE_KEY], {
          env: { EVENTSCOPE_CIPHER_KEY: WRONG_KEY, CIPHER_KEY: WRONG_KEY },
        }),
      );
      assert.equal(right.length, 21);
      assertOneLineError(
        runCli(['log', store, '--cipher-key', WRONG_KEY], {
          env: { EVENTSCOPE_CIPHER_KEY: FIXTURE_KEY, CIPHER_KEY: FIXTURE_KEY },
        }),
        [/does not decrypt/],
        store,
      );
    });

    it('EVENTSCOPE_CIPHER_KEY takes precedence over CIPHER_KEY', () => {
      const events = parseEvents(runCli(['log', '--json', store], { env: { EVENTSCOPE_CIPHER_KEY: FIXTURE_KEY, CIPHER_KEY: WRONG_KEY } }));
      assert.equal(events.length, 21);
    });
  });

  describe('damaged state blobs', () => {
    /** A copy of a fixture with one row changed by `update` (which must change exactly one row). */
    const damagedCopy = (fixture: string, update: string) => {
      const store = copyFixture(fixture);
      const db = new Database(store);
      const changed = db.prepare(update).run().changes;
      db.close();
      assert.equal(changed, 1);
      return store;
    };

    it('a truncated JSON state: log/events/show fail naming the file, position and stream', () => {
      const store = damagedCopy('a_plain.db', 'UPDATE stored_events SET state = substr(state, 1, 20) WHERE rowid = 3');
      for (const args of [
        ['log', store],
        ['events', store, A_PLAIN_ROW3_STREAM],
        ['show', store, A_PLAIN_ROW3_STREAM, '1'],
      ]) {
        const line = assertOneLineError(runCli(args), [/cannot decode/, /truncated|invalid JSON/, /position 3/], store);
        assert.ok(line.includes(A_PLAIN_ROW3_STREAM), line);
      }
      // Events before the damaged one still read.
      const before = parseEvents(runCli(['log', '--json', '--limit', '2', store]));
      assert.deepEqual(
        before.map((e) => e.position),
        [1, 2],
      );
    });

    it('a truncated zlib blob (b_zlib.db): fails naming the file and that the zlib data is damaged', () => {
      const store = damagedCopy('b_zlib.db', 'UPDATE stored_events SET state = substr(state, 1, 20) WHERE rowid = 3');
      for (const args of [
        ['log', store],
        ['events', store, B_ZLIB_ROW3_STREAM],
        ['show', store, B_ZLIB_ROW3_STREAM, '1'],
      ]) {
        const line = assertOneLineError(runCli(args), [/damaged/, /zlib/, /position 3/], store);
        assert.ok(line.includes(B_ZLIB_ROW3_STREAM), line);
      }
    });

    // Not a case the library writes (its columns are never NULL), but a damaged or hand-edited
    // store can have one: the error must still be one sentence about the file, not a JS TypeError.
    for (const column of ['originator_id', 'topic']) {
      it(`a NULL ${column} in stored_events: log and streams fail with one line naming the file`, () => {
        const store = damagedCopy('a_plain.db', `UPDATE stored_events SET ${column} = NULL WHERE rowid = 3`);
        for (const args of [
          ['log', store],
          ['streams', store],
        ]) {
          try {
            assertOneLineError(runCli(args), [new RegExp(`${column}|damaged|missing|null|without`, 'i')], store);
          } catch (error) {
            (error as Error).message = `eventscope ${args.join(' ')}: ${(error as Error).message}`;
            throw error;
          }
        }
      });
    }
  });

  // `--json` promises one JSON value on stdout: a run that fails before the first event must leave
  // stdout empty, not a lone "[" that a pipe into `jq` would choke on.
  describe('--json runs that fail before the first event', () => {
    it('log --json on a store with a corrupt page prints nothing on stdout', () => {
      const path = copyFixture('a_plain.db');
      const fd = openSync(path, 'r+');
      writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 4096);
      closeSync(fd);
      assertOneLineError(runCli(['log', '--json', path]), [/damaged/], path);
    });

    it('events --json of a stream the store does not have prints nothing on stdout', () => {
      const path = copyFixture('a_plain.db');
      assertOneLineError(runCli(['events', '--json', path, NO_SUCH_STREAM]), [/no stream/i], path);
    });

    it('log --json on an encrypted store without a key prints nothing on stdout', () => {
      const path = copyFixture('c_aes_zlib.db');
      assertOneLineError(runCli(['log', '--json', path]), [/encrypted/], path);
    });
  });

  describe('bad usage: exit 2', () => {
    let store: string;
    before(() => {
      store = copyFixture('a_plain.db');
    });

    it('an unknown command', () => {
      assertUsageError(runCli(['frobnicate', store]), /unknown command "frobnicate"/);
    });

    it('missing arguments', () => {
      assertUsageError(runCli(['log']), /takes 1 argument/);
      assertUsageError(runCli(['events', store]), /takes 2 argument/);
      assertUsageError(runCli(['show', store, NO_SUCH_STREAM]), /takes 3 argument/);
    });

    it('too many arguments', () => {
      assertUsageError(runCli(['info', store, store]), /takes 1 argument/);
    });

    it('no command at all prints the usage on stderr', () => {
      const r = runCli([]);
      assert.equal(r.code, 2, describeRun(r));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^Usage: eventscope/);
    });

    it('an unknown option', () => {
      assertUsageError(runCli(['log', store, '--bogus']), /bogus/);
    });

    it('an option another command has', () => {
      assertUsageError(runCli(['info', store, '--backwards']), /no option --backwards/);
    });

    it('--limit abc, --limit 0, --limit 1.5', () => {
      assertUsageError(runCli(['log', store, '--limit', 'abc']), /--limit must be an integer/);
      assertUsageError(runCli(['log', store, '--limit', '0']), /--limit must be an integer >= 1/);
      assertUsageError(runCli(['log', store, '--limit', '1.5']), /--limit must be an integer/);
      assertUsageError(runCli(['streams', store, '--limit', '0']), /--limit must be an integer >= 1/);
      assertUsageError(runCli(['events', store, A_PLAIN_ROW3_STREAM, '--limit', 'abc']), /--limit must be an integer/);
    });

    it('a revision that is not a number', () => {
      assertUsageError(runCli(['show', store, A_PLAIN_ROW3_STREAM, 'first']), /revision/);
    });
  });

  describe('streams and revisions that do not exist: exit 1', () => {
    let store: string;
    before(() => {
      store = copyFixture('a_plain.db');
    });

    it('events of a stream id the store does not have', () => {
      for (const args of [
        ['events', store, NO_SUCH_STREAM],
        ['events', '--backwards', store, NO_SUCH_STREAM],
        ['show', store, NO_SUCH_STREAM, '1'],
        ['show', '--json', store, NO_SUCH_STREAM, '1'],
      ]) {
        assertOneLineError(runCli(args), [/no stream/i, new RegExp(NO_SUCH_STREAM)], store);
      }
    });

    it('show of a revision the stream does not have', () => {
      // a588c5ee... has revisions 1..3 (Opened, Credited, Closed).
      const ok = runCli(['show', '--json', store, A_PLAIN_ROW3_STREAM, '3']);
      assert.equal(ok.code, 0, describeRun(ok));
      assert.equal((JSON.parse(ok.stdout) as { revision: number }).revision, 3);
      for (const revision of ['4', '99', '0']) {
        assertOneLineError(runCli(['show', store, A_PLAIN_ROW3_STREAM, revision]), [new RegExp(`no revision ${revision}\\b`)], store);
      }
    });
  });
});
