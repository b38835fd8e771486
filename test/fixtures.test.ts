/** The core over every fixture written by the real eventsourcing library, on both SQLite engines. */

import assert from 'node:assert/strict';
import { copyFileSync, chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCipherKey } from '../src/core/codecs/eventsourcing';
import { sqliteEngine, type EngineName } from '../src/core/sqlite/drivers';
import { EventsourcingSqliteStore, isEventsourcingSqliteFile } from '../src/core/stores/eventsourcingSqlite';
import { iterateAll, iterateStream } from '../src/core/stores/types';
import type { RecordedEvent } from '../src/core/events';
import { dashed, expectedData, FIXTURE_KEY, FIXTURES, readDumps } from './helpers/dumps';

const dumps = readDumps();
const ENGINES: EngineName[] = ['better-sqlite3', 'node:sqlite'];
const FILES = ['a_plain.db', 'a_plain_counters.db', 'b_zlib.db', 'c_aes_zlib.db', 'd_pydantic_orjson.db'];

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

for (const engineName of ENGINES) {
  describe(`eventsourcing SQLite fixtures (${engineName})`, () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'eventscope-fixtures-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const open = (file: string) => {
      const path = join(dir, file);
      copyFileSync(join(FIXTURES, file), path);
      chmodSync(path, 0o644);
      return new EventsourcingSqliteStore(path, {
        engine: sqliteEngine(engineName),
        cipherKey: file.startsWith('c_') ? parseCipherKey(FIXTURE_KEY) : undefined,
      });
    };

    it('has dumps for all five fixtures', () => {
      assert.deepEqual([...dumps.keys()].sort(), FILES);
    });

    for (const file of FILES) {
      describe(file, () => {
        const dump = dumps.get(file)!;
        let store: EventsourcingSqliteStore;
        before(() => {
          store = open(file);
        });
        after(() => store.close());

        it('reads the whole log in order, decoded exactly as the dump', async () => {
          const events = await collect(iterateAll(store, { limit: 4 }));
          assert.equal(events.length, dump.events.length);
          events.forEach((event, i) => {
            const row = dump.events[i];
            assert.equal(event.position, row.rowid);
            assert.equal(event.streamId, dashed(row.originatorId));
            assert.equal(event.revision, row.version);
            assert.equal(event.type, row.topic);
            assert.deepEqual(event.data, expectedData(row.decoded));
            assert.equal(event.timestamp, expectedData(row.decoded.timestamp));
          });
        });

        it('reads each stream forwards and backwards, paged', async () => {
          const ids = [...new Set(dump.events.map((r) => r.originatorId))];
          for (const id of ids) {
            const rows = dump.events.filter((r) => r.originatorId === id);
            const forwards = await collect(iterateStream(store, dashed(id), { limit: 2 }));
            assert.deepEqual(
              forwards.map((e) => [e.revision, e.position]),
              rows.map((r) => [r.version, r.rowid]),
            );
            const backwards = await collect(iterateStream(store, dashed(id), { direction: 'backwards', limit: 3 }));
            assert.deepEqual(
              backwards.map((e) => e.revision),
              rows.map((r) => r.version).reverse(),
            );
            const lastType = rows[rows.length - 1].topic;
            const typed = await collect(iterateStream(store, dashed(id), { types: [lastType.split(':')[1].split('.').pop()!], limit: 1 }));
            assert.deepEqual(
              typed.map((e) => e.revision),
              rows.filter((r) => r.topic === lastType).map((r) => r.version),
            );
            const from2 = await store.readStream(dashed(id), { fromRevision: 2, limit: 1 });
            assert.equal(from2.items[0]?.revision, rows.find((r) => r.version >= 2)?.version);
          }
        });

        it('accepts the raw 32-hex originator id too', async () => {
          const id = dump.events[0].originatorId;
          const page = await store.readStream(id);
          assert.equal(page.items[0].streamId, dashed(id));
        });

        it('lists streams with counts, last revision, first type and category, in keyset pages', async () => {
          const ids = [...new Set(dump.events.map((r) => r.originatorId))].sort();
          const seen: string[] = [];
          let after: string | undefined;
          do {
            const page = await store.listStreams({ limit: 2, after });
            assert.ok(page.items.length <= 2);
            for (const s of page.items) {
              const rows = dump.events.filter((r) => dashed(r.originatorId) === s.streamId);
              assert.equal(s.count, rows.length);
              assert.equal(s.lastRevision, Math.max(...rows.map((r) => r.version)));
              assert.equal(s.firstType, rows.find((r) => r.version === 1)!.topic);
              // The aggregate class: the created event's originator_topic, else (the Pydantic
              // example's module-level events) the topic in the stream's snapshot.
              const created = rows.find((r) => r.version === 1)!.decoded.originator_topic as string | undefined;
              const snapshot = dump.snapshots.find((r) => dashed(r.originatorId) === s.streamId)?.decoded.topic as string | undefined;
              const expectedCategory = (created ?? snapshot)!.split(':')[1];
              assert.equal(s.category, expectedCategory);
              seen.push(s.streamId);
            }
            after = page.next;
          } while (after);
          assert.deepEqual(seen, ids.map(dashed));
        });

        it('filters streams by id prefix (dashed or not) and by category', async () => {
          const id = dashed(dump.events[0].originatorId);
          for (const prefix of [id.slice(0, 4), id.slice(0, 11), id.slice(0, 11).replace('-', '').toUpperCase()]) {
            const page = await store.listStreams({ prefix });
            assert.ok(page.items.length >= 1);
            assert.ok(page.items.every((s) => s.streamId.replace(/-/g, '').startsWith(prefix.replace(/-/g, '').toLowerCase())));
            assert.ok(page.items.some((s) => s.streamId === id));
          }
          assert.deepEqual((await store.listStreams({ prefix: 'zzzz' })).items, []);
          // Substring anywhere in the id, dashed or not, alone or with a category.
          const middle = id.slice(9, 18);
          const containing = (await store.listStreams({ contains: middle })).items.map((s) => s.streamId);
          assert.ok(containing.includes(id));
          assert.ok(containing.every((s) => s.includes(middle)));
          assert.deepEqual(
            (await store.listStreams({ contains: middle.replace(/-/g, '').toUpperCase() })).items.map((s) => s.streamId),
            containing,
          );
          assert.deepEqual((await store.listStreams({ contains: 'not-in-any-id' })).items, []);
          const categories = await store.categories();
          let total = 0;
          for (const c of categories) {
            const streams = (await store.listStreams({ category: c.name, limit: 1000 })).items;
            assert.equal(streams.length, c.streams);
            assert.ok(streams.every((s) => s.category === c.name));
            total += streams.length;
          }
          assert.equal(total, new Set(dump.events.map((r) => r.originatorId)).size);
          assert.deepEqual((await store.listStreams({ category: 'NoSuchAggregate' })).items, []);
        });

        it('reads snapshots exactly as the dump', async () => {
          for (const row of dump.snapshots) {
            const snaps = await store.snapshots(dashed(row.originatorId));
            const snap = snaps.find((s) => s.revision === row.version);
            assert.ok(snap, `snapshot ${row.originatorId}@${row.version}`);
            assert.equal(snap.type, row.topic);
            assert.deepEqual(snap.data, expectedData(row.decoded));
          }
          if (dump.snapshots.length === 0) assert.deepEqual(await store.snapshots(dashed(dump.events[0].originatorId)), []);
        });

        it('reports info: tables, counts, categories, checkpoints', async () => {
          const info = await store.info();
          assert.equal(info.events, dump.events.length);
          assert.equal(info.snapshots, dump.snapshots.length);
          assert.equal(info.headPosition, Math.max(...dump.events.map((r) => r.rowid!)));
          assert.equal(await store.headPosition(), info.headPosition);
          assert.equal(isEventsourcingSqliteFile(store.location, sqliteEngine(engineName)), true);
          assert.equal(isEventsourcingSqliteFile(join(dir, 'missing.db')), false);
          assert.equal(isEventsourcingSqliteFile(join(FIXTURES, 'dumps.txt')), false);
          assert.equal(info.streams, new Set(dump.events.map((r) => r.originatorId)).size);
          assert.equal(info.engine, engineName);
          assert.equal(info.openMode, 'read-only');
          assert.equal(
            info.categories.reduce((n, c) => n + c.streams, 0),
            info.streams,
          );
          const expectedEncoding = file.startsWith('b_')
            ? { compression: 'zlib', encrypted: false }
            : file.startsWith('c_')
              ? { compression: 'zlib', encrypted: true }
              : { compression: 'none', encrypted: false };
          assert.deepEqual(info.encoding, expectedEncoding);
          if (dump.tracking.length) {
            const max = Math.max(...dump.tracking.map(([, n]) => n));
            assert.deepEqual(info.checkpoints, [{ name: 'FixtureApp', position: max, lag: null }]);
            assert.deepEqual(await store.checkpoints(30), [{ name: 'FixtureApp', position: max, lag: 30 - max }]);
          } else assert.deepEqual(info.checkpoints, []);
        });

        it('filters the log by event type (exact topic, qualified name or last segment)', async () => {
          const topic = dump.events[dump.events.length - 1].topic;
          const qualified = topic.split(':')[1];
          const last = qualified.split('.').pop()!;
          const expected = dump.events.filter((r) => r.topic === topic).map((r) => r.rowid);
          for (const key of [topic, qualified, last]) {
            const events = await collect(iterateAll(store, { types: [key], limit: 2 }));
            assert.deepEqual(
              events.map((e: RecordedEvent) => e.position),
              expected,
              key,
            );
          }
          assert.deepEqual((await store.readAll({ types: ['NoSuchType'] })).items, []);
          assert.deepEqual(
            (await collect(iterateAll(store, { fromPosition: 3, limit: 5 }))).map((e) => e.position),
            dump.events.filter((r) => r.rowid! >= 3).map((r) => r.rowid),
          );
        });
      });
    }
  });
}

