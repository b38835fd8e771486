import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { dashUuid, parseCipherKey, transcoded } from '../src/core/codecs/eventsourcing';
import { filterMatches, streamToJSON, type StreamInfo } from '../src/core/events';
import {
  categoryOfEvent,
  LabelCache,
  LabelIndex,
  labelOf,
  labelStream,
  labelStreamIds,
  labelStreams,
  readLabelRules,
  shortStreamId,
  snapshotState,
  streamMatches,
} from '../src/core/labels';
import { ReplaySession, type ReplaySessionOptions } from '../src/core/projection/session';
import { defaultSqliteEngine } from '../src/core/sqlite/drivers';
import { openStore } from '../src/core/stores/open';
import { EventsourcingSqliteWriter, type StoredEventInput } from '../src/core/stores/eventsourcingSqliteWriter';
import type { EventStore } from '../src/core/stores/types';
import { copyFixture, makeTempDir, removeTempDirs, sha256 } from './helpers/cli';
import { FIXTURE_KEY, readDumps } from './helpers/dumps';

const workerScript = resolve(__dirname, '..', 'dist', 'projection-worker.js');

/** The aggregates of a fixture as its dump lists them: stream id -> the name its created event carries. */
function plainNames(file = 'a_plain.db'): Map<string, string> {
  const names = new Map<string, string>();
  for (const row of readDumps().get(file)!.events) {
    const name = row.decoded.full_name ?? row.decoded.name;
    if (row.version === 1 && typeof name === 'string') names.set(dashUuid(row.originatorId), name);
  }
  return names;
}

async function allStreams(store: EventStore): Promise<StreamInfo[]> {
  return (await store.listStreams({ limit: 1000 })).items;
}

