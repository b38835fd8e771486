/**
 * The Redis streams store against a real redis-server (helpers/redisServer.ts: a throwaway server
 * on a free port, no persistence): streams found with SCAN and paged with opaque cursors (within
 * and across SCAN batches), categories from the key, entries as events (type field, parsed JSON
 * values, ids as metadata and timestamps), revisions both ways with seeks from either end, the
 * global log ordered by entry id with stable positions, only read commands sent, and every
 * failure one sentence that names the URL and never the password; a server that dies mid-read
 * fails that call, and the next call after it is back works.
 *
 * Needs redis-server on PATH (Debian: apt-get install redis-server); without it the suite is
 * skipped, saying so.
 */

import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { EventscopeError } from '../src/core/errors';
import type { RecordedEvent, StreamInfo } from '../src/core/events';
import { freePort } from '../src/core/freePort';
import { RedisStreamsStore, type RedisStreamsOptions } from '../src/core/stores/redisStreams';
import { pagesOf, type EventPage } from '../src/core/stores/types';
import { NO_REDIS, redisServerProgram, startRedis, type RedisServer } from './helpers/redisServer';
import { runCli } from './helpers/cli';
import { openStore } from '../src/core/stores/open';

type Client = ReturnType<typeof createClient>;

async function connectTo(server: RedisServer, db = 0): Promise<Client> {
  const client = createClient({
    url: `${server.url}/${db}`,
    ...(server.password !== undefined ? { password: server.password } : {}),
    socket: { reconnectStrategy: false },
  });
  client.on('error', () => undefined); // a killed server: the test's own calls fail instead
  await client.connect();
  return client;
}

async function xadd(client: Client, key: string, id: string, fields: Record<string, string>): Promise<void> {
  await client.sendCommand(['XADD', key, id, ...Object.entries(fields).flat()]);
}

async function all<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...page);
  return out;
}

/** Every page of a read, as read (to check each page and its `next`). */
async function pagesUntilEnd<C>(read: (cursor: C | undefined) => Promise<{ items: unknown[]; next?: C }>) {
  const pages: { items: unknown[]; next?: C }[] = [];
  let cursor: C | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await read(cursor);
    pages.push(page);
    if (page.next === undefined) return pages;
    cursor = page.next;
  }
  throw new Error('more than 100 pages: the cursor does not move on');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The entry id of a fixture entry: milliseconds after T, sequence. */
const T = 1_700_000_000_000;
const at = (ms: number, seq = 0) => `${T + ms}-${seq}`;

/** Database 0: four streams, interleaved in time (BankAccount-1 and Dog-1 share a millisecond), and a key that is no stream. */
async function loadBank(client: Client): Promise<void> {
  await xadd(client, 'BankAccount-1', at(0), { type: 'Opened', owner: 'Dana', balance: '0' });
  await xadd(client, 'BankAccount-2', at(1), { type: 'Opened', owner: 'Lee' });
  await xadd(client, 'Dog-1', at(2), { event_type: 'Born', name: 'Rex' });
  await xadd(client, 'BankAccount-1', at(3), { type: 'Credited', amount: '100' });
  await xadd(client, 'Dog-1', at(3), { event_type: 'Barked', loud: 'true' });
  await xadd(client, 'BankAccount-2', at(4), { type: 'Credited', amount: '7' });
  await xadd(client, 'orders:7', at(5, 1), { type: 'OrderPlaced', total: '12.5' });
  await xadd(client, 'BankAccount-1', at(6), { type: 'Debited', amount: '30', code: '007' });
  await xadd(client, 'BankAccount-2', at(7), { note: 'no type here' });
  await xadd(client, 'BankAccount-1', at(9), {
    type: 'Credited',
    amount: '5',
    meta: '{"by":"atm","tags":["a",1],"big":12345678901234567890}',
    flag: 'false',
    raw: '{not json',
    quoted: '"x"',
  });
  await client.sendCommand(['SET', 'greeting', 'hello']);
}

