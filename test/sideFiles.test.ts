/**
 * "Never writes to it": reading a SQLite store leaves no -wal/-shm of its own beside it, and never
 * touches the application's. A store at rest (no -wal) is read without side files and still sees
 * what a writer appends later; a live writer's -wal/-shm (the eventsourcing library's own recorder
 * when it is importable, else python3's sqlite3 writing the library's rows) are used and left alone.
 */

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import Database from 'better-sqlite3';
import { parseCipherKey } from '../src/core/codecs/eventsourcing';
import { sqliteEngine, type EngineName, type SqliteEngine } from '../src/core/sqlite/drivers';
import { EventsourcingSqliteStore, isEventsourcingSqliteFile } from '../src/core/stores/eventsourcingSqlite';
import { iterateAll, iterateStream } from '../src/core/stores/types';
import { copyFixture, removeTempDirs, runCli, sha256 } from './helpers/cli';
import { FIXTURE_KEY } from './helpers/dumps';
import { eventsourcingEnv } from './helpers/python';

const ENGINES: EngineName[] = ['better-sqlite3', 'node:sqlite'];
const INITIAL_EVENTS = 21;

/**
 * A writer driven line by line on stdin: `append N` saves one new aggregate with N events (one
 * transaction) and prints "ok"; `close` closes the connection, prints "closed" and exits; `crash`
 * exits at once, as a killed process does, leaving its -wal and -shm. argv: path, "library" (the
 * eventsourcing library's Application on its SQLite recorder) or "sqlite3" (the same rows by hand).
 */
const WRITER = String.raw`
import os, sys
path, kind = sys.argv[1], sys.argv[2]
if kind == 'library':
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
    class Dog(Aggregate):
        @event('Registered')
        def __init__(self, name):
            self.name = name
            self.tricks = []
        @event('TrickAdded')
        def add_trick(self, trick):
            self.tricks.append(trick)
    app = Application(env={'PERSISTENCE_MODULE': 'eventsourcing.sqlite', 'SQLITE_DBNAME': path})
    def append(n):
        dog = Dog('Fido')
        for i in range(n - 1):
            dog.add_trick('trick %d' % i)
        app.save(dog)
    def close():
        app.close()
else:
    import datetime, json, sqlite3, uuid
    con = sqlite3.connect(path, isolation_level=None, timeout=10)
    assert con.execute('PRAGMA journal_mode=WAL').fetchone()[0] == 'wal'
    topic = '__main__:Dog'
    def state(**values):
        now = datetime.datetime.now(datetime.timezone.utc).isoformat()
        values['timestamp'] = {'_type_': 'datetime_iso', '_data_': now}
        return json.dumps(values, separators=(',', ':')).encode('utf-8')
    def append(n):
        id = uuid.uuid4().hex
        rows = [(id, 1, topic + '.Registered', state(originator_topic=topic, name='Fido'))]
        rows += [(id, v, topic + '.TrickAdded', state(trick='trick %d' % v)) for v in range(2, n + 1)]
        con.execute('BEGIN IMMEDIATE')
        con.executemany('INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?,?,?,?)', rows)
        con.execute('COMMIT')
    def close():
        con.close()
for line in sys.stdin:
    command, *args = line.split()
    if command == 'append':
        append(int(args[0]))
        print('ok', flush=True)
    elif command == 'crash':
        os._exit(0)
    elif command == 'close':
        close()
        print('closed', flush=True)
        break
`;

type WriterKind = 'library' | 'sqlite3';

class Writer {
  private readonly child: ChildProcess;
  private output = '';
  private stderr = '';
  private waiting: (() => void) | undefined;
  readonly exited: Promise<number | null>;

