import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import bankBalances from '../examples/bank-balances.js';
import { DEMO_STORY, writeDemoStore } from '../src/core/demo';
import type { RecordedEvent } from '../src/core/events';
import { differ, diffStates } from '../src/core/projection/diff';
import { genericEngine, moduleEngine } from '../src/core/projection/engines';
import { MARK_LIMIT, type ProjectionEngine } from '../src/core/projection/types';
import { bundleProjection, loadEngine } from '../src/core/projection/load';
import { applyEvent, HandlerTable, type Projection } from '../src/core/projection/projection';
import { Replay } from '../src/core/projection/replay';
import { openReplaySource, type ReplaySourceSpec } from '../src/core/projection/source';
import { EventsourcingSqliteStore } from '../src/core/stores/eventsourcingSqlite';
import { iterateAll } from '../src/core/stores/types';
import { typeMatches } from '../src/core/events';

function event(type: string, data: Record<string, unknown> = {}, revision = 1): RecordedEvent {
  return { streamId: 's-1', revision, position: revision, type, timestamp: null, data, metadata: {}, kinds: {} };
}

describe('projections: handlers', () => {
  it('picks the most specific key: exact type, then the qualified name, then a trailing part', () => {
    const calls: string[] = [];
    const projection: Projection = {
      when: {
        Credited: () => void calls.push('last'),
        'BankAccount.Credited': () => void calls.push('qualified'),
        'bank.domain:BankAccount.Credited': () => void calls.push('exact'),
        'Account.Debited': () => void calls.push('suffix'),
      },
    };
    const table = new HandlerTable(projection);
    for (const type of [
      'bank.domain:BankAccount.Credited',
      'other:BankAccount.Credited',
      'x:Savings.Credited',
      'x:Bank.Account.Debited',
      'x:Opened',
    ]) {
      table.for(type)?.({}, {} as never);
    }
    assert.deepEqual(calls, ['exact', 'qualified', 'last', 'suffix']);
  });

  it('keeps a mutated state when a handler returns nothing, replaces it when it returns a value, then runs `any`', () => {
    const projection: Projection = {
      when: {
        Mutate: (state) => void ((state as { n: number }).n += 1),
        Replace: (state) => ({ n: (state as { n: number }).n * 10 }),
      },
      any: (state, e) => void ((state as { seen?: string[] }).seen = [...((state as { seen?: string[] }).seen ?? []), e.type]),
    };
    const table = new HandlerTable(projection);
    let state: unknown = { n: 1 };
    state = applyEvent(projection, table, state, event('Mutate'));
    state = applyEvent(projection, table, state, event('Replace'));
    assert.deepEqual(state, { n: 20, seen: ['Replace'] });
    const async: Projection = { when: { Opened: async () => ({ opened: true }) } };
    assert.throws(
      () => applyEvent(async, new HandlerTable(async), {}, event('x:A.Opened')),
      /^EventscopeError: The handler for x:A\.Opened returned a Promise: projection handlers must be synchronous/,
    );
  });
});

/** A replay of `engine` over `source`, run (in this thread: no worker, no time budget). */
async function replayOf(engine: ProjectionEngine, source: ReplaySourceSpec, options: ConstructorParameters<typeof Replay>[2] = {}) {
  const replay = new Replay(engine, await openReplaySource(source), options);
  await replay.run();
  return replay;
}

const memory = (events: RecordedEvent[]): ReplaySourceSpec => ({ kind: 'events', label: 'test', events });

