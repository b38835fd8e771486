/**
 * Replays through the user's own Python code (issue 10), end to end: the replay worker drives the
 * Python runner through the bridge, every step's state is compared with what the library itself
 * says (`repository.get(id, version)`), stepping backwards exercises time travel (keyframes of
 * state texts sent back to the runner), and the stores are the library’s own: the project’s fixtures (test/fixtures/eventsourcing)
 * (plain, zlib, zlib + AES through a cipher class of the user's on `cryptography`) and a store the
 * setup writes with three class versions of one event type and a custom transcoding.
 *
 * Needs an importable `eventsourcing` (see helpers/python.ts); skipped, saying so, without one.
 */

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeEventsourcingState } from '../src/core/codecs/eventsourcing';
import { ReplaySession, type ReplaySessionOptions } from '../src/core/projection/session';
import type { PythonChoice, ReplayScope } from '../src/core/projection/types';
import { EventsourcingSqliteStore } from '../src/core/stores/eventsourcingSqlite';
import { copyFixture, removeTempDirs, runCli } from './helpers/cli';
import { eventsourcingEnv, FIXTURE_PYTHON, libraryView, NO_EVENTSOURCING } from './helpers/python';

const workerScript = resolve(__dirname, '..', 'dist', 'projection-worker.js');
const FIXTURE_KEY = 'ZXZlbnRzb3VyY2luZy1maXh0dXJlLWtleS0zMmJ5dGU=';

/** A cipher of the user's own, on `cryptography`, with the library's AES-GCM byte layout (nonce | tag | ciphertext). */
const CIPHER_MODULE = `
import os
from base64 import b64decode
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class AESGCMCipher:
    def __init__(self, environment):
        self.aesgcm = AESGCM(b64decode(environment.get("CIPHER_KEY")))

    def encrypt(self, plaintext):
        nonce = os.urandom(12)
        sealed = self.aesgcm.encrypt(nonce, plaintext, None)
        return nonce + sealed[-16:] + sealed[:-16]

    def decrypt(self, ciphertext):
        return self.aesgcm.decrypt(ciphertext[:12], ciphertext[28:] + ciphertext[12:28], None)
`;

/**
 * A ledger whose `Posted` event has three class versions (LEDGER_VERSION picks the one the code is
 * at; the store is written at 1, then 2, then 3) and whose amounts are `Money`, stored through a
 * custom transcoding the application registers.
 */
const LEDGER_MODULE = `
import os
from decimal import Decimal
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Transcoding

VERSION = int(os.environ.get("LEDGER_VERSION", "3"))


class Money:
    def __init__(self, amount, currency):
        self.amount = Decimal(amount)
        self.currency = currency


class MoneyAsDict(Transcoding):
    type = Money
    name = "money"

    def encode(self, obj):
        return {"amount": str(obj.amount), "currency": obj.currency}

    def decode(self, data):
        return Money(data["amount"], data["currency"])


class Ledger(Aggregate):
    class Opened(Aggregate.Created):
        name: str

    def __init__(self, name):
        self.name = name
        self.entries = []
        self.total = Money("0", "EUR")

    class Posted(Aggregate.Event):
        class_version = VERSION
        amount: Any
        if VERSION >= 3:
            memo: str

        @staticmethod
        def upcast_v1_v2(state):
            state["amount"] = Money(state["amount"], "EUR")

        @staticmethod
        def upcast_v2_v3(state):
            state["memo"] = "(none)"

        def apply(self, ledger):
            if VERSION == 1:
                ledger.entries.append(self.amount)
                return
            ledger.entries.append({"amount": self.amount, "memo": getattr(self, "memo", "")})
            ledger.total = Money(ledger.total.amount + self.amount.amount, self.amount.currency)

    def post(self, amount, memo):
        if VERSION == 1:
            self.trigger_event(self.Posted, amount=str(amount))
        elif VERSION == 2:
            self.trigger_event(self.Posted, amount=Money(amount, "EUR"))
        else:
            self.trigger_event(self.Posted, amount=Money(amount, "EUR"), memo=memo)



class LedgerApp(Application):
    def register_transcodings(self, transcoder):
        super().register_transcodings(transcoder)
        transcoder.register(MoneyAsDict())
`;

