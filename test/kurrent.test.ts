import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { DEMO_STORY, writeDemoStore } from '../src/core/demo';
import { EventscopeError } from '../src/core/errors';
import type { RecordedEvent } from '../src/core/events';
import type { ProjectionEngine, StepOutput } from '../src/core/projection/types';
import { createKurrentEnvironment, kurrentEngine, type KurrentEnvironment } from '../src/core/projection/kurrent';
import { EventsourcingSqliteStore } from '../src/core/stores/eventsourcingSqlite';
import { iterateAll } from '../src/core/stores/types';

/** Evaluates a script the way the loader does: the globals as parameters of a function. */
function load(code: string): KurrentEnvironment {
  const env = createKurrentEnvironment();
  new Function(...Object.keys(env.globals), code)(...Object.values(env.globals));
  return env;
}

function engineOf(code: string, name = 'test'): ProjectionEngine {
  const definition = load(code).definition();
  assert.ok(definition, 'the script is a KurrentDB script');
  return kurrentEngine(definition, name);
}

let position = 0;
function ev(
  streamId: string,
  type: string,
  data: Record<string, unknown> = {},
  revision = 0,
  metadata: Record<string, unknown> = {},
): RecordedEvent {
  position += 1;
  return { streamId, revision, position, type, timestamp: '2026-03-02T09:00:00.000000+00:00', data, metadata, kinds: {} };
}

function fold(engine: ProjectionEngine, events: RecordedEvent[], output?: StepOutput): unknown {
  let state = engine.init();
  for (const e of events) if (engine.accepts(e)) state = engine.apply(state, e, output);
  return state;
}

/** Each accepted event's output, stepping with a fresh StepOutput. */
function steps(engine: ProjectionEngine, events: RecordedEvent[]): { state: unknown; outputs: StepOutput[] } {
  let state = engine.init();
  const outputs: StepOutput[] = [];
  for (const e of events) {
    if (!engine.accepts(e)) continue;
    const output: StepOutput = { emitted: [], logs: [] };
    state = engine.apply(state, e, output);
    outputs.push(output);
  }
  return { state, outputs };
}

const throwsUserError = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (error: unknown) => error instanceof EventscopeError && message.test(error.message));

describe('KurrentDB projections: handlers', () => {
  it('runs the type handler for its type and $any only for the others, from $init', () => {
    const engine = engineOf(`
      fromAll().when({
        $init: () => ({ count: 0, seen: [] }),
        Opened: (s, e) => { s.count += 1; s.seen.push('opened:' + e.eventType); },
        $any: (s, e) => { s.seen.push('any:' + e.eventType); },
      })`);
    assert.equal(engine.kind, 'kurrentdb');
    assert.equal(engine.name, 'test');
    assert.deepEqual(engine.init(), { count: 0, seen: [] });
    const state = fold(engine, [ev('a-1', 'Opened'), ev('a-1', 'Credited'), ev('b-1', 'Opened')]);
    assert.deepEqual(state, { count: 2, seen: ['opened:Opened', 'any:Credited', 'opened:Opened'] });
  });

  it('keeps a mutated state when a handler returns undefined and replaces it with any other value', () => {
    const engine = engineOf(`
      fromStream('s-1').when({
        $init: () => ({ n: 1 }),
        Mutate: (s) => { s.n += 1; },
        Replace: (s) => ({ n: s.n * 10, replaced: true }),
        Number: () => 7,
      })`);
    assert.deepEqual(fold(engine, [ev('s-1', 'Mutate'), ev('s-1', 'Replace'), ev('s-1', 'Mutate')]), { n: 21, replaced: true });
    assert.equal(fold(engine, [ev('s-1', 'Mutate'), ev('s-1', 'Number')]), 7);
  });

  it('matches keys like module projections too, the most specific key winning', () => {
    const engine = engineOf(`
      fromAll().when({
        $init: () => [],
        Debited: (s) => { s.push('last'); },
        'BankAccount.Credited': (s) => { s.push('qualified'); },
        'bank.domain:BankAccount.Credited': (s) => { s.push('exact'); },
        Credited: (s) => { s.push('last credited'); },
      })`);
    const state = fold(engine, [
      ev('x', 'bank.domain:BankAccount.Debited'),
      ev('x', 'bank.domain:BankAccount.Credited'),
      ev('x', 'other:BankAccount.Credited'),
      ev('x', 'other:Savings.Credited'),
      ev('x', 'Debited'),
    ]);
    assert.deepEqual(state, ['last', 'exact', 'qualified', 'last credited', 'last']);
  });

  it('accepts only the types it handles when it has no $any, and all of them otherwise', () => {
    const typed = engineOf(`fromAll().when({ Opened: (s) => { s.n = (s.n || 0) + 1; } })`);
    assert.equal(typed.accepts(ev('a-1', 'Opened')), true);
    assert.equal(typed.accepts(ev('a-1', 'x:Account.Opened')), true);
    assert.equal(typed.accepts(ev('a-1', 'Closed')), false);
    assert.deepEqual(typed.init(), {}, 'no $init: {}');
    const any = engineOf(`fromAll().when({ Opened: () => {}, $any: () => {} })`);
    assert.equal(any.accepts(ev('a-1', 'Closed')), true);
  });

  it('without handlers the state becomes the last event body (KurrentDB without when)', () => {
    const engine = engineOf(`fromStream('s-1').outputState()`);
    const body = { a: 1, nested: { b: [2] } };
    const state = fold(engine, [ev('s-1', 'One', { z: 0 }), ev('s-1', 'Two', body)]);
    assert.deepEqual(state, body);
    assert.notEqual(state, body, 'a copy, not the event data itself');
  });

  it('lists its user functions with names for messages', () => {
    const env = load(
      `fromAll().partitionBy(function part() { return 'p'; }).when({ $init: function init() {}, Opened: function opened() {}, $any: function any() {} }).transformBy(function t(s) { return s; })`,
    );
    const engine = kurrentEngine(env.definition()!, 'x');
    const named = engine.userFunctions.filter((f) => typeof f.fn === 'function').map((f) => [f.name, (f.fn as () => void).name]);
    assert.deepEqual(named, [
      ['$init', 'init'],
      ['the $any handler', 'any'],
      ['partitionBy', 'part'],
      ['the Opened handler', 'opened'],
      ['transformBy', 't'],
    ]);
  });
});

