/**
 * The contract every EventStore adapter keeps, as one mocha suite run against each of them (see
 * storeContract.test.ts): `describeStoreContract(name, setup)` opens the adapter on a small data
 * set whose expected shape (`StoreModel`) the setup derives from what it wrote (or a fixture's row
 * dump), independently of the code under test, and checks the store against it: stream listing
 * with cursors and filters, reading a stream both ways, the global log, categories, the head, info,
 * new events appended through the backend's own means, and reads after close().
 *
 * A new adapter joins by giving a setup; what may legitimately differ between backends is in the
 * model (`firstRevision`, `orderedStreams`, `log`), not in the tests.
 */

import assert from 'node:assert/strict';
import { EventscopeError } from '../../src/core/errors';
import type { RecordedEvent, StreamInfo } from '../../src/core/events';
import type { EventPage, EventStore, ListStreamsOptions, ReadStreamOptions } from '../../src/core/stores/types';

export interface ModelStream {
  /** The id the store shows (a dashed UUID for eventsourcing stores). */
  streamId: string;
  category: string;
  /** The stream's event types, in revision order, as the store names them. */
  types: string[];
  /** The revision of the stream's first event (default 1; KurrentDB counts from 0). */
  firstRevision?: number;
}

export interface StoreModel {
  /** Every stream: in the order listStreams gives them when `orderedStreams`. */
  streams: ModelStream[];
  /** The number of events in the store. */
  events: number;
  /** Whether listStreams hands streams out in the order of `streams` (else only the set is checked). Default true. */
  orderedStreams?: boolean;
  /** The global log (readAll's order), when the setup knows it: each event's stream and type. */
  log?: { streamId: string; type: string }[];
}

export interface ContractSubject {
  store: EventStore;
  model: StoreModel;
  /**
   * Writes one more event of an existing stream through the backend's own means (not the store,
   * which is read-only), of `type` (one the store already shows), at the stream's next revision.
   * Absent: the tail tests are skipped.
   */
  append?(streamId: string, type: string): Promise<void>;
  /** Releases what the setup made (servers, temp files, writers). The suite closes `store` itself. */
  cleanup(): Promise<void>;
}

/** Thrown by a setup that cannot run here (no server binary): the suite is skipped, saying why. */
export class ContractUnavailable extends Error {}

const key = (e: RecordedEvent) => `${e.streamId}@${e.revision}`;
const firstOf = (s: ModelStream) => s.firstRevision ?? 1;
const lastOf = (s: ModelStream) => firstOf(s) + s.types.length - 1;
const undashed = (text: string) => text.replace(/-/g, '').toLowerCase();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The last part of a type (after its last ':' or '.'): a filter key that matches by suffix. */
const shortType = (type: string) => type.slice(Math.max(type.lastIndexOf(':'), type.lastIndexOf('.')) + 1);

/** Whether a stream id matches a prefix / contains filter: as written, or (UUIDs) without dashes and case. */
function idMatches(id: string, text: string, how: 'prefix' | 'contains'): boolean {
  const test = (a: string, b: string) => (how === 'prefix' ? a.startsWith(b) : a.includes(b));
  return test(id, text) || (UUID.test(id) && /^[0-9a-fA-F-]+$/.test(text) && test(undashed(id), undashed(text)));
}

/** Every page of a stream listing, checked page by page. */
async function listPages(store: EventStore, options: ListStreamsOptions, limit: number, bound: number) {
  const pages: { items: StreamInfo[]; next?: string }[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.listStreams({ ...options, limit, ...(after === undefined ? {} : { after }) });
    assert.ok(page.items.length <= limit, `a page of ${page.items.length} streams for limit ${limit}`);
    pages.push(page);
    if (page.next === undefined) return pages;
    assert.equal(typeof page.next, 'string');
    assert.ok(pages.length <= bound, `more than ${bound} pages: the cursor does not move on`);
    after = page.next;
  }
}

/** Every page of an event read from `from` on (`next` is where the following page starts). */
async function eventPages<C extends number>(read: (from: C | undefined) => Promise<EventPage>, bound: number): Promise<EventPage[]> {
  const pages: EventPage[] = [];
  let from: C | undefined;
  for (;;) {
    const page = await read(from);
    pages.push(page);
    if (page.next === undefined) return pages;
    assert.equal(typeof page.next, 'number');
    assert.ok(pages.length <= bound, `more than ${bound} pages: the cursor does not move on`);
    from = page.next as C;
  }
}

