/**
 * The EventStore contract (helpers/storeContract.ts) against every adapter: eventsourcing SQLite
 * (a copy of the a_plain.db fixture, on both SQLite engines), eventsourcing PostgreSQL (the same
 * fixture's rows loaded into a throwaway server), KurrentDB (the same rows in the in-test gRPC
 * server, with and without the $streams projection: protocol level only), Redis streams (a data
 * set written with XADD into a throwaway redis-server) and the file store (a data set written as a
 * `.events` file and as a JSON lines file, appended to as text). The expected model comes from the
 * fixture's row dump (dumps.txt) or from what the setup wrote, never from the code under test. New
 * events for the tail tests are written the way each backend's own writers write them.
 *
 * PostgreSQL and Redis need their server programs (initdb/pg_ctl/psql, redis-server); without
 * them their suites are skipped, saying so.
 */

import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createClient } from 'redis';
import { encodeEventsourcingState, transcoded } from '../src/core/codecs/eventsourcing';
import { sqliteEngine, type EngineName, type SqliteConnection } from '../src/core/sqlite/drivers';
import { EventsourcingPostgresStore } from '../src/core/stores/eventsourcingPostgres';
import { EventsourcingSqliteStore } from '../src/core/stores/eventsourcingSqlite';
import { EventsFileStore } from '../src/core/stores/eventsFileStore';
import { KurrentDbStore } from '../src/core/stores/kurrentdb';
import { RedisStreamsStore } from '../src/core/stores/redisStreams';
import { copyFixture } from './helpers/cli';
import { dashed, readDumps } from './helpers/dumps';
import { loadFixture, startPostgres } from './helpers/postgresServer';
import { KurrentServer } from './helpers/kurrentServer';
import { NO_REDIS, startRedis } from './helpers/redisServer';
import { ContractUnavailable, describeStoreContract, type ContractSubject, type StoreModel } from './helpers/storeContract';

const FIXTURE = 'a_plain.db';

/** The model of a fixture from its row dump: streams in id order, types by version, the log by rowid. */
function fixtureModel(file: string): StoreModel {
  const dump = readDumps().get(file)!;
  const byId = new Map<string, typeof dump.events>();
  for (const row of dump.events) byId.set(row.originatorId, [...(byId.get(row.originatorId) ?? []), row]);
  const streams = [...byId.keys()].sort().map((id) => {
    const rows = byId.get(id)!.sort((a, b) => a.version - b.version);
    const topic = String(rows[0].decoded.originator_topic);
    return { streamId: dashed(id), category: topic.slice(topic.lastIndexOf(':') + 1), types: rows.map((r) => r.topic) };
  });
  const log = [...dump.events].sort((a, b) => a.rowid! - b.rowid!).map((r) => ({ streamId: dashed(r.originatorId), type: r.topic }));
  return { streams, events: dump.events.length, log };
}

/** The state of an appended event, transcoded as the library writes it. */
const appendedState = () => ({ timestamp: transcoded.datetime(new Date().toISOString()), amount: transcoded.decimal('1.00') });

function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'eventscope-contract-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

for (const engineName of ['better-sqlite3', 'node:sqlite'] as EngineName[]) {
  describeStoreContract(`eventsourcing SQLite (${FIXTURE}, ${engineName})`, async () => {
    const temp = tempDir();
    const path = copyFixture(FIXTURE, temp.dir);
    const engine = sqliteEngine(engineName);
    const store = new EventsourcingSqliteStore(path, { engine });
    let writer: SqliteConnection | undefined;
    return {
      store,
      model: fixtureModel(FIXTURE),
      // EventsourcingSqliteWriter only creates new files, so a second connection on the copy
      // writes the row as it does (and as the library's recorder does): its INSERT, its codec.
      async append(streamId, type) {
        writer ??= engine.open(path, { write: true });
        const id = streamId.replace(/-/g, '');
        const [version] = writer.prepare('SELECT MAX(originator_version) FROM stored_events WHERE originator_id = ?').get(id)!;
        writer
          .prepare('INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)')
          .run(id, Number(version) + 1, type, encodeEventsourcingState(appendedState()));
      },
      async cleanup() {
        writer?.close();
        temp.remove();
      },
    };
  });
}

