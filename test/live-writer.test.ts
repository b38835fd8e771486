/**
 * Reading while the application writes: a Python process appends events to a copy of a_plain.db
 * (WAL, the eventsourcing library's exact row format) while the core pages through the store.
 */

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '../src/core/events';
import { sqliteEngine, type EngineName } from '../src/core/sqlite/drivers';
import { EventsourcingSqliteStore } from '../src/core/stores/eventsourcingSqlite';
import { iterateAll, iterateStream } from '../src/core/stores/types';
import { copyFixture, removeTempDirs } from './helpers/cli';
import { dashed } from './helpers/dumps';

const ENGINES: EngineName[] = ['better-sqlite3', 'node:sqlite'];
const INITIAL_EVENTS = 21;
const WRITTEN = 2000;
const ACCOUNT_TOPIC = 'eventsourcing.examples.bankaccounts.domainmodel:BankAccount';

/**
 * Appends WRITTEN events of one new BankAccount (Opened, then Credited...) the way the library's
 * SQLite recorder stores them, committing small batches (1 to 5 events) with short pauses.
 * argv: path, originator id (32 hex), count. Prints "done <head>" at the end.
 */
const WRITER = String.raw`
import datetime, json, random, sqlite3, sys, time
path, originator_id, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
topic = '${ACCOUNT_TOPIC}'
con = sqlite3.connect(path, isolation_level=None, timeout=10)
mode = con.execute('PRAGMA journal_mode=WAL').fetchone()[0]
assert mode == 'wal', mode
def encode(state):
    return json.dumps(state, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
def now():
    return {'_type_': 'datetime_iso', '_data_': datetime.datetime.now(datetime.timezone.utc).isoformat()}
random.seed(7)
version = 0
while version < count:
    batch = []
    for _ in range(min(random.randint(1, 5), count - version)):
        version += 1
        if version == 1:
            batch.append((originator_id, version, topic + '.Opened', encode({
                'timestamp': now(), 'originator_topic': topic, 'full_name': 'Live Writer',
                'email_address': 'live@example.com'})))
        else:
            batch.append((originator_id, version, topic + '.Credited', encode({
                'timestamp': now(), 'amount': {'_type_': 'decimal_str', '_data_': '%d.00' % version}})))
    con.execute('BEGIN IMMEDIATE')
    con.executemany('INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?,?,?,?)', batch)
    con.execute('COMMIT')
    time.sleep(0.002)
head = con.execute('SELECT MAX(rowid) FROM stored_events').fetchone()[0]
con.close()
print('done', head, flush=True)
`;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Writer {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit?: number | null;
  exited: Promise<void>;
}

