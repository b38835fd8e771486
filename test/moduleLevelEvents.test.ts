/**
 * Event classes defined at module level (issue 15): the library's Pydantic example (aggregate7,
 * `d_pydantic_orjson.db`: topics `…domainmodel:DogRegistered`, `…domainmodel:TrickAdded`, no
 * `originator_topic`, the aggregate named only by its snapshot's `topic`) and made-up stores of
 * the same shape. The stores learn each such class's aggregate from the streams it is in, so every
 * face agrees with nested classes: the category is `Dog`, `Dog.TrickAdded` and `TrickAdded` both
 * name the type (store filters, the CLI, JS and KurrentDB projections), and `type` stays the topic.
 * Topics of the made-up stores are unique to each test: what a store learns holds for the thread.
 */

import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { transcoded } from '../src/core/codecs/eventsourcing';
import {
  categoryOf,
  filterMatches,
  isModuleLevelTopic,
  learnAggregate,
  learntAggregate,
  qualifiedName,
  shortTypeName,
  typeMatches,
  typeMatchRank,
} from '../src/core/events';
import { categoryOfEvent } from '../src/core/labels';
import { ReplaySession } from '../src/core/projection/session';
import { sqliteEngine, type EngineName } from '../src/core/sqlite/drivers';
import { EventsourcingSqliteStore } from '../src/core/stores/eventsourcingSqlite';
import { EventsourcingSqliteWriter, type StoredEventInput } from '../src/core/stores/eventsourcingSqliteWriter';
import { iterateAll } from '../src/core/stores/types';
import { copyFixture, makeTempDir, removeTempDirs, runCli } from './helpers/cli';

const MODULE = 'eventsourcing.examples.aggregate7.domainmodel';
const DOG = `${MODULE}:Dog`;
const REGISTERED = `${MODULE}:DogRegistered`;
const TRICK_ADDED = `${MODULE}:TrickAdded`;
const FIDO = '0461dd32-c431-4211-86ce-9ef77f0583d4';
const ENGINES: EngineName[] = ['better-sqlite3', 'node:sqlite'];
const workerScript = resolve(__dirname, '..', 'dist', 'projection-worker.js');