describe('KurrentDB projections: selectors', () => {
  const count = `.when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; } })`;

  it('fromStream and fromStreams (an array or several names) select by stream id', () => {
    const events = [ev('a-1', 'X'), ev('a-2', 'X'), ev('b-1', 'X'), ev('a-1', 'Y')];
    assert.deepEqual(fold(engineOf(`fromStream('a-1')${count}`), events), { n: 2 });
    assert.deepEqual(fold(engineOf(`fromStreams(['a-2', 'b-1'])${count}`), events), { n: 2 });
    assert.deepEqual(fold(engineOf(`fromStreams('a-1', 'b-1')${count}`), events), { n: 3 });
  });

  it("fromCategory selects by the stream id before its first '-' and by eventsourcing aggregate class", () => {
    const engine = engineOf(`fromCategory('account')${count}`);
    assert.equal(engine.accepts(ev('account-1', 'X')), true);
    assert.equal(engine.accepts(ev('account-1-2', 'X')), true);
    assert.equal(engine.accepts(ev('accounts-1', 'X')), false);
    assert.equal(engine.accepts(ev('account', 'X')), false, 'no dash, no category');
    assert.equal(engine.accepts(ev('x-account-1', 'X')), false);

    const es = engineOf(`fromCategory('BankAccount')${count}`);
    const uuid = '3f1c2a9e-0b7d-4c61-9a55-1d2e3f4a5b6c';
    assert.equal(es.accepts(ev(uuid, 'bank.domain:BankAccount.Opened')), true);
    assert.equal(es.accepts(ev(uuid, 'bank.domain:BankAccount.Credited')), true);
    assert.equal(es.accepts(ev(uuid, 'dogs.domain:Dog.Registered')), false);
    assert.equal(es.accepts(ev(uuid, 'bank.domain:Savings.BankAccount.Opened')), false);
    assert.equal(es.accepts(ev(uuid, 'BankAccount.Opened')), false, 'not an eventsourcing topic');
    const topic = engineOf(`fromCategory('bank.domain:BankAccount')${count}`);
    assert.equal(topic.accepts(ev(uuid, 'bank.domain:BankAccount.Opened')), true);
    const several = engineOf(`fromCategories(['account', 'Dog'])${count}`);
    assert.equal(several.accepts(ev('account-1', 'X')), true);
    assert.equal(several.accepts(ev(uuid, 'dogs.domain:Dog.Registered')), true);
    assert.equal(several.accepts(ev('order-1', 'X')), false);
  });

  it('fromAll skips system streams and links unless $includeLinks', () => {
    const engine = engineOf(`fromAll()${count}`);
    assert.equal(engine.accepts(ev('account-1', 'X')), true);
    assert.equal(engine.accepts(ev('$ce-account', 'X')), false);
    assert.equal(engine.accepts(ev('$$account-1', '$metadata')), true, "a user stream's metastream");
    assert.equal(engine.accepts(ev('$$$ce-account', '$metadata')), false);
    assert.equal(engine.accepts(ev('copies', '$>', {})), false);
    assert.equal(engineOf(`options({ $includeLinks: true }); fromAll()${count}`).accepts(ev('copies', '$>')), true);
  });
});

