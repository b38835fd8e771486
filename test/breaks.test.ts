/**
 * Invariant breaks (src/core/projection/breaks.ts): the steps after which the invariant goes from
 * holding to failing, over the whole state or per partition (a JS projection's `partitionBy`,
 * KurrentDB's `foreachStream()` / `partitionBy`, the generic projection's streams), for the
 * projection's own invariant (the first pass) and for a typed expression, and "Next" from a step.
 */

import assert from 'node:assert/strict';
import type { RecordedEvent } from '../src/core/events';
import { BreakTracker, describeBreaks } from '../src/core/projection/breaks';
import { genericEngine, moduleEngine } from '../src/core/projection/engines';
import { createKurrentEnvironment, kurrentEngine } from '../src/core/projection/kurrent';
import type { Projection } from '../src/core/projection/projection';
import { Replay } from '../src/core/projection/replay';
import { openReplaySource } from '../src/core/projection/source';
import { MARK_LIMIT, type ProjectionEngine } from '../src/core/projection/types';

let position = 0;
/** An event of `streamId` moving its balance by `amount`. */
function move(streamId: string, amount: number): RecordedEvent {
  position += 1;
  return { streamId, revision: position, position, type: 'Moved', timestamp: null, data: { amount }, metadata: {}, kinds: {} };
}

async function replayOf(engine: ProjectionEngine, events: RecordedEvent[]): Promise<Replay> {
  const replay = new Replay(engine, await openReplaySource({ kind: 'events', label: 'test', events }), { interval: 2 });
  await replay.run();
  return replay;
}

type Balances = { balances: Record<string, number> };

/** Balances per stream; the invariant given checks them. */
function balances(invariant: Projection['invariant'], partitionBy?: Projection['partitionBy']): ProjectionEngine {
  return moduleEngine(
    {
      init: () => ({ balances: {} }),
      when: {
        Moved: (state, event) => {
          const s = state as Balances;
          s.balances[event.streamId] = (s.balances[event.streamId] ?? 0) + Number(event.data.amount);
        },
      },
      invariant,
      ...(partitionBy ? { partitionBy } : {}),
    },
    'balances.js',
  );
}

/** The whole-state form: every balance is checked after every event. */
const everyBalance = (state: unknown) => {
  const negative = Object.entries((state as Balances).balances).find(([, b]) => b < 0);
  return negative ? `${negative[0]} is at ${negative[1]}` : true;
};

/** The touched-stream form: only the balance the event changed. */
const touchedBalance = (state: unknown, event: { streamId: string }) => {
  const b = (state as Balances).balances[event.streamId];
  return b === undefined || b >= 0 || `${event.streamId} is at ${b}`;
};

const indexes = (marks: readonly { index: number }[]) => marks.map((m) => m.index);