  constructor(path: string, kind: WriterKind, env: NodeJS.ProcessEnv) {
    this.child = spawn('python3', ['-c', WRITER, path, kind], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      this.output += text;
      this.waiting?.();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  /** Sends one command and waits for its answer line. */
  async send(command: string, answer: string): Promise<void> {
    this.child.stdin!.write(`${command}\n`);
    const deadline = Date.now() + 15_000;
    while (!this.output.includes('\n')) {
      if (this.child.exitCode !== null || Date.now() > deadline) assert.fail(`python3 writer, "${command}": ${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, 100);
      });
    }
    const line = this.output.slice(0, this.output.indexOf('\n'));
    this.output = this.output.slice(line.length + 1);
    assert.equal(line, answer, this.stderr);
  }

  async crash(): Promise<void> {
    this.child.stdin!.write('crash\n');
    assert.equal(await this.exited, 0, this.stderr);
  }

  async close(): Promise<void> {
    await this.send('close', 'closed');
    assert.equal(await this.exited, 0, this.stderr);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** The files in a store's folder, by name. */
function folder(path: string): string[] {
  return readdirSync(dirname(path)).sort();
}

/** What identifies a side file the application made: which file it is and its bytes. */
function identity(path: string): { ino: bigint; sha: string } {
  return { ino: statSync(path, { bigint: true }).ino, sha: sha256(path) };
}

/** Reads everything a face can ask for, the way the CLI and the extension do. */
async function readEverything(store: EventsourcingSqliteStore): Promise<number> {
  const info = await store.info();
  assert.equal(info.openMode, 'read-only');
  let events = 0;
  for await (const e of iterateAll(store, { limit: 7 })) {
    events++;
    if (e.revision === 1) {
      for await (const s of iterateStream(store, e.streamId, { limit: 3 })) assert.equal(s.streamId, e.streamId);
      await store.snapshots(e.streamId);
    }
  }
  await store.listStreams({ limit: 2 });
  await store.categories();
  await store.checkpoints(info.headPosition);
  assert.equal(await store.headPosition(), info.headPosition);
  assert.equal(events, info.events);
  return events;
}

describe('side files: reading a SQLite store leaves no -wal/-shm of its own', function () {
  this.timeout(60_000);
  const libraryEnv = eventsourcingEnv();
  after(() => removeTempDirs());

  for (const engineName of ENGINES) {
    describe(engineName, () => {
      const engine = () => sqliteEngine(engineName);

      for (const [fixture, key] of [
        ['a_plain.db', undefined],
        ['c_aes_zlib.db', FIXTURE_KEY],
      ] as const) {
        it(`a store at rest (${fixture}, WAL mode, no -wal): open, read everything, close: its folder is as it was`, async () => {
          const path = copyFixture(fixture);
          const before = folder(path);
          assert.deepEqual(before, [fixture]);
          const hash = sha256(path);
          const store = new EventsourcingSqliteStore(path, { engine: engine(), ...(key ? { cipherKey: parseCipherKey(key) } : {}) });
          try {
            assert.equal(await readEverything(store), INITIAL_EVENTS);
            assert.deepEqual(folder(path), before, 'no side files while open');
          } finally {
            await store.close();
          }
          assert.deepEqual(folder(path), before, 'no side files after close');
          assert.ok(isEventsourcingSqliteFile(path, engine()));
          assert.deepEqual(folder(path), before, 'no side files after discovery');
          assert.equal(sha256(path), hash);
        });
      }

      it('a store at rest, closed, is not opened again by a read when its file changes', async () => {
        const path = copyFixture('a_plain.db');
        const store = new EventsourcingSqliteStore(path, { engine: engine() });
        assert.equal(await store.headPosition(), INITIAL_EVENTS);
        await store.close();
        utimesSync(path, new Date(), new Date(Date.now() + 5000));
        await assert.rejects(store.headPosition());
        assert.deepEqual(folder(path), ['a_plain.db']);
      });

      it('the CLI on a store at rest (info, streams, log, events, show) leaves its folder as it was', () => {
        const path = copyFixture('a_plain.db');
        const env = { EVENTSCOPE_SQLITE_ENGINE: engineName };
        const streams = runCli(['streams', '--json', path], { env });
        assert.equal(streams.code, 0, streams.stderr);
        const stream = (JSON.parse(streams.stdout) as { streamId: string }[])[0].streamId;
        for (const args of [
          ['info', path],
          ['info', '--json', path],
          ['log', path],
          ['events', path, stream],
          ['show', path, stream, '1'],
        ]) {
          const run = runCli(args, { env });
          assert.equal(run.code, 0, `eventscope ${args.join(' ')}: ${run.stderr}`);
        }
        assert.deepEqual(folder(path), ['a_plain.db']);
      });

      it('a store in rollback-journal mode gets no side files either', async () => {
        const path = copyFixture('a_plain.db');
        const db = new Database(path);
        db.pragma('journal_mode = DELETE');
        db.close();
        assert.deepEqual(folder(path), ['a_plain.db']);
        const store = new EventsourcingSqliteStore(path, { engine: engine() });
        try {
          assert.equal(await readEverything(store), INITIAL_EVENTS);
        } finally {
          await store.close();
        }
        assert.deepEqual(folder(path), ['a_plain.db']);
      });

      it('writers that come and go (each one checkpoints into the file and removes its -wal) while the store reads: every read whole', async () => {
        const path = copyFixture('a_plain.db');
        const sessions = 150;
        // Each session: connect, append 1 to 5 events in one transaction, close (the last
        // connection: SQLite checkpoints the -wal into the file and removes it).
        const script = String.raw`
import json, random, sqlite3, sys, uuid
path, sessions = sys.argv[1], int(sys.argv[2])
random.seed(3)
for _ in range(sessions):
    con = sqlite3.connect(path, isolation_level=None, timeout=10)
    con.execute('PRAGMA journal_mode=WAL')
    id = uuid.uuid4().hex
    rows = [(id, v, 'm:Dog.TrickAdded', json.dumps({'trick': v}).encode()) for v in range(1, random.randint(1, 5) + 1)]
    con.execute('BEGIN IMMEDIATE')
    con.executemany('INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?,?,?,?)', rows)
    con.execute('COMMIT')
    con.close()
print(sqlite3.connect(path).execute('SELECT MAX(rowid) FROM stored_events').fetchone()[0], flush=True)
`;
        const store = new EventsourcingSqliteStore(path, { engine: engine() });
        const child = spawn('python3', ['-c', script, path, String(sessions)], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
        child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
        const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
        let done = false;
        void exited.then(() => (done = true));
        try {
          let last = 0;
          let passes = 0;
          for (;;) {
            const finished = done;
            let position = 0;
            for await (const e of iterateAll(store, { limit: 97 })) {
              assert.equal(e.position, ++position, 'positions 1, 2, 3... without gaps');
              if (e.position > INITIAL_EVENTS) assert.equal(e.data.trick, e.revision);
            }
            assert.ok(position >= last, `the store shrank: ${last} -> ${position}`);
            last = position;
            passes++;
            if (finished) break;
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
          assert.equal(await exited, 0, stderr);
          assert.equal(last, Number(stdout.trim()), 'the last read saw every event');
          assert.ok(passes > 1);
        } finally {
          if (child.exitCode === null) child.kill('SIGKILL');
          await store.close();
        }
      });

      it("a writer that holds the file's lock while the store opens (exclusive locking mode): the store waits for it and reads live, not frozen", async () => {
        const path = copyFixture('a_plain.db');
        // Appends `n` events to a new stream; with "hold", keeps the lock (and its -wal) for a second first.
        const script = String.raw`
import json, sqlite3, sys, time, uuid
path, n, hold = sys.argv[1], int(sys.argv[2]), sys.argv[3] == 'hold'
con = sqlite3.connect(path, isolation_level=None, timeout=10)
con.execute('PRAGMA journal_mode=WAL')
if hold:
    con.execute('PRAGMA locking_mode=EXCLUSIVE')
id = uuid.uuid4().hex
con.execute('BEGIN IMMEDIATE')
con.executemany('INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?,?,?,?)',
    [(id, v, 'm:Dog.TrickAdded', json.dumps({'trick': v}).encode()) for v in range(1, n + 1)])
con.execute('COMMIT')
print('locked', flush=True)
if hold:
    time.sleep(1)
con.close()
`;
        const holder = spawn('python3', ['-c', script, path, '2', 'hold'], { stdio: ['ignore', 'pipe', 'pipe'] });
        const exited = new Promise<number | null>((resolve) => holder.on('close', resolve));
        let stderr = '';
        holder.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
        await new Promise<void>((resolve, reject) => {
          holder.stdout.once('data', () => resolve());
          holder.once('close', () => reject(new Error(`the writer exited before it took the lock: ${stderr}`)));
        });
        let store: EventsourcingSqliteStore | undefined;
        try {
          // SQLite says "database is locked" to a reader while the writer holds the lock: the open
          // waits for it (it used to fall back to an immutable connection that never saw more).
          store = new EventsourcingSqliteStore(path, { engine: engine() });
          assert.equal(await exited, 0, stderr);
          const info = await store.info();
          assert.deepEqual(info.warnings, []);
          assert.equal(info.events, INITIAL_EVENTS + 2);
          const appended = spawnSync('python3', ['-c', script, path, '3', 'no'], { encoding: 'utf8' });
          assert.equal(appended.status, 0, appended.stderr);
          assert.equal(await store.headPosition(), INITIAL_EVENTS + 5, 'the store sees what a later writer appends');
        } finally {
          if (holder.exitCode === null) holder.kill('SIGKILL');
          await store?.close();
        }
      });

      it('a live open that stays busy is one sentence, and the store opens live once the lock is gone', async () => {
        const path = copyFixture('a_plain.db');
        const real = engine();
        let busy = true;
        // The engine's live opens fail as SQLite's do when another program holds the lock past the busy timeout.
        const locked: SqliteEngine = {
          name: real.name,
          open(file, options) {
            const db = real.open(file, options);
            if (!busy || options?.immutable) return db;
            return {
              ...db,
              prepare: () => assert.fail('no statement while busy'),
              exec: () => {
                throw Object.assign(
                  new Error('database is locked'),
                  real.name === 'node:sqlite' ? { code: 'ERR_SQLITE_ERROR', errcode: 5 } : { code: 'SQLITE_BUSY' },
                );
              },
            };
          },
        };
        // A -wal with content (a writer that crashed) makes the open live.
        const writer = new Writer(path, 'sqlite3', process.env);
        try {
          await writer.send('append 4', 'ok');
          await writer.crash();
        } finally {
          writer.kill();
        }
        assert.ok(statSync(`${path}-wal`).size > 0);
        assert.throws(
          () => new EventsourcingSqliteStore(path, { engine: locked }),
          (error: Error) =>
            error.message ===
            `${path} is locked by another program (SQLite says "database is locked"); try again when it has finished writing.`,
        );
        busy = false;
        const store = new EventsourcingSqliteStore(path, { engine: locked });
        try {
          const info = await store.info();
          assert.deepEqual(info.warnings, [], 'live, not immutable');
          assert.equal(info.events, INITIAL_EVENTS + 4, 'the events in the -wal are read');
        } finally {
          await store.close();
        }
      });

      for (const kind of ['library', 'sqlite3'] as WriterKind[]) {
        const writerEnv = () => (kind === 'library' ? libraryEnv! : process.env);
        const maybe = (title: string, test: () => Promise<void>) =>
          it(`${title} (${kind === 'library' ? "the library's recorder" : 'python3 sqlite3'})`, async function () {
            if (kind === 'library' && !libraryEnv) this.skip();
            await test();
          });

        maybe('a writer that starts after a store opened at rest: its events are seen, its -wal/-shm left alone', async () => {
          const path = copyFixture('a_plain.db');
          const name = basename(path);
          const store = new EventsourcingSqliteStore(path, { engine: engine() });
          const writer = new Writer(path, kind, writerEnv());
          let closed = false;
          try {
            assert.equal(await store.headPosition(), INITIAL_EVENTS);
            assert.deepEqual(folder(path), [name], 'at rest: no side files');

            await writer.send('append 3', 'ok');
            assert.deepEqual(folder(path), [name, `${name}-shm`, `${name}-wal`], "the writer's side files");
            const wal = statSync(`${path}-wal`, { bigint: true }).ino;
            const shm = statSync(`${path}-shm`, { bigint: true }).ino;
            // The extension's live tail asks for the head when the file or its -wal changes.
            assert.equal(await store.headPosition(), INITIAL_EVENTS + 3);
            const page = await store.readAll({ fromPosition: INITIAL_EVENTS + 1 });
            assert.deepEqual(
              page.items.map((e) => [e.position, e.revision, e.type.slice(e.type.lastIndexOf('.') + 1)]),
              [
                [22, 1, 'Registered'],
                [23, 2, 'TrickAdded'],
                [24, 3, 'TrickAdded'],
              ],
            );
            await writer.send('append 2', 'ok');
            assert.equal(await store.headPosition(), INITIAL_EVENTS + 5);
            assert.equal((await store.info()).events, INITIAL_EVENTS + 5);

            await store.close();
            closed = true;
            assert.deepEqual(folder(path), [name, `${name}-shm`, `${name}-wal`], "the writer's side files are still there");
            assert.equal(statSync(`${path}-wal`, { bigint: true }).ino, wal);
            assert.equal(statSync(`${path}-shm`, { bigint: true }).ino, shm);

            // The writer, the last connection now, checkpoints and removes its own side files.
            await writer.close();
            assert.deepEqual(folder(path), [name], 'nothing of the reader is left');
          } finally {
            writer.kill();
            if (!closed) await store.close();
          }
          const again = new EventsourcingSqliteStore(path, { engine: engine() });
          try {
            assert.equal(await readEverything(again), INITIAL_EVENTS + 5);
          } finally {
            await again.close();
          }
          assert.deepEqual(folder(path), [name]);
        });

        maybe('a writer that comes and goes between two reads: the store at rest sees its events, still without side files', async () => {
          const path = copyFixture('a_plain.db');
          const store = new EventsourcingSqliteStore(path, { engine: engine() });
          try {
            assert.equal(await store.headPosition(), INITIAL_EVENTS);
            const run = spawnSync('python3', ['-c', WRITER, path, kind], {
              env: writerEnv(),
              input: 'append 4\nclose\n',
              encoding: 'utf8',
            });
            assert.equal(run.status, 0, run.stderr);
            assert.equal(run.stdout, 'ok\nclosed\n');
            assert.deepEqual(folder(path), ['a_plain.db']);
            assert.equal(await store.headPosition(), INITIAL_EVENTS + 4);
            assert.equal(await readEverything(store), INITIAL_EVENTS + 4);
            assert.deepEqual(folder(path), ['a_plain.db']);
          } finally {
            await store.close();
          }
          assert.deepEqual(folder(path), ['a_plain.db']);
        });

        maybe('side files the application left (a writer killed mid-way): read through, never touched', async () => {
          const path = copyFixture('a_plain.db');
          const name = basename(path);
          const writer = new Writer(path, kind, writerEnv());
          try {
            await writer.send('append 4', 'ok');
            await writer.crash();
          } finally {
            writer.kill();
          }
          const files = folder(path);
          assert.deepEqual(files, [name, `${name}-shm`, `${name}-wal`], 'a killed writer leaves its side files');
          assert.ok(statSync(`${path}-wal`).size > 0, 'its commits are in the -wal');
          const db = sha256(path);
          const wal = identity(`${path}-wal`);
          const shm = statSync(`${path}-shm`, { bigint: true }).ino;

          const store = new EventsourcingSqliteStore(path, { engine: engine() });
          try {
            assert.equal(await readEverything(store), INITIAL_EVENTS + 4, 'the events still in the -wal are read');
          } finally {
            await store.close();
          }
          assert.deepEqual(folder(path), files);
          assert.deepEqual(identity(`${path}-wal`), wal, 'the -wal is the same file, byte for byte');
          assert.equal(statSync(`${path}-shm`, { bigint: true }).ino, shm, 'the -shm is the same file');
          assert.equal(sha256(path), db, 'the .db is unchanged');
        });
      }
    });
  }
});