describe('KurrentDB projections: partitions', () => {
  it('foreachStream keeps one state per stream, each from $init', () => {
    const engine = engineOf(`
      fromCategory('account').foreachStream().when({
        $init: () => ({ balance: 0 }),
        Credited: (s, e) => { s.balance += e.body.amount; },
        Debited: (s, e) => ({ balance: s.balance - e.data.amount, partition: e.partition }),
      })`);
    assert.deepEqual(engine.init(), { partitions: {} });
    const state = fold(engine, [
      ev('account-1', 'Credited', { amount: 10 }),
      ev('account-2', 'Credited', { amount: 5 }),
      ev('account-1', 'Debited', { amount: 3 }),
      ev('order-1', 'Credited', { amount: 100 }),
    ]);
    assert.deepEqual(state, { partitions: { 'account-1': { balance: 7, partition: 'account-1' }, 'account-2': { balance: 5 } } });
  });

  it('partitionBy names partitions by its result and skips events it gives no partition', () => {
    const engine = engineOf(`
      fromAll().partitionBy((e) => e.body.region === undefined ? null : e.body.region).when({
        $any: (s, e) => { s.events = (s.events || 0) + 1; s.partition = e.partition; },
      })`);
    const state = fold(engine, [
      ev('o-1', 'Placed', { region: 'eu' }),
      ev('o-2', 'Placed', { region: 'us' }),
      ev('o-3', 'Placed', {}),
      ev('o-4', 'Placed', { region: 'eu' }),
      ev('o-5', 'Placed', { region: 7 }),
    ]);
    assert.deepEqual(state, {
      partitions: { eu: { events: 2, partition: 'eu' }, us: { events: 1, partition: 'us' }, 7: { events: 1, partition: '7' } },
    });
  });

  it('$initShared gives handlers [state, shared]: the shared state spans partitions', () => {
    const engine = engineOf(`
      fromAll().foreachStream().when({
        $init: () => ({ count: 0 }),
        $initShared: () => ({ total: 0 }),
        Added: (s, e) => { s[0].count += 1; s[1].total += e.data.amount; },
        Reset: (s) => [{ count: 0, reset: true }, s[1]],
      })`);
    assert.deepEqual(engine.init(), { partitions: {}, shared: { total: 0 } });
    const state = fold(engine, [
      ev('a-1', 'Added', { amount: 10 }),
      ev('b-1', 'Added', { amount: 5 }),
      ev('a-1', 'Added', { amount: 1 }),
      ev('b-1', 'Reset'),
    ]);
    assert.deepEqual(state, { partitions: { 'a-1': { count: 2 }, 'b-1': { count: 0, reset: true } }, shared: { total: 16 } });

    const unpartitioned = engineOf(`
      fromAll().when({
        $init: () => 'initial',
        $initShared: () => ({ count: 0 }),
        SetName: (s, e) => { s[0] = e.data.name; s[1].count++; return s; },
      })`);
    assert.deepEqual(fold(unpartitioned, [ev('s-1', 'SetName', { name: 'alice' })]), { state: 'alice', shared: { count: 1 } });
  });

  it('keeps nothing outside the engine state: a serialized copy between events gives the same fold', () => {
    const engine = engineOf(`
      fromAll().partitionBy((e) => e.data.k).when({
        $init: () => ({ items: [] }),
        $initShared: () => ({ seen: 0 }),
        $any: (s, e) => { s[0].items.push(e.sequenceNumber); s[1].seen++; },
      })`);
    const events = [ev('a', 'X', { k: 'p' }, 0), ev('b', 'X', { k: 'q' }, 1), ev('c', 'X', { k: 'p' }, 2)];
    let copied = engine.init();
    for (const e of events) copied = deserialize(serialize(engine.apply(structuredClone(copied), e, undefined)));
    assert.deepEqual(copied, fold(engine, events));
    assert.deepEqual(copied, { partitions: { p: { items: [0, 2] }, q: { items: [1] } }, shared: { seen: 3 } });
  });
});