async function withStore<T>(path: string, work: (store: EventStore) => Promise<T>, cipherKey?: string): Promise<T> {
  const store = openStore(path, cipherKey ? { cipherKey: parseCipherKey(cipherKey) } : {});
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

const ACCOUNT = 'bank.domain:BankAccount';
const SNAPSHOT = 'eventsourcing.domain:Snapshot';
const hex = (n: number) => n.toString(16).padStart(32, '0');
const opened = (n: number, fields: Record<string, unknown>): StoredEventInput => ({
  originatorId: hex(n),
  version: 1,
  topic: `${ACCOUNT}.Opened`,
  state: { timestamp: transcoded.datetime('2026-03-02T09:00:00.000000+00:00'), originator_topic: ACCOUNT, ...fields },
});
const credited = (n: number, version: number): StoredEventInput => ({
  originatorId: hex(n),
  version,
  topic: `${ACCOUNT}.Credited`,
  state: { timestamp: transcoded.datetime('2026-03-02T10:00:00.000000+00:00'), amount: transcoded.decimal('1.00') },
});
const snapshot = (n: number, version: number, state: Record<string, unknown>): StoredEventInput => ({
  originatorId: hex(n),
  version,
  topic: SNAPSHOT,
  state: { timestamp: transcoded.datetime('2026-03-02T11:00:00.000000+00:00'), topic: ACCOUNT, state },
});

describe('stream labels: picking one', () => {
  it('takes the first candidate field with a short scalar value, whatever the key style', () => {
    assert.equal(labelOf({ email: 'a@example.com', full_name: 'Dana Whitfield', amount: 3 }), 'Dana Whitfield');
    assert.equal(labelOf({ fullName: 'Dana Whitfield', title: 'Ms' }), 'Dana Whitfield');
    assert.equal(labelOf({ Name: 'Fido', owner_id: 'x' }), 'Fido');
    assert.equal(labelOf({ emailAddress: 'bob@example.com' }), 'bob@example.com');
    assert.equal(labelOf({ sku: 'SKU-4711', lines: [] }), 'SKU-4711');
    assert.equal(labelOf({ code: 4711 }), '4711');
    assert.equal(labelOf({ code: 12345678901234567890n }), '12345678901234567890');
    // Not label-like: objects, empty text, booleans, NaN; the next candidate is used.
    assert.equal(labelOf({ name: { first: 'A' }, title: '  ', label: true, code: Number.NaN, slug: 'the-slug' }), 'the-slug');
    assert.equal(labelOf({ amount: 3, owner: 'x' }), undefined);
    assert.equal(labelOf(undefined), undefined);
    assert.equal(labelOf(['name']), undefined);
    // One line, cut when long.
    assert.equal(labelOf({ name: ' Dana\n  Whitfield ' }), 'Dana Whitfield');
    const long = labelOf({ title: 'x'.repeat(200) })!;
    assert.equal(long.length, 60);
    assert.ok(long.endsWith('…'));
  });

  it('follows a rule for the category: a dotted path, an empty rule for none, "*" for the others', () => {
    const data = { full_name: 'Dana Whitfield', email_address: 'dana@example.com', owner: { name: 'Bob', tags: ['vip'] } };
    const rules = { BankAccount: 'email_address', Dog: 'owner.name', Tagged: 'owner.tags.0', Hidden: '', '*': 'full_name' };
    assert.equal(labelOf(data, 'BankAccount', rules), 'dana@example.com');
    assert.equal(labelOf(data, 'Dog', rules), 'Bob');
    assert.equal(labelOf(data, 'Tagged', rules), 'vip');
    assert.equal(labelOf(data, 'Hidden', rules), undefined);
    assert.equal(labelOf({ name: 'Fido' }, 'Other', rules), undefined, '"*" names full_name: no fallback to the candidates');
    assert.equal(labelOf(data, 'Other', rules), 'Dana Whitfield');
    assert.equal(labelOf(data, 'BankAccount', { BankAccount: 'missing.path' }), undefined);
    assert.equal(labelOf(data, 'BankAccount', { Dog: 'owner.name' }), 'Dana Whitfield', "another category's rule does not apply");
    assert.deepEqual(readLabelRules({ BankAccount: 'full_name', Bad: 3, Dog: null }), { BankAccount: 'full_name' });
    assert.deepEqual(readLabelRules('nope'), {});
  });

  it('unwraps snapshots, names categories like the store, and matches ids and labels in a filter', () => {
    assert.deepEqual(snapshotState({ timestamp: 't', topic: 'x:Dog', state: { name: 'Fido' } }), { name: 'Fido' });
    assert.deepEqual(snapshotState({ id: 'x', name: 'Fido' }), { id: 'x', name: 'Fido' });
    assert.equal(
      categoryOfEvent({ type: 'bank:BankAccount.Opened', data: { originator_topic: 'bank.domain:BankAccount' } }),
      'BankAccount',
    );
    assert.equal(categoryOfEvent({ type: 'bank:BankAccount.Credited', data: {} }), 'BankAccount');
    assert.equal(
      categoryOfEvent({ type: 'eventsourcing.examples.aggregate7.domainmodel:Registered', data: {} }),
      'eventsourcing.examples.aggregate7.domainmodel',
    );
    const id = '8b79390a-067d-4256-b73f-49fc19028af3';
    assert.ok(streamMatches('whit', id, 'Dana Whitfield'));
    assert.ok(streamMatches('8B79390A067D', id, 'Dana Whitfield'), 'ids match without dashes, any case');
    assert.ok(streamMatches('067d-4256', id, undefined));
    assert.ok(!streamMatches('bob', id, 'Dana Whitfield'));
    assert.ok(streamMatches('  ', id, undefined));
    assert.equal(shortStreamId(id), '8b79390a…');
    assert.equal(shortStreamId('order-1'), 'order-1');
  });
});

describe('stream labels: on real stores', () => {
  after(removeTempDirs);

  it('labels the BankAccount and Dog aggregates of a_plain.db (full_name, name), leaving the store as it was', async () => {
    const path = copyFixture('a_plain.db');
    const hash = sha256(path);
    const names = plainNames();
    assert.equal(names.size, 5);
    await withStore(path, async (store) => {
      const streams = await allStreams(store);
      const labelled = await labelStreams(store, streams);
      assert.equal(labelled.length, streams.length);
      for (const s of labelled) assert.equal(s.label, names.get(s.streamId), s.streamId);
      assert.deepEqual(
        labelled.map((s) => s.category),
        streams.map((s) => s.category),
      );
      assert.deepEqual(new Set(labelled.map((s) => s.label)), new Set(['Alice Smith', 'Bob Jones', 'Carol Müller', 'Fido', 'Rex 🐶 Ærø']));
      // The JSON of a stream carries its label (after the other fields); one without a label has no key.
      const alice = labelled.find((s) => s.label === 'Alice Smith')!;
      assert.deepEqual(Object.keys(streamToJSON(alice)), ['streamId', 'category', 'count', 'lastRevision', 'firstType', 'label']);
      assert.ok(!('label' in streamToJSON(streams[0])));
      // By id only (the replay worker's way): the category comes from the first event.
      const byId = await labelStreamIds(store, [...names.keys(), 'no-such-stream']);
      assert.deepEqual(new Map([...byId].sort()), new Map([...names].sort()));
      // Rules: another field, a dotted path, none.
      const rules = { BankAccount: 'email_address', Dog: 'details.breed' };
      const ruled = await labelStreams(store, streams, rules);
      assert.deepEqual(
        new Set(ruled.map((s) => s.label)),
        new Set(['alice@example.com', 'bob@example.com', 'carol@example.de', 'Labrador', 'Schäferhund']),
      );
      const none = await labelStreams(store, streams, { BankAccount: '', Dog: '' });
      assert.ok(none.every((s) => s.label === undefined));
    });
    assert.equal(sha256(path), hash);
  });

  it('labels the compressed and encrypted copies alike, and lists streams without labels when the key is missing', async () => {
    await withStore(copyFixture('b_zlib.db'), async (store) => {
      const names = plainNames('b_zlib.db');
      for (const s of await labelStreams(store, await allStreams(store))) assert.equal(s.label, names.get(s.streamId));
    });
    await withStore(
      copyFixture('c_aes_zlib.db'),
      async (store) => {
        const names = plainNames('c_aes_zlib.db');
        assert.equal(names.size, 5);
        for (const s of await labelStreams(store, await allStreams(store))) assert.equal(s.label, names.get(s.streamId));
      },
      FIXTURE_KEY,
    );
    await withStore(copyFixture('c_aes_zlib.db'), async (store) => {
      const labelled = await labelStreams(store, await allStreams(store));
      assert.equal(labelled.length, 5);
      assert.ok(labelled.every((s) => s.label === undefined));
    });
  });

  it("prefers the latest snapshot's state (a renamed aggregate), else the first event", async () => {
    // d_pydantic_orjson.db: the library's Pydantic example, its snapshot's state not wrapped in _type_ values.
    await withStore(copyFixture('d_pydantic_orjson.db'), async (store) => {
      const [dog] = await labelStreams(store, await allStreams(store));
      assert.equal(dog.label, 'Fido');
    });
    const path = join(makeTempDir(), 'renamed.db');
    const writer = new EventsourcingSqliteWriter(path);
    writer.append([
      opened(1, { full_name: 'Dana Whitfield' }),
      credited(1, 2),
      credited(1, 3),
      opened(2, { full_name: 'Bob Jones' }),
      credited(2, 2),
    ]);
    writer.snapshot(snapshot(1, 2, { full_name: 'Dana Old' }));
    writer.snapshot(snapshot(1, 3, { full_name: 'Dana Married-Name', email_address: 'dana@example.com' }));
    writer.snapshot(snapshot(2, 2, { balance: transcoded.decimal('1.00') }));
    writer.close();
    await withStore(path, async (store) => {
      const labelled = await labelStreams(store, await allStreams(store));
      assert.deepEqual(
        labelled.map((s) => s.label),
        ['Dana Married-Name', 'Bob Jones'],
        'the latest snapshot wins; a snapshot without the field falls back to the first event',
      );
      assert.equal(await labelStream(store, dashUuid(hex(1)), 'BankAccount', { BankAccount: 'email_address' }), 'dana@example.com');
      assert.equal(await labelStream(store, dashUuid(hex(1))), 'Dana Married-Name', 'the category from the first event');
    });
  });

  it('keeps the labels it read (misses too) in a LabelCache', async () => {
    const asked: string[][] = [];
    const cache = new LabelCache(async (ids) => {
      asked.push(ids);
      return new Map(ids.filter((id) => id !== 'b').map((id) => [id, id.toUpperCase()]));
    });
    assert.deepEqual([...(await cache.labels(['a', 'b', 'a']))], [['a', 'A']]);
    assert.deepEqual(
      [...(await cache.labels(['b', 'c', 'a']))],
      [
        ['c', 'C'],
        ['a', 'A'],
      ],
    );
    assert.deepEqual(asked, [['a', 'b'], ['c']]);
    assert.equal(cache.peek('b'), null);
    assert.equal(cache.peek('z'), undefined);
    assert.equal(await cache.label('c'), 'C');
  });

  it('indexes a category for the streams filter, page by page, and catches up with new events and snapshots', async () => {
    const path = join(makeTempDir(), 'index.db');
    const writer = new EventsourcingSqliteWriter(path);
    const people = ['Alice Smith', 'Bob Jones', 'Dana Whitfield', 'Dana Scully', 'Emeka Okafor'];
    writer.append(people.map((full_name, i) => opened(i + 1, { full_name })));
    writer.append([
      { ...opened(100, { name: 'Fido' }), topic: 'dogs:Dog.Registered', state: { originator_topic: 'dogs:Dog', name: 'Fido' } },
    ]);
    try {
      await withStore(path, async (store) => {
        const index = new LabelIndex(store, 'BankAccount', {}, { pageSize: 2 });
        const progress: number[] = [];
        await index.build((n) => progress.push(n));
        assert.deepEqual(progress, [2, 4, 5]);
        assert.ok(index.done && !index.truncated);
        assert.deepEqual(index.matching('dana'), [dashUuid(hex(3)), dashUuid(hex(4))]);
        assert.deepEqual(index.matching(hex(5).slice(-6)), [dashUuid(hex(5))], 'ids match too');
        assert.deepEqual(index.matching('fido'), [], 'only streams of the category');
        assert.equal(index.labelOf(dashUuid(hex(1))), 'Alice Smith');

        // New streams, a rename through a snapshot, a dog: `update` re-labels what changed.
        writer.append([opened(6, { full_name: 'Dana New' }), credited(2, 2)]);
        writer.snapshot(snapshot(2, 2, { full_name: 'Dana Jones' }));
        writer.append([
          { ...opened(101, {}), topic: 'dogs:Dog.Registered', state: { originator_topic: 'dogs:Dog', name: 'Dana the dog' } },
        ]);
        const version = index.version;
        await index.update();
        assert.ok(index.version > version);
        assert.deepEqual(
          index.matching('dana'),
          [2, 3, 4, 6].map((n) => dashUuid(hex(n))),
        );
        assert.equal(index.size, 6);

        // A truncated index stops at maxStreams; a big change makes the index start again.
        const small = new LabelIndex(store, 'BankAccount', {}, { pageSize: 2, maxStreams: 3 });
        await small.build();
        assert.ok(small.done && small.truncated);
        assert.equal(small.size, 4);
        const stale = new LabelIndex(store, 'BankAccount', {}, { maxDelta: 1 });
        await stale.build();
        writer.append([credited(1, 2), credited(1, 3)]);
        await stale.update();
        assert.ok(!stale.done);
        await stale.build();
        assert.equal(stale.size, 6);

        // An aborted build resumes where it stopped.
        const resumed = new LabelIndex(store, 'BankAccount', {}, { pageSize: 2 });
        const abort = new AbortController();
        await resumed.build((n) => n >= 2 && abort.abort(), abort.signal);
        assert.ok(!resumed.done);
        assert.equal(resumed.size, 2);
        await resumed.build();
        assert.ok(resumed.done);
        assert.equal(resumed.size, 6);
      });
    } finally {
      writer.close();
    }
  });

  it('labels a page of 100 streams of a 100,000-stream store quickly (figures in the title)', async function () {
    this.timeout(120_000);
    const path = join(makeTempDir(), 'big.db');
    const writer = new EventsourcingSqliteWriter(path);
    const engine = defaultSqliteEngine();
    function* events(): Generator<StoredEventInput> {
      for (let i = 1; i <= 100_000; i++) {
        yield opened(i, { full_name: `${['Alice Smith', 'Bob Jones', 'Dana Whitfield'][i % 3]} ${i}`, email_address: `p${i}@example.com` });
        yield credited(i, 2);
      }
    }
    writer.append(events());
    for (let i = 1; i <= 100_000; i += 10) writer.snapshot(snapshot(i, 2, { full_name: `Renamed ${i}` }));
    writer.close();
    await withStore(path, async (store) => {
      const times: number[] = [];
      let after: string | undefined;
      for (let run = 0; run < 5; run++) {
        const started = performance.now();
        const page = await store.listStreams({ category: 'BankAccount', limit: 100, after });
        const labelled = await labelStreams(store, page.items);
        times.push(performance.now() - started);
        assert.equal(labelled.length, 100);
        assert.ok(labelled.every((s) => s.label));
        after = page.next;
      }
      this.test!.title += ` (list + label: ${times.map((t) => t.toFixed(1)).join(' / ')} ms, ${engine.name})`;
      assert.ok(Math.min(...times) < 100, `a page took ${times.join(', ')} ms`);
    });
  });
});

describe('stream labels in the replay worker', function () {
  this.timeout(60_000);
  after(removeTempDirs);

  async function withSession(options: ReplaySessionOptions, work: (session: ReplaySession) => Promise<void>): Promise<void> {
    const session = await ReplaySession.open({ workerScript, ...options });
    try {
      await work(session);
    } finally {
      await session.dispose();
    }
  }

  it('filters the timeline by label, carries labels in steps, and follows the label rules', async () => {
    const location = copyFixture('a_plain.db');
    const names = plainNames();
    const alice = [...names].find(([, name]) => name === 'Alice Smith')![0];
    const fido = [...names].find(([, name]) => name === 'Fido')![0];
    await withSession({ source: { kind: 'store', location, scope: { all: true } }, projection: { kind: 'generic' } }, async (session) => {
      const events = await session.events(0, session.summary.steps);
      const ofAlice = events.flatMap((e, i) => (e.streamId === alice ? [i] : []));
      assert.ok(ofAlice.length >= 3);
      assert.deepEqual(await session.filter('alice'), ofAlice);
      assert.deepEqual(
        await session.filter('SMITH credited'),
        ofAlice.filter((i) => events[i].type.endsWith('.Credited')),
        'words across type and label',
      );
      assert.deepEqual(await session.filter(alice.slice(0, 8)), ofAlice, 'ids still match');
      assert.deepEqual(
        await session.filter('rex'),
        events.flatMap((e, i) => (names.get(e.streamId) === 'Rex 🐶 Ærø' ? [i] : [])),
      );
      assert.deepEqual(await session.filter('nobody'), []);
      // The worker's matching agrees with filterMatches (the definition) on the labelled events.
      for (const text of ['bob', 'jones CREDITED', 'dog.registered fido', `${fido.slice(0, 4)} fi`, 'ærø', 'a', '']) {
        const expected = events.flatMap((e, i) => (filterMatches(text, e.type, e.streamId, names.get(e.streamId)) ? [i] : []));
        assert.deepEqual(await session.filter(text), expected, text);
      }
      assert.equal((await session.step(ofAlice[1])).label, 'Alice Smith');
      assert.deepEqual(Object.fromEntries(await session.labels([alice, fido, 'nope'])), { [alice]: 'Alice Smith', [fido]: 'Fido' });
    });
    await withSession(
      {
        source: { kind: 'store', location, scope: { category: 'BankAccount' } },
        projection: { kind: 'generic' },
        labelRules: { BankAccount: 'email_address' },
      },
      async (session) => {
        const events = await session.events(0, session.summary.steps);
        const ofAlice = events.flatMap((e, i) => (e.streamId === alice ? [i] : []));
        assert.deepEqual(await session.filter('alice@example'), ofAlice);
        assert.deepEqual(await session.filter('smith'), [], 'the rule replaces the full name');
        assert.equal((await session.step(ofAlice[0])).label, 'alice@example.com');
      },
    );
  });

  it('labels the streams of an events file from their first events', async () => {
    const events = [
      {
        streamId: 'acct-1',
        revision: 1,
        position: 1,
        type: 'BankAccount.Opened',
        timestamp: null,
        data: { full_name: 'Dana Whitfield' },
        metadata: {},
        kinds: {},
      },
      {
        streamId: 'acct-2',
        revision: 1,
        position: 2,
        type: 'BankAccount.Opened',
        timestamp: null,
        data: { amount: 1 },
        metadata: {},
        kinds: {},
      },
      {
        streamId: 'acct-1',
        revision: 2,
        position: 3,
        type: 'BankAccount.Credited',
        timestamp: null,
        data: { amount: 5 },
        metadata: {},
        kinds: {},
      },
    ];
    await withSession({ source: { kind: 'events', label: 'mem', events }, projection: { kind: 'generic' } }, async (session) => {
      assert.deepEqual(await session.filter('whitfield'), [0, 2]);
      assert.equal((await session.step(2)).label, 'Dana Whitfield');
      assert.equal((await session.step(1)).label, undefined);
    });
  });
});