const hex = (n: number) => n.toString(16).padStart(32, '0');
const dashed = (id: string) => `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
const at = (day: number) => ({ timestamp: transcoded.datetime(`2026-01-0${day}T00:00:00+00:00`) });
const event = (stream: number, version: number, topic: string, state: Record<string, unknown> = {}): StoredEventInput => ({
  originatorId: hex(stream),
  version,
  topic,
  state: { ...at(version), ...state },
});

/** A new store of these events (and snapshots), closed. */
function writeStore(events: StoredEventInput[], snapshots: StoredEventInput[] = []): string {
  const path = join(makeTempDir(), 'store.db');
  const writer = new EventsourcingSqliteWriter(path);
  writer.append(events);
  for (const s of snapshots) writer.snapshot(s);
  writer.close();
  return path;
}

async function withStore<T>(path: string, work: (store: EventsourcingSqliteStore) => Promise<T>, engine?: EngineName): Promise<T> {
  const store = new EventsourcingSqliteStore(path, engine ? { engine: sqliteEngine(engine) } : {});
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

async function positions(store: EventsourcingSqliteStore, types: string[]): Promise<number[]> {
  const out: number[] = [];
  for await (const e of iterateAll(store, { types, limit: 2 })) out.push(e.position);
  return out;
}

describe('event classes at module level (the library’s Pydantic example and its shape)', function () {
  this.timeout(60_000);
  after(() => removeTempDirs());

  for (const engine of ENGINES) {
    describe(`d_pydantic_orjson.db (${engine})`, () => {
      it('names the category Dog with its topic (from the snapshot), in categories, stream lists and info', async () => {
        await withStore(
          copyFixture('d_pydantic_orjson.db'),
          async (store) => {
            assert.deepEqual(await store.categories(), [{ name: 'Dog', topic: DOG, streams: 1 }]);
            assert.deepEqual((await store.info()).categories, [{ name: 'Dog', topic: DOG, streams: 1 }]);
            const [fido] = (await store.listStreams()).items;
            assert.deepEqual([fido.streamId, fido.category, fido.firstType], [FIDO, 'Dog', REGISTERED]);
            for (const category of ['Dog', DOG]) {
              assert.deepEqual(
                (await store.listStreams({ category })).items.map((s) => s.streamId),
                [FIDO],
                category,
              );
            }
            assert.deepEqual((await store.listStreams({ category: MODULE })).items, [], 'the module is no category any more');
          },
          engine,
        );
      });

      it('filters by Dog.TrickAdded, TrickAdded or the topic alike; types stay the stored topics', async () => {
        await withStore(
          copyFixture('d_pydantic_orjson.db'),
          async (store) => {
            for (const key of ['Dog.TrickAdded', 'TrickAdded', TRICK_ADDED])
              assert.deepEqual(await positions(store, [key]), [2, 3, 4], key);
            assert.deepEqual(await positions(store, ['Dog.DogRegistered']), [1]);
            assert.deepEqual(await positions(store, ['Dog.DogRegistered', 'Dog.TrickAdded']), [1, 2, 3, 4]);
            assert.deepEqual(await positions(store, ['Cat.TrickAdded']), [], 'another aggregate’s name');
            assert.deepEqual(await positions(store, [`${MODULE}:Dog.TrickAdded`]), [], 'no such topic');
            const page = await store.readStream(FIDO, { types: ['Dog.TrickAdded'] });
            assert.deepEqual(
              page.items.map((e) => [e.revision, e.type]),
              [
                [2, TRICK_ADDED],
                [3, TRICK_ADDED],
                [4, TRICK_ADDED],
              ],
            );
            const backwards = await store.readStream(FIDO, { types: ['Dog.TrickAdded'], direction: 'backwards', limit: 2 });
            assert.deepEqual(
              backwards.items.map((e) => e.revision),
              [4, 3],
            );
          },
          engine,
        );
      });
    });
  }

  it('names the types it has read as nested ones are named: qualified and short names, ranks, the first event’s category', async () => {
    await withStore(copyFixture('d_pydantic_orjson.db'), async (store) => {
      const [first] = (await store.readAll({ limit: 1 })).items;
      assert.equal(first.type, REGISTERED);
      assert.equal(categoryOfEvent(first), 'Dog');
      await positions(store, []); // the rest of the log: TrickAdded is learnt when read
    });
    assert.equal(qualifiedName(TRICK_ADDED), 'Dog.TrickAdded');
    assert.equal(qualifiedName(REGISTERED), 'Dog.DogRegistered');
    assert.equal(shortTypeName(TRICK_ADDED), 'TrickAdded');
    assert.deepEqual(categoryOf(REGISTERED, undefined), { name: 'Dog', topic: DOG });
    assert.ok(typeMatches(TRICK_ADDED, 'Dog.TrickAdded') && typeMatches(TRICK_ADDED, 'TrickAdded'));
    assert.ok(!typeMatches(TRICK_ADDED, 'Trick') && !typeMatches(TRICK_ADDED, 'domainmodel.TrickAdded'));
    // As for nested classes: the exact topic, then the qualified name, then the last part.
    assert.deepEqual(
      [TRICK_ADDED, 'Dog.TrickAdded', 'TrickAdded'].map((k) => typeMatchRank(TRICK_ADDED, k)),
      [3, 2, 1],
    );
  });

  it('the CLI: streams --category Dog, log --type Dog.TrickAdded or TrickAdded, info (a fresh process learns by itself)', () => {
    const db = copyFixture('d_pydantic_orjson.db');
    const json = (args: string[]) => {
      const r = runCli(args);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as Record<string, unknown>[];
    };
    assert.deepEqual(
      json(['streams', db, '--category', 'Dog', '--json']).map((s) => [s.streamId, s.category]),
      [[FIDO, 'Dog']],
    );
    for (const key of ['Dog.TrickAdded', 'TrickAdded']) {
      assert.deepEqual(
        json(['log', db, '--type', key, '--json']).map((e) => [e.position, e.type]),
        [
          [2, TRICK_ADDED],
          [3, TRICK_ADDED],
          [4, TRICK_ADDED],
        ],
        key,
      );
    }
    const table = runCli(['log', db, '--type', 'Dog.TrickAdded']);
    assert.equal(table.code, 0, table.stderr);
    assert.equal(table.stdout.match(/ Dog\.TrickAdded /g)?.length, 3, 'the table names the type as a nested one');
    const info = runCli(['info', db, '--json']);
    assert.deepEqual((JSON.parse(info.stdout) as { categories: unknown }).categories, [{ name: 'Dog', topic: DOG, streams: 1 }]);
  });

  it('replays: a JS projection’s `when: { "Dog.TrickAdded" }` and a KurrentDB script’s fromCategory("Dog") see the events', async () => {
    const dir = makeTempDir();
    const db = copyFixture('d_pydantic_orjson.db', dir);
    const js = join(dir, 'tricks.js');
    writeFileSync(
      js,
      `module.exports = {
        init: () => ({ dogs: 0, tricks: [], last: [] }),
        when: {
          'Dog.DogRegistered': (s) => { s.dogs++; },
          'Dog.TrickAdded': (s, e) => { s.tricks.push(e.data.trick.name); s.last = [e.type]; },
          TrickAdded: () => { throw new Error('the qualified key wins'); },
        },
      };\n`,
    );
    const kurrent = join(dir, 'tricks.kurrent.js');
    writeFileSync(
      kurrent,
      `fromCategory('Dog').when({ $init: () => ({ n: 0, tricks: 0 }), $any: (s) => { s.n++; }, 'Dog.TrickAdded': (s) => { s.tricks++; } });\n`,
    );
    const expected = {
      dogs: 1,
      tricks: ['roll over', 'play dead', 'fetch ball'],
      last: [TRICK_ADDED],
    };
    for (const scope of [{ all: true as const }, { category: 'Dog' }]) {
      const session = await ReplaySession.open({
        workerScript,
        source: { kind: 'store', location: db, scope },
        projection: { kind: 'file', path: js },
      });
      try {
        assert.deepEqual(session.summary.errors, []);
        assert.equal(session.summary.steps, 4);
        assert.deepEqual(await session.stateAfter(4), expected, JSON.stringify(scope));
        // The panel's filter and type breakpoints name the types the same way.
        assert.deepEqual(await session.filter('dog.trickadded'), [1, 2, 3]);
        assert.deepEqual((await session.scan([{ kind: 'type', type: 'Dog.TrickAdded' }])).hits, [1, 2, 3]);
        assert.deepEqual(filterMatches('Dog.TrickAdded', TRICK_ADDED, FIDO), true);
      } finally {
        await session.dispose();
      }
    }
    const session = await ReplaySession.open({
      workerScript,
      source: { kind: 'store', location: db, scope: { all: true } },
      projection: { kind: 'file', path: kurrent },
    });
    try {
      assert.deepEqual(session.summary.errors, []);
      assert.deepEqual(await session.stateAfter(session.summary.steps), { n: 1, tricks: 3 }, 'every event is of the Dog category');
    } finally {
      await session.dispose();
    }
  });

  it('a module-level created event with originator_topic names its aggregate, and the stream’s other module-level events follow', async () => {
    const path = writeStore([
      event(1, 1, 'zoo.events:Hatched', { originator_topic: 'zoo.domain:Penguin', name: 'Pingu' }),
      event(1, 2, 'zoo.events:Waddled', { metres: 3 }),
      event(2, 1, 'zoo.domain:Keeper.Hired', { originator_topic: 'zoo.domain:Keeper', name: 'Ann' }),
    ]);
    await withStore(path, async (store) => {
      assert.deepEqual(await store.categories(), [
        { name: 'Keeper', topic: 'zoo.domain:Keeper', streams: 1 },
        { name: 'Penguin', topic: 'zoo.domain:Penguin', streams: 1 },
      ]);
      assert.deepEqual(await positions(store, ['Penguin.Waddled']), [2]);
      assert.deepEqual(await positions(store, ['Penguin.Hatched']), [1]);
      assert.deepEqual(await positions(store, ['Keeper.Hired']), [3]);
      assert.equal(qualifiedName('zoo.events:Waddled'), 'Penguin.Waddled');
    });
  });

  it('learns a stream’s aggregate from a snapshot of another stream created by the same event', async () => {
    const snapshot = (stream: number, version: number) => ({
      originatorId: hex(stream),
      version,
      topic: 'kennel.model:Snapshot',
      state: { ...at(version), topic: 'kennel.model:Puppy', state: { name: 'Rex' } },
    });
    const path = writeStore(
      [
        event(1, 1, 'kennel.model:PuppyBorn', { name: 'Ace' }),
        event(1, 2, 'kennel.model:Fed'),
        event(2, 1, 'kennel.model:PuppyBorn', { name: 'Rex' }),
        event(2, 2, 'kennel.model:Fed'),
      ],
      [snapshot(2, 2)],
    );
    await withStore(path, async (store) => {
      // The first stream has no snapshot: reading it alone finds the second one's.
      const page = await store.readStream(dashed(hex(1)), { types: ['Puppy.Fed'] });
      assert.deepEqual(
        page.items.map((e) => e.revision),
        [2],
      );
      assert.deepEqual(
        (await store.listStreams({ category: 'Puppy' })).items.map((s) => s.category),
        ['Puppy', 'Puppy'],
      );
    });
  });

  it('without originator_topic or a snapshot, the module stays the category and only the class’s own name matches', async () => {
    const path = writeStore([event(1, 1, 'barn.model:CalfBorn', { name: 'Daisy' }), event(1, 2, 'barn.model:Milked')], []);
    await withStore(path, async (store) => {
      assert.deepEqual(await store.categories(), [{ name: 'barn.model', streams: 1 }]);
      assert.deepEqual(await positions(store, ['Milked']), [2]);
      assert.deepEqual(await positions(store, ['Cow.Milked']), []);
      assert.equal(qualifiedName('barn.model:Milked'), 'Milked');
      assert.equal(learntAggregate('barn.model:Milked'), undefined);
    });
  });

  it('a module-level class in streams of two aggregates is named by itself once both are seen', async () => {
    const path = writeStore([
      event(1, 1, 'farm.events:CowBorn', { originator_topic: 'farm.domain:Cow' }),
      event(1, 2, 'farm.events:Renamed', { name: 'Daisy' }),
      event(2, 1, 'farm.events:PigBorn', { originator_topic: 'farm.domain:Pig' }),
      event(2, 2, 'farm.events:Renamed', { name: 'Babe' }),
    ]);
    await withStore(path, async (store) => {
      await store.readStream(dashed(hex(1)));
      assert.equal(qualifiedName('farm.events:Renamed'), 'Cow.Renamed');
    });
    // A second store learns it from the Pig stream: the class belongs to no one aggregate.
    await withStore(path, async (store) => {
      await store.readStream(dashed(hex(2)));
      assert.equal(qualifiedName('farm.events:Renamed'), 'Renamed');
      assert.deepEqual(await positions(store, ['Renamed']), [2, 4]);
      assert.deepEqual(await positions(store, ['Cow.Renamed']), []);
      assert.equal(qualifiedName('farm.events:CowBorn'), 'Cow.CowBorn');
    });
  });

  it('leaves nested classes alone: their names, categories and filters are what the topic says', async () => {
    assert.equal(isModuleLevelTopic('bank.domain:BankAccount.Credited'), false);
    assert.equal(isModuleLevelTopic('bank.domain:Credited'), true);
    assert.equal(isModuleLevelTopic('Credited'), false, 'not a topic');
    learnAggregate('nested.domain:Account.Credited', 'nested.domain:Other');
    assert.equal(qualifiedName('nested.domain:Account.Credited'), 'Account.Credited');
    assert.deepEqual(categoryOf('nested.domain:Account.Opened', undefined), { name: 'Account' });
    await withStore(copyFixture('a_plain.db'), async (store) => {
      assert.deepEqual(
        (await store.categories()).map((c) => [c.name, c.topic]),
        [
          ['BankAccount', 'eventsourcing.examples.bankaccounts.domainmodel:BankAccount'],
          ['Dog', 'dogschool.domainmodel:Dog'],
        ],
      );
      const credited = await positions(store, ['BankAccount.Credited']);
      assert.ok(credited.length > 0);
      assert.deepEqual(await positions(store, ['Credited']), credited);
    });
  });
});