describe('KurrentDB projections: output', () => {
  it('captures emit, linkTo and log per step, and drops them in fast passes', () => {
    const engine = engineOf(`
      fromAll().when({
        Opened: (s, e) => {
          emit('welcome-' + e.streamId, 'WelcomeSent', { to: e.body.name }, { why: 'opened' });
          linkTo('opened-accounts', e);
          log('opened', e.streamId, { name: e.body.name }, 3);
        },
        Closed: (s, e) => { linkTo('closed', e, { note: 1 }); },
      })`);
    const { outputs } = steps(engine, [ev('acc-1', 'Opened', { name: 'Ann' }, 4), ev('acc-1', 'Closed', {}, 5)]);
    assert.deepEqual(outputs[0], {
      emitted: [
        { kind: 'emit', stream: 'welcome-acc-1', type: 'WelcomeSent', data: { to: 'Ann' }, metadata: { why: 'opened' } },
        { kind: 'link', stream: 'opened-accounts', type: '$>', data: '4@acc-1' },
      ],
      logs: ['opened acc-1 {"name":"Ann"} 3'],
    });
    assert.deepEqual(outputs[1], {
      emitted: [{ kind: 'link', stream: 'closed', type: '$>', data: '5@acc-1', metadata: { note: 1 } }],
      logs: [],
    });

    // A fast pass has no output; the globals write nowhere outside apply.
    const env = load(`fromAll().when({ $any: () => { emit('s', 'T', {}); log('x'); } })`);
    const fast = kurrentEngine(env.definition()!, 'fast');
    assert.doesNotThrow(() => fold(fast, [ev('a-1', 'X')]));
    const stray: StepOutput = { emitted: [], logs: [] };
    fast.apply(fast.init(), ev('a-1', 'X'), stray);
    assert.equal(stray.emitted.length, 1);
    env.globals.log('after apply');
    env.globals.emit('s', 'T', {});
    assert.deepEqual(stray.logs, ['x'], 'nothing lands in a step once apply returned');
    assert.equal(stray.emitted.length, 1);
  });

  it('rejects malformed emit and linkTo calls even in fast passes', () => {
    const badEmit = engineOf(`fromAll().when({ $any: () => { emit('s', 'T', 'not an object'); } })`);
    throwsUserError(() => badEmit.apply(badEmit.init(), ev('a', 'X'), undefined), /emit\(\) expects an object body/);
    const badLink = engineOf(`fromAll().when({ $any: () => { linkTo('s', { streamId: 'a' }); } })`);
    throwsUserError(() => badLink.apply(badLink.init(), ev('a', 'X'), undefined), /linkTo\(stream, event\)/);
  });

  it('outputState writes the state to $projections-<name>-result when it changes', () => {
    const engine = engineOf(
      `fromAll().when({ $init: () => ({ n: 0 }), Inc: (s) => { s.n += 1; }, Noop: () => {} }).outputState()`,
      'counter',
    );
    const { state, outputs } = steps(engine, [ev('a', 'Inc'), ev('a', 'Noop'), ev('a', 'Inc')]);
    assert.deepEqual(state, { n: 2 });
    assert.deepEqual(
      outputs.map((o) => o.emitted),
      [
        [{ kind: 'result', stream: '$projections-counter-result', type: 'Result', data: { n: 1 } }],
        [],
        [{ kind: 'result', stream: '$projections-counter-result', type: 'Result', data: { n: 2 } }],
      ],
    );
    // Without outputState nothing is written.
    assert.deepEqual(steps(engineOf(`fromAll().when({ Inc: (s) => { s.n = 1; } })`), [ev('a', 'Inc')]).outputs[0].emitted, []);
  });

  it('transformBy and filterBy shape the result only; a filtered result is removed once', () => {
    const engine = engineOf(
      `fromAll()
        .when({ $init: () => ({ n: 0 }), Inc: (s) => { s.n += 1; } })
        .transformBy((s) => { s.touched = true; return { doubled: s.n * 2, touched: s.touched }; })
        .filterBy((r) => r.doubled !== 4)
        .outputState()`,
      'p',
    );
    const { state, outputs } = steps(engine, [ev('a', 'Inc'), ev('a', 'Inc'), ev('a', 'Inc'), ev('a', 'Inc')]);
    assert.deepEqual(state, { n: 4 }, 'the transform saw a copy: the state has no `touched`');
    const stream = '$projections-p-result';
    assert.deepEqual(
      outputs.map((o) => o.emitted),
      [
        [{ kind: 'result', stream, type: 'Result', data: { doubled: 2, touched: true } }],
        [{ kind: 'result', stream, type: 'ResultRemoved', data: null }],
        [{ kind: 'result', stream, type: 'Result', data: { doubled: 6, touched: true } }],
        [{ kind: 'result', stream, type: 'Result', data: { doubled: 8, touched: true } }],
      ],
    );
    // A filter must return exactly true (Jint); a truthy non-boolean removes the result.
    const truthy = engineOf(`fromAll().when({ Inc: (s) => { s.n = 1; } }).filterBy(() => 1)`);
    assert.deepEqual(steps(truthy, [ev('a', 'Inc')]).outputs[0].emitted, []);
  });

  it('outputTo and options.resultStreamName rename the result streams; partitions have their own', () => {
    const inc = `{ $init: () => ({ n: 0 }), Inc: (s) => { s.n += 1; } }`;
    const named = engineOf(`options({ resultStreamName: 'totals' }); fromAll().when(${inc}).outputState()`, 'x');
    assert.equal(steps(named, [ev('a', 'Inc')]).outputs[0].emitted[0].stream, 'totals');
    const to = engineOf(`fromAll().when(${inc}).outputState().outputTo('elsewhere')`, 'x');
    assert.equal(steps(to, [ev('a', 'Inc')]).outputs[0].emitted[0].stream, 'elsewhere');

    const perStream = engineOf(`fromAll().foreachStream().when(${inc}).outputState()`, 'counts');
    const { outputs } = steps(perStream, [ev('a-1', 'Inc'), ev('b-1', 'Inc')]);
    assert.deepEqual(
      outputs.flatMap((o) => o.emitted),
      [
        { kind: 'result', stream: '$projections-counts-a-1-result', type: 'Result', data: { n: 1 } },
        { kind: 'result', stream: '$projections-counts-b-1-result', type: 'Result', data: { n: 1 } },
      ],
    );
    const pattern = engineOf(`fromAll().foreachStream().when(${inc}).outputTo('all-counts', 'count-{0}')`, 'counts');
    assert.equal(steps(pattern, [ev('a-1', 'Inc')]).outputs[0].emitted[0].stream, 'count-a-1');
  });
});