/** The global order of database 0 by entry id, ties by key: [stream, revision]. */
const BANK_ORDER: [string, number][] = [
  ['BankAccount-1', 1],
  ['BankAccount-2', 1],
  ['Dog-1', 1],
  ['BankAccount-1', 2],
  ['Dog-1', 2],
  ['BankAccount-2', 2],
  ['orders:7', 1],
  ['BankAccount-1', 3],
  ['BankAccount-2', 3],
  ['BankAccount-1', 4],
];

const streamsOf = (store: RedisStreamsStore, options = {}, pageSize = 1) =>
  all(pagesOf((after: string | undefined, limit) => store.listStreams({ ...options, after, limit }), { pageSize }));
const ids = (streams: StreamInfo[]) => streams.map((s) => s.streamId);
const revs = (page: EventPage) => page.items.map((e) => e.revision);

describe('Redis streams (a real redis-server)', function () {
  this.timeout(120_000);
  let server: RedisServer | undefined;
  let client: Client;
  const stores: RedisStreamsStore[] = [];
  const open = (db = 0, options: RedisStreamsOptions = {}) => {
    const store = new RedisStreamsStore(`${server!.url}/${db}`, options);
    stores.push(store);
    return store;
  };

  before(async function () {
    if (!redisServerProgram()) {
      console.log(`    ${NO_REDIS}`);
      this.skip();
    }
    server = await startRedis();
    client = await connectTo(server!);
    await loadBank(client);
    // Database 1: 2,500 streams (more than one SCAN batch) and one stream of 2,500 entries.
    const many = await connectTo(server!, 1);
    for (let i = 0; i < 2500; i += 250) {
      await Promise.all(
        Array.from({ length: 250 }, (_, j) => xadd(many, `Many-${String(i + j).padStart(4, '0')}`, '1-0', { type: 'Created' })),
      );
      await Promise.all(
        Array.from({ length: 250 }, (_, j) => xadd(many, 'Long-1', `${i + j + 1}-0`, { type: 'Step', n: String(i + j + 1) })),
      );
    }
    await many.close();
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });
  after(async () => {
    if (client?.isOpen) await client.close();
    await server?.stop();
  });

  it('lists every stream once, one a page, following the opaque cursor; each with its count, category and first type', async () => {
    const store = open();
    const pages = await pagesUntilEnd((after: string | undefined) => store.listStreams({ after, limit: 1 }));
    assert.deepEqual(
      pages.map((p) => p.items.length),
      [1, 1, 1, 1],
    );
    assert.equal(pages[3].next, undefined);
    const listed = pages.flatMap((p) => p.items as StreamInfo[]);
    assert.deepEqual(ids(listed).sort(), ['BankAccount-1', 'BankAccount-2', 'Dog-1', 'orders:7']);
    // One page of them all: sorted by key, the key that is no stream left out.
    const one = await store.listStreams();
    assert.equal(one.next, undefined);
    assert.deepEqual(one.items, [
      { streamId: 'BankAccount-1', category: 'BankAccount', count: 4, lastRevision: 4, firstType: 'Opened' },
      { streamId: 'BankAccount-2', category: 'BankAccount', count: 3, lastRevision: 3, firstType: 'Opened' },
      { streamId: 'Dog-1', category: 'Dog', count: 2, lastRevision: 2, firstType: 'Born' },
      { streamId: 'orders:7', category: 'orders', count: 1, lastRevision: 1, firstType: 'OrderPlaced' },
    ]);
    assert.deepEqual(ids(await streamsOf(store, {}, 3)).sort(), ids(one.items));
    await assert.rejects(store.listStreams({ after: 'not-a-cursor' }), (e: Error) => {
      assert.ok(e instanceof EventscopeError);
      assert.equal(e.message, 'The cursor "not-a-cursor" is not one this store handed out.');
      return true;
    });
  });

  it('filters streams by category (before the first - or :), prefix and contained text, glob characters taken literally', async () => {
    const store = open();
    assert.deepEqual(ids(await streamsOf(store, { category: 'BankAccount' })), ['BankAccount-1', 'BankAccount-2']);
    assert.deepEqual(ids(await streamsOf(store, { category: 'orders' })), ['orders:7']);
    assert.deepEqual(await streamsOf(store, { category: 'Bank' }), []);
    assert.deepEqual(ids(await streamsOf(store, { prefix: 'Dog-' })), ['Dog-1']);
    assert.deepEqual(ids((await store.listStreams({ prefix: 'Bank' })).items), ['BankAccount-1', 'BankAccount-2']);
    assert.deepEqual(ids((await store.listStreams({ contains: 'count-2' })).items), ['BankAccount-2']);
    assert.deepEqual(ids((await store.listStreams({ prefix: 'Bank', contains: '-1' })).items), ['BankAccount-1']);
    assert.deepEqual((await store.listStreams({ prefix: 'Bank*' })).items, []);
    assert.deepEqual((await store.listStreams({ contains: '?' })).items, []);
    assert.deepEqual(await store.categories(), [
      { name: 'BankAccount', streams: 2 },
      { name: 'Dog', streams: 1 },
      { name: 'orders', streams: 1 },
    ]);
  });

  it('pages 2,500 streams of database 1 (several SCAN batches) 333 at a time: each once, each page sorted', async () => {
    const store = open(1);
    const pages = await pagesUntilEnd((after: string | undefined) => store.listStreams({ after, limit: 333 }));
    const listed = ids(pages.flatMap((p) => p.items as StreamInfo[]));
    assert.equal(listed.length, 2501);
    assert.equal(new Set(listed).size, 2501);
    assert.deepEqual(
      pages.map((p) => p.items.length),
      [333, 333, 333, 333, 333, 333, 333, 170],
    );
    for (const page of pages) {
      const keys = ids(page.items as StreamInfo[]);
      assert.deepEqual(keys, [...keys].sort());
    }
    const category = await streamsOf(store, { category: 'Many' }, 1000);
    assert.equal(category.length, 2500);
    assert.deepEqual(await store.categories(), [
      { name: 'Long', streams: 1 },
      { name: 'Many', streams: 2500 },
    ]);
  });

  it('reads an entry as an event: type field, JSON values parsed, strings kept, entry id and its time', async () => {
    const store = open();
    const page = await store.readStream('BankAccount-1', { fromRevision: 4 });
    assert.equal(page.next, undefined);
    const [event] = page.items;
    assert.deepEqual(event, {
      streamId: 'BankAccount-1',
      revision: 4,
      position: 10,
      type: 'Credited',
      timestamp: new Date(T + 9).toISOString(),
      data: { amount: 5, meta: { by: 'atm', tags: ['a', 1], big: 12345678901234567890n }, flag: false, raw: '{not json', quoted: '"x"' },
      metadata: { id: at(9) },
      kinds: {},
    } satisfies RecordedEvent);
    const debited = (await store.readStream('BankAccount-1', { fromRevision: 3, limit: 1 })).items[0];
    assert.deepEqual(debited.data, { amount: 30, code: '007' });
    // No `type` field: `event_type`, else "(untyped)" with every field as data.
    assert.deepEqual(
      (await store.readStream('Dog-1')).items.map((e) => [e.type, e.data]),
      [
        ['Born', { name: 'Rex' }],
        ['Barked', { loud: true }],
      ],
    );
    const untyped = (await store.readStream('BankAccount-2', { fromRevision: 3 })).items[0];
    assert.deepEqual([untyped.type, untyped.data], ['(untyped)', { note: 'no type here' }]);
    // typeField: only that field names the type.
    const byEventType = open(0, { typeField: 'event_type' });
    assert.deepEqual(
      (await byEventType.readStream('BankAccount-1', { limit: 1 })).items.map((e) => [e.type, e.data]),
      [['(untyped)', { type: 'Opened', owner: 'Dana', balance: 0 }]],
    );
    assert.equal((await byEventType.readStream('Dog-1')).items[1].type, 'Barked');
  });

  it('reads a stream forwards and backwards in pages, with revisions, next and a type filter', async () => {
    const store = open();
    const forwards = await pagesUntilEnd((from: number | undefined) => store.readStream('BankAccount-1', { fromRevision: from, limit: 2 }));
    assert.deepEqual(
      forwards.map((p) => [(p.items as RecordedEvent[]).map((e) => [e.revision, e.type]), p.next]),
      [
        [
          [
            [1, 'Opened'],
            [2, 'Credited'],
          ],
          3,
        ],
        [
          [
            [3, 'Debited'],
            [4, 'Credited'],
          ],
          undefined,
        ],
      ],
    );
    const backwards = await pagesUntilEnd((from: number | undefined) =>
      store.readStream('BankAccount-1', { direction: 'backwards', fromRevision: from, limit: 3 }),
    );
    assert.deepEqual(
      backwards.map((p) => [(p.items as RecordedEvent[]).map((e) => e.revision), p.next]),
      [
        [[4, 3, 2], 1],
        [[1], undefined],
      ],
    );
    assert.deepEqual(revs(await store.readStream('BankAccount-1', { direction: 'backwards', fromRevision: 99, limit: 1 })), [4]);
    assert.deepEqual(await store.readStream('BankAccount-1', { fromRevision: 5 }), { items: [] });
    // Types: by the exact type; pages count matching events only.
    assert.deepEqual(revs(await store.readStream('BankAccount-1', { types: ['Credited'] })), [2, 4]);
    const first = await store.readStream('BankAccount-1', { types: ['Credited'], limit: 1 });
    assert.deepEqual([revs(first), first.next], [[2], 4]);
    assert.deepEqual(revs(await store.readStream('BankAccount-1', { types: ['Credited'], limit: 1, fromRevision: first.next })), [4]);
    assert.deepEqual(revs(await store.readStream('BankAccount-1', { types: ['Credited', 'Opened'], direction: 'backwards' })), [4, 2, 1]);
    assert.deepEqual(revs(await store.readStream('BankAccount-1', { types: ['Nothing'] })), []);
  });

  it('finds any revision of a long stream (walking from the nearer end), and pages on from a boundary it remembers', async () => {
    for (const [from, direction] of [
      [1200, 'forwards'],
      [1700, 'forwards'],
      [2400, 'backwards'],
      [2499, 'forwards'],
    ] as const) {
      const store = open(1); // a new store each time: nothing remembered
      const page = await store.readStream('Long-1', { fromRevision: from, direction, limit: 3 });
      const step = direction === 'forwards' ? 1 : -1;
      const expected = [from, from + step, from + 2 * step].filter((r) => r <= 2500);
      assert.deepEqual(
        page.items.map((e) => [e.revision, e.data.n, e.metadata.id]),
        expected.map((r) => [r, r, `${r}-0`]),
      );
    }
    const store = open(1);
    const all1000 = await all(
      pagesOf((from: number | undefined, limit) => store.readStream('Long-1', { fromRevision: from, limit }), { pageSize: 1000 }),
    );
    assert.deepEqual(
      all1000.map((e) => e.data.n),
      Array.from({ length: 2500 }, (_, i) => i + 1),
    );
  });

  it('merges all streams into one log by entry id (ties by key): positions 1..N, paged, the same in readStream; headPosition and info', async () => {
    const store = open();
    const pages = await pagesUntilEnd((from: number | undefined) => store.readAll({ fromPosition: from, limit: 3 }));
    assert.deepEqual(
      pages.map((p) => [p.items.length, p.next]),
      [
        [3, 4],
        [3, 7],
        [3, 10],
        [1, undefined],
      ],
    );
    const log = pages.flatMap((p) => p.items as RecordedEvent[]);
    assert.deepEqual(
      log.map((e) => [e.streamId, e.revision]),
      BANK_ORDER,
    );
    assert.deepEqual(
      log.map((e) => e.position),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    // The same events, read stream by stream, carry the same positions.
    for (const key of ['BankAccount-1', 'BankAccount-2', 'Dog-1', 'orders:7']) {
      const events = (await open().readStream(key)).items;
      assert.deepEqual(
        events,
        log.filter((e) => e.streamId === key),
      );
    }
    const credited = await store.readAll({ types: ['Credited'], limit: 2 });
    assert.deepEqual(
      credited.items.map((e) => [e.streamId, e.position]),
      [
        ['BankAccount-1', 4],
        ['BankAccount-2', 6],
      ],
    );
    assert.equal(credited.next, 10);
    assert.deepEqual(await store.readAll({ fromPosition: 11 }), { items: [] });
    assert.equal(await store.headPosition(), 10);
    const info = await store.info();
    assert.match(info.engine, /^redis \d+\.\d+\.\d+$/);
    assert.deepEqual(
      { ...info, engine: 'redis x' },
      {
        kind: 'redis-streams',
        location: `${server!.url}/0`,
        engine: 'redis x',
        openMode: 'read-only',
        warnings: [],
        tables: [],
        events: 10,
        streams: 4,
        snapshots: 0,
        headPosition: 10,
        encoding: { compression: 'none', encrypted: false },
        categories: [
          { name: 'BankAccount', streams: 2 },
          { name: 'Dog', streams: 1 },
          { name: 'orders', streams: 1 },
        ],
        checkpoints: [],
      },
    );
    assert.deepEqual(await store.snapshots('BankAccount-1'), []);
    assert.deepEqual(await store.checkpoints(10), []);
  });

  it('keeps positions as entries are appended, and renumbers after a deletion (database 2)', async () => {
    const writer = await connectTo(server!, 2);
    try {
      for (let i = 1; i <= 5; i++) await xadd(writer, 'Cat-1', `${i * 10}-0`, { type: 'Meowed', n: String(i) });
      await xadd(writer, 'Cat-2', '15-0', { type: 'Meowed', n: '100' });
      const store = open(2);
      const before = await all(pagesOf((from: number | undefined, limit) => store.readAll({ fromPosition: from, limit }), { pageSize: 2 }));
      assert.deepEqual(
        before.map((e) => [e.streamId, e.data.n, e.position]),
        [
          ['Cat-1', 1, 1],
          ['Cat-2', 100, 2],
          ['Cat-1', 2, 3],
          ['Cat-1', 3, 4],
          ['Cat-1', 4, 5],
          ['Cat-1', 5, 6],
        ],
      );
      const first = await store.readStream('Cat-1', { limit: 2 });
      assert.equal(first.next, 3);
      // New entries later in time: appended, earlier positions unchanged.
      await xadd(writer, 'Cat-2', '60-0', { type: 'Purred', n: '101' });
      await xadd(writer, 'Cat-3', '70-0', { type: 'Born', n: '200' });
      assert.equal(await store.headPosition(), 8);
      const tail = await store.readAll({ fromPosition: 6 });
      assert.deepEqual(
        tail.items.map((e) => [e.streamId, e.data.n, e.position]),
        [
          ['Cat-1', 5, 6],
          ['Cat-2', 101, 7],
          ['Cat-3', 200, 8],
        ],
      );
      const purred = (await store.readStream('Cat-2', { fromRevision: 2 })).items[0];
      assert.deepEqual([purred.revision, purred.position], [2, 7]);
      // A deleted entry: the revisions after it (and positions) move down; the page boundary remembered before is not used.
      await writer.sendCommand(['XDEL', 'Cat-1', '20-0']);
      const third = await store.readStream('Cat-1', { fromRevision: first.next, limit: 1 });
      assert.deepEqual(
        third.items.map((e) => [e.revision, e.data.n, e.position]),
        [[3, 4, 4]],
      );
      assert.deepEqual(
        (await store.readAll({ fromPosition: 3, limit: 2 })).items.map((e) => [e.streamId, e.data.n]),
        [
          ['Cat-1', 3],
          ['Cat-1', 4],
        ],
      );
    } finally {
      await writer.close();
    }
  });

  it('refuses a log larger than maxLogEntries in one sentence; single streams still read (position 0: unknown)', async () => {
    const store = open(0, { maxLogEntries: 9 });
    await assert.rejects(store.readAll(), (e: Error) => {
      assert.ok(e instanceof EventscopeError);
      assert.equal(
        e.message,
        `${server!.url}/0 holds 10 stream entries, more than the 9 Eventscope merges into one log; read its streams one by one instead.`,
      );
      return true;
    });
    const page = await store.readStream('Dog-1');
    assert.deepEqual(
      page.items.map((e) => [e.revision, e.position]),
      [
        [1, 0],
        [2, 0],
      ],
    );
    assert.equal((await open(0, { maxLogEntries: 10 }).readAll()).items.length, 10);
  });

  it('sends only read commands (no command the server flags "write")', async () => {
    const stats = async () => {
      const counts = new Map<string, number>();
      for (const m of String(await client.sendCommand(['INFO', 'commandstats'])).matchAll(/^cmdstat_(\S+):calls=(\d+)/gm))
        counts.set(m[1], Number(m[2]));
      return counts;
    };
    const before = await stats();
    const store = open();
    await store.info();
    await streamsOf(store, { category: 'BankAccount' });
    await store.readStream('BankAccount-1', { fromRevision: 3, limit: 1 });
    await store.readStream('BankAccount-1', { direction: 'backwards', types: ['Credited'] });
    await store.readAll({ limit: 4 });
    await store.headPosition();
    await store.categories();
    await assert.rejects(store.readStream('greeting'));
    await store.close();
    const after = await stats();
    const used = [...after].filter(([name, calls]) => calls > (before.get(name) ?? 0)).map(([name]) => name);
    for (const command of ['scan', 'xinfo|stream', 'xrange', 'xrevrange', 'xlen', 'type']) assert.ok(used.includes(command), command);
    for (const name of used) {
      const [[, , flags]] = (await client.sendCommand(['COMMAND', 'INFO', name])) as [[string, number, string[]]];
      assert.ok(!flags.includes('write'), `${name} is a write command`);
    }
  });

  it('says in one sentence that a stream is missing, that a key is no stream, and that a server is unreachable', async () => {
    const store = open();
    const url = `${server!.url}/0`;
    await assert.rejects(store.readStream('Cat-9'), { name: 'EventscopeError', message: `There is no stream "Cat-9" in ${url}.` });
    await assert.rejects(store.readStream('greeting'), {
      name: 'EventscopeError',
      message: `The key "greeting" in ${url} is a string, not a stream.`,
    });
    await assert.rejects(store.readStream('Dog-1', { limit: 0 }), { message: 'The page limit must be a positive integer (got 0).' });
    const port = await freePort();
    const nowhere = new RedisStreamsStore(`redis://127.0.0.1:${port}`);
    stores.push(nowhere);
    for (const call of [() => nowhere.listStreams(), () => nowhere.info(), () => nowhere.readAll()]) {
      await assert.rejects(call(), (e: Error) => {
        assert.ok(e instanceof EventscopeError);
        assert.equal(e.message, `Can't reach Redis at redis://127.0.0.1:${port}: connection refused.`);
        return true;
      });
    }
    assert.throws(() => new RedisStreamsStore('http://127.0.0.1:6379'), {
      name: 'EventscopeError',
      message: '"http://" is not a Redis URL scheme: use redis:// or rediss://.',
    });
    assert.throws(() => new RedisStreamsStore('redis://127.0.0.1:6379/zero'), {
      name: 'EventscopeError',
      message: 'redis://127.0.0.1:6379/zero: the database must be a number (got "zero").',
    });
  });

  it('the CLI, replays and the tree’s opener take it by URL (openStore), and a replay runs over its log', () => {
    const url = `${server!.url}/0`;
    const streams = runCli(['streams', url, '--json']);
    assert.equal(streams.code, 0, streams.stderr);
    assert.deepEqual(
      (JSON.parse(streams.stdout) as { streamId: string }[]).map((s) => s.streamId),
      ['BankAccount-1', 'BankAccount-2', 'Dog-1', 'orders:7'],
    );
    const log = runCli(['log', url, '--json']);
    assert.deepEqual(
      (JSON.parse(log.stdout) as { streamId: string; revision: number }[]).map((e) => [e.streamId, e.revision]),
      BANK_ORDER,
    );
    const replay = runCli(['replay', url, '--json']);
    assert.equal(replay.code, 0, replay.stderr);
    assert.equal((JSON.parse(replay.stdout) as { steps: number }).steps, BANK_ORDER.length);
    assert.ok(openStore(url) instanceof RedisStreamsStore);
  });
});

describe('Redis streams behind a password (a real redis-server)', function () {
  this.timeout(60_000);
  const password = 'correct horse';
  let server: RedisServer | undefined;
  const stores: RedisStreamsStore[] = [];
  const saved = { EVENTSCOPE_PASSWORD: process.env.EVENTSCOPE_PASSWORD, REDISCLI_AUTH: process.env.REDISCLI_AUTH };

  before(async function () {
    if (!redisServerProgram()) {
      console.log(`    ${NO_REDIS}`);
      this.skip();
    }
    delete process.env.EVENTSCOPE_PASSWORD;
    delete process.env.REDISCLI_AUTH;
    server = await startRedis({ password });
    const client = await connectTo(server!);
    await xadd(client, 'Vault-1', '1-0', { type: 'Locked' });
    await client.close();
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });
  after(async () => {
    for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
    await server?.stop();
  });

  const open = (url: string, options: RedisStreamsOptions = {}) => {
    const store = new RedisStreamsStore(url, options);
    stores.push(store);
    return store;
  };

  it('reads with the password from the URL or the options, and shows it nowhere', async () => {
    const store = open(`redis://:correct%20horse@127.0.0.1:${server!.port}`);
    assert.equal(store.location, server!.url);
    const info = await store.info();
    assert.equal(info.location, server!.url);
    assert.equal(info.events, 1);
    assert.deepEqual(revs(await open(server!.url, { password }).readStream('Vault-1')), [1]);
  });

  it('says the password is wrong, or missing, in one sentence without it', async () => {
    await assert.rejects(open(server!.url, { password: 'battery staple' }).info(), (e: Error) => {
      assert.ok(e instanceof EventscopeError);
      assert.equal(
        e.message,
        `Redis at ${server!.url} refused the password (give it with EVENTSCOPE_PASSWORD or REDISCLI_AUTH; in VS Code, Edit Connection).`,
      );
      return true;
    });
    await assert.rejects(open(`redis://:battery%20staple@127.0.0.1:${server!.port}`).readAll(), (e: Error) => {
      assert.match(e.message, /^Redis at redis:\/\/127\.0\.0\.1:\d+ refused the password /);
      assert.ok(!e.message.includes('battery') && !e.message.includes('horse'), e.message);
      return true;
    });
    await assert.rejects(open(server!.url).listStreams(), {
      name: 'EventscopeError',
      message: `Redis at ${server!.url} asks for a password: give it with EVENTSCOPE_PASSWORD or REDISCLI_AUTH (in VS Code, Edit Connection).`,
    });
  });
});

describe('Redis streams when the server dies (a real redis-server)', function () {
  this.timeout(60_000);
  let server: RedisServer | undefined;
  let store: RedisStreamsStore | undefined;

  before(async function () {
    if (!redisServerProgram()) {
      console.log(`    ${NO_REDIS}`);
      this.skip();
    }
    server = await startRedis();
  });
  after(async () => {
    await store?.close();
    await server?.stop();
  });

  it('fails a read in flight in one sentence, says it is unreachable while down, and reads again once it is back on the same port', async () => {
    let client = await connectTo(server!);
    await xadd(client, 'Cat-1', '1-0', { type: 'Born' });
    store = new RedisStreamsStore(server!.url);
    assert.equal(await store.headPosition(), 1);
    // Pause the server so the next read is surely in flight when it is killed.
    await client.sendCommand(['CLIENT', 'PAUSE', '30000', 'ALL']);
    let settled = false;
    const outcome = store.readStream('Cat-1').then(
      () => ((settled = true), undefined),
      (error: unknown) => ((settled = true), error),
    );
    await sleep(300);
    assert.equal(settled, false);
    await server!.halt();
    const error = await outcome;
    assert.ok(error instanceof EventscopeError, String(error));
    assert.equal(
      error.message,
      `Redis at ${server!.url} closed the connection while reading stream "Cat-1"; it reconnects on the next request.`,
    );
    await assert.rejects(store.headPosition(), {
      name: 'EventscopeError',
      message: `Can't reach Redis at ${server!.url}: connection refused.`,
    });
    await server!.start();
    client = await connectTo(server!);
    await xadd(client, 'Cat-1', '5-0', { type: 'Born' });
    await xadd(client, 'Cat-1', '6-0', { type: 'Meowed' });
    await client.close();
    const page = await store.readStream('Cat-1');
    assert.deepEqual(
      page.items.map((e) => [e.revision, e.type, e.position]),
      [
        [1, 'Born', 1],
        [2, 'Meowed', 2],
      ],
    );
    assert.equal(await store.headPosition(), 2);
  });
});
