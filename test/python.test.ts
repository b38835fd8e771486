/**
 * The Python runner (python/eventscope_runner.py, src/core/python/runner.ts): a library-written
 * store's aggregates replayed through the library's own domain classes, each step's state checked
 * against the library's `repository.get(id, version=n)` of the same store; a compressed store
 * through the application's environment; errors in the user's code in one sentence with its line.
 *
 * Needs an importable `eventsourcing` (9.2.x): installed, or its source folder in
 * EVENTSCOPE_EVENTSOURCING_SRC (.ci/run points it at the shared vendor copy). Without either the
 * tests are skipped, saying so (see the issue note).
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { eventsourcingEnv, NO_EVENTSOURCING } from './helpers/python';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PythonError, PythonRunner, wireEvent, type WireEvent } from '../src/core/python/runner';
import { EventsourcingSqliteStore, type StoredEventRow } from '../src/core/stores/eventsourcingSqlite';
import { copyFixture, removeTempDirs } from './helpers/cli';

/** The stored events of one aggregate, in order, read by the core as it reads any store. */
async function rowsOf(db: string, id: string): Promise<StoredEventRow[]> {
  const store = new EventsourcingSqliteStore(db);
  try {
    return await store.storedEvents(id);
  } finally {
    await store.close();
  }
}

/** What the library itself says an aggregate was at each version: `repository.get(id, version=n)`. */
function libraryStates(
  env: NodeJS.ProcessEnv,
  db: string,
  id: string,
  versions: number,
  extraEnv: Record<string, string> = {},
): Record<string, unknown>[] {
  const script = `
import json, sys, uuid
from eventsourcing.application import Application
app = Application(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": sys.argv[1], **json.loads(sys.argv[4])})
out = []
for n in range(1, int(sys.argv[3]) + 1):
    a = app.repository.get(uuid.UUID(sys.argv[2]), version=n)
    out.append({"version": a.version, "balance": str(a.balance), "full_name": a.full_name, "overdraft_limit": str(a.overdraft_limit)})
print(json.dumps(out))
`;
  return JSON.parse(execFileSync('python3', ['-c', script, db, id, String(versions), JSON.stringify(extraEnv)], { env, encoding: 'utf8' }));
}

const ACCOUNT = '33f13ce699744a17b9f70ae011597a1a';
/** The same account in b_zlib.db (each fixture was written by its own run). */
const ZLIB_ACCOUNT = '3e651bca88be4904a8b473497aea8eb6';

describe('the Python runner: replays through the user’s own eventsourcing classes', function () {
  this.timeout(60_000);
  const env = eventsourcingEnv();
  let runner: PythonRunner;

  before(function () {
    if (!env) {
      console.log(`    ${NO_EVENTSOURCING}`);
      this.skip();
    }
  });
  afterEach(async () => {
    await runner?.dispose();
  });
  after(() => removeTempDirs());

  it('says which Python and which eventsourcing it runs', async () => {
    runner = new PythonRunner({ env });
    const hello = await runner.hello();
    assert.match(hello.python, /^3\.\d+/);
    assert.match(hello.eventsourcing ?? '', /^9\./);
  });

  it('replays a bank account of a library-written store through its class: every step as the library’s repository.get(id, version=n)', async () => {
    const db = copyFixture('a_plain.db');
    const rows = await rowsOf(db, ACCOUNT);
    assert.ok(rows.length >= 4);
    runner = new PythonRunner({ env });
    await runner.configure();
    const states = await runner.replay(rows);
    const expected = libraryStates(env!, db, ACCOUNT, rows.length);
    assert.deepEqual(
      states.map(({ value }) => {
        const s = value;
        return { version: s.version, balance: s.balance, full_name: s.full_name, overdraft_limit: s.overdraft_limit };
      }),
      expected,
    );
    // Exact values stay exact: the balance is a decimal, the id a UUID.
    const last = states.at(-1)!;
    assert.equal(last.kinds['/balance'], 'decimal');
    assert.equal((last.value as { id: string }).id.replace(/-/g, ''), ACCOUNT);
  });

  it('decodes a compressed store with the application’s environment (COMPRESSOR_TOPIC), and says so', async () => {
    const db = copyFixture('b_zlib.db');
    const rows = await rowsOf(db, ZLIB_ACCOUNT);
    assert.ok(rows.length >= 4);
    assert.equal(rows[0].state[0], 0x78, 'the state as stored: a zlib stream, not decoded by the core');
    runner = new PythonRunner({ env });
    const configured = await runner.configure({ env: { COMPRESSOR_TOPIC: 'eventsourcing.compressor:ZlibCompressor' } });
    assert.equal(configured.compressor, 'ZlibCompressor');
    const states = await runner.replay(rows);
    const expected = libraryStates(env!, db, ZLIB_ACCOUNT, rows.length, { COMPRESSOR_TOPIC: 'eventsourcing.compressor:ZlibCompressor' });
    assert.deepEqual(
      states.map(({ value }) => (value as { balance: string }).balance),
      expected.map((s) => s.balance),
    );
  });

  it('an exception in the user’s code names the step, the error and the user’s file and line; a missing module is named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventscope-python-'));
    writeFileSync(
      join(dir, 'broken.py'),
      [
        'from eventsourcing.domain import Aggregate, event',
        '',
        'class Account(Aggregate):',
        '    @event("Opened")',
        '    def __init__(self, name):',
        '        self.name = name',
        '',
        '    @event("Renamed")',
        '    def rename(self, name):',
        '        raise ValueError("renaming is broken")',
        '',
      ].join('\n'),
    );
    const json = (value: unknown) => JSON.stringify(value);
    const id = 'af452e92254547bf857dc67cfb0c07e5';
    const when = { _type_: 'datetime_iso', _data_: '2026-11-28T04:52:14.610059+00:00' };
    const rows: WireEvent[] = [
      wireEvent('', id, 1, 'broken:Account.Opened', json({ timestamp: when, originator_topic: 'broken:Account', name: 'A' })),
      wireEvent('', id, 2, 'broken:Account.Renamed', json({ timestamp: when, name: 'B' })),
    ];
    runner = new PythonRunner({ env });
    await runner.configure({ path: [dir] });
    const failure = await runner.replay(rows).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(failure instanceof PythonError);
    assert.equal(failure.index, 1);
    assert.match(failure.message, /^ValueError: renaming is broken \(at .*broken\.py:10\)$/);
    await assert.rejects(runner.replay([{ ...rows[0], t: 'nosuch.module:Account.Opened' }]), /ModuleNotFoundError|TopicError|nosuch/);
  });

  it('a missing interpreter is one sentence', async () => {
    runner = new PythonRunner({ interpreter: '/nonexistent/python3' });
    await assert.rejects(
      runner.hello(),
      /There is no Python interpreter "\/nonexistent\/python3": set eventscope\.python\.interpreter, or EVENTSCOPE_PYTHON\./,
    );
  });
});