describe('KurrentDB projections: the event envelope', () => {
  it("has KurrentDB's field names and values", () => {
    const seen: Record<string, unknown>[] = [];
    const env = createKurrentEnvironment();
    const capture = (_s: unknown, e: Record<string, unknown>) => void seen.push(e);
    new Function('capture', ...Object.keys(env.globals), `fromCategory('account').foreachStream().when({ $any: capture })`)(
      capture,
      ...Object.values(env.globals),
    );
    const engine = kurrentEngine(env.definition()!, 'e');
    const big = 2n ** 64n;
    fold(engine, [
      ev('account-7', 'Credited', { amount: '12.50', big }, 3, { id: 'c0ffee', correlationId: 'k' }),
      { ...ev('account-8', 'Opened', {}, 0), timestamp: null },
    ]);
    const [e, f] = seen;
    assert.equal(e.streamId, 'account-7');
    assert.equal(e.sequenceNumber, 3);
    assert.equal(e.eventType, 'Credited');
    assert.equal(e.eventId, 'c0ffee');
    assert.equal(e.created, '2026-03-02T09:00:00.000000+00:00');
    assert.equal(e.category, 'account');
    assert.equal(e.partition, 'account-7');
    assert.equal(e.isJson, true);
    assert.deepEqual(e.body, { amount: '12.50', big });
    assert.equal(e.data, e.body);
    assert.equal(e.bodyRaw, '{"amount":"12.50","big":18446744073709551616}');
    assert.deepEqual(e.metadata, { id: 'c0ffee', correlationId: 'k' });
    assert.equal(e.metadataRaw, '{"id":"c0ffee","correlationId":"k"}');
    assert.equal(e.linkMetadata, null);
    assert.equal(typeof e.position, 'number');
    assert.equal(f.eventId, 'account-8@0', 'no id in the metadata: stream@revision');
    assert.equal(f.created, '');
    // JSON of the envelope (what log(event) prints) includes the computed fields.
    assert.match(
      JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
      /"bodyRaw":"\{\\"amount\\"/,
    );

    const all: Record<string, unknown>[] = [];
    const envAll = createKurrentEnvironment();
    new Function('capture', ...Object.keys(envAll.globals), `fromAll().when({ $any: capture })`)(
      (_s: unknown, x: Record<string, unknown>) => void all.push(x),
      ...Object.values(envAll.globals),
    );
    fold(kurrentEngine(envAll.definition()!, 'a'), [ev('account-1', 'X')]);
    assert.equal(all[0].category, null, 'fromAll has no category');
    assert.equal(all[0].partition, '');
  });
});

