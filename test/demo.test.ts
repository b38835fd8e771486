import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, openSync, readSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_STORY, writeDemoStore } from '../src/core/demo';
import type { RecordedEvent } from '../src/core/events';
import { eventToJSON, shortTypeName } from '../src/core/events';
import { sqliteEngine } from '../src/core/sqlite/drivers';
import { EventsourcingSqliteStore } from '../src/core/stores/eventsourcingSqlite';
import { iterateAll } from '../src/core/stores/types';
import { FIXTURES } from './helpers/dumps';

function header(path: string): Buffer {
  const b = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  readSync(fd, b, 0, 100, 0);
  closeSync(fd);
  return b;
}

function schema(path: string): string[][] {
  // Immutable: never leave -wal/-shm files beside a shared fixture.
  const db = sqliteEngine('better-sqlite3').open(path, { immutable: true });
  try {
    return db
      .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'tracking%' ORDER BY name")
      .all() as string[][];
  } finally {
    db.close();
  }
}

const cents = (decimal: string) => {
  const [units, fraction = ''] = decimal.split('.');
  const sign = units.startsWith('-') ? -1 : 1;
  return sign * (Math.abs(Number(units)) * 100 + Number(fraction.padEnd(2, '0')));
};

describe('demo store', () => {
  let dir: string;
  let path: string;
  let events: RecordedEvent[];
  let sideFilesAfterWrite: boolean;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventscope-demo-'));
    path = join(dir, 'demo.sqlite');
    writeDemoStore(path);
    sideFilesAfterWrite = existsSync(`${path}-wal`) || existsSync(`${path}-shm`);
    const store = new EventsourcingSqliteStore(path);
    events = [];
    for await (const e of iterateAll(store)) events.push(e);
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('has the layout and file format of a store written by the eventsourcing library', () => {
    assert.deepEqual(schema(path), schema(join(FIXTURES, 'a_plain.db')));
    const mine = header(path);
    const theirs = header(join(FIXTURES, 'a_plain.db'));
    assert.deepEqual([mine[18], mine[19]], [2, 2], 'WAL mode');
    assert.equal(mine.readUInt16BE(16), theirs.readUInt16BE(16), 'page size');
    assert.equal(mine.readUInt32BE(56), theirs.readUInt32BE(56), 'text encoding');
    assert.equal(sideFilesAfterWrite, false, 'checkpointed and closed like the fixtures');
  });

  it('holds a few hundred events over two aggregate types, every one in the library’s shape', () => {
    assert.ok(events.length >= 250 && events.length <= 500, `${events.length} events`);
    const types = new Set(events.map((e) => e.type.split(':')[0]));
    assert.deepEqual([...types].sort(), ['bankapp.domainmodel', 'dogschool.domainmodel']);
    let previous = '';
    for (const e of events) {
      assert.match(e.timestamp!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
      assert.equal(e.kinds['/timestamp'], 'datetime');
      assert.ok(e.timestamp! > previous, 'timestamps increase with positions');
      previous = e.timestamp!;
      if (e.revision === 1) assert.match(String(e.data.originator_topic), /^(bankapp|dogschool)\.domainmodel:(BankAccount|Dog)$/);
      if (shortTypeName(e.type) === 'WeightRecorded') assert.equal(e.data.class_version, 2);
    }
  });

  it('tells its story: exactly one account goes negative, through one duplicated Debited event', () => {
    const balance = new Map<string, number>();
    const overdraft = new Map<string, number>();
    const names = new Map<string, string>();
    const culprits: RecordedEvent[] = [];
    for (const e of events.filter((x) => x.type.startsWith('bankapp'))) {
      const type = shortTypeName(e.type);
      if (type === 'Opened') names.set(e.streamId, String(e.data.full_name));
      if (type === 'OverdraftLimitSet') overdraft.set(e.streamId, cents(String(e.data.overdraft_limit)));
      const before = balance.get(e.streamId) ?? 0;
      let after = before;
      if (type === 'Credited') after += cents(String(e.data.amount));
      if (type === 'Debited') after -= cents(String(e.data.amount));
      balance.set(e.streamId, after);
      if (before >= 0 && after < 0) culprits.push(e);
      if (type === 'Debited' && e !== culprits[culprits.length - 1]) {
        assert.ok(after >= -(overdraft.get(e.streamId) ?? 0), 'every other debit respects the overdraft limit');
      }
    }
    assert.equal(culprits.length, 1);
    const [culprit] = culprits;
    assert.equal(names.get(culprit.streamId), DEMO_STORY.accountName);
    assert.equal(culprit.type, DEMO_STORY.eventType);
    const previousDebit = events.filter((e) => e.streamId === culprit.streamId && e.revision === culprit.revision - 1)[0];
    assert.equal(previousDebit.data.transaction_id, culprit.data.transaction_id, 'the retry repeats the transaction id');
    assert.equal(culprit.kinds['/transaction_id'], 'uuid');
  });

  it('is the same story every time, on either SQLite engine', async () => {
    const again = join(dir, 'again.sqlite');
    writeDemoStore(again, { engine: sqliteEngine('node:sqlite') });
    const store = new EventsourcingSqliteStore(again);
    const other: RecordedEvent[] = [];
    for await (const e of iterateAll(store)) other.push(e);
    await store.close();
    assert.deepEqual(other.map(eventToJSON), events.map(eventToJSON));
  });

  it('never overwrites an existing file', () => {
    assert.throws(() => writeDemoStore(path), /already exists/);
  });
});
