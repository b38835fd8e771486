/**
 * The KurrentDB adapter against the in-test gRPC server (test/helpers/kurrentServer.ts), which
 * serves the official client's own service definitions: the real client and its native reader
 * talk to it over real gRPC. Protocol-level only: no KurrentDB server runs here.
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseCipherKey } from '../src/core/codecs/eventsourcing';
import { EventscopeError } from '../src/core/errors';
import { EventsourcingSqliteStore } from '../src/core/stores/eventsourcingSqlite';
import { KurrentDbStore, loadKurrentClient, typeKeyRegex } from '../src/core/stores/kurrentdb';
import { openStore } from '../src/core/stores/open';
import { iterateAll, iterateStream, type EventStore } from '../src/core/stores/types';
import { categoryOfStreamName, typeMatches, type StreamInfo } from '../src/core/events';
import { dashed, FIXTURE_KEY, FIXTURES, readDumps } from './helpers/dumps';
import { KurrentServer } from './helpers/kurrentServer';

const dumps = readDumps();
const key = parseCipherKey(FIXTURE_KEY);

/** Writes a fixture's rows as the eventsourcing library's KurrentDB recorder would: stream = aggregate id, type = topic, data = state bytes. */
function loadFixture(server: KurrentServer, file: string): void {
  const dump = dumps.get(file)!;
  for (const row of dump.events) server.append(dashed(row.originatorId), row.topic, { bytes: Buffer.from(row.hex, 'hex'), metadata: {} });
  for (const row of dump.snapshots) {
    server.append(`snapshot-$${dashed(row.originatorId)}`, row.topic, {
      bytes: Buffer.from(row.hex, 'hex'),
      metadata: { originator_version: row.version },
    });
  }
}

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function expectError(promise: Promise<unknown>, pattern: RegExp): Promise<EventscopeError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof EventscopeError, `not an EventscopeError: ${String(error)}`);
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /\n\s+at /, 'no stack trace in the message');
    return error;
  }
  assert.fail(`expected an error matching ${pattern}`);
}