describe('checkpoints in the newer one-row-per-application tracking table', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'eventscope-tracking-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const engineName of ENGINES) {
    it(`reads positions, ignores the __migration__ marker and the renamed old table (${engineName})`, async () => {
      const path = join(dir, `${engineName.replace(':', '-')}.db`);
      copyFileSync(join(FIXTURES, 'a_plain_counters.db'), path);
      chmodSync(path, 0o644);
      const db = sqliteEngine(engineName).open(path, { write: true });
      // What newer 9.x does on upgrade: rename the 9.2 table, create the one-row form, upsert.
      db.exec('ALTER TABLE tracking RENAME TO old1_tracking');
      db.exec('CREATE TABLE tracking (application_name TEXT, notification_id INTEGER, PRIMARY KEY (application_name))');
      db.exec("INSERT INTO tracking VALUES ('__migration__', 1), ('FixtureApp', 21), ('OtherApp', 7)");
      db.close();
      const store = new EventsourcingSqliteStore(path, { engine: sqliteEngine(engineName) });
      try {
        assert.deepEqual(await store.checkpoints(), [
          { name: 'FixtureApp', position: 21, lag: null },
          { name: 'OtherApp', position: 7, lag: null },
        ]);
        assert.deepEqual(await store.checkpoints(25), [
          { name: 'FixtureApp', position: 21, lag: 4 },
          { name: 'OtherApp', position: 7, lag: 18 },
        ]);
        assert.deepEqual(
          (await store.info()).tables.map((t) => t.name),
          ['old1_tracking', 'stored_events', 'tracking'],
        );
      } finally {
        await store.close();
      }
    });
  }
});