function startWriter(path: string, originatorId: string): Writer {
  const child = spawn('python3', ['-c', WRITER, path, originatorId, String(WRITTEN)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const writer: Writer = { child, stdout: '', stderr: '', exited: Promise.resolve() };
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (writer.stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (writer.stderr += text));
  writer.exited = new Promise((resolve) => {
    child.on('error', (error) => {
      writer.stderr += String(error);
      writer.exit = -1;
      resolve();
    });
    child.on('close', (code) => {
      writer.exit = code;
      resolve();
    });
  });
  return writer;
}

/** One full pass over the store with readAll from position 1, checking order and decoding. */
async function readPass(store: EventsourcingSqliteStore, stream: string): Promise<{ count: number; revisions: number[] }> {
  const revisions: number[] = [];
  let expected = 1;
  let from = 1;
  for (;;) {
    // An odd page size, so page boundaries fall inside the writer's batches.
    const page = await store.readAll({ fromPosition: from, limit: 97 });
    for (const event of page.items) {
      assert.equal(event.position, expected, `positions must be 1, 2, 3... without gaps (got ${event.position}, wanted ${expected})`);
      expected++;
      if (event.streamId === stream) {
        checkWrittenEvent(event, revisions.length + 1);
        revisions.push(event.revision);
      } else {
        assert.ok(event.position <= INITIAL_EVENTS, `unexpected event of ${event.streamId} at ${event.position}`);
      }
    }
    if (page.next === undefined) break;
    from = Number(page.next);
    assert.equal(from, expected, 'the next cursor continues where the page ended');
  }
  return { count: expected - 1, revisions };
}

function checkWrittenEvent(event: RecordedEvent, revision: number): void {
  assert.equal(
    event.revision,
    revision,
    `the new stream's revisions must be 1..N without gaps (got ${event.revision}, wanted ${revision})`,
  );
  assert.equal(event.position, INITIAL_EVENTS + revision);
  assert.match(event.timestamp ?? '', /^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
  assert.equal(event.kinds['/timestamp'], 'datetime');
  if (revision === 1) {
    assert.equal(event.type, `${ACCOUNT_TOPIC}.Opened`);
    assert.equal(event.data.originator_topic, ACCOUNT_TOPIC);
    assert.equal(event.data.full_name, 'Live Writer');
  } else {
    assert.equal(event.type, `${ACCOUNT_TOPIC}.Credited`);
    assert.equal(event.data.amount, `${revision}.00`);
    assert.equal(event.kinds['/amount'], 'decimal');
  }
}

describe('reading while a live writer appends (WAL)', function () {
  this.timeout(30_000);
  after(() => removeTempDirs());

  for (const engineName of ENGINES) {
    it(`sees every event, in order and decoded, while python3 appends ${WRITTEN} (${engineName})`, async () => {
      const path = copyFixture('a_plain.db');
      const originatorId = randomUUID().replace(/-/g, '');
      const stream = dashed(originatorId);
      const store = new EventsourcingSqliteStore(path, { engine: sqliteEngine(engineName) });
      let writer: Writer | undefined;
      try {
        const opened = await store.info();
        assert.equal(opened.openMode, 'read-only', 'a store in a writable folder opens read-only (live updates on)');
        assert.equal(opened.engine, engineName);
        const first = await readPass(store, stream);
        assert.equal(first.count, INITIAL_EVENTS);

        writer = startWriter(path, originatorId);
        const final = INITIAL_EVENTS + WRITTEN;
        const counts: number[] = [first.count];
        const deadline = Date.now() + 20_000;
        for (;;) {
          const pass = await readPass(store, stream);
          assert.ok(pass.count >= counts[counts.length - 1], `the store shrank: ${counts[counts.length - 1]} -> ${pass.count}`);
          counts.push(pass.count);
          if (pass.revisions.length > 0 && counts.length % 10 === 0) {
            // The stream read agrees with the global read (it may have grown since).
            const revisions: number[] = [];
            for await (const e of iterateStream(store, stream, { limit: 250 })) revisions.push(e.revision);
            assert.ok(revisions.length >= pass.revisions.length);
            assert.deepEqual(
              revisions,
              Array.from({ length: revisions.length }, (_, i) => i + 1),
            );
          }
          if (pass.count === final && writer.exit !== undefined) break;
          if (writer.exit !== undefined && writer.exit !== 0) break;
          assert.ok(Date.now() < deadline, `timed out at ${pass.count} of ${final} events; writer: ${writer.stderr}`);
          await nextTurn();
        }
        await writer.exited;
        assert.equal(writer.exit, 0, `python3 writer failed:\n${writer.stderr}`);
        assert.equal(writer.stdout.trim(), `done ${final}`);

        const last = await readPass(store, stream);
        assert.equal(last.count, final);
        assert.deepEqual(
          last.revisions,
          Array.from({ length: WRITTEN }, (_, i) => i + 1),
        );
        // The same store object, opened before the writer started, saw the store grow while open.
        const grewWhileReading = counts.filter((c) => c > INITIAL_EVENTS && c < final);
        assert.ok(grewWhileReading.length > 0, `no read saw the writer mid-way; counts: ${counts.join(', ')}`);

        const info = await store.info();
        assert.equal(info.events, final);
        assert.equal(info.headPosition, final);
        assert.equal(info.streams, 6);
        assert.equal(info.categories.find((c) => c.name === 'BankAccount')?.streams, 4);
        let all = 0;
        for await (const e of iterateAll(store, { fromPosition: INITIAL_EVENTS + 1, limit: 1000 })) {
          assert.equal(e.streamId, stream);
          all++;
        }
        assert.equal(all, WRITTEN);
      } finally {
        if (writer && writer.exit === undefined) {
          writer.child.kill('SIGKILL');
          await writer.exited;
        }
        await store.close();
      }
    });
  }
});