describe('projections: the replay', () => {
  let dir: string;
  let demoPath: string;
  let demo: RecordedEvent[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventscope-replay-'));
    demoPath = join(dir, 'demo.sqlite');
    writeDemoStore(demoPath);
    const store = new EventsourcingSqliteStore(demoPath);
    demo = [];
    for await (const e of iterateAll(store)) demo.push(e);
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('says when marks and hits were cut at MARK_LIMIT, and not when there are exactly that many', async () => {
    const failing = moduleEngine(
      {
        when: {
          Bad: () => {
            throw new Error('bad');
          },
        },
        invariant: () => 'broken',
      } as Projection,
      'bad.js',
    );
    const events = (n: number) => Array.from({ length: n }, (_, i) => event('Bad', {}, i + 1));
    const exact = await replayOf(failing, memory(events(MARK_LIMIT)), { interval: 4096 });
    assert.equal(exact.errors.length, MARK_LIMIT);
    assert.deepEqual(exact.truncated, { errors: false, breaks: false });
    const exactScan = await exact.scan([{ kind: 'type', type: 'Bad' }], typeMatches);
    assert.deepEqual([exactScan.hits.length, exactScan.truncated], [MARK_LIMIT, false]);
    const over = await replayOf(failing, memory(events(MARK_LIMIT + 1)), { interval: 4096 });
    assert.equal(over.errors.length, MARK_LIMIT);
    // An invariant that fails throughout breaks once.
    assert.deepEqual(over.breaks, { breaks: [{ index: 0, message: 'broken' }], truncated: false, failingSteps: MARK_LIMIT + 1 });
    assert.deepEqual(over.truncated, { errors: true, breaks: false });
    const overScan = await over.scan([{ kind: 'type', type: 'Bad' }], typeMatches);
    assert.deepEqual([overScan.hits.length, overScan.hits.at(-1), overScan.truncated], [MARK_LIMIT, MARK_LIMIT - 1, true]);
    // The scan from past the cut finds the rest, and says it is complete.
    const rest = await over.scan([{ kind: 'type', type: 'Bad' }], typeMatches, MARK_LIMIT);
    assert.deepEqual([rest.hits, rest.truncated], [[MARK_LIMIT], false]);
    // With the marks cut, the first failure past them is found by running on.
    assert.equal((await over.firstFailure(MARK_LIMIT))?.index, MARK_LIMIT);
  });

  it("finds the demo store's story: the first event that breaks the invariant is the duplicated debit", async () => {
    const replay = await replayOf(
      moduleEngine(bankBalances as Projection, 'bank-balances.js'),
      {
        kind: 'store',
        location: demoPath,
        scope: { all: true },
      },
      { interval: 16 },
    );
    assert.equal(replay.length, demo.length);
    const mark = await replay.firstFailure();
    assert.ok(mark);
    const failure = await replay.step(mark.index);
    assert.equal(failure.event.type, DEMO_STORY.eventType);
    assert.match(failure.invariantFailure!, new RegExp(`^${DEMO_STORY.accountName}'s balance is -`));
    const previous = demo.find((e) => e.streamId === failure.event.streamId && e.revision === failure.event.revision - 1)!;
    assert.equal(previous.data.transaction_id, failure.event.data.transaction_id);
    // The step record shows what the event changed: that account's balance, and nothing else.
    assert.deepEqual(Object.keys(failure.changes as object), ['balances']);
    assert.deepEqual(Object.keys((failure.changes as { balances: object }).balances), [failure.event.streamId]);
    const before = (failure.stateBefore as { balances: Record<string, number> }).balances[failure.event.streamId];
    const after = (failure.stateAfter as { balances: Record<string, number> }).balances[failure.event.streamId];
    assert.ok(before >= 0 && after < 0);
    // It stays broken on the next events: no break there (the balance never comes back).
    assert.equal((await replay.firstFailure(mark.index + 1))?.index, undefined, 'no later break');
    assert.deepEqual(replay.breaks.breaks, [mark]);
    assert.equal(replay.breaks.failingSteps, demo.length - mark.index);
    // The same search with an expression typed by the user instead of the projection's invariant.
    const typed = await replay.firstFailure(0, 'Object.values(state.balances).every((b) => b >= 0)');
    assert.equal(typed?.index, mark.index);
    assert.match(typed!.message, /is false$/);
  });

  it('replays one stream or one category of a store, in order, and the events file format', async () => {
    const dana = demo.find((e) => e.type === DEMO_STORY.eventType && e.data.transaction_id !== undefined)!.streamId;
    const stream = await replayOf(genericEngine(), { kind: 'store', location: demoPath, scope: { stream: dana } });
    const danas = demo.filter((e) => e.streamId === dana);
    assert.equal(stream.length, danas.length);
    assert.deepEqual(
      (await stream.events(0, 1000)).map((e) => e.revision),
      danas.map((e) => e.revision),
    );
    const accounts = await replayOf(genericEngine(), { kind: 'store', location: demoPath, scope: { category: 'BankAccount' } });
    const expected = demo.filter((e) => e.type.includes(':BankAccount.'));
    assert.equal(accounts.length, expected.length);
    assert.deepEqual(
      (await accounts.events(0, 1000)).map((e) => e.position),
      expected.map((e) => e.position),
    );
    await assert.rejects(
      openReplaySource({ kind: 'store', location: demoPath, scope: { category: 'Nope' } }),
      /has no category "Nope"; its categories, closest first: Dog, BankAccount\./,
    );

    writeFileSync(join(dir, 'x.events'), '### Opened  acc-1\n\n{"owner": "A"}\n\n### Credited  acc-1\n\n{"amount": 5}\n');
    const file = await replayOf(genericEngine(), { kind: 'eventsFile', path: join(dir, 'x.events') });
    const state = (await file.final()) as { events: number; byType: Record<string, number>; streams: Record<string, { fields: object }> };
    assert.equal(state.events, 2);
    assert.deepEqual(state.byType, { Opened: 1, Credited: 1 });
    assert.deepEqual(state.streams['acc-1'].fields, { owner: 'A', amount: 5 });
  });

  it('seeking and stepping in any order give the states of a straight replay (property), keyframes thinned or not', async () => {
    const projection: Projection = {
      init: () => ({ total: 0, items: [] as number[] }),
      when: {
        Add: (s, e) => void ((s as { total: number }).total += e.data.n as number),
        Push: (s, e) => void (s as { items: number[] }).items.push(e.data.n as number),
        Reset: () => ({ total: 0, items: [] }),
      },
    };
    const events = fc.array(
      fc
        .record({ type: fc.constantFrom('Add', 'Push', 'Reset', 'Other'), n: fc.integer({ min: -100, max: 100 }) })
        .map((r) => event(r.type, { n: r.n })),
      { maxLength: 200 },
    );
    // A session of moves: seek anywhere, step forward or back (what the panel does).
    const moves = fc.array(fc.oneof(fc.record({ seek: fc.nat() }), fc.constantFrom('forward' as const, 'back' as const)), {
      maxLength: 12,
    });
    await fc.assert(
      fc.asyncProperty(
        events,
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 2, max: 8 }),
        moves,
        async (list, interval, maxKeyframes, session) => {
          const replay = await replayOf(moduleEngine(projection, 'p'), memory(list), { interval, maxKeyframes });
          assert.ok(replay.keyframeCount <= maxKeyframes, 'keyframes stay within their budget');
          const straight: unknown[] = [structuredClone(projection.init!())];
          const table = new HandlerTable(projection);
          for (const e of list) straight.push(structuredClone(applyEvent(projection, table, structuredClone(straight.at(-1)), e)));
          let at = 0;
          for (const move of session) {
            if (typeof move === 'object') {
              at = list.length ? move.seek % (list.length + 1) : 0;
              assert.deepEqual(await replay.stateAfter(at), straight[at], `seek to ${at}`);
              continue;
            }
            at = Math.max(0, Math.min(list.length - 1, at + (move === 'forward' ? 1 : -1)));
            if (!list.length) continue;
            const step = await replay.step(at);
            assert.deepEqual(step.stateBefore, straight[at], `step ${at}: before`);
            assert.deepEqual(step.stateAfter, straight[at + 1], `step ${at}: after`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('records a throwing handler as the step error and keeps stateBefore intact', async () => {
    const projection: Projection = {
      init: () => ({ n: 0 }),
      when: {
        Inc: (s) => void ((s as { n: number }).n += 1),
        Boom: () => {
          throw new Error('no such account');
        },
      },
    };
    const replay = await replayOf(moduleEngine(projection, 'p'), memory([event('Inc', {}, 1), event('Boom', {}, 2), event('Inc', {}, 3)]), {
      interval: 2,
    });
    const step = await replay.step(1);
    assert.equal(step.error, 'no such account');
    assert.deepEqual(step.stateBefore, { n: 1 });
    assert.deepEqual(step.stateAfter, { n: 1 });
    assert.equal(step.changes, undefined);
    assert.deepEqual(replay.errors, [{ index: 1, message: 'no such account' }]);
    assert.equal((await replay.firstFailure())?.index, 1);
    assert.deepEqual(await replay.stateAfter(3), { n: 2 });
    await assert.rejects(replay.step(3), /There is no step 3 in this replay \(0…2\)/);
  });

  it('stops on type and condition breakpoints, and says which condition failed where', async () => {
    const list = [
      event('Add', { n: 1 }, 1),
      event('x:A.Push', { n: 2 }, 2),
      event('Add', { n: 5 }, 3),
      event('Add', { n: 1 }, 4),
      event('Push', { n: 0 }, 5),
    ];
    const projection: Projection = {
      init: () => ({ total: 0 }),
      any: (s, e) => void ((s as { total: number }).total += e.data.n as number),
    };
    const replay = await replayOf(moduleEngine(projection, 'p'), memory(list), { interval: 2 });
    assert.deepEqual((await replay.scan([{ kind: 'type', type: 'Push' }], typeMatches)).hits, [1, 4]);
    assert.deepEqual((await replay.scan([{ kind: 'condition', expression: 'state.total >= 8' }], typeMatches)).hits, [2, 3, 4]);
    assert.deepEqual((await replay.scan([{ kind: 'condition', expression: 'state.total - before.total > 2' }], typeMatches)).hits, [2]);
    const both = await replay.scan(
      [
        { kind: 'type', type: 'Push' },
        { kind: 'condition', expression: 'event.data.n === 5' },
      ],
      typeMatches,
    );
    assert.deepEqual(both.hits, [1, 2, 4]);
    assert.deepEqual((await replay.scan([{ kind: 'type', type: 'Add' }], typeMatches, 1)).hits, [2, 3], 'hits from a step on');
    assert.deepEqual((await replay.scan([{ kind: 'condition', expression: 'state.total >= 8' }], typeMatches, 3)).hits, [3, 4]);
    const broken = await replay.scan([{ kind: 'condition', expression: 'state.missing.x' }], typeMatches);
    assert.deepEqual(broken.hits, []);
    assert.equal(broken.problems.length, 1);
    assert.match(broken.problems[0], /^"state\.missing\.x" failed at event #1 \(Add, stream s-1 revision 1, position 1\): .*undefined/);
    const bad = await replay.scan(
      [
        { kind: 'condition', expression: 'state.total >' },
        { kind: 'type', type: 'Push' },
      ],
      typeMatches,
    );
    assert.deepEqual(bad.hits, [1, 4], 'the other breakpoints still hit');
    assert.equal(bad.problems.length, 1);
    assert.match(bad.problems[0], /^The condition "state\.total >" is not a JavaScript expression: /);
  });

  it('filters steps by text and finds an event again by its key, in a store and in memory', async () => {
    const onStore = await replayOf(genericEngine(), { kind: 'store', location: demoPath, scope: { all: true } }, { interval: 8 });
    const inMemory = await replayOf(genericEngine(), memory(demo), { interval: 8 });
    for (const replay of [onStore, inMemory]) {
      const debits = demo.flatMap((e, i) => (e.type.endsWith('.Debited') ? [i] : []));
      assert.deepEqual(await replay.matching('debited'), debits);
      const dana = demo.find((e) => e.data.full_name === DEMO_STORY.accountName)!.streamId;
      assert.deepEqual(
        await replay.matching(`DEBITED ${dana.slice(0, 8)}`),
        debits.filter((i) => demo[i].streamId === dana),
      );
      // The same `where` expressions as `log --where` (sealed off; an event it throws on is no match).
      const big = demo.flatMap((e, i) => (Number(e.data.amount) > 500 ? [i] : []));
      assert.ok(big.length > 0);
      assert.deepEqual(await replay.matching('where Number(event.data.amount) > 500'), big);
      assert.deepEqual(await replay.matching('event.data.amount && Number(event.data.amount) > 500'), big);
      assert.deepEqual(await replay.matching('where event.data.nothing.here'), []);
      await assert.rejects(replay.matching('where event.data.amount >'), /is not a JavaScript expression/);
      for (const index of [0, 7, 8, 9, 200, demo.length - 1]) {
        const { streamId, revision, position } = demo[index];
        assert.equal(await replay.indexOf({ streamId, revision, position }), index);
      }
      assert.equal(await replay.indexOf({ streamId: 'nope', revision: 1, position: 3 }), undefined);
    }
  });

  it('the generic projection merges fields per stream and counts types, labelled as generic', async () => {
    const replay = await replayOf(genericEngine(), memory(demo));
    assert.match(replay.engine.name, /^Generic \(built-in\)/);
    const state = (await replay.final()) as { events: number; byType: Record<string, number>; streams: Record<string, { events: number }> };
    assert.equal(state.events, demo.length);
    assert.equal(
      Object.values(state.byType).reduce((a, b) => a + b, 0),
      demo.length,
    );
    assert.equal(Object.keys(state.streams).length, new Set(demo.map((e) => e.streamId)).size);
  });
});

describe('projections: step diffs', () => {
  // JSON-like states: nested objects (the part diffStates descends), arrays, primitives.
  const value = fc.letrec((tie) => ({
    leaf: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom('a', 'b', null, true), fc.string({ maxLength: 3 })),
    node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('array'), tie('object')),
    array: fc.array(tie('node'), { maxLength: 4 }),
    object: fc.dictionary(fc.constantFrom('x', 'y', 'z', 'id', 'w'), tie('node'), { maxKeys: 4, noNullPrototype: true }),
  })).object;

  it('diffStates gives the delta jsondiffpatch gives for the whole states, and it patches before into after (property)', () => {
    fc.assert(
      fc.property(value, value, fc.boolean(), (a, b, related) => {
        // Half the time, `after` is `before` with a few paths changed (what a step does).
        const before = a;
        const after = related ? { ...structuredClone(a), ...b } : b;
        const delta = diffStates(before, after);
        assert.deepEqual(delta, differ.diff(structuredClone(before), structuredClone(after)));
        assert.deepEqual(differ.patch(structuredClone(before), delta), after);
      }),
      { numRuns: 500 },
    );
  });

  it('skips what did not change in a big state', () => {
    const streams: Record<string, { events: number; fields: Record<string, unknown> }> = {};
    for (let i = 0; i < 100_000; i++) streams[`s-${i}`] = { events: 3, fields: { n: i, name: `stream ${i}` } };
    const before = { events: 300_000, streams };
    const after = structuredClone(before);
    after.events += 1;
    after.streams['s-777'].fields.n = -1;
    const started = performance.now();
    const delta = diffStates(before, after);
    const ms = performance.now() - started;
    assert.deepEqual(delta, { events: [300_000, 300_001], streams: { 's-777': { fields: { n: [777, -1] } } } });
    // Informational: the library on the whole states takes far longer (not asserted: timing).
    console.log(`      diffStates on 100,000 streams: ${ms.toFixed(0)} ms`);
  });
});

describe('projections: loading files', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'eventscope-load-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const load = async (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return loadEngine({ kind: 'bundle', bundle: await bundleProjection(join(dir, name)) }, require);
  };

  it('loads TypeScript (with imports) and CommonJS projections', async () => {
    writeFileSync(join(dir, 'money.ts'), 'export const cents = (s: string): number => Math.round(Number(s) * 100);\n');
    const { engine: ts } = await load(
      'p.ts',
      "import { cents } from './money';\ninterface S { total: number }\nexport default { init: (): S => ({ total: 0 }), when: { Credited: (s: S, e: { data: { amount: string } }) => { s.total += cents(e.data.amount); } } };\n",
    );
    assert.equal(ts.kind, 'module');
    const bundle = await bundleProjection(join(dir, 'p.ts'));
    assert.deepEqual(bundle.inputs.sort(), [join(dir, 'money.ts'), join(dir, 'p.ts')]);
    assert.deepEqual(ts.apply(ts.init(), event('x:A.Credited', { amount: '1.25' }), undefined), { total: 125 });
    const { engine: cjs } = await load('p.cjs', 'module.exports = { when: { Opened: () => ({ opened: true }) } };\n');
    assert.deepEqual(cjs.apply({}, event('Opened'), undefined), { opened: true });
  });

  it('loads the example projection of the demo store', async () => {
    const { engine } = loadEngine(
      { kind: 'bundle', bundle: await bundleProjection(join(__dirname, '..', 'examples', 'bank-balances.js')) },
      require,
    );
    assert.equal(engine.name, 'Account balances');
    assert.ok(engine.invariant);
  });

  it("maps errors and handlers back to the user's TypeScript lines", async () => {
    const { engine, locator } = await load(
      'lines.ts',
      [
        'interface S { n: number }', // 1
        'type E = { data: { n?: number } };', // 2
        'export default {', // 3
        '  init: (): S => ({ n: 0 }),', // 4
        '  when: {', // 5
        '    Bad: (s: S, e: E) => {', // 6
        '      if (e.data.n === undefined) throw new Error(`no n in ${JSON.stringify(e.data)}`);', // 7
        '      s.n += e.data.n;', // 8
        '    },', // 9
        '  },', // 10
        '};', // 11
      ].join('\n'),
    );
    let thrown: unknown;
    try {
      engine.apply(engine.init(), event('Bad'), undefined);
    } catch (error) {
      thrown = error;
    }
    assert.match(locator!.describe(thrown), new RegExp(`^no n in \\{\\} \\(at ${join(dir, 'lines.ts').replace(/[.]/g, '\\.')}:7:\\d+\\)$`));
    const bad = engine.userFunctions.find((f) => f.name === 'the Bad handler')!;
    assert.match(locator!.ofFunction(bad.fn)!, /lines\.ts:6:\d+$/);
  });

  it('says where a syntax error is, and refuses a file that exports no projection', async () => {
    await assert.rejects(load('bad.ts', 'export default { when: { A: (s) => { s.x = ; } } };\n'), /bad\.ts:1:\d+: /);
    await assert.rejects(load('empty.js', 'export const x = 1;\n'), /is not a projection/);
    await assert.rejects(
      load('throws.js', 'const x = null;\nx.y = 1;\nexport default { when: {} };\n'),
      /throws\.js failed to load: .* \(at .*throws\.js:2:\d+\)/,
    );
    await assert.rejects(bundleProjection(join(dir, 'missing.ts')), /missing\.ts/);
  });
});
