import assert from 'node:assert/strict';
import type { BreakJSON } from '../src/core/query/replayReport';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEMO_STORY, writeDemoStore } from '../src/core/demo';
import { ReplaySession, type ReplaySessionOptions } from '../src/core/projection/session';
import { parseCipherKey } from '../src/core/codecs/eventsourcing';
import { copyFixture, removeTempDirs, runCli, sha256 } from './helpers/cli';
import { FIXTURE_KEY, readDumps } from './helpers/dumps';

// The replay worker as the CLI and the extension run it (built by `npm run build`).
const workerScript = resolve(__dirname, '..', 'dist', 'projection-worker.js');
const open = (options: ReplaySessionOptions) => ReplaySession.open({ workerScript, ...options });

/** Runs `work` on an open session and closes it, whatever happens. */
async function withSession(options: ReplaySessionOptions, work: (session: ReplaySession) => Promise<void>): Promise<void> {
  const session = await open(options);
  try {
    await work(session);
  } finally {
    await session.dispose();
  }
}

describe('replays in a worker: sessions and the CLI', function () {
  this.timeout(60_000);
  let dir: string;
  let demo: string;
  let events: string;
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const bank = resolve(__dirname, '..', 'examples', 'bank-balances.js');

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'eventscope-session-'));
    demo = join(dir, 'demo.sqlite');
    writeDemoStore(demo);
    events = file(
      's.events',
      ['A', 'A', 'Loop', 'A', 'Grow'].map((t, i) => `### ${t}  s-1\nrevision: ${i + 1}\n\n{"n": ${i + 1}}\n`).join('\n'),
    );
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    removeTempDirs();
  });

  for (const [name, dump] of readDumps()) {
    it(`replays every event of the fixture ${name} with the generic projection, leaving the store as it was`, async () => {
      const location = copyFixture(name);
      const hash = sha256(location);
      const encrypted = name.startsWith('c_');
      await withSession(
        {
          source: { kind: 'store', location, scope: { all: true }, ...(encrypted ? { cipherKey: parseCipherKey(FIXTURE_KEY) } : {}) },
          projection: { kind: 'generic' },
        },
        async (session) => {
          const state = (await session.finalState()) as {
            events: number;
            byType: Record<string, number>;
            streams: Record<string, unknown>;
          };
          assert.equal(session.summary.projection.kind, 'generic');
          assert.equal(state.events, dump.events.length);
          const byTopic: Record<string, number> = {};
          for (const row of dump.events) byTopic[row.topic] = (byTopic[row.topic] ?? 0) + 1;
          assert.deepEqual(state.byType, byTopic);
          assert.equal(Object.keys(state.streams).length, new Set(dump.events.map((r) => r.originatorId)).size);
          const last = await session.step(dump.events.length - 1);
          assert.equal(last.event.position, dump.events.at(-1)!.rowid);
        },
      );
      assert.equal(sha256(location), hash);
      if (encrypted) {
        await assert.rejects(
          open({ source: { kind: 'store', location, scope: { all: true } }, projection: { kind: 'generic' } }),
          (error: Error) => error.name === 'EventscopeError' && !error.message.includes('\n') && /c_aes_zlib\.db/.test(error.message),
        );
      }
    });
  }

  it("runs the demo's bank-balances projection off the main thread and finds the duplicated debit", async () => {
    await withSession(
      {
        source: { kind: 'store', location: demo, scope: { all: true } },
        projection: { kind: 'file', path: bank },
      },
      async (session) => {
        const { summary } = session;
        assert.equal(summary.steps, 330);
        assert.equal(summary.projection.name, 'Account balances');
        assert.equal(summary.projection.kind, 'module');
        assert.ok(summary.hasInvariant);
        assert.equal(summary.errors.length, 0);
        const failure = summary.firstFailure!;
        const step = await session.step(failure.index);
        assert.equal(step.event.type, DEMO_STORY.eventType);
        // States cross to the host only as asked: no state before by default, none past a size.
        assert.equal(step.stateBefore, undefined);
        assert.ok(step.stateBytes! > 100);
        const withBefore = await session.step(failure.index, { before: true });
        assert.ok((withBefore.stateBefore as { balances: Record<string, number> }).balances[step.event.streamId] >= 0);
        const small = await session.step(failure.index, { maxStateBytes: 100 });
        assert.deepEqual([small.statesOmitted, small.stateAfter, small.stateBytes], [true, undefined, step.stateBytes]);
        assert.deepEqual(small.changes, step.changes, 'what changed still comes');
        assert.match(step.invariantFailure!, new RegExp(`^${DEMO_STORY.accountName}'s balance is -`));
        assert.deepEqual(await session.firstFailure(0), failure);
        const hits = await session.scan([{ kind: 'condition', expression: `event.streamId === ${JSON.stringify(step.event.streamId)}` }]);
        assert.ok(hits.hits.includes(failure.index));
        assert.equal(((await session.finalState()) as { balances: Record<string, number> }).balances[step.event.streamId] < 0, true);
      },
    );
  });

  it('captures console output per step, and re-runs the file after it changed', async () => {
    const path = file(
      'logs.js',
      'export default { init: () => ({ n: 0 }), any: (s, e) => { console.log("saw", e.type, { n: e.data.n }); s.n += e.data.n; } };\n',
    );
    await withSession({ source: { kind: 'eventsFile', path: events }, projection: { kind: 'file', path } }, async (session) => {
      assert.deepEqual((await session.step(1)).output.logs, ['saw A { n: 2 }']);
      assert.deepEqual(await session.finalState(), { n: 15 });
      // A change that fails to load or to run leaves the previous replay open.
      file('logs.js', 'export default { when: { A: () => { throw new Error("x"); } }, init: () => { throw new Error("no init"); } };\n');
      await assert.rejects(session.reload(), /^EventscopeError: The projection's init failed: no init \(at .*logs\.js:1:\d+\)\.$/);
      assert.deepEqual(await session.finalState(), { n: 15 });
      file('logs.js', 'export default { init: () => ({ n: 100 }), any: (s, e) => { s.n -= e.data.n; } };\n');
      const summary = await session.reload();
      assert.equal(summary.steps, 5);
      assert.deepEqual(await session.finalState(), { n: 85 });
      assert.deepEqual((await session.step(1)).output.logs, []);
    });
  });

  it('runs a KurrentDB script in the worker: partitions, emitted events, links and log lines per step', async () => {
    const path = file(
      'balances.kurrent.js',
      [
        "fromCategory('BankAccount')",
        '  .foreachStream()',
        '  .when({',
        '    $init: () => ({ balance: 0 }),',
        "    Credited: (s, e) => { s.balance += Number(e.body.amount); log('credit', e.sequenceNumber); },",
        '    Debited: (s, e) => {',
        '      s.balance -= Number(e.body.amount);',
        "      if (s.balance < 0) { emit('overdrawn', 'Overdrawn', { account: e.streamId, balance: s.balance }); linkTo('overdrawn-links', e); }",
        '    },',
        '  });',
      ].join('\n'),
    );
    await withSession(
      { source: { kind: 'store', location: demo, scope: { all: true } }, projection: { kind: 'file', path } },
      async (session) => {
        assert.equal(session.summary.projection.kind, 'kurrentdb');
        const overdrawn = await session.scan([
          { kind: 'condition', expression: 'Object.values(state.partitions).some((p) => p.balance < 0)' },
        ]);
        const step = await session.step(overdrawn.hits[0]);
        assert.equal(step.event.type, DEMO_STORY.eventType);
        assert.deepEqual(
          step.output.emitted.map((e) => [e.kind, e.stream, e.type]),
          [
            ['emit', 'overdrawn', 'Overdrawn'],
            ['link', 'overdrawn-links', '$>'],
          ],
        );
        assert.equal(step.output.emitted[1].data as string, `${step.event.revision}@${step.event.streamId}`);
        const partitions = (step.stateAfter as { partitions: Record<string, { balance: number }> }).partitions;
        assert.ok(partitions[step.event.streamId].balance < 0);
        const credit = (await session.scan([{ kind: 'type', type: 'Credited' }])).hits[0];
        assert.match((await session.step(credit)).output.logs[0], /^credit \d+$/);
      },
    );
  });

  it('stops a handler stuck in an endless loop, naming the event and its source line; the steps before stay usable', async () => {
    const path = file(
      'loop.ts',
      'export default {\n  init: () => ({ n: 0 }),\n  when: {\n    A: (s: { n: number }) => { s.n += 1; },\n    Loop: () => {\n      for (;;) {}\n    },\n  },\n};\n',
    );
    const started = performance.now();
    await withSession(
      { source: { kind: 'eventsFile', path: events }, projection: { kind: 'file', path }, timeBudgetMs: 200 },
      async (session) => {
        const { summary } = session;
        assert.ok(performance.now() - started < 20_000);
        assert.equal(summary.steps, 2);
        assert.match(
          summary.stopped!,
          new RegExp(
            `^${path.replace(/[.]/g, '\\.')} ran over its 200 ms time budget on event #3 \\(Loop, stream s-1 revision 3, position 3\\) in the Loop handler at .*loop\\.ts:5:\\d+; the replay stops before that event\\.$`,
          ),
        );
        assert.deepEqual(await session.stateAfter(2), { n: 2 });
        assert.equal((await session.step(1)).event.type, 'A');
        // A condition that never ends is stopped the same way; the session carries on.
        await assert.rejects(
          session.scan([{ kind: 'condition', expression: '(() => { for (;;) {} })()' }]),
          /ran over its 200 ms time budget on event #1 \(A,/,
        );
        assert.deepEqual(await session.stateAfter(2), { n: 2 });
      },
    );
  });

  it('names the function that was stuck: an invariant, a KurrentDB partitionBy', async () => {
    const invariant = file(
      'inv.js',
      'export default {\n  when: { A: (s) => { s.a = true; } },\n  invariant: (s, e) => {\n    while (e.type === "Loop") {}\n    return true;\n  },\n};\n',
    );
    // Where a replay of the events file stopped, with a 200 ms budget.
    const stopped = async (path: string) => {
      const session = await open({ source: { kind: 'eventsFile', path: events }, projection: { kind: 'file', path }, timeBudgetMs: 200 });
      await session.dispose();
      return session.summary.stopped!;
    };
    assert.match(await stopped(invariant), /on event #3 \(Loop, .*\) in the invariant at .*inv\.js:3:\d+;/);
    const partition = file(
      'part.js',
      "fromAll()\n  .partitionBy((e) => { while (e.eventType === 'Loop') {} return e.streamId; })\n  .when({ $any: (s) => s });\n",
    );
    assert.match(await stopped(partition), /on event #3 \(Loop, .*\) in partitionBy at .*part\.js:2:\d+;/);
  });

  it('cancels a first pass through its signal, promptly, and says so', async () => {
    const slow = file('slow.js', 'export default { any: () => { const end = Date.now() + 150; while (Date.now() < end) {} } };\n');
    const cancel = new AbortController();
    const started = performance.now();
    setTimeout(() => cancel.abort(), 300);
    await assert.rejects(
      open({
        source: { kind: 'store', location: demo, scope: { all: true } },
        projection: { kind: 'file', path: slow },
        signal: cancel.signal,
      }),
      (error: Error) => error.name === 'EventscopeError' && error.message === 'The replay was cancelled.',
    );
    // 330 events at 150 ms each would take 50 s.
    assert.ok(performance.now() - started < 5_000);
  });

  it('stops a projection that loops while loading, and one that runs out of memory', async () => {
    const top = file('top.js', 'for (;;) {}\nexport default { when: {} };\n');
    await assert.rejects(
      open({ source: { kind: 'eventsFile', path: events }, projection: { kind: 'file', path: top }, timeBudgetMs: 200 }),
      new RegExp(`^EventscopeError: ${top.replace(/[.]/g, '\\.')} ran over its 200 ms time budget while loading\\.$`),
    );
    const grow = file(
      'grow.js',
      'const keep = [];\nexport default { when: { Grow: () => { for (;;) keep.push(new Array(100000).fill(keep.length)); } } };\n',
    );
    await withSession(
      {
        source: { kind: 'eventsFile', path: events },
        projection: { kind: 'file', path: grow },
        memoryLimitMb: 64,
        timeBudgetMs: 30_000,
      },
      async (session) => {
        assert.equal(session.summary.steps, 4);
        assert.match(
          session.summary.stopped!,
          /ran out of memory \(limit 64 MB\) on event #5 \(Grow, stream s-1 revision 5, position 5\) in the Grow handler at .*grow\.js:2:\d+/,
        );
      },
    );
  });

  it('eventscope replay: final state and first failure as JSON, --until-invariant-fails, the generic projection', () => {
    const result = runCli(['replay', demo, '--projection', bank, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as {
      steps: number;
      state: { balances: Record<string, number> };
      firstFailure: { index: number; position: number; streamId: string; revision: number; type: string; error: string };
      errors: unknown[];
    };
    assert.deepEqual(Object.keys(json), ['steps', 'state', 'firstFailure', 'breaks', 'errors']);
    assert.equal(json.steps, 330);
    assert.equal(json.firstFailure.type, DEMO_STORY.eventType);
    assert.match(json.firstFailure.error, new RegExp(`^${DEMO_STORY.accountName}'s balance is -`));
    assert.deepEqual(json.errors, []);
    const stopped = runCli(['replay', demo, '--projection', bank, '--json', '--until-invariant-fails']);
    assert.equal(stopped.code, 3, stopped.stderr);
    const until = JSON.parse(stopped.stdout) as typeof json;
    assert.equal(until.steps, json.firstFailure.index + 1);
    assert.ok(until.state.balances[json.firstFailure.streamId] < 0);
    const stream = JSON.parse(
      runCli(['replay', demo, '--projection', bank, '--json', '--stream', json.firstFailure.streamId]).stdout,
    ) as typeof json;
    assert.equal(stream.firstFailure.revision, json.firstFailure.revision);
    assert.deepEqual(Object.keys(stream.state.balances), [json.firstFailure.streamId]);

    const text = runCli(['replay', demo]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Projection\s+Generic \(built-in\)/m);
    assert.match(text.stdout, /^Steps\s+330 in \d+ ms$/m);
    assert.match(text.stdout, /"byType": \{/);
  });

  it('eventscope replay --until-invariant-fails: exit 3, the failing event whole, its diff, its stream before it; --json lists the breaks', () => {
    // A balance per account that must stay at or above zero, checked for the account the event touched.
    const perStream = file(
      'per-stream.js',
      [
        'const cents = (a) => Math.round(Number(a) * 100);',
        'export default {',
        '  init: () => ({ balances: {} }),',
        '  when: {',
        '    Credited: (s, e) => { s.balances[e.streamId] = (s.balances[e.streamId] ?? 0) + cents(e.data.amount); },',
        '    Debited: (s, e) => { s.balances[e.streamId] = (s.balances[e.streamId] ?? 0) - cents(e.data.amount); },',
        '  },',
        '  partitionBy: (event) => event.streamId,',
        '  invariant: (state, event) => !(state.balances[event.streamId] < 0) || `${event.streamId} is at ${state.balances[event.streamId]}`,',
        '};',
        '',
      ].join('\n'),
    );
    // Two accounts: a goes below zero, stays there, heals, goes below again; b goes below while a is.
    const accounts = file(
      'accounts.events',
      [
        ['Credited', 'a', 10],
        ['Debited', 'a', 15],
        ['Debited', 'b', 1],
        ['Debited', 'a', 1],
        ['Credited', 'a', 20],
        ['Debited', 'a', 30],
      ]
        .map(([type, stream, amount], i) => `### ${type}  ${stream}\nrevision: ${i + 1}\n\n{"amount": "${amount}.00"}\n`)
        .join('\n'),
    );
    const all = runCli(['replay', accounts, '--projection', perStream, '--json']);
    assert.equal(all.code, 0, all.stderr);
    const report = JSON.parse(all.stdout) as { breaks: BreakJSON[] };
    assert.deepEqual(
      report.breaks.map((b) => [b.step, b.partition, b.streamId, b.revision, b.type, b.error]),
      [
        [2, 'a', 'a', 2, 'Debited', 'a is at -500'],
        [3, 'b', 'b', 3, 'Debited', 'b is at -100'],
        [6, 'a', 'a', 6, 'Debited', 'a is at -1600'],
      ],
    );
    assert.deepEqual(
      report.breaks.map((b) => [b.index, b.position]),
      [
        [1, 2],
        [2, 3],
        [5, 6],
      ],
    );

    const text = runCli(['replay', accounts, '--projection', perStream, '--until-invariant-fails', '--context', '1']);
    assert.equal(text.code, 3, text.stderr);
    assert.equal(text.stderr, 'eventscope: the invariant fails after event #2 (Debited, stream a revision 2, position 2): a is at -500\n');
    assert.match(text.stdout, /^Steps\s+2 of 6 \(stopped at the first failure\)/m);
    assert.match(text.stdout, /^Breaks\s+3 breaks \(first at step 2\), per partition; 4 failing steps$/m);
    assert.match(text.stdout, /\nThe failing event \(step 2\)\nType\s+Debited\nStream\s+a\nRevision\s+2\nPosition\s+2\n/);
    assert.match(text.stdout, /\nData\n\{\n {2}"amount": "15\.00"\n\}\n/);
    assert.match(text.stdout, /\nWhat step 2 changed\n {2}state\.balances\.a: 1000 → -500\n/);
    assert.match(
      text.stdout,
      /\nBefore it in stream a: the last event\nSTEP\s+REV\s+POS\s+TYPE\s+TIME\s+DATA\n1\s+1\s+1\s+Credited\s+\{"amount":"10\.00"\}\n/,
    );
    assert.match(text.stdout, /\nState after step 2\n/);

    // --json: the same, as data; the preceding events default to 3 (here the stream has 1 before it).
    const json = runCli(['replay', accounts, '--projection', perStream, '--until-invariant-fails', '--json']);
    assert.equal(json.code, 3);
    const stopped = JSON.parse(json.stdout) as {
      steps: number;
      breaks: unknown[];
      context: {
        step: number;
        event: { type: string; data: unknown };
        changes: unknown[];
        preceding: { index: number; revision: number }[];
      };
    };
    assert.equal(stopped.steps, 2);
    assert.equal(stopped.breaks.length, 3, 'every break of the replay');
    assert.deepEqual(stopped.context.event.data, { amount: '15.00' });
    assert.deepEqual(stopped.context.changes, [{ path: ['balances', 'a'], kind: 'changed', before: 1000, after: -500 }]);
    assert.deepEqual(
      stopped.context.preceding.map((p) => [p.index, p.revision]),
      [[0, 1]],
    );
    // Without partitionBy the state is one whole: b's failure, while a's goes on, is no break.
    const whole = file('whole.js', readFileSync(perStream, 'utf8').replace('  partitionBy: (event) => event.streamId,\n', ''));
    const wholeReport = JSON.parse(runCli(['replay', accounts, '--projection', whole, '--json']).stdout) as typeof report;
    assert.deepEqual(
      wholeReport.breaks.map((b) => [b.step, b.partition]),
      [
        [2, null],
        [6, null],
      ],
    );
  });

  it('eventscope replay exits 1 with one line when the projection throws or overruns, 2 on bad usage', () => {
    const throws = file(
      'throws.js',
      'export default {\n  when: {\n    Loop: (s, e) => {\n      throw new Error(`cannot handle ${e.type}`);\n    },\n  },\n};\n',
    );
    const thrown = runCli(['replay', events, '--projection', throws, '--json']);
    assert.equal(thrown.code, 1);
    assert.equal(
      thrown.stderr,
      `eventscope: the projection threw on event #3 (Loop, stream s-1 revision 3, position 3): cannot handle Loop (at ${throws}:4:13).\n`,
    );
    assert.equal((JSON.parse(thrown.stdout) as { errors: { index: number }[] }).errors[0].index, 2);
    const loop = file('loop2.js', 'export default { when: { Loop: () => { for (;;) {} } } };\n');
    const stuck = runCli(['replay', events, '--projection', loop, '--time-budget', '200']);
    assert.equal(stuck.code, 1);
    assert.match(
      stuck.stderr,
      /^eventscope: .*loop2\.js ran over its 200 ms time budget on event #3 \(Loop, .*\) in the Loop handler at .*loop2\.js:1:\d+; the replay stops before that event\.\n$/,
    );
    assert.equal(runCli(['replay', demo, '--all', '--stream', 'x']).code, 2);
    const missing = runCli(['replay', demo, '--projection', join(dir, 'nope.js')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^eventscope: .*nope\.js.*\n$/);
  });
});