describe('KurrentDB projections: loading', () => {
  it('gives no definition for a script that selects nothing (a module projection)', () => {
    const env = load(`module = { exports: { when: {} } };`);
    assert.equal(env.definition(), undefined);
  });

  it('says what is wrong with a malformed script', () => {
    throwsUserError(() => load(`when({ X: () => {} })`), /when\(\) needs a selector first/);
    throwsUserError(() => load(`fromAll(); fromStream('x').when({})`), /fromStream\(\) is called after fromAll\(\)/);
    throwsUserError(() => load(`fromAll().when({}).when({})`), /when\(\) is called twice/);
    throwsUserError(() => load(`fromStream('x').foreachStream()`), /foreachStream\(\) cannot follow fromStream\(\)/);
    throwsUserError(() => load(`fromAll().outputState().when({})`), /when\(\) cannot follow outputState\(\)/);
    throwsUserError(() => load(`fromAll().partitionBy('x')`), /partitionBy\(\) expects a function/);
    throwsUserError(() => load(`options({ nope: 1 }); fromAll()`), /Unrecognized option: nope/);
    throwsUserError(() => load(`options({ resultStreamName: 3 }); fromAll()`), /resultStreamName must be a string/);
    throwsUserError(() => load(`fromStreamsMatching(() => true).when({})`), /fromStreamsMatching\(\) is not supported/);
    throwsUserError(() => load(`fromStreams([])`), /fromStreams\(\) needs at least one name/);
    throwsUserError(() => load(`fromAll().foreachStream().when({ $initShared: () => ({}), $deleted: () => {} })`), /bi-state/);
    throwsUserError(() => load(`options({ biState: true })`).definition(), /selects no events/);
    // Selectors belong to loading: a handler calling one fails clearly.
    const env = load(`fromAll().when({ $any: () => { fromAll(); } })`);
    const engine = kurrentEngine(env.definition()!, 'x');
    throwsUserError(() => engine.apply(engine.init(), ev('a', 'X'), undefined), /only be called while the script loads/);
  });
});

describe('KurrentDB projections: the demo store', () => {
  let dir: string;
  let demo: RecordedEvent[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventscope-kurrent-'));
    writeDemoStore(join(dir, 'demo.sqlite'));
    const store = new EventsourcingSqliteStore(join(dir, 'demo.sqlite'));
    demo = [];
    for await (const e of iterateAll(store)) demo.push(e);
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("gives per-account balances with foreachStream, and Dana's ends negative", () => {
    const engine = engineOf(
      `
      const cents = (amount) => {
        const [units, fraction = ''] = String(amount).split('.');
        return Number(units) * 100 + Number(fraction.padEnd(2, '0').slice(0, 2));
      };
      fromCategory('BankAccount').foreachStream().when({
        $init: () => ({ balance: 0 }),
        Opened: (s, e) => { s.name = e.body.full_name; },
        Credited: (s, e) => { s.balance += cents(e.body.amount); },
        Debited: (s, e) => { s.balance -= cents(e.body.amount); },
      })`,
      'balances',
    );
    const accounts = new Set(demo.filter((e) => e.type.includes(':BankAccount.')).map((e) => e.streamId));
    assert.ok(accounts.size > 1);
    assert.equal(demo.filter((e) => engine.accepts(e)).length, demo.filter((e) => accounts.has(e.streamId)).length - countUnhandled());
    const state = fold(engine, demo) as { partitions: Record<string, { balance: number; name: string }> };
    assert.deepEqual(new Set(Object.keys(state.partitions)), accounts);
    const negative = Object.values(state.partitions).filter((p) => p.balance < 0);
    assert.deepEqual(
      negative.map((p) => p.name),
      [DEMO_STORY.accountName],
    );

    function countUnhandled() {
      // Types without a handler (and no $any) are not sent to the projection, as in KurrentDB.
      return demo.filter((e) => accounts.has(e.streamId) && !/\.(Opened|Credited|Debited)$/.test(e.type)).length;
    }
  });
});
