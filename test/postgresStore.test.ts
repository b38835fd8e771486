/**
 * The eventsourcing PostgreSQL store (issue 11) against a real PostgreSQL (initdb + pg_ctl on a
 * temp folder, see helpers/postgresServer.ts): the library's table layout (`<app>_events` with
 * `notification_id`, `_snapshots`, `_tracking`) loaded with the very rows of the project’s fixtures (test/fixtures/eventsourcing),
 * which must read and decode exactly as the SQLite store reads them; paging, filters, categories,
 * snapshots, checkpoints; the session is read-only; and each failure is one sentence.
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import pg from 'pg';
import { EventsourcingPostgresStore } from '../src/core/stores/eventsourcingPostgres';
import { EventsourcingSqliteStore } from '../src/core/stores/eventsourcingSqlite';
import { EventsourcingSqliteWriter } from '../src/core/stores/eventsourcingSqliteWriter';
import { parseCipherKey, transcoded } from '../src/core/codecs/eventsourcing';
import { iterateAll, iterateStream, pagesOf, type EventStore } from '../src/core/stores/types';
import type { StreamInfo } from '../src/core/events';
import { copyFixture, makeTempDir, removeTempDirs, runCli } from './helpers/cli';
import { FIXTURE_KEY } from './helpers/dumps';
import { loadFixture, startPostgres, type PostgresServer } from './helpers/postgresServer';
import { eventsourcingEnv, FIXTURE_PYTHON, NO_EVENTSOURCING } from './helpers/python';

async function all<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...page);
  return out;
}

const streamsOf = (store: EventStore, options = {}) =>
  all(pagesOf((after: string | undefined, limit) => store.listStreams({ ...options, after, limit }), { pageSize: 2 }));

describe('eventsourcing on PostgreSQL (a real server)', function () {
  this.timeout(120_000);
  let server: PostgresServer | undefined;
  const stores: EventStore[] = [];
  const open = (url: string, options = {}) => {
    const store = new EventsourcingPostgresStore(url, { password: server!.password, ...options });
    stores.push(store);
    return store;
  };

  before(async function () {
    server = await startPostgres();
    if (!server) {
      console.log('    (skipped: no initdb/pg_ctl/psql here; apt-get install postgresql)');
      this.skip();
    }
    await loadFixture(server, copyFixture('a_plain.db'), 'fixtureapp');
    await loadFixture(server, copyFixture('c_aes_zlib.db'), 'secretapp', 'vault');
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });
  after(() => {
    server?.stop();
    removeTempDirs();
  });

  it('reads and decodes every event exactly as the SQLite store reads the same rows, in the same order, paged', async () => {
    const sqlite = new EventsourcingSqliteStore(copyFixture('a_plain.db'));
    const store = open(`${server!.url()}?app=FixtureApp`);
    const expected = await all(
      pagesOf((from: number | undefined, limit) => sqlite.readAll({ fromPosition: from, limit }), { pageSize: 5 }),
    );
    const got = await all(pagesOf((from: number | undefined, limit) => store.readAll({ fromPosition: from, limit }), { pageSize: 5 }));
    assert.equal(got.length, 21);
    assert.deepEqual(got, expected);
    assert.equal(await store.headPosition(), await sqlite.headPosition());
    // Streams (a skip scan over the key), two at a time; categories; a stream both ways; snapshots.
    const streams = await streamsOf(store);
    assert.deepEqual(streams, await streamsOf(sqlite));
    assert.deepEqual(await store.categories(), await sqlite.categories());
    const dogs = await streamsOf(store, { category: 'Dog' });
    assert.deepEqual(
      dogs.map((s: StreamInfo) => s.category),
      ['Dog', 'Dog'],
    );
    const account = streams.find((s: StreamInfo) => s.category === 'BankAccount')!;
    assert.deepEqual(await streamsOf(store, { prefix: account.streamId.slice(0, 6) }), [account]);
    const forwards: unknown[] = [];
    for await (const e of iterateStream(store, account.streamId, { limit: 2 })) forwards.push(e);
    assert.deepEqual(forwards, (await sqlite.readStream(account.streamId)).items);
    const back = await store.readStream(account.streamId, { direction: 'backwards', limit: 2 });
    assert.deepEqual(
      back.items.map((e) => e.revision),
      [account.lastRevision, account.lastRevision - 1],
    );
    assert.equal(back.next, account.lastRevision - 2);
    assert.deepEqual(await store.snapshots(account.streamId), await sqlite.snapshots(account.streamId));
    assert.deepEqual(
      (await store.readAll({ types: ['Credited'], limit: 100 })).items,
      (await sqlite.readAll({ types: ['Credited'], limit: 100 })).items,
    );
    const info = await store.info();
    assert.equal(info.events, 21);
    assert.equal(info.streams, 5);
    assert.doesNotMatch(info.location, new RegExp(server!.password));
    await sqlite.close();
  });

  it('decodes an encrypted store with its key, in its own schema; without app, names the candidates', async () => {
    const store = open(`${server!.url()}?app=secretapp&schema=vault`, { cipherKey: parseCipherKey(FIXTURE_KEY) });
    const sqlite = new EventsourcingSqliteStore(copyFixture('c_aes_zlib.db'), { cipherKey: parseCipherKey(FIXTURE_KEY) });
    const events = [];
    for await (const e of iterateAll(store)) events.push(e);
    assert.deepEqual(events, (await sqlite.readAll({ limit: 100 })).items);
    await sqlite.close();
    await assert.rejects(
      open(server!.url()).readAll(),
      /has several events tables \(public\.fixtureapp_events, vault\.secretapp_events\): add \?app=<name>/,
    );
  });

  it('a state that starts like JSON but is not UTF-8 (a ciphertext) is read as bytes: the event says it can’t be decoded, nothing else fails', async () => {
    server!.psql(
      `CREATE TABLE odd_events (originator_id uuid NOT NULL, originator_version bigint NOT NULL, topic text, state bytea,
         notification_id bigserial, PRIMARY KEY (originator_id, originator_version));
       INSERT INTO odd_events (originator_id, originator_version, topic, state) VALUES
         ('11111111-1111-1111-1111-111111111111', 1, 'm:A.Created', convert_to('{"timestamp": null}', 'UTF8')),
         ('11111111-1111-1111-1111-111111111111', 2, 'm:A.Odd', decode('7bff00', 'hex'));
       ALTER TABLE odd_events OWNER TO eventscope;`,
      'bank',
    );
    const store = open(`${server!.url()}?table=odd_events`);
    await assert.rejects(
      store.readAll(),
      /cannot decode the event at position 2 \(stream 11111111-1111-1111-1111-111111111111, revision 2\)/,
    );
    assert.equal((await store.readAll({ limit: 1 })).items[0].type, 'm:A.Created');
  });

  it('the session is read-only, whatever the role may do', async () => {
    const store = open(`${server!.url()}?app=fixtureapp`);
    await store.headPosition();
    // The store's own session refuses writes (reached here only to prove it).
    const client = await (store as unknown as { connection(): Promise<pg.Client> }).connection();
    await assert.rejects(client.query('DELETE FROM fixtureapp_events'), /read-only transaction/);
  });

  it('says in one sentence what is wrong: a wrong password, no server, no database, no such stream', async () => {
    await assert.rejects(
      new EventsourcingPostgresStore(`${server!.url()}?app=fixtureapp`, { password: 'wrong' }).headPosition(),
      /^EventscopeError: PostgreSQL at postgres:\/\/eventscope@127\.0\.0\.1:\d+\/bank\?app=fixtureapp refused the password of role "eventscope"/,
    );
    await assert.rejects(
      open('postgres://eventscope@127.0.0.1:1/bank').headPosition(),
      /Can't reach PostgreSQL at postgres:\/\/eventscope@127\.0\.0\.1:1\/bank: connection refused\./,
    );
    await assert.rejects(open(server!.url('nosuch')).headPosition(), /there is no database "nosuch"/);
    await assert.rejects(
      open(`${server!.url()}?app=fixtureapp`).readStream('00000000-0000-0000-0000-000000000000'),
      /There is no stream "00000000-0000-0000-0000-000000000000"/,
    );
  });

  it('a server that goes away mid-session: the read says so in one sentence, and the next one after it is back works', async () => {
    const store = open(`${server!.url()}?app=fixtureapp`);
    assert.equal(await store.headPosition(), 21);
    server!.halt();
    try {
      await assert.rejects(
        store.readAll(),
        /^EventscopeError: (PostgreSQL at postgres:\/\/eventscope@127\.0\.0\.1:\d+\/bank\?app=fixtureapp closed the connection|Can't reach PostgreSQL at .*: connection refused\.)/,
      );
    } finally {
      server!.start();
    }
    assert.equal((await store.readAll({ limit: 3 })).items.length, 3);
  });

  it('hears of new events by LISTEN where the library NOTIFYs (the table’s channel), and says once when that session is lost', async () => {
    const store = open(`${server!.url()}?app=secretapp&schema=vault`);
    let told = 0;
    let lost: Error | undefined;
    const feed = store.watch!(
      () => told++,
      (error) => (lost = error),
    );
    const writer = new pg.Client({
      host: '127.0.0.1',
      port: server!.port,
      user: 'eventscope',
      password: server!.password,
      database: 'bank',
    });
    await writer.connect();
    try {
      const until = async (what: () => boolean) => {
        for (let i = 0; i < 100 && !what(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      };
      // LISTEN is issued once the session is up; a notification before that is not heard.
      for (let i = 0; i < 40 && !told; i++) {
        await writer.query('NOTIFY "secretapp_events"');
        await until(() => told > 0);
      }
      assert.ok(told > 0, 'NOTIFY on the table’s name is heard');
      const before = told;
      await writer.query('NOTIFY "vault_secretapp_events"');
      await until(() => told > before);
      assert.equal(told, before + 1, 'NOTIFY on the schema-qualified name is heard');
      await writer.query('NOTIFY "fixtureapp_events"');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(told, before + 1, 'another application’s channel is not');
    } finally {
      await writer.end();
    }
    server!.halt();
    try {
      for (let i = 0; i < 100 && !lost; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.match(String(lost?.message), /^PostgreSQL at .* (closed the connection while listening for new events|.*terminat)/);
    } finally {
      server!.start();
      feed.close();
    }
  });

  it('replays run on it unchanged: the JS generic projection, and through the user’s Python classes', async function () {
    const url = `${server!.url()}?app=fixtureapp`;
    const generic = runCli(['replay', url, '--json'], { env: { PGPASSWORD: server!.password } });
    assert.equal(generic.code, 0, generic.stderr);
    assert.equal((JSON.parse(generic.stdout) as { steps: number }).steps, 21);
    const python = eventsourcingEnv();
    if (!python) return console.log(`      ${NO_EVENTSOURCING}`);
    const r = runCli(['replay', url, '--python', '--python-path', FIXTURE_PYTHON, '--category', 'Dog', '--json'], {
      env: { PGPASSWORD: server!.password, PYTHONPATH: python.PYTHONPATH ?? '' },
    });
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { errors: unknown[]; state: Record<string, { name: string }> };
    assert.deepEqual(result.errors, []);
    assert.equal(Object.keys(result.state).length, 2);
  });

  it('the CLI reads it by URL, the password from the environment, never in its output', () => {
    const r = runCli(['log', `${server!.url()}?app=fixtureapp`, '--json', '--limit', '3'], { env: { PGPASSWORD: server!.password } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as unknown[]).length, 3);
    const bad = runCli(['info', `${server!.url()}?app=fixtureapp`], { env: { PGPASSWORD: 'nope' } });
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /^eventscope: PostgreSQL at postgres:\/\/eventscope@127\.0\.0\.1:\d+\/bank\?app=fixtureapp refused the password/,
    );
    assert.doesNotMatch(bad.stderr, /nope/);
  });

  it('module-level event classes (the Pydantic example): the aggregate from a snapshot, Dog.TrickAdded as a type, as on SQLite', async () => {
    // A store of their shape with topics of its own (what a thread learns stays learnt): the first
    // stream has no snapshot, the second one's names the aggregate of both.
    const path = join(makeTempDir(), 'kennel.db');
    const writer = new EventsourcingSqliteWriter(path);
    const id = (n: number) => n.toString(16).padStart(32, '0');
    const at = { timestamp: transcoded.datetime('2026-01-01T00:00:00+00:00') };
    writer.append([
      { originatorId: id(1), version: 1, topic: 'pgkennel.model:PuppyBorn', state: { ...at, name: 'Ace' } },
      { originatorId: id(1), version: 2, topic: 'pgkennel.model:Fed', state: at },
      { originatorId: id(2), version: 1, topic: 'pgkennel.model:PuppyBorn', state: { ...at, name: 'Rex' } },
    ]);
    writer.snapshot({
      originatorId: id(2),
      version: 1,
      topic: 'pgkennel.model:Snapshot',
      state: { ...at, topic: 'pgkennel.model:Puppy', state: {} },
    });
    writer.close();
    await loadFixture(server!, path, 'kennel', 'pydantic');
    await loadFixture(server!, copyFixture('d_pydantic_orjson.db'), 'dogschool', 'pydantic');
    const kennel = open(`${server!.url()}?app=kennel&schema=pydantic`);
    const fed = await kennel.readStream('00000000-0000-0000-0000-000000000001', { types: ['Puppy.Fed'] });
    assert.deepEqual(
      fed.items.map((e) => [e.revision, e.type]),
      [[2, 'pgkennel.model:Fed']],
    );
    assert.deepEqual(await kennel.categories(), [{ name: 'Puppy', topic: 'pgkennel.model:Puppy', streams: 2 }]);
    assert.equal((await streamsOf(kennel, { category: 'Puppy' })).length, 2);

    const store = open(`${server!.url()}?app=DogSchool&schema=pydantic`);
    const sqlite = new EventsourcingSqliteStore(copyFixture('d_pydantic_orjson.db'));
    const dog = 'eventsourcing.examples.aggregate7.domainmodel:Dog';
    assert.deepEqual(await store.categories(), [{ name: 'Dog', topic: dog, streams: 1 }]);
    assert.deepEqual(await store.categories(), await sqlite.categories());
    assert.deepEqual(await streamsOf(store, { category: 'Dog' }), await streamsOf(sqlite, { category: 'Dog' }));
    for (const key of ['Dog.TrickAdded', 'TrickAdded']) {
      const got = (await store.readAll({ types: [key] })).items;
      assert.deepEqual(
        got.map((e) => e.position),
        [2, 3, 4],
        key,
      );
      assert.deepEqual(got, (await sqlite.readAll({ types: [key] })).items);
    }
    await sqlite.close();
  });
});
