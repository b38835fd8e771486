import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import bankBalances from '../examples/bank-balances.js';
import { DEMO_STORY, writeDemoStore } from '../src/core/demo';
import type { RecordedEvent } from '../src/core/events';
import { bundleProjection, evaluateProjection } from '../src/core/projection/load';
import { applyEvent, HandlerTable, type Projection } from '../src/core/projection/projection';
import { ReplayTimeline } from '../src/core/projection/timeline';
import { EventsourcingSqliteStore } from '../src/core/stores/eventsourcingSqlite';
import { iterateAll } from '../src/core/stores/types';

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
  });
});

describe('projections: the replay timeline', () => {
  let dir: string;
  let demo: RecordedEvent[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventscope-replay-'));
    writeDemoStore(join(dir, 'demo.sqlite'));
    const store = new EventsourcingSqliteStore(join(dir, 'demo.sqlite'));
    demo = [];
    for await (const e of iterateAll(store)) demo.push(e);
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("finds the demo store's story: the first event that breaks the invariant is the duplicated debit", () => {
    const timeline = new ReplayTimeline(bankBalances as Projection, demo, 16);
    const failure = timeline.firstFailure();
    assert.ok(failure);
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
    assert.equal(timeline.firstFailure(failure.index + 1)?.index, failure.index + 1, 'it stays broken on the next event');
  });

  it('seeking to any step gives the same state as a straight replay (property)', () => {
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
    fc.assert(
      fc.property(events, fc.integer({ min: 1, max: 50 }), fc.nat(), (list, interval, pick) => {
        const timeline = new ReplayTimeline(projection, list, interval);
        const count = list.length ? pick % (list.length + 1) : 0;
        let straight: unknown = projection.init!();
        const table = new HandlerTable(projection);
        for (const e of list.slice(0, count)) straight = applyEvent(projection, table, straight, e);
        assert.deepEqual(timeline.stateAfter(count), straight);
        assert.deepEqual(timeline.stateAfter(count), timeline.stateAfter(count), 'seeking twice is stable');
      }),
      { numRuns: 200 },
    );
  });

  it('records a throwing handler as the step error and keeps stateBefore intact', () => {
    const projection: Projection = {
      init: () => ({ n: 0 }),
      when: {
        Inc: (s) => void ((s as { n: number }).n += 1),
        Boom: () => {
          throw new Error('no such account');
        },
      },
    };
    const timeline = new ReplayTimeline(projection, [event('Inc', {}, 1), event('Boom', {}, 2), event('Inc', {}, 3)], 2);
    const step = timeline.step(1);
    assert.equal(step.error, 'no such account');
    assert.deepEqual(step.stateBefore, { n: 1 });
    assert.deepEqual(step.stateAfter, { n: 1 });
    assert.equal(step.changes, undefined);
    assert.equal(timeline.firstFailure()?.index, 1);
    assert.deepEqual(timeline.stateAfter(3), { n: 2 });
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
    return evaluateProjection(await bundleProjection(join(dir, name)), require);
  };

  it('loads TypeScript (with imports) and CommonJS projections', async () => {
    writeFileSync(join(dir, 'money.ts'), 'export const cents = (s: string): number => Math.round(Number(s) * 100);\n');
    const ts = await load(
      'p.ts',
      "import { cents } from './money';\ninterface S { total: number }\nexport default { init: (): S => ({ total: 0 }), when: { Credited: (s: S, e: { data: { amount: string } }) => { s.total += cents(e.data.amount); } } };\n",
    );
    const table = new HandlerTable(ts);
    assert.deepEqual(applyEvent(ts, table, ts.init!(), event('x:A.Credited', { amount: '1.25' })), { total: 125 });
    const cjs = await load('p.cjs', 'module.exports = { when: { Opened: () => ({ opened: true }) } };\n');
    assert.deepEqual(applyEvent(cjs, new HandlerTable(cjs), {}, event('Opened')), { opened: true });
  });

  it('loads the example projection of the demo store', async () => {
    const projection = evaluateProjection(await bundleProjection(join(__dirname, '..', 'examples', 'bank-balances.js')), require);
    assert.equal(projection.name, 'Account balances');
  });

  it('says where a syntax error is, and refuses a file that exports no projection', async () => {
    await assert.rejects(load('bad.ts', 'export default { when: { A: (s) => { s.x = ; } } };\n'), /bad\.ts:1:\d+: /);
    await assert.rejects(load('empty.js', 'export const x = 1;\n'), /does not export a projection/);
    await assert.rejects(bundleProjection(join(dir, 'missing.ts')), /missing\.ts/);
  });
});