describeStoreContract(`eventsourcing PostgreSQL (${FIXTURE} loaded into a throwaway server)`, async (): Promise<ContractSubject> => {
  const server = await startPostgres();
  if (!server) throw new ContractUnavailable('no initdb/pg_ctl/psql here; apt-get install postgresql');
  const temp = tempDir();
  let writer: pg.Client | undefined;
  try {
    await loadFixture(server, copyFixture(FIXTURE, temp.dir), 'fixtureapp');
    const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'eventscope', password: server.password, database: 'bank' });
    writer = client;
    await client.connect();
    // loadFixture sets the notification ids itself: move the sequence past them, as the library's inserts would have.
    await client.query(
      "SELECT setval(pg_get_serial_sequence('fixtureapp_events', 'notification_id'), (SELECT max(notification_id) FROM fixtureapp_events))",
    );
    const store = new EventsourcingPostgresStore(`${server.url()}?app=FixtureApp`, { password: server.password });
    return {
      store,
      model: fixtureModel(FIXTURE),
      // As the library's PostgreSQL recorder inserts: lock the table, INSERT the row, the sequence numbers it.
      async append(streamId, type) {
        await client.query('BEGIN');
        try {
          await client.query('LOCK TABLE fixtureapp_events IN EXCLUSIVE MODE');
          const { rows } = await client.query<{ v: string }>(
            'SELECT max(originator_version) AS v FROM fixtureapp_events WHERE originator_id = $1::uuid',
            [streamId],
          );
          await client.query('INSERT INTO fixtureapp_events VALUES ($1::uuid, $2, $3, $4) RETURNING notification_id', [
            streamId,
            Number(rows[0].v) + 1,
            type,
            encodeEventsourcingState(appendedState()),
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      },
      async cleanup() {
        await client.end();
        server.stop();
        temp.remove();
      },
    };
  } catch (error) {
    await writer?.end().catch(() => undefined);
    server.stop();
    temp.remove();
    throw error;
  }
});

/** The Redis data set, in the order it is written (entry ids one millisecond apart): each entry's key and type. */
const REDIS_LOG: [key: string, type: string][] = [
  ['BankAccount-1', 'Opened'],
  ['Dog-1', 'Registered'],
  ['BankAccount-2', 'Opened'],
  ['BankAccount-1', 'Credited'],
  ['orders:7', 'OrderPlaced'],
  ['Dog-1', 'TrickAdded'],
  ['BankAccount-1', 'Credited'],
  ['BankAccount-10', 'Opened'],
  ['orders:7', 'ItemAdded'],
  ['Dog-2', 'Registered'],
  ['BankAccount-2', 'Credited'],
  ['BankAccount-1', 'Debited'],
  ['Dog-1', 'TrickAdded'],
  ['orders:7', 'ItemAdded'],
  ['Dog-1', 'WeightRecorded'],
  ['BankAccount-2', 'Debited'],
  ['Dog-2', 'TrickAdded'],
  ['BankAccount-1', 'Credited'],
  ['orders:7', 'OrderShipped'],
  ['Dog-1', 'TrickAdded'],
  ['BankAccount-1', 'Closed'],
  ['orders:12', 'OrderPlaced'],
];

describeStoreContract('Redis streams (a data set written with XADD into a throwaway redis-server)', async (): Promise<ContractSubject> => {
  const server = await startRedis();
  if (!server) throw new ContractUnavailable(NO_REDIS.replace(/^\(skipped: |\)$/g, ''));
  const client = createClient({ url: server.url, socket: { reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const T = 1_700_000_000_000;
    for (const [i, [key, type]] of REDIS_LOG.entries())
      await client.sendCommand(['XADD', key, `${T + i}-0`, 'type', type, 'n', String(i), 'note', `entry ${i}`]);
  } catch (error) {
    if (client.isOpen) client.destroy();
    await server.stop();
    throw error;
  }
  const keys = [...new Set(REDIS_LOG.map(([key]) => key))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const model: StoreModel = {
    streams: keys.map((key) => ({
      streamId: key,
      category: key.slice(0, key.search(/[-:]/)),
      types: REDIS_LOG.filter(([k]) => k === key).map(([, type]) => type),
    })),
    events: REDIS_LOG.length,
    // SCAN hands keys out in no order: a page is sorted, the listing as a whole need not be.
    orderedStreams: false,
    log: REDIS_LOG.map(([streamId, type]) => ({ streamId, type })),
  };
  return {
    store: new RedisStreamsStore(server.url),
    model,
    async append(streamId, type) {
      await client.sendCommand(['XADD', streamId, '*', 'type', type, 'note', 'appended']);
    },
    async cleanup() {
      if (client.isOpen) await client.close();
      await server.stop();
    },
  };
});

for (const systemProjections of [true, false]) {
  describeStoreContract(
    `KurrentDB (${FIXTURE}'s rows as the library's KurrentDB recorder writes them, in the in-test gRPC server${systemProjections ? '' : ', no $streams'})`,
    async (): Promise<ContractSubject> => {
      const server = new KurrentServer({ systemProjections });
      await server.start();
      const dump = readDumps().get(FIXTURE)!;
      for (const row of [...dump.events].sort((a, b) => a.rowid! - b.rowid!))
        server.append(dashed(row.originatorId), row.topic, { bytes: Buffer.from(row.hex, 'hex') });
      const model = fixtureModel(FIXTURE);
      // Streams in the order they were created (as $streams and a scan of $all have them), revisions from 0.
      const created = [...new Set(model.log!.map((e) => e.streamId))];
      model.streams = created.map((id) => ({ ...model.streams.find((s) => s.streamId === id)!, firstRevision: 0 }));
      return {
        store: new KurrentDbStore(server.connectionString),
        model,
        async append(streamId, type) {
          server.append(streamId, type, { bytes: encodeEventsourcingState(appendedState()) });
        },
        async cleanup() {
          server.stop();
        },
      };
    },
  );
}

/** The data set of the file stores, in the file's (the log's) order: each event's stream and type. */
const FILE_UUID = '8b79390a-6d0c-4d2e-9a43-0c6f6e4b7d21';
const FILE_LOG: [streamId: string, type: string][] = [
  ['account-1', 'BankAccount.Opened'],
  ['dog-1', 'Registered'],
  [FILE_UUID, 'bank.domain:Loan.Opened'],
  ['account-1', 'BankAccount.Credited'],
  ['order-7', 'OrderPlaced'],
  ['dog-1', 'TrickAdded'],
  ['account-1', 'BankAccount.Credited'],
  ['account-10', 'BankAccount.Opened'],
  ['order-7', 'ItemAdded'],
  [FILE_UUID, 'bank.domain:Loan.Paid'],
  ['dog-2', 'Registered'],
  ['account-1', 'BankAccount.Debited'],
  ['dog-1', 'TrickAdded'],
  ['order-7', 'ItemAdded'],
  ['dog-1', 'WeightRecorded'],
  [FILE_UUID, 'bank.domain:Loan.Paid'],
  ['order-7', 'OrderShipped'],
  ['account-1', 'BankAccount.Closed'],
  ['order-12', 'OrderPlaced'],
];

/**
 * The file stores' model: streams in id order (code units), their categories as the store names
 * them (a dotted type's prefix, the aggregate of `originator_topic`, else the name before `-`).
 */
function fileModel(): StoreModel {
  const ids = [...new Set(FILE_LOG.map(([id]) => id))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    streams: ids.map((streamId) => ({
      streamId,
      category:
        streamId === FILE_UUID ? 'Loan' : streamId.startsWith('account-') ? 'BankAccount' : streamId.slice(0, streamId.indexOf('-')),
      types: FILE_LOG.filter(([id]) => id === streamId).map(([, type]) => type),
    })),
    events: FILE_LOG.length,
    log: FILE_LOG.map(([streamId, type]) => ({ streamId, type })),
  };
}

/** Each event's data in the files: its place, and the aggregate's topic in the UUID stream's created event. */
const fileData = (i: number, streamId: string) => ({
  n: i,
  note: `entry ${i}`,
  ...(streamId === FILE_UUID && i === 2 ? { originator_topic: 'bank.domain:Loan' } : {}),
});

/** The revisions the model gives each event of FILE_LOG (from 1 in each stream). */
const FILE_REVISIONS = (() => {
  const seen = new Map<string, number>();
  return FILE_LOG.map(([id]) => {
    seen.set(id, (seen.get(id) ?? 0) + 1);
    return seen.get(id)!;
  });
})();

/** A file store on the file `name` holding `text`, appended to with the text `appended` gives. */
async function fileSubject(name: string, text: string, appended: (streamId: string, type: string) => string): Promise<ContractSubject> {
  const temp = tempDir();
  const path = join(temp.dir, name);
  writeFileSync(path, text);
  return {
    store: new EventsFileStore(path),
    model: fileModel(),
    async append(streamId, type) {
      appendFileSync(path, appended(streamId, type));
    },
    async cleanup() {
      temp.remove();
    },
  };
}

describeStoreContract('a .events file (the data set written as text, appended to as text)', () =>
  fileSubject(
    'events.events',
    // Some revisions and times given, some left to the store; comments and blank lines between.
    FILE_LOG.map(([streamId, type], i) =>
      [
        ...(i % 5 === 0 ? [`# event ${i}`] : []),
        `### ${type}  ${streamId}`,
        ...(i % 3 === 0 ? [`revision: ${FILE_REVISIONS[i]}`] : []),
        ...(i % 2 === 0 ? [`created: 2026-01-01T00:00:${String(i).padStart(2, '0')}Z`] : []),
        `metadata: {"i": ${i}}`,
        '',
        JSON.stringify(fileData(i, streamId), null, 2),
        '',
      ].join('\n'),
    ).join('\n'),
    (streamId, type) => `\n### ${type}  ${streamId}\ncreated: ${new Date().toISOString()}\n\n{"appended": true}\n`,
  ),
);

describeStoreContract('a JSON lines file (the data set as the CLI’s --ndjson events, appended to a line at a time)', () => {
  // Every fourth event with its revision and a position (gaps before them), the others with
  // neither (their line's number, or one past the event before); a blank line.
  const lines = FILE_LOG.map(([streamId, type], i) =>
    JSON.stringify({
      streamId,
      ...(i % 4 === 2 ? { revision: FILE_REVISIONS[i], position: 10 * (i + 1) } : {}),
      type,
      timestamp: i % 2 ? null : `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`,
      data: fileData(i, streamId),
      metadata: { i },
    }),
  );
  lines.splice(9, 0, '');
  return fileSubject(
    'events.jsonl',
    `${lines.join('\n')}\n`,
    (streamId, type) => `${JSON.stringify({ streamId, type, data: { appended: true } })}\n`,
  );
});