/** The expected events of a stream as [revision, type] from the model. */
function modelEvents(stream: ModelStream): [number, string][] {
  return stream.types.map((type, i) => [firstOf(stream) + i, type]);
}

const shape = (events: RecordedEvent[]): [number, string][] => events.map((e) => [e.revision, e.type]);

export function describeStoreContract(name: string, setup: () => Promise<ContractSubject>): void {
  describe(`the EventStore contract: ${name}`, function () {
    this.timeout(60_000);
    let subject: ContractSubject | undefined;
    let closed = false;
    /** The whole log as read in the first readAll test (the reference for positions). */
    let log: RecordedEvent[] | undefined;
    const store = () => subject!.store;
    const model = () => subject!.model;
    const wholeLog = async () => {
      if (!log) {
        const pages = await eventPages((from) => store().readAll({ fromPosition: from, limit: 5 }), model().events);
        log = pages.flatMap((p) => p.items);
      }
      return log;
    };

    before(async function () {
      try {
        subject = await setup();
      } catch (error) {
        if (!(error instanceof ContractUnavailable)) throw error;
        console.log(`    (skipped: ${error.message})`);
        this.skip();
      }
      assert.ok(subject.model.streams.length >= 3, 'the model needs at least three streams');
      assert.equal(
        subject.model.events,
        subject.model.streams.reduce((n, s) => n + s.types.length, 0),
        'the model: the events of its streams add up to its total',
      );
    });
    after(async () => {
      if (subject && !closed) await subject.store.close();
      await subject?.cleanup();
    });

    describe('listStreams', () => {
      for (const limit of [1, 2, 3]) {
        it(`pages of ${limit} visit every stream exactly once, with the model's facts, and end without a cursor`, async () => {
          const expected = model().streams;
          const pages = await listPages(store(), {}, limit, expected.length + 1);
          assert.equal(pages.length, Math.max(1, Math.ceil(expected.length / limit)), 'pages (none empty, none after the last)');
          for (const page of pages.slice(0, -1)) assert.equal(page.items.length, limit, 'a page with a cursor is full');
          const ids = pages.flatMap((p) => p.items.map((s) => s.streamId));
          assert.equal(new Set(ids).size, ids.length, `a stream listed twice: ${ids.join(', ')}`);
          const want = expected.map((s) => s.streamId);
          if (model().orderedStreams === false) assert.deepEqual([...ids].sort(), [...want].sort());
          else assert.deepEqual(ids, want);
          const byId = new Map(pages.flatMap((p) => p.items).map((s) => [s.streamId, s]));
          for (const s of expected) {
            const got = byId.get(s.streamId)!;
            assert.deepEqual(
              [got.category, got.count, got.lastRevision, got.firstType],
              [s.category, s.types.length, lastOf(s), s.types[0]],
              `stream ${s.streamId}: category, count, lastRevision, firstType`,
            );
          }
        });
      }

      it('a cursor resumes right after its page, the same way each time it is used', async () => {
        const all = (await listPages(store(), {}, 100, 1)).flatMap((p) => p.items.map((s) => s.streamId));
        for (const limit of [1, 2]) {
          const first = await store().listStreams({ limit });
          assert.ok(first.next !== undefined);
          const again = await store().listStreams({ limit, after: first.next });
          const twice = await store().listStreams({ limit, after: first.next });
          assert.deepEqual(twice, again);
          const rest = await store().listStreams({ limit: 100, after: first.next });
          const seen = [...first.items, ...rest.items].map((s) => s.streamId);
          assert.deepEqual([...seen].sort(), [...all].sort(), `limit ${limit}: the first page and the rest`);
          assert.deepEqual(
            again.items.map((s) => s.streamId),
            rest.items.slice(0, limit).map((s) => s.streamId),
          );
        }
      });

      it('the category filter gives exactly the streams of each category (paged by 1), and an unknown one none', async () => {
        const categories = [...new Set(model().streams.map((s) => s.category))];
        assert.ok(categories.length >= 2, 'the model needs two categories');
        for (const category of categories) {
          const want = model()
            .streams.filter((s) => s.category === category)
            .map((s) => s.streamId);
          const got = (await listPages(store(), { category }, 1, want.length + 1)).flatMap((p) => p.items);
          assert.deepEqual(got.map((s) => s.streamId).sort(), [...want].sort(), `category ${category}`);
          for (const s of got) assert.equal(s.category, category);
        }
        for (const unknown of ['NoSuchCategory', `${categories[0]}x`, categories[0].slice(0, -1)]) {
          if (categories.includes(unknown)) continue;
          assert.deepEqual(await store().listStreams({ category: unknown }), { items: [] }, `category ${unknown}`);
        }
      });

      it('prefix and contains filters give exactly the model’s matches (paged by 1), also with a category', async () => {
        const ids = model().streams.map((s) => s.streamId);
        const probes: { options: ListStreamsOptions; want: string[] }[] = [];
        for (const id of ids) {
          for (const n of [1, 3, 10, id.length]) {
            const prefix = id.slice(0, n);
            probes.push({ options: { prefix }, want: ids.filter((i) => idMatches(i, prefix, 'prefix')) });
          }
          const middle = id.slice(Math.floor(id.length / 2) - 2, Math.floor(id.length / 2) + 2);
          const tail = id.slice(-3);
          for (const contains of [middle, tail])
            probes.push({ options: { contains }, want: ids.filter((i) => idMatches(i, contains, 'contains')) });
          const stream = model().streams.find((s) => s.streamId === id)!;
          probes.push({
            options: { category: stream.category, contains: tail },
            want: model()
              .streams.filter((s) => s.category === stream.category && idMatches(s.streamId, tail, 'contains'))
              .map((s) => s.streamId),
          });
        }
        probes.push({ options: { prefix: 'zz-no-such-stream' }, want: [] }, { options: { contains: 'zz-no-such-stream' }, want: [] });
        assert.ok(
          probes.some((p) => p.want.length > 1) && probes.some((p) => p.want.length === 1),
          'the probes include filters of one and of several streams',
        );
        for (const { options, want } of probes) {
          const got = (await listPages(store(), options, 1, want.length + 1)).flatMap((p) => p.items.map((s) => s.streamId));
          assert.deepEqual([...got].sort(), [...want].sort(), JSON.stringify(options));
        }
      });
    });

    describe('readStream', () => {
      it('forwards in pages of 2 gives the model’s types in order, revisions +1 each, `next` the next page’s first revision and absent at the end', async () => {
        const positions = new Map((await wholeLog()).map((e) => [key(e), e.position]));
        for (const stream of model().streams) {
          const pages = await eventPages(
            (from) => store().readStream(stream.streamId, { limit: 2, ...(from === undefined ? {} : { fromRevision: from }) }),
            stream.types.length,
          );
          assert.equal(pages.length, Math.ceil(stream.types.length / 2), `${stream.streamId}: pages`);
          pages.forEach((page, i) => {
            assert.equal(page.items.length, i < pages.length - 1 ? 2 : stream.types.length - 2 * i);
            if (page.next !== undefined) assert.equal(page.next, pages[i + 1].items[0].revision, `${stream.streamId}: next`);
          });
          const events = pages.flatMap((p) => p.items);
          assert.deepEqual(shape(events), modelEvents(stream), stream.streamId);
          for (const e of events) {
            assert.equal(e.streamId, stream.streamId);
            assert.equal(e.position, positions.get(key(e)), `${key(e)}: its position in the log`);
          }
        }
      });

      it('backwards in pages of 2 gives the reverse, revisions -1 each, and no cursor at the start', async () => {
        for (const stream of model().streams) {
          const pages = await eventPages(
            (from) =>
              store().readStream(stream.streamId, {
                direction: 'backwards',
                limit: 2,
                ...(from === undefined ? {} : { fromRevision: from }),
              }),
            stream.types.length,
          );
          assert.equal(pages.length, Math.ceil(stream.types.length / 2), `${stream.streamId}: pages`);
          pages.forEach((page, i) => {
            if (page.next !== undefined) assert.equal(page.next, pages[i + 1].items[0].revision, `${stream.streamId}: next`);
          });
          assert.deepEqual(shape(pages.flatMap((p) => p.items)), modelEvents(stream).reverse(), stream.streamId);
        }
      });

      it('fromRevision is inclusive both ways, at every revision; forwards past the end is an empty page', async () => {
        for (const stream of model().streams) {
          const all = modelEvents(stream);
          for (let i = 0; i < all.length; i++) {
            const revision = all[i][0];
            const forwards = await store().readStream(stream.streamId, { fromRevision: revision, limit: 100 });
            assert.deepEqual(shape(forwards.items), all.slice(i), `${stream.streamId} forwards from ${revision}`);
            assert.equal(forwards.next, undefined);
            const backwards = await store().readStream(stream.streamId, { fromRevision: revision, direction: 'backwards', limit: 100 });
            assert.deepEqual(shape(backwards.items), all.slice(0, i + 1).reverse(), `${stream.streamId} backwards from ${revision}`);
            assert.equal(backwards.next, undefined);
            const one = await store().readStream(stream.streamId, { fromRevision: revision, limit: 1 });
            assert.deepEqual(shape(one.items), [all[i]]);
            assert.equal(one.next, i + 1 < all.length ? all[i + 1][0] : undefined, `${stream.streamId} from ${revision}, limit 1: next`);
          }
          const past = await store().readStream(stream.streamId, { fromRevision: lastOf(stream) + 1 });
          assert.deepEqual(past, { items: [] }, `${stream.streamId} forwards past the end`);
        }
      });

      it('a types filter keeps only those types, in order, both ways, by full type and by its last part (paged by 1)', async () => {
        let tried = 0;
        for (const stream of model().streams) {
          const all = modelEvents(stream);
          for (const type of new Set(stream.types)) {
            for (const filter of [[type], [shortType(type)]]) {
              const matches = (t: string) => (filter[0] === type ? t === type : shortType(t) === filter[0]);
              const want = all.filter(([, t]) => matches(t));
              for (const direction of ['forwards', 'backwards'] as const) {
                const read = (from: number | undefined) =>
                  store().readStream(stream.streamId, {
                    types: filter,
                    direction,
                    limit: 1,
                    ...(from === undefined ? {} : { fromRevision: from }),
                  });
                const got = (await eventPages(read, all.length + 1)).flatMap((p) => p.items);
                assert.deepEqual(
                  shape(got),
                  direction === 'forwards' ? want : [...want].reverse(),
                  `${stream.streamId} ${direction} ${filter}`,
                );
              }
              tried++;
            }
          }
          const other = await store().readStream(stream.streamId, { types: ['NoSuchEventType'] });
          assert.deepEqual(other.items, [], `${stream.streamId}: a type it does not have`);
        }
        assert.ok(tried >= 4);
        const mixed = model().streams.find((s) => new Set(s.types).size >= 3)!;
        assert.ok(mixed, 'the model needs a stream of three types');
        const two = [...new Set(mixed.types)].slice(0, 2);
        const page = await store().readStream(mixed.streamId, { types: two, limit: 100 });
        assert.deepEqual(
          shape(page.items),
          modelEvents(mixed).filter(([, t]) => two.includes(t)),
          'two types at once',
        );
      });

      it('a stream that is not there rejects with "There is no stream", whatever the options', async () => {
        const missing = ['00000000-0000-4000-8000-00000000dead', 'NoSuchStream-0'];
        const options: ReadStreamOptions[] = [
          {},
          { direction: 'backwards' },
          { fromRevision: 1 },
          { fromRevision: 2, direction: 'backwards' },
          { types: ['x'] },
        ];
        for (const id of missing) {
          for (const o of options) {
            await assert.rejects(
              store().readStream(id, o),
              (error: unknown) => {
                assert.ok(error instanceof EventscopeError, `${id} ${JSON.stringify(o)}: ${String(error)}`);
                assert.ok(error.message.includes(`There is no stream "${id}"`), error.message);
                return true;
              },
              `${id} ${JSON.stringify(o)}`,
            );
          }
        }
      });
    });

    describe('readAll', () => {
      for (const limit of [1, 4, 7]) {
        it(`pages of ${limit} cover every event once, positions strictly increasing, each stream in revision order`, async () => {
          const pages = await eventPages((from) => store().readAll({ fromPosition: from, limit }), model().events + 1);
          // A log may hold events a store leaves out (KurrentDB: system events, snapshots), so a page
          // may be short and `next` may point past the next event shown; but no page follows the last event.
          pages.forEach((page, i) => {
            assert.ok(page.items.length <= limit, `a page of ${page.items.length} events for limit ${limit}`);
            if (page.next === undefined) return;
            const last = page.items[page.items.length - 1];
            if (last) assert.ok(page.next > last.position, `next ${page.next} after position ${last.position}`);
            const following = pages[i + 1].items[0];
            if (following) assert.ok(page.next <= following.position, `next ${page.next} not past position ${following.position}`);
          });
          assert.ok(pages[pages.length - 1].items.length > 0, 'a page after the last event (its cursor should have been absent)');
          const events = pages.flatMap((p) => p.items);
          assert.equal(events.length, model().events);
          assert.equal(new Set(events.map(key)).size, events.length, 'an event read twice');
          for (let i = 1; i < events.length; i++)
            assert.ok(events[i].position > events[i - 1].position, `position ${events[i].position} after ${events[i - 1].position}`);
          assert.ok(events[0].position >= 1);
          for (const stream of model().streams) {
            assert.deepEqual(shape(events.filter((e) => e.streamId === stream.streamId)), modelEvents(stream), stream.streamId);
          }
          const known = model().log;
          if (known)
            assert.deepEqual(
              events.map((e) => [e.streamId, e.type]),
              known.map((e) => [e.streamId, e.type]),
              'the global order',
            );
          assert.deepEqual(events, await wholeLog(), 'the same events whatever the page size');
        });
      }

      it('fromPosition resumes exactly at that event, from every position (and in pages from the middle)', async () => {
        const all = await wholeLog();
        for (let i = 0; i < all.length; i++) {
          const page = await store().readAll({ fromPosition: all[i].position, limit: 1000 });
          assert.deepEqual(page.items.map(key), all.slice(i).map(key), `from position ${all[i].position}`);
          assert.equal(page.next, undefined);
        }
        const middle = Math.floor(all.length / 2);
        const pages = await eventPages((from) => store().readAll({ fromPosition: from ?? all[middle].position, limit: 3 }), all.length);
        assert.deepEqual(
          pages.flatMap((p) => p.items),
          all.slice(middle),
        );
        const past = await store().readAll({ fromPosition: all[all.length - 1].position + 1 });
        assert.deepEqual(past, { items: [] }, 'from past the head');
      });

      it('backwards: newest first in pages of 2 from the head, and from any position (inclusive, also one that is no event’s)', async () => {
        const all = await wholeLog();
        const reversed = [...all].reverse();
        const pages = await eventPages((from) => store().readAll({ fromPosition: from, limit: 2, direction: 'backwards' }), all.length + 1);
        assert.deepEqual(pages.flatMap((p) => p.items).map(key), reversed.map(key));
        assert.equal(pages[pages.length - 1].next, undefined, 'no cursor past the first event');
        for (const i of [0, Math.floor(all.length / 2), all.length - 1]) {
          const page = await store().readAll({ fromPosition: all[i].position, limit: 3, direction: 'backwards' });
          assert.deepEqual(
            page.items.map(key),
            all
              .slice(Math.max(0, i - 2), i + 1)
              .reverse()
              .map(key),
            `from position ${all[i].position}`,
          );
        }
        const middle = Math.floor(all.length / 2);
        if (all[middle].position + 1 < all[middle + 1].position) {
          const between = await store().readAll({ fromPosition: all[middle].position + 1, limit: 2, direction: 'backwards' });
          assert.deepEqual(between.items.map(key), [all[middle], all[middle - 1]].map(key), 'from between two events');
        }
        const past = await store().readAll({ fromPosition: all[all.length - 1].position + 1000, limit: 1, direction: 'backwards' });
        assert.deepEqual(past.items.map(key), [key(all[all.length - 1])], 'from past the head: the last event');
        const typed = await store().readAll({ types: [all[0].type], direction: 'backwards', limit: 1000 });
        assert.deepEqual(typed.items.map(key), reversed.filter((e) => e.type === all[0].type).map(key), 'with a types filter');
      });

      it('a types filter keeps exactly those events, in log order (by full type, last part, two types; paged by 2)', async () => {
        const all = await wholeLog();
        const types = [...new Set(all.map((e) => e.type))];
        const filters = [...types.map((t) => [t]), [...new Set(types.map(shortType))].slice(0, 1), types.slice(0, 2), ['NoSuchEventType']];
        for (const filter of filters) {
          const matches = (t: string) => filter.some((k) => t === k || shortType(t) === k);
          const got = (
            await eventPages((from) => store().readAll({ types: filter, fromPosition: from, limit: 2 }), all.length + 1)
          ).flatMap((p) => p.items);
          assert.deepEqual(got.map(key), all.filter((e) => matches(e.type)).map(key), JSON.stringify(filter));
        }
      });
    });

    describe('categories, head and info', () => {
      const expectedCategories = () => {
        const counts = new Map<string, number>();
        for (const s of model().streams) counts.set(s.category, (counts.get(s.category) ?? 0) + 1);
        return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      };
      const sorted = (categories: { name: string; streams: number }[]) =>
        categories.map((c): [string, number] => [c.name, c.streams]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

      it('categories() names each category of the model once, with its number of streams', async () => {
        const categories = await store().categories();
        assert.equal(new Set(categories.map((c) => c.name)).size, categories.length);
        assert.deepEqual(sorted(categories), expectedCategories());
      });

      it('headPosition() is the position of the last event of the log', async () => {
        const all = await wholeLog();
        assert.equal(await store().headPosition(), all[all.length - 1].position);
      });

      it('info() counts the model’s events and streams, with the same head and categories', async () => {
        const info = await store().info();
        assert.equal(info.events, model().events);
        assert.equal(info.streams, model().streams.length);
        assert.equal(info.headPosition, await store().headPosition());
        assert.deepEqual(sorted(info.categories), expectedCategories());
        assert.equal(info.location, store().location);
      });
    });

    describe('new events (appended by the backend’s own means)', () => {
      before(function () {
        if (!subject?.append) this.skip();
      });

      it('grow the head; the log from the old head on, the stream and the listing show exactly them', async () => {
        const [a, b] = [...model().streams].sort((x, y) => y.types.length - x.types.length);
        const oldHead = await store().headPosition();
        const before = new Map((await listPages(store(), {}, 100, 1)).flatMap((p) => p.items).map((s) => [s.streamId, s]));
        const typeA = a.types[a.types.length - 1];
        const typeB = b.types[0];

        await subject!.append!(a.streamId, typeA);
        const head = await store().headPosition();
        assert.ok(head > oldHead, `the head ${head} after ${oldHead}`);
        const tail = await store().readAll({ fromPosition: oldHead + 1 });
        assert.deepEqual(
          tail.items.map((e) => [e.streamId, e.revision, e.type, e.position]),
          [[a.streamId, lastOf(a) + 1, typeA, head]],
        );
        assert.equal(tail.next, undefined);
        const last = await store().readStream(a.streamId, { direction: 'backwards', limit: 1 });
        assert.deepEqual(shape(last.items), [[lastOf(a) + 1, typeA]]);
        assert.equal(last.items[0].position, head);
        assert.equal(last.next, lastOf(a));
        const forwards = await store().readStream(a.streamId, { fromRevision: lastOf(a), limit: 100 });
        assert.deepEqual(shape(forwards.items), [
          [lastOf(a), typeA],
          [lastOf(a) + 1, typeA],
        ]);

        await subject!.append!(b.streamId, typeB);
        const head2 = await store().headPosition();
        assert.ok(head2 > head);
        const both = await store().readAll({ fromPosition: oldHead + 1, limit: 1 });
        assert.deepEqual(
          both.items.map((e) => [e.streamId, e.revision]),
          [[a.streamId, lastOf(a) + 1]],
        );
        assert.equal(both.next, head2, 'next: the second new event');
        const rest = await store().readAll({ fromPosition: both.next });
        assert.deepEqual(
          rest.items.map((e) => [e.streamId, e.revision, e.type, e.position]),
          [[b.streamId, lastOf(b) + 1, typeB, head2]],
        );
        const typed = await store().readAll({ fromPosition: oldHead + 1, types: [typeB] });
        assert.deepEqual(
          typed.items.map(key),
          typeA === typeB ? [`${a.streamId}@${lastOf(a) + 1}`, `${b.streamId}@${lastOf(b) + 1}`] : [`${b.streamId}@${lastOf(b) + 1}`],
        );

        const after = (await listPages(store(), {}, 2, model().streams.length + 1)).flatMap((p) => p.items);
        assert.equal(after.length, before.size, 'no stream added or lost');
        for (const s of after) {
          const grew = s.streamId === a.streamId || s.streamId === b.streamId ? 1 : 0;
          const old = before.get(s.streamId)!;
          assert.deepEqual([s.count, s.lastRevision], [old.count + grew, old.lastRevision + grew], s.streamId);
        }
        const info = await store().info();
        assert.equal(info.events, model().events + 2);
        assert.equal(info.headPosition, head2);
      });
    });

    describe('close()', () => {
      it('then every read rejects with an EventscopeError (no crash, no reconnect)', async () => {
        await store().close();
        closed = true;
        const reads: [string, () => Promise<unknown>][] = [
          ['readAll', () => store().readAll()],
          ['readStream', () => store().readStream(model().streams[0].streamId)],
          ['listStreams', () => store().listStreams()],
          ['headPosition', () => store().headPosition()],
          ['categories', () => store().categories()],
          ['info', () => store().info()],
        ];
        for (const [what, read] of reads) {
          await assert.rejects(read(), (error: unknown) => {
            assert.ok(error instanceof EventscopeError, `${what}: ${String(error)}`);
            return true;
          });
        }
      });
    });
  });
}