const LEDGER_WRITER = `
import sys, uuid
sys.path.insert(0, sys.argv[2])
from ledger import Ledger, LedgerApp, VERSION
app = LedgerApp(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": sys.argv[1]})
if VERSION == 1:
    ledger = Ledger("Household")
else:
    ledger = app.repository.get(uuid.UUID(sys.argv[3]))
for n in range(2):
    ledger.post("%d.%d5" % (VERSION * 10 + n, n), "v%d entry %d" % (VERSION, n))
app.save(ledger)
print(ledger.id)
`;

/** A store's events as the core reads them (a stream's, or the whole log). */
async function eventsOf(db: string, streamId?: string) {
  const store = new EventsourcingSqliteStore(db);
  try {
    return (streamId ? await store.readStream(streamId) : await store.readAll({ limit: 1000 })).items;
  } finally {
    await store.close();
  }
}

describe('Python replays: the user’s own aggregates and projections, step by step', function () {
  this.timeout(120_000);
  const env = eventsourcingEnv();
  const saved = process.env.PYTHONPATH;
  let dir: string;
  const sessions: ReplaySession[] = [];

  before(function () {
    if (!env) {
      console.log(`    ${NO_EVENTSOURCING}`);
      this.skip();
    }
    // The replay worker and its runner inherit this process's environment.
    process.env.PYTHONPATH = env!.PYTHONPATH;
    dir = mkdtempSync(join(tmpdir(), 'eventscope-pyreplay-'));
    writeFileSync(join(dir, 'aes_cryptography.py'), CIPHER_MODULE);
    writeFileSync(join(dir, 'ledger.py'), LEDGER_MODULE);
    writeFileSync(join(dir, 'write_ledger.py'), LEDGER_WRITER);
  });
  afterEach(async () => {
    for (const session of sessions.splice(0)) await session.dispose();
  });
  after(() => {
    if (saved === undefined) delete process.env.PYTHONPATH;
    else process.env.PYTHONPATH = saved;
    removeTempDirs();
  });

  async function open(
    db: string,
    scope: ReplayScope,
    choice: Omit<PythonChoice, 'kind'> = {},
    options: Partial<ReplaySessionOptions> = {},
  ) {
    const session = await ReplaySession.open({
      workerScript,
      source: { kind: 'store', location: db, scope },
      projection: { kind: 'python', pythonPath: [FIXTURE_PYTHON, dir], ...choice },
      ...options,
    });
    sessions.push(session);
    return session;
  }

  const shown = (text: string) => decodeEventsourcingState(Buffer.from(text, 'utf8')).value;

  /** Every step of a whole-log replay, visited last to first (each a seek back), against the library. */
  async function checkEveryStep(db: string, settings: Record<string, string>, app?: string) {
    const expected = libraryView(env!, db, { settings, path: [FIXTURE_PYTHON, dir], ...(app ? { app } : {}) });
    const session = await open(db, { all: true }, { env: settings, ...(app ? { app } : {}) }, { keyframeInterval: 4 });
    assert.deepEqual(session.summary.errors, []);
    assert.equal(session.summary.steps, expected.length);
    assert.equal(session.summary.projection.kind, 'python');
    for (let i = expected.length - 1; i >= 0; i--) {
      const record = await session.step(i);
      assert.equal(record.event.position, expected[i].position);
      const state = record.stateAfter as Record<string, unknown>;
      assert.deepEqual(state[expected[i].id], shown(expected[i].state), `step ${i}: ${expected[i].id} v${expected[i].version}`);
    }
    return session;
  }

  it('replays every aggregate of the plain fixture (bank accounts and dogs, an upcast dog event) exactly as repository.get says, stepping backwards', async () => {
    const session = await checkEveryStep(copyFixture('a_plain.db'), {});
    // The state is every aggregate by id; a Dog's weight is an exact Decimal.
    const final = (await session.finalState()) as Record<string, { weight?: unknown }>;
    assert.equal(Object.keys(final).length, 5);
    assert.match(session.summary.runtime ?? '', /^Python 3\.\d+.*eventsourcing 9\./);
  });

  it('decodes the zlib store with the application’s COMPRESSOR_TOPIC, and the zlib + AES store with a cipher class of the user’s (CIPHER_TOPIC)', async () => {
    await checkEveryStep(copyFixture('b_zlib.db'), { COMPRESSOR_TOPIC: 'eventsourcing.compressor:ZlibCompressor' });
    await checkEveryStep(copyFixture('c_aes_zlib.db'), {
      COMPRESSOR_TOPIC: 'eventsourcing.compressor:ZlibCompressor',
      CIPHER_TOPIC: 'aes_cryptography:AESGCMCipher',
      CIPHER_KEY: FIXTURE_KEY,
    });
  });

  it('a one-stream replay’s state is that aggregate, null before its first event; seeking anywhere gives the library’s version', async () => {
    const db = copyFixture('a_plain.db');
    const expected = libraryView(env!, db).filter((e) => e.id === '33f13ce6-9974-4a17-b9f7-0ae011597a1a');
    const session = await open(db, { stream: expected[0].id });
    assert.equal(session.summary.steps, expected.length);
    assert.equal(await session.stateAfter(0), null);
    for (const n of [3, 1, expected.length, 2]) assert.deepEqual(await session.stateAfter(n), shown(expected[n - 1].state));
  });

  it('upcasts class versions 1 to 3 of one event type and decodes a custom transcoding with the app’s register_transcodings', async () => {
    const db = join(dir, 'ledger.db');
    const write = (version: number, id = '') =>
      execFileSync('python3', [join(dir, 'write_ledger.py'), db, dir, id], {
        env: { ...env, LEDGER_VERSION: String(version) },
        encoding: 'utf8',
      }).trim();
    const id = write(1);
    write(2, id);
    write(3, id);
    // The store really holds three class versions of Posted.
    const events = await eventsOf(db, id);
    assert.deepEqual(
      events.map((e) => e.data.class_version ?? 1),
      [1, 1, 1, 2, 2, 3, 3],
    );
    await checkEveryStep(db, {}, 'ledger:LedgerApp');
    const session = await open(db, { stream: id }, { app: 'ledger:LedgerApp' });
    const final = (await session.finalState()) as { entries: { memo: string }[]; total: unknown };
    assert.deepEqual(
      final.entries.map((e) => e.memo),
      ['(none)', '(none)', '(none)', '(none)', 'v3 entry 0', 'v3 entry 1'],
    );
    assert.deepEqual(final.total, { _type_: 'money', _data_: { amount: '123.60', currency: 'EUR' } });
    // Without the app, the runner has no transcoding for Money: each Posted event says so.
    const bare = await open(db, { stream: id });
    assert.equal(bare.summary.errors.length, 4);
    assert.match(bare.summary.errors[0].message, /money/i);
  });

  it('runs a Python projection: @when functions and a when table get the user’s domain events, exact Decimals, prints in the step’s log, its invariant', async () => {
    const db = copyFixture('a_plain.db');
    writeFileSync(
      join(dir, 'balances.py'),
      [
        'from decimal import Decimal',
        'from eventscope import when',
        '',
        'name = "Balances"',
        '',
        'def init():',
        '    return {"balances": {}, "credits": 0}',
        '',
        '@when("BankAccount.Opened")',
        'def opened(state, event):',
        '    state["balances"][str(event.originator_id)] = Decimal("0.00")',
        '',
        '@when("Credited")',
        'def credited(state, event):',
        '    print("credit of", event.amount)',
        '    state["balances"][str(event.originator_id)] += event.amount',
        '    state["credits"] += 1',
        '',
        '@when("Debited")',
        'def debited(state, event):',
        '    state["balances"][str(event.originator_id)] -= event.amount',
        '',
        'def invariant(state):',
        '    return all(b < 150 for b in state["balances"].values()) or "a balance reached 150"',
        '',
      ].join('\n'),
    );
    const expected = libraryView(env!, db);
    const session = await open(db, { all: true }, { path: join(dir, 'balances.py') });
    assert.equal(session.summary.projection.name, 'Balances (Python)');
    assert.equal(session.summary.hasInvariant, true);
    // The final balances are the library's.
    const final = (await session.finalState()) as { balances: Record<string, string>; credits: number };
    const last = new Map(expected.map((e) => [e.id, shown(e.state) as { balance?: string }]));
    for (const [id, balance] of Object.entries(final.balances)) assert.equal(balance, last.get(id)!.balance);
    assert.equal(Object.keys(final.balances).length, 3);
    // The first failure is the first step after which some account holds 150 or more.
    const balances = new Map<string, number>();
    const first = expected.findIndex((e) => {
      const balance = (shown(e.state) as { balance?: string }).balance;
      if (balance !== undefined) balances.set(e.id, Number(balance));
      return [...balances.values()].some((b) => b >= 150);
    });
    assert.ok(first > 0);
    assert.deepEqual(session.summary.firstFailure, { index: first, message: 'a balance reached 150' });
    // What a handler printed is the step's log.
    const credit = expected.findIndex((e, i) => i > 0 && (shown(e.state) as { balance?: string }).balance !== undefined && e.version > 1);
    const record = await session.step(credit);
    assert.match(record.event.type, /Credited$/);
    assert.deepEqual(record.output.logs, [`credit of ${(record.event.data.amount as string) ?? ''}`]);
    // A table of handlers works as well as decorators.
    writeFileSync(
      join(dir, 'counts.py'),
      [
        'def count(state, event):',
        '    state[type(event).__qualname__] = state.get(type(event).__qualname__, 0) + 1',
        '',
        'when = {"Credited": count, "Debited": count}',
        '',
      ].join('\n'),
    );
    const counts = await open(db, { all: true }, { path: join(dir, 'counts.py') });
    const events = await eventsOf(db);
    const credited = events.filter((e) => e.type.endsWith('.Credited')).length;
    assert.deepEqual(await counts.finalState(), {
      'BankAccount.Credited': credited,
      'BankAccount.Debited': events.filter((e) => e.type.endsWith('.Debited')).length,
    });
  });

  it('conditions and invariants are Python: a condition breakpoint, an expression over the aggregate and before, a bad expression said once', async () => {
    const db = copyFixture('a_plain.db');
    const expected = libraryView(env!, db);
    const session = await open(db, { category: 'BankAccount' });
    const scan = await session.scan([{ kind: 'condition', expression: 'aggregate.balance > before.balance' }]);
    assert.ok(scan.hits.length > 0);
    const banks = expected.filter((e) => (shown(e.state) as { balance?: string }).balance !== undefined);
    const increases = banks.flatMap((e, i) => {
      const prior = banks
        .slice(0, i)
        .reverse()
        .find((p) => p.id === e.id);
      const b = (x: typeof e) => Number((shown(x.state) as { balance: string }).balance);
      return prior && b(e) > b(prior) ? [i] : [];
    });
    assert.deepEqual(scan.hits, increases);
    const failure = await session.firstFailure(0, 'aggregate.version < 3');
    assert.equal(
      failure?.index,
      banks.findIndex((e) => e.version >= 3),
    );
    assert.match(failure!.message, /aggregate\.version < 3 is false/);
    const bad = await session.scan([{ kind: 'condition', expression: 'aggregate.balance >' }]);
    assert.deepEqual(bad.hits, []);
    assert.equal(bad.problems.length, 1);
    assert.match(bad.problems[0], /is not a Python expression/);
  });

  it('an exception in a handler marks that step with the user’s file and line, and the replay goes on', async () => {
    const db = copyFixture('a_plain.db');
    writeFileSync(
      join(dir, 'throws.py'),
      [
        'from eventscope import when',
        '',
        '@when("Debited")',
        'def debited(state, event):',
        '    raise ValueError("no debits here")',
        '',
      ].join('\n'),
    );
    const session = await open(db, { all: true }, { path: join(dir, 'throws.py') });
    const events = await eventsOf(db);
    const debits = events.flatMap((e, i) => (e.type.endsWith('.Debited') ? [i] : []));
    assert.deepEqual(
      session.summary.errors.map((m) => m.index),
      debits,
    );
    assert.match(session.summary.errors[0].message, /^ValueError: no debits here \(at .*throws\.py:5\)$/);
    assert.equal(session.summary.steps, events.length);
  });

  it('a handler that never returns overruns the time budget: the replay stops before that event, names it, and leaves no Python process behind', async () => {
    const db = copyFixture('a_plain.db');
    writeFileSync(
      join(dir, 'loop.py'),
      ['from eventscope import when', '', '@when("Debited")', 'def debited(state, event):', '    while True:', '        pass', ''].join(
        '\n',
      ),
    );
    const runners = () =>
      execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes('eventscope_runner.py')).length;
    const before = runners();
    const session = await open(db, { all: true }, { path: join(dir, 'loop.py') }, { timeBudgetMs: 300 });
    const events = await eventsOf(db);
    const debit = events.findIndex((e) => e.type.endsWith('.Debited'));
    assert.equal(session.summary.steps, debit);
    assert.match(
      session.summary.stopped ?? '',
      new RegExp(`loop\\.py ran over its 300 ms time budget on event #${debit + 1} \\(BankAccount\\.Debited|eventsourcing\\.examples`),
    );
    await session.dispose();
    sessions.length = 0;
    const deadline = Date.now() + 5000;
    while (runners() > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(runners(), before);
  });

  it('a runner over its memory limit says so on that step', async () => {
    const db = copyFixture('a_plain.db');
    writeFileSync(
      join(dir, 'hog.py'),
      [
        'from eventscope import when',
        '',
        '@when("Debited")',
        'def debited(state, event):',
        '    state["hog"] = bytearray(400 * 1024 * 1024)',
        '',
      ].join('\n'),
    );
    const session = await open(db, { all: true }, { path: join(dir, 'hog.py') }, { memoryLimitMb: 128 });
    assert.ok(session.summary.errors.length > 0);
    assert.match(session.summary.errors[0].message, /^MemoryError: the Python runner ran out of memory \(at .*hog\.py:5\)$/);
  });

  it('says clearly when the library is not importable, or the interpreter does not exist', async () => {
    const db = copyFixture('a_plain.db');
    const bare = { ...process.env, PYTHONPATH: '' };
    const r = runCli(['replay', db, '--python'], { env: { PYTHONPATH: '' } });
    void bare;
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^eventscope: Python could not load the eventsourcing library: ImportError: the eventsourcing library is not importable by \S+ \(sys\.path: /,
    );
    const missing = runCli(['replay', db, '--python', '--interpreter', '/nonexistent/python3']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /There is no Python interpreter "\/nonexistent\/python3"/);
  });

  it('replays a ProcessApplication’s policy over the log it follows: the events it collects are the ones the library stored', async () => {
    const db = copyFixture('a_plain.db');
    // What the library's own run of the Counters process application recorded, following this log.
    const recorded = await eventsOf(copyFixture('a_plain_counters.db'));
    const session = await open(db, { all: true }, { app: 'dogschool.application:Counters', policy: true });
    assert.equal(session.summary.projection.name, 'Counters policy (Python)');
    assert.deepEqual(session.summary.errors, []);
    const emitted = [];
    for (let i = 0; i < session.summary.steps; i++) emitted.push(...(await session.step(i)).output.emitted);
    assert.deepEqual(
      emitted.map((e) => [
        e.stream,
        e.type,
        (e.data as { originator_version: number }).originator_version,
        (e.data as { name?: string }).name,
      ]),
      recorded.map((e) => [e.streamId, e.type, e.revision, e.data.name]),
    );
    // Stepping back rebuilds the counters from the kept state (each step's output stays the same).
    const again = await session.step(recorded.length > 0 ? session.summary.steps - 1 : 0);
    assert.ok(again.stateAfter);
    const final = (await session.finalState()) as Record<string, { count: number }>;
    assert.equal(
      Object.values(final).reduce((n, c) => n + c.count, 0),
      recorded.filter((e) => e.type.endsWith('.Incremented')).length,
    );
  });

  it('replays functional (Pydantic) aggregates with their own mutate function, each step as the library’s repository.get with its projector', async function () {
    if (spawnSync('python3', ['-c', 'import pydantic, orjson'], { env }).status !== 0) {
      console.log('      (skipped: the aggregate7 example needs pydantic and orjson, which this python3 lacks)');
      return this.skip();
    }
    const db = copyFixture('d_pydantic_orjson.db');
    const app = 'eventsourcing.examples.aggregate7.application:DogSchool';
    const script = `
import json, sys, uuid
from eventsourcing.examples.aggregate7.application import DogSchool
from eventsourcing.examples.aggregate7.domainmodel import project_dog
app = DogSchool(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": sys.argv[1]})
out = []
for n in app.recorder.select_notifications(start=1, limit=100):
    dog = app.repository.get(n.originator_id, version=n.originator_version, projector_func=project_dog)
    out.append(dog.model_dump(mode="json"))
print(json.dumps(out))
`;
    const expected = JSON.parse(execFileSync('python3', ['-c', script, db], { env, encoding: 'utf8' })) as { id: string }[];
    const session = await open(db, { all: true }, { app, mutator: 'eventsourcing.examples.aggregate7.domainmodel:mutate_dog' });
    assert.deepEqual(session.summary.errors, []);
    assert.equal(session.summary.steps, expected.length);
    for (let i = expected.length - 1; i >= 0; i--) {
      const state = (await session.step(i)).stateAfter as Record<string, unknown>;
      assert.deepEqual(state[expected[i].id], expected[i], `step ${i}`);
    }
  });
});