describe('KurrentDB store (protocol level, in-test gRPC server)', function () {
  this.timeout(30_000);

  for (const systemProjections of [true, false]) {
    describe(systemProjections ? 'with $streams' : 'without system projections (scan of $all)', () => {
      let server: KurrentServer;
      let store: EventStore;

      before(async () => {
        server = new KurrentServer({ systemProjections });
        await server.start();
        loadFixture(server, 'c_aes_zlib.db');
        server.append('order-1', 'OrderPlaced', { data: { total: 12345678901234567890n.toString(), lines: [1, 2] } });
        server.append('order-1', 'OrderPaid', { data: { amount: 10 }, metadata: { correlationId: 'c-1' } });
        server.append('order-2', 'OrderPlaced', { data: { total: 1 } });
        server.append('sensor', 'Reading', { bytes: Buffer.from([0, 1, 2, 250]) });
        server.append('$stats-127.0.0.1:2113', '$statsCollected', { data: {} });
        store = openStore(server.connectionString, { cipherKey: key });
      });
      after(async () => {
        await store.close();
        server.stop();
      });

      it("decodes the library's events exactly as the SQLite store does (encrypted, compressed)", async () => {
        const sqlite = new EventsourcingSqliteStore(join(FIXTURES, 'c_aes_zlib.db'), { cipherKey: key });
        try {
          const expected = await all(iterateAll(sqlite));
          const got = (await all(iterateAll(store))).filter((e) => e.type.includes(':'));
          assert.equal(got.length, expected.length);
          for (const [i, event] of got.entries()) {
            const want = expected[i];
            assert.equal(event.streamId, want.streamId);
            assert.equal(event.type, want.type);
            // The library's KurrentDB recorder numbers versions from 0: the stream revision.
            assert.equal(event.revision, want.revision - 1);
            assert.deepEqual(event.data, want.data);
            assert.deepEqual(event.kinds, want.kinds);
            assert.equal(event.timestamp, want.timestamp);
          }
        } finally {
          await sqlite.close();
        }
      });

      it('info with a wrong cipher key fails with the sentence reading the log gives', async () => {
        const wrong = openStore(server.connectionString, { cipherKey: Buffer.alloc(32, 7) });
        try {
          const read = await expectError(wrong.readAll({ limit: 100 }), /cipher key does not decrypt/);
          const info = await expectError(wrong.info(), /cipher key does not decrypt/);
          assert.equal(info.message, read.message);
        } finally {
          await wrong.close();
        }
      });

      it('lists streams with counts and categories, without system or snapshot streams', async () => {
        const dump = dumps.get('c_aes_zlib.db')!;
        const aggregates = new Set(dump.events.map((r) => dashed(r.originatorId)));
        const streams: StreamInfo[] = [];
        let after: string | undefined;
        do {
          const page = await store.listStreams({ limit: 2, ...(after !== undefined ? { after } : {}) });
          assert.ok(page.items.length <= 2);
          streams.push(...page.items);
          after = page.next;
        } while (after !== undefined);
        const ids = streams.map((s) => s.streamId);
        assert.equal(new Set(ids).size, ids.length, 'each stream once');
        assert.deepEqual(new Set(ids), new Set([...aggregates, 'order-1', 'order-2', 'sensor']));
        const order = streams.find((s) => s.streamId === 'order-1')!;
        assert.deepEqual(order, { streamId: 'order-1', category: 'order', count: 2, lastRevision: 1, firstType: 'OrderPlaced' });
        for (const id of aggregates) {
          const stream = streams.find((s) => s.streamId === id)!;
          const rows = dump.events.filter((r) => dashed(r.originatorId) === id);
          assert.equal(stream.count, rows.length);
          assert.equal(stream.lastRevision, rows.length - 1);
          assert.equal(stream.firstType, rows[0].topic);
        }
        const sqlite = new EventsourcingSqliteStore(join(FIXTURES, 'c_aes_zlib.db'), { cipherKey: key });
        try {
          const sqliteCategories = await sqlite.categories();
          const categories = await store.categories();
          for (const c of sqliteCategories)
            assert.deepEqual(
              categories.find((k) => k.name === c.name),
              c,
            );
          assert.deepEqual(
            categories.find((k) => k.name === 'order'),
            { name: 'order', streams: 2 },
          );
          const first = sqliteCategories[0];
          const inCategory = await store.listStreams({ category: first.name });
          assert.equal(inCategory.items.length, first.streams);
        } finally {
          await sqlite.close();
        }
        assert.deepEqual(
          (await store.listStreams({ prefix: 'order' })).items.map((s) => s.streamId),
          ['order-1', 'order-2'],
        );
        const uuid = [...aggregates][0];
        assert.deepEqual(
          (await store.listStreams({ prefix: uuid.replace(/-/g, '').slice(0, 10) })).items.map((s) => s.streamId),
          [uuid],
        );
      });

      it('reads a stream both ways in pages, with type filters', async () => {
        const dump = dumps.get('c_aes_zlib.db')!;
        const id = dashed(dump.events.at(-1)!.originatorId);
        const topics = dump.events.filter((r) => dashed(r.originatorId) === id).map((r) => r.topic);
        const forwards = await all(iterateStream(store, id, { limit: 2 }));
        assert.deepEqual(
          forwards.map((e) => e.type),
          topics,
        );
        assert.deepEqual(
          forwards.map((e) => e.revision),
          topics.map((_, i) => i),
        );
        const backwards = await all(iterateStream(store, id, { limit: 2, direction: 'backwards' }));
        assert.deepEqual(
          backwards.map((e) => e.revision),
          topics.map((_, i) => i).reverse(),
        );
        const page = await store.readStream(id, { fromRevision: 1, limit: 1 });
        assert.equal(page.items[0].revision, 1);
        assert.equal(page.next, topics.length > 2 ? 2 : undefined);
        const back = await store.readStream(id, { fromRevision: 1, direction: 'backwards', limit: 5 });
        assert.deepEqual(
          back.items.map((e) => e.revision),
          [1, 0],
        );
        assert.equal(back.next, undefined);
        const key = topics[1].slice(topics[1].lastIndexOf('.') + 1);
        const typed = await all(iterateStream(store, id, { types: [key], limit: 1 }));
        assert.deepEqual(
          typed.map((e) => e.type),
          topics.filter((t) => typeMatches(t, key)),
        );
        await expectError(
          store.readStream('no-such-stream'),
          /^There is no stream "no-such-stream" in kurrentdb:\/\/127\.0\.0\.1:\d+\?tls=false\.$/,
        );
      });

      it('reads the log in pages from any position it handed out, without system events', async () => {
        const events = await all(iterateAll(store, { limit: 3 }));
        const userRecords = server.log.filter((r) => !r.stream.startsWith('$') && !r.stream.startsWith('snapshot-$'));
        assert.deepEqual(
          events.map((e) => e.position),
          userRecords.map((r) => r.position),
        );
        const middle = events[4];
        const resumed = await store.readAll({ fromPosition: middle.position, limit: 2 });
        assert.deepEqual(
          resumed.items.map((e) => e.position),
          [events[4].position, events[5].position],
        );
        assert.equal(resumed.next, events[6].position);
        // A position that is no event's (KurrentDB refuses to start there) reads from the next event on.
        const between = await store.readAll({ fromPosition: events[4].position + 1, limit: 2 });
        assert.deepEqual(
          between.items.map((e) => e.position),
          [events[5].position, events[6].position],
        );
        const fresh = openStore(server.connectionString, { cipherKey: key });
        try {
          const cold = await fresh.readAll({ fromPosition: events[7].position - 1, limit: 1 });
          assert.deepEqual(
            cold.items.map((e) => e.position),
            [events[7].position],
            'a store that has seen no positions yet reads from the start',
          );
          assert.deepEqual((await fresh.readAll({ fromPosition: events.at(-1)!.position + 1 })).items, []);
        } finally {
          await fresh.close();
        }
        const placed = await all(iterateAll(store, { types: ['OrderPlaced'], limit: 1 }));
        assert.deepEqual(
          placed.map((e) => e.streamId),
          ['order-1', 'order-2'],
        );
        assert.equal(await store.headPosition(), userRecords.at(-1)!.position);
        assert.ok(
          server.calls.some((c) => c.target === '$all' && c.filter?.startsWith('type /')),
          'type filters go to the server',
        );
      });

      it('keeps JSON bodies exact, metadata, and shows other bodies as bytes', async () => {
        const [placed, paid] = (await store.readStream('order-1')).items;
        assert.equal(placed.data.total, 12345678901234567890n.toString());
        assert.deepEqual(placed.data.lines, [1, 2]);
        assert.equal(paid.metadata.correlationId, 'c-1');
        assert.match(String(paid.metadata.eventId), /^[0-9a-f-]{36}$/);
        assert.equal(paid.timestamp, new Date(server.log.find((r) => r.stream === 'order-1' && r.revision === 1)!.created).toISOString());
        const [reading] = (await store.readStream('sensor')).items;
        assert.deepEqual(reading.data, { $binary: Buffer.from([0, 1, 2, 250]).toString('base64') });
      });

      it("reads the library's snapshots and reports the store", async () => {
        const dump = dumps.get('c_aes_zlib.db')!;
        const snapshot = dump.snapshots[0];
        if (snapshot) {
          const [got] = await store.snapshots(dashed(snapshot.originatorId));
          assert.equal(
            got.revision,
            Math.max(...dump.snapshots.filter((s) => s.originatorId === snapshot.originatorId).map((s) => s.version)),
          );
        }
        const info = await store.info();
        assert.equal(info.kind, 'kurrentdb');
        assert.equal(info.events, dump.events.length + 4);
        assert.equal(info.streams, new Set(dump.events.map((r) => r.originatorId)).size + 3);
        assert.equal(info.snapshots, new Set(dump.snapshots.map((r) => r.originatorId)).size);
        assert.equal(info.warnings.length, systemProjections ? 0 : 1);
      });

      it('sees new events and new streams on the next request, and is told of them by its feed', async () => {
        const head = await store.headPosition();
        let told = 0;
        const feed = store.watch!(
          () => told++,
          (error) => assert.fail(error),
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(told, 0, 'nothing new yet');
        server.append('order-3', 'OrderPlaced', { data: { total: 3 } });
        server.append('order-1', 'OrderShipped', { data: {} });
        assert.ok((await store.headPosition()) > head);
        for (let i = 0; i < 50 && told < 2; i++) await new Promise((resolve) => setTimeout(resolve, 100));
        feed.close();
        assert.equal(told, 2, 'one call per new event');
        const order = (await store.listStreams({ prefix: 'order' })).items;
        assert.deepEqual(
          order.map((s) => [s.streamId, s.count]),
          [
            ['order-1', 3],
            ['order-2', 1],
            ['order-3', 1],
          ],
        );
        // From the old head: the event there, then the new ones.
        const fresh = await store.readAll({ fromPosition: head, limit: 10 });
        assert.equal(fresh.items[0].position, head);
        assert.deepEqual(
          fresh.items.slice(1).map((e) => [e.streamId, e.type]),
          [
            ['order-3', 'OrderPlaced'],
            ['order-1', 'OrderShipped'],
          ],
        );
      });
    });
  }

  describe('bad input', () => {
    it('says when nothing listens at the address, and then works once the server is there', async () => {
      const server = new KurrentServer();
      await server.start();
      const port = server.port;
      server.append('a-1', 'Happened', { data: { n: 1 } });
      server.stop();
      const store = new KurrentDbStore(`kurrentdb://127.0.0.1:${port}?tls=false`);
      try {
        await expectError(
          store.readStream('a-1'),
          /Can't reach KurrentDB at kurrentdb:\/\/127\.0\.0\.1:\d+\?tls=false while reading stream "a-1"/,
        );
        await server.start(port);
        assert.equal((await store.readStream('a-1')).items.length, 1);
        // A server that dies mid-session: the next request says so, the one after works again.
        server.stop();
        await expectError(store.readAll(), /Can't reach KurrentDB/);
        await server.start(port);
        assert.equal((await store.readAll()).items.length, 1);
        // The feed of new events says once that it stopped.
        const stopped = new Promise<Error>((resolve) => store.watch!(() => undefined, resolve));
        await new Promise((resolve) => setTimeout(resolve, 300));
        server.stop();
        const message = (await stopped).message;
        assert.match(
          message,
          /^KurrentDB at kurrentdb:\/\/127\.0\.0\.1:\d+\?tls=false closed the connection while following new events; it connects again on the next request\.$/,
        );
      } finally {
        await store.close();
        server.stop();
      }
    });

    it('says when the host is unknown', async () => {
      const store = new KurrentDbStore('kurrentdb://no-such-host.invalid:2113?tls=false');
      try {
        const error = await expectError(
          store.readStream('a-1'),
          /^Can't reach KurrentDB at kurrentdb:\/\/no-such-host\.invalid:2113\?tls=false while reading stream "a-1": /,
        );
        assert.doesNotMatch(error.message, /: UnavailableError;/, 'no bare class name');
      } finally {
        await store.close();
      }
    });

    it('says when the credentials are refused, without the password', async () => {
      const server = new KurrentServer({ credentials: { username: 'admin', password: 'changeit' } });
      await server.start();
      server.append('a-1', 'Happened', { data: { n: 1 } });
      const wrong = new KurrentDbStore(`kurrentdb://admin@127.0.0.1:${server.port}?tls=false`, { password: 's3cret-wrong' });
      const right = new KurrentDbStore(`kurrentdb://admin@127.0.0.1:${server.port}?tls=false`, { password: 'changeit' });
      try {
        const error = await expectError(wrong.readStream('a-1'), /refused the credentials of user "admin"/);
        assert.doesNotMatch(error.message, /s3cret/);
        assert.doesNotMatch(wrong.location, /s3cret|changeit/);
        assert.equal((await right.readStream('a-1')).items.length, 1);
      } finally {
        await wrong.close();
        await right.close();
        server.stop();
      }
    });

    it('keeps the password out of the location, and rejects reads after close', async () => {
      const store = new KurrentDbStore('esdb://ops:hunter2@db.example:2113?tls=false');
      assert.equal(store.location, 'esdb://ops@db.example:2113?tls=false');
      await store.close();
      await expectError(store.readStream('x'), /was closed/);
      assert.throws(() => openStore('kurrentdb+discover://?tls=false'), /names no host/);
    });

    it('says which native reader is missing instead of failing to load', () => {
      assert.throws(
        () => loadKurrentClient(join(__dirname, 'fixtures', 'no-such-client.js')),
        (error: Error) => error instanceof EventscopeError && /native reader \(@kurrent\/bridge-[a-z0-9-]+\)/.test(error.message),
      );
    });

    it("tells the library's events without the cipher key", async () => {
      const server = new KurrentServer();
      await server.start();
      loadFixture(server, 'c_aes_zlib.db');
      const store = openStore(server.connectionString);
      try {
        await expectError(
          store.readAll(),
          /cannot decode the event 0@[0-9a-f-]{36}: the state looks encrypted and no cipher key was given/,
        );
      } finally {
        await store.close();
        server.stop();
      }
    });
  });

  it('maps type keys and stream names as the other stores do', () => {
    const regex = new RegExp(typeKeyRegex(['Credited', 'bank.domain:Account.Opened']));
    for (const [type, expected] of [
      ['bank.domain:Account.Credited', true],
      ['bank.domain:Account.Opened', true],
      ['Credited', true],
      ['bank.domain:Account.Debited', false],
      ['bank.domain:Account.NotCredited', false],
      ['$>', false],
    ] as const) {
      assert.equal(regex.test(type), expected, type);
      assert.equal(
        ['Credited', 'bank.domain:Account.Opened'].some((k) => typeMatches(type, k)),
        expected,
        type,
      );
    }
    assert.equal(categoryOfStreamName('order-1-2'), 'order');
    assert.equal(categoryOfStreamName('sensor'), 'sensor');
  });
});