describe('invariant breaks', () => {
  it('a tracker: a failure that heals and fails again breaks twice, per partition when partitioned', () => {
    const whole = new BreakTracker(false);
    const verdicts: (string | undefined)[] = [undefined, 'x', 'x', undefined, 'y', 'y'];
    verdicts.forEach((v, i) => whole.record(i, undefined, v));
    assert.deepEqual(whole.result(), {
      breaks: [
        { index: 1, message: 'x' },
        { index: 4, message: 'y' },
      ],
      truncated: false,
      failingSteps: 4,
    });
    const parts = new BreakTracker(true);
    // a fails, b fails (a still failing), a fails on, a heals, a fails again, b holds then fails.
    const steps: [string, string | undefined][] = [
      ['a', 'a<0'],
      ['b', 'b<0'],
      ['a', 'a<0'],
      ['a', undefined],
      ['a', 'a<0 again'],
      ['b', undefined],
      ['b', 'b<0 again'],
    ];
    steps.forEach(([p, v], i) => parts.record(i, p, v));
    assert.deepEqual(parts.result().breaks, [
      { index: 0, message: 'a<0', partition: 'a' },
      { index: 1, message: 'b<0', partition: 'b' },
      { index: 4, message: 'a<0 again', partition: 'a' },
      { index: 6, message: 'b<0 again', partition: 'b' },
    ]);
    const capped = new BreakTracker(false, 0, 1);
    ['x', undefined, 'x'].forEach((v, i) => capped.record(i, undefined, v));
    assert.deepEqual(capped.result(), { breaks: [{ index: 0, message: 'x' }], truncated: true, failingSteps: 2 });
    assert.equal(describeBreaks(whole.result().breaks), '2 breaks (first at step 2)');
    assert.equal(describeBreaks([{ index: 225, message: '' }]), '1 break (at step 226)');
    assert.equal(describeBreaks([]), 'no breaks');
  });

  it('whole state: a failure that heals and fails again is 2 breaks; Next goes from one to the other', async () => {
    const events = [move('a', 5), move('a', -10), move('b', 1), move('a', 10), move('b', 1), move('b', -5), move('a', 1)];
    const replay = await replayOf(balances(everyBalance), events);
    // a < 0 after step 1 (and while b moves), healed at step 3, b < 0 after step 5 (and on).
    assert.deepEqual(indexes(replay.breaks.breaks), [1, 5]);
    assert.equal(replay.breaks.failingSteps, 4);
    assert.equal(replay.breaks.breaks[0].partition, undefined, 'one whole state: no partition');
    assert.equal((await replay.firstFailure())?.index, 1);
    assert.equal((await replay.firstFailure(2))?.index, 5, 'Next skips the steps that stay broken');
    assert.equal(await replay.firstFailure(6), undefined);
    // A typed expression breaks the same way, found by one pass and kept.
    const expression = 'Object.values(state.balances).every((b) => b >= 0)';
    assert.equal((await replay.firstFailure(0, expression))?.index, 1, 'found by running only up to it');
    const typed = await replay.breaksOf(expression);
    assert.deepEqual(indexes(typed.breaks), [1, 5]);
    assert.match(typed.breaks[0].message, /is false$/);
    assert.equal(await replay.breaksOf(expression), typed, 'kept');
    assert.equal((await replay.firstFailure(2, expression))?.index, 5);
    // Its state before: `before` is the state before the event.
    assert.deepEqual(indexes((await replay.breaksOf('!(before.balances.a >= 0 && state.balances.a < 0)')).breaks), [1]);
  });

  it("per partition with a JS projection's partitionBy: each stream breaks on its own", async () => {
    const events = [
      move('a', -1), // a breaks
      move('b', -1), // b breaks, a still broken
      move('a', -1), // a stays broken
      move('a', 5), // a heals
      move('b', -1), // b stays broken
      move('a', -10), // a breaks again
    ];
    const partitioned = await replayOf(
      balances(touchedBalance, (event) => event.streamId),
      events,
    );
    assert.equal(partitioned.engine.partitioning, 'custom');
    assert.deepEqual(
      partitioned.breaks.breaks.map((b) => [b.index, b.partition]),
      [
        [0, 'a'],
        [1, 'b'],
        [5, 'a'],
      ],
    );
    assert.equal(partitioned.breaks.failingSteps, 5);
    assert.deepEqual(
      [await partitioned.firstFailure(1), await partitioned.firstFailure(2)].map((m) => m?.index),
      [1, 5],
    );
    // The same events over the whole state: b's failure hides in a's, a's heal leaves b's.
    const whole = await replayOf(balances(everyBalance), events);
    assert.deepEqual(indexes(whole.breaks.breaks), [0]);
    // A throwing partitionBy (asked while a partition fails: b may heal it) fails the step, and says so.
    const throwing = await replayOf(
      balances(touchedBalance, (event) => {
        if (event.streamId === 'b') throw new Error('no key for b');
        return event.streamId;
      }),
      [move('a', -1), move('b', 1)],
    );
    assert.deepEqual(
      throwing.breaks.breaks.map((b) => [b.index, b.partition]),
      [
        [0, 'a'],
        [1, undefined],
      ],
    );
    assert.match(throwing.breaks.breaks[1].message, /^partitionBy threw: no key for b/);
  });

  it('the generic projection breaks per stream; KurrentDB foreachStream and partitionBy per partition', async () => {
    const events = [move('s-1', 1), move('s-2', 1), move('s-1', 1), move('s-2', 1), move('s-1', 1)];
    const generic = await replayOf(genericEngine(), events);
    assert.equal(generic.engine.partitioning, 'stream');
    const perStream = await generic.breaksOf('state.streams[event.streamId].events < 2');
    assert.deepEqual(
      perStream.breaks.map((b) => [b.index, b.partition]),
      [
        [2, 's-1'],
        [3, 's-2'],
      ],
    );
    // Whatever the expression reads, its verdicts are per stream: a global count breaks in each stream once.
    assert.deepEqual(indexes((await generic.breaksOf('state.events < 3')).breaks), [2, 3]);

    const script = (partitioning: string) => {
      const env = createKurrentEnvironment();
      const code = `fromAll()${partitioning}.when({ $init: () => ({ n: 0 }), Moved: (s, e) => { s.n += e.body.amount; } })`;
      new Function(...Object.keys(env.globals), code)(...Object.values(env.globals));
      return kurrentEngine(env.definition()!, 'k');
    };
    const foreach = await replayOf(script('.foreachStream()'), events);
    assert.equal(foreach.engine.partitioning, 'stream');
    assert.deepEqual(
      (await foreach.breaksOf('state.partitions[event.streamId].n < 2')).breaks.map((b) => [b.index, b.partition]),
      [
        [2, 's-1'],
        [3, 's-2'],
      ],
    );
    const custom = await replayOf(script(".partitionBy((e) => e.streamId === 's-1' ? 'one' : 'other')"), events);
    assert.equal(custom.engine.partitioning, 'custom');
    assert.deepEqual(
      (await custom.breaksOf('Object.values(state.partitions).every((p) => p.n < 2)')).breaks.map((b) => [b.index, b.partition]),
      [
        [2, 'one'],
        [3, 'other'],
      ],
    );
  });

  it("reads the failing step's stream back: its last events before it, across windows", async () => {
    const events = [
      move('x', 1),
      ...Array.from({ length: 700 }, () => move('other', 1)),
      move('x', 2),
      ...Array.from({ length: 300 }, () => move('other', 1)),
      move('x', 3),
    ];
    const replay = await replayOf(genericEngine(), events);
    const last = events.length - 1;
    assert.deepEqual(
      (await replay.preceding(last, 3)).map((p) => [p.index, p.event.data.amount]),
      [
        [0, 1],
        [701, 2],
      ],
    );
    assert.deepEqual(
      (await replay.preceding(last, 1)).map((p) => p.index),
      [701],
    );
    assert.deepEqual(await replay.preceding(0, 3), []);
  });

  it('past MARK_LIMIT breaks, Next finds the next one by running on', async () => {
    // Fails, heals, fails…: MARK_LIMIT + 2 breaks.
    const events = Array.from({ length: 2 * (MARK_LIMIT + 2) }, (_, i) => move('a', i % 2 === 0 ? -1 : 1));
    const replay = await replayOf(balances(everyBalance), events);
    assert.equal(replay.breaks.breaks.length, MARK_LIMIT);
    assert.equal(replay.breaks.truncated, true);
    assert.deepEqual(replay.truncated, { errors: false, breaks: true });
    const last = replay.breaks.breaks.at(-1)!.index;
    assert.equal(last, 2 * (MARK_LIMIT - 1));
    assert.equal((await replay.firstFailure(last))?.index, last);
    assert.equal((await replay.firstFailure(last + 1))?.index, last + 2);
    assert.equal((await replay.firstFailure(last + 3))?.index, last + 4);
    assert.equal(await replay.firstFailure(last + 5), undefined);
  });
});
