/**
 * What the file store (src/core/stores/eventsFileStore.ts) does beyond the shared contract
 * (storeContract.test.ts): which paths open it, the revisions and positions it gives when a file
 * gives none, the sentences that name a bad line, a writer's half-written last line, and a file
 * that changes under it.
 */

import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EventscopeError } from '../src/core/errors';
import { EventsFileStore, isEventsFilePath } from '../src/core/stores/eventsFileStore';
import { openStore } from '../src/core/stores/open';

describe('the .events / JSON lines file store', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const line = (event: Record<string, unknown>) => `${JSON.stringify(event)}\n`;
  const shape = async (store: EventsFileStore) => (await store.readAll()).items.map((e) => [e.streamId, e.revision, e.position, e.type]);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'eventscope-file-store-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('opens for .events, .jsonl and .ndjson paths (and file:// URLs), whatever their case', async () => {
    for (const name of ['a.events', 'b.jsonl', 'c.ndjson', 'D.EVENTS']) {
      const path = file(name, '');
      assert.ok(isEventsFilePath(path));
      for (const location of [path, pathToFileURL(path).href]) {
        const store = openStore(location);
        assert.ok(store instanceof EventsFileStore, location);
        assert.equal(store.location, path);
        assert.deepEqual(await store.readAll(), { items: [] });
        assert.equal(await store.headPosition(), 0);
        await store.close();
      }
    }
    assert.ok(!isEventsFilePath('app.sqlite') && !isEventsFilePath('events.json'));
  });

  it('gives a missing revision the next of its stream and a missing position the line (or one past the event before)', async () => {
    const path = file(
      'defaults.jsonl',
      [
        line({ streamId: 'a-1', type: 'Opened' }),
        line({ streamId: 'b-1', type: 'Opened', revision: 0 }),
        '\n',
        line({ streamId: 'a-1', type: 'Renamed', revision: 7, position: 40 }),
        line({ streamId: 'a-1', type: 'Closed' }),
        line({ streamId: 'b-1', type: 'Closed' }),
      ].join(''),
    );
    const store = new EventsFileStore(path);
    assert.deepEqual(await shape(store), [
      ['a-1', 1, 1, 'Opened'],
      ['b-1', 0, 2, 'Opened'],
      ['a-1', 7, 40, 'Renamed'],
      ['a-1', 8, 41, 'Closed'],
      ['b-1', 1, 42, 'Closed'],
    ]);
    // Revisions with a gap: a read from one that is no event's starts at the next (or, backwards, the one before).
    assert.deepEqual(
      (await store.readStream('a-1', { fromRevision: 3 })).items.map((e) => e.revision),
      [7, 8],
    );
    assert.deepEqual(
      (await store.readStream('a-1', { fromRevision: 3, direction: 'backwards' })).items.map((e) => e.revision),
      [1],
    );
    await store.close();
  });

  it('reads a .events file: created, id and metadata, revisions by stream, positions by place', async () => {
    const path = file(
      'x.events',
      [
        '### BankAccount.Opened  8b79390a-067d-4256-b73f-49fc19028af3',
        'created: 2026-01-01T00:00:00Z',
        'id: e-1',
        'metadata: {"by": "test"}',
        '{"full_name": "Dana", "n": NaN}',
        '### BankAccount.Credited  8b79390a-067d-4256-b73f-49fc19028af3',
        '{"amount": "5.00"}',
      ].join('\n'),
    );
    const store = new EventsFileStore(path);
    const [opened, credited] = (await store.readAll()).items;
    assert.deepEqual(
      [opened.revision, opened.position, opened.timestamp, opened.metadata, opened.kinds],
      [1, 1, '2026-01-01T00:00:00Z', { id: 'e-1', by: 'test' }, { '/n': 'nonfinite' }],
    );
    assert.deepEqual([credited.revision, credited.position, credited.timestamp], [2, 2, null]);
    // A UUID stream answers to its id without dashes too.
    assert.equal((await store.readStream('8B79390A067D4256B73F49FC19028AF3')).items.length, 2);
    // What a reader does with an event does not change the next read.
    opened.data.full_name = 'changed';
    assert.equal((await store.readAll({ limit: 1 })).items[0].data.full_name, 'Dana');
    assert.deepEqual(await store.categories(), [{ name: 'BankAccount', streams: 1 }]);
    await store.close();
  });

  it('refuses a file that contradicts itself, naming the line', async () => {
    const cases: [string, string, RegExp][] = [
      [
        'order.jsonl',
        line({ streamId: 's', type: 'A', revision: 2 }) + line({ streamId: 's', type: 'B', revision: 2 }),
        /order\.jsonl:2: revision 2 of stream "s" is not above revision 2 \(line 1\): a stream's events are in the order of their revisions\.$/,
      ],
      [
        'positions.jsonl',
        line({ streamId: 's', type: 'A', position: 9 }) + line({ streamId: 't', type: 'B', position: 3 }),
        /positions\.jsonl:2: position 3 is not above position 9 \(line 1\)/,
      ],
      ['array.jsonl', '[1, 2]\n', /array\.jsonl:1: the line is not a JSON object: each line is one event/],
      ['data.jsonl', line({ streamId: 's', type: 'A', data: [1] }), /data\.jsonl:1: "data" must be a JSON object \(got \[1\]\)\.$/],
      ['rev.jsonl', line({ streamId: 's', type: 'A', revision: -1 }), /rev\.jsonl:1: "revision" must be a whole number \(got -1\)\.$/],
      ['time.jsonl', line({ streamId: 's', type: 'A', timestamp: 5 }), /time\.jsonl:1: "timestamp" must be a text \(got 5\)\.$/],
      ['body.events', '### A  s\n\n"text"\n', /body\.events:1: the body of "A" is not a JSON object \(\{…\}\)\.$/],
      ['syntax.events', '### A  s\n\n{"a": }\n', /syntax\.events:3: the body of "A" is not valid JSON/],
    ];
    for (const [name, text, message] of cases) {
      const store = new EventsFileStore(file(name, text));
      await assert.rejects(store.readAll(), (error: unknown) => {
        assert.ok(error instanceof EventscopeError);
        assert.match(error.message, message);
        return true;
      });
      await store.close();
    }
  });

  it('leaves out a last line a writer has not finished, and sees it once it has', async () => {
    const path = file('tail.jsonl', line({ streamId: 's', type: 'A' }) + '{"streamId": "s", "ty');
    const store = new EventsFileStore(path);
    assert.deepEqual(await shape(store), [['s', 1, 1, 'A']]);
    assert.match((await store.info()).warnings.join(), /last line \(2\) has no newline and is not JSON yet/);
    appendFileSync(path, 'pe": "B"}');
    assert.deepEqual(await shape(store), [
      ['s', 1, 1, 'A'],
      ['s', 2, 2, 'B'],
    ]);
    assert.deepEqual((await store.info()).warnings, []);
    await store.close();
  });

  it('reads the file again when it changes (edited, broken, mended, replaced), and calls watchers', async () => {
    const path = file('live.events', '### A  s-1\n{}\n');
    const store = new EventsFileStore(path);
    let changes = 0;
    const feed = store.watch(
      () => changes++,
      (error) => assert.fail(error),
    );
    assert.equal(await store.headPosition(), 1);
    appendFileSync(path, '### B  s-2\n{}\n');
    assert.deepEqual(await shape(store), [
      ['s-1', 1, 1, 'A'],
      ['s-2', 1, 2, 'B'],
    ]);
    writeFileSync(path, '### A  s-1\n{"broken": }\n');
    await assert.rejects(store.listStreams(), /live\.events:2: the body of "A" is not valid JSON/);
    await assert.rejects(store.headPosition(), /live\.events:2/, 'the same error while the file stays as it is');
    writeFileSync(path, '### C  s-3\n{}\n');
    assert.deepEqual(await shape(store), [['s-3', 1, 1, 'C']]);
    const start = Date.now();
    while (changes === 0 && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 20));
    assert.ok(changes > 0, 'the watcher was called');
    feed.close();
    await store.close();
    await assert.rejects(store.readAll(), /the store was closed/);
  });
});
