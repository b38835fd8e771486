/**
 * The standalone debug adapter (dist/debugAdapter.js) driven over stdio with real DAP messages, as
 * nvim-dap or VS Code would: launch on the demo store and a library-written fixture, step, step
 * back, run to breakpoints both ways, read variables, evaluate, terminate. Every stop is checked
 * against a replay of the same events done here in the test.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DEMO_STORY, writeDemoStore } from '../src/core/demo';
import type { RecordedEvent } from '../src/core/events';
import { hitPasses } from '../src/core/projection/live';
import { changedExpression } from '../src/debug/search';
import { STEP_EVENT, type LaunchArguments, type StepEventBody } from '../src/debug/adapter';
import { EventsourcingSqliteStore } from '../src/core/stores/eventsourcingSqlite';
import { iterateAll } from '../src/core/stores/types';
import { copyFixture, removeTempDirs, sha256 } from './helpers/cli';
import { FIXTURE_KEY } from './helpers/dumps';
import { cents } from './helpers/money';
import { eventsourcingEnv, NO_EVENTSOURCING } from './helpers/python';

const ADAPTER = resolve(__dirname, '..', 'dist', 'debugAdapter.js');
const PROJECTION = resolve(__dirname, '..', 'examples', 'bank-balances.js');
const THREAD = { threadId: 1 };

/** The demo's events, read here, and the balances a straight replay gives after each. */
interface Demo {
  path: string;
  events: RecordedEvent[];
  balancesAfter: (index: number) => Record<string, number>;
}

async function readDemo(path: string): Promise<Demo> {
  const store = new EventsourcingSqliteStore(path);
  const events: RecordedEvent[] = [];
  for await (const e of iterateAll(store)) events.push(e);
  await store.close();
  const balancesAfter = (index: number) => {
    const balances: Record<string, number> = {};
    for (const e of events.slice(0, index + 1)) {
      if (e.type.endsWith('.Opened')) balances[e.streamId] = 0;
      if (e.type.endsWith('.Credited')) balances[e.streamId] += cents(e.data.amount);
      if (e.type.endsWith('.Debited')) balances[e.streamId] -= cents(e.data.amount);
    }
    return balances;
  };
  return { path, events, balancesAfter };
}

describe('debug adapter: a replay as a DAP session over stdio', function () {
  this.timeout(60_000);
  let dir: string;
  let demo: Demo;
  let dc: DebugClient;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventscope-dap-'));
    const path = join(dir, 'demo.sqlite');
    writeDemoStore(path);
    demo = await readDemo(path);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    removeTempDirs();
  });

  beforeEach(async () => {
    dc = new DebugClient(process.execPath, ADAPTER, 'eventscope');
    await dc.start();
  });
  afterEach(async () => {
    await dc.stop();
  });

  /** Launches (after setting `breakpoints`), and waits for the first stop. */
  async function launch(args: LaunchArguments, breakpoints: () => Promise<unknown> = async () => {}): Promise<DebugProtocol.StoppedEvent> {
    await dc.initializeRequest({ adapterID: 'eventscope', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    const stopped = dc.waitForEvent('stopped', 30_000) as Promise<DebugProtocol.StoppedEvent>;
    const launched = dc.launchRequest(args);
    await breakpoints();
    await dc.configurationDoneRequest();
    await launched;
    return stopped;
  }

  /** Runs a request and returns the stop it leads to, and the step event sent before it. */
  async function stopAfter(request: () => Promise<unknown>): Promise<{ stop: DebugProtocol.StoppedEvent; step: StepEventBody }> {
    const step = dc.waitForEvent(STEP_EVENT, 30_000);
    const stop = dc.waitForEvent('stopped', 30_000) as Promise<DebugProtocol.StoppedEvent>;
    await request();
    return { stop: await stop, step: (await step).body as StepEventBody };
  }

  async function topFrames(): Promise<DebugProtocol.StackFrame[]> {
    return (await dc.stackTraceRequest(THREAD)).body.stackFrames;
  }

  /** The variables of a scope of the top frame, by name. */
  async function scope(name: string): Promise<Map<string, DebugProtocol.Variable>> {
    const frames = await topFrames();
    const scopes = (await dc.scopesRequest({ frameId: frames[0].id })).body.scopes;
    const ref = scopes.find((s) => s.name === name)!.variablesReference;
    return new Map((await dc.variablesRequest({ variablesReference: ref })).body.variables.map((v) => [v.name, v]));
  }

  async function children(variable: DebugProtocol.Variable): Promise<Map<string, DebugProtocol.Variable>> {
    assert.ok(variable.variablesReference > 0, `${variable.name} can be expanded`);
    return new Map((await dc.variablesRequest({ variablesReference: variable.variablesReference })).body.variables.map((v) => [v.name, v]));
  }

  async function evaluate(expression: string): Promise<string> {
    return (await dc.evaluateRequest({ expression, context: 'repl' })).body.result;
  }

  /** The value of an expression, through JSON (the console shows a string quoted). */
  async function valueOf(expression: string): Promise<unknown> {
    return JSON.parse(JSON.parse(await evaluate(`JSON.stringify(${expression})`)));
  }

  const demoArgs = (extra: Partial<LaunchArguments> = {}): LaunchArguments => ({ store: demo.path, projection: PROJECTION, ...extra });

  it('stops on entry, steps forward and back, and shows the event, the state and what changed', async () => {
    const entry = await launch(demoArgs({ stopOnEntry: true }));
    assert.equal(entry.body.reason, 'entry');
    const threads = (await dc.threadsRequest()).body.threads;
    assert.equal(threads.length, 1);
    assert.match(threads[0].name, /^Replay: all events of demo\.sqlite/);

    const frames = await topFrames();
    assert.equal(frames.at(-1)!.name.startsWith(`Opened #1 @ ${demo.events[0].streamId.slice(0, 8)}`), true, frames.at(-1)!.name);
    // The handler that ran, at its line in the projection file.
    assert.equal(frames[0].name, 'the BankAccount.Opened handler');
    assert.equal(frames[0].source?.path, PROJECTION);
    assert.equal(frames[0].line, 7);

    for (let i = 1; i <= 5; i++) {
      const { stop, step } = await stopAfter(() => dc.nextRequest(THREAD));
      assert.equal(stop.body.reason, 'step');
      assert.equal(step.index, i);
      assert.deepEqual(step.event, {
        streamId: demo.events[i].streamId,
        revision: demo.events[i].revision,
        position: demo.events[i].position,
      });
    }
    const balances = demo.balancesAfter(5);
    const state = await scope('State');
    const shown = await children(state.get('balances')!);
    assert.deepEqual(Object.fromEntries([...shown].map(([k, v]) => [k, Number(v.value)])), balances);
    const event = await scope('Event');
    assert.equal(event.get('type')!.value, JSON.stringify(demo.events[5].type));
    assert.equal(event.get('revision')!.value, String(demo.events[5].revision));
    assert.equal(event.get('data')!.evaluateName, 'event.data');

    const back = await stopAfter(() => dc.stepBackRequest(THREAD));
    assert.equal(back.step.index, 4);
    assert.deepEqual(await valueOf('state.balances'), demo.balancesAfter(4));
    // previousState is the state before the event shown.
    assert.deepEqual(await valueOf('previousState.balances'), demo.balancesAfter(3));
    const changes = await scope('Changes');
    const changedIds = Object.keys(demo.balancesAfter(4)).filter((id) => demo.balancesAfter(4)[id] !== demo.balancesAfter(3)[id]);
    for (const id of changedIds)
      assert.ok(
        [...changes.keys()].some((k) => k.includes(id)),
        `Changes lists ${id}`,
      );

    // At the start, Step Back stays on the first event.
    await stopAfter(() => dc.stepBackRequest(THREAD));
    await stopAfter(() => dc.stepBackRequest(THREAD));
    await stopAfter(() => dc.stepBackRequest(THREAD));
    await stopAfter(() => dc.stepBackRequest(THREAD));
    const start = await stopAfter(() => dc.stepBackRequest(THREAD));
    assert.equal(start.step.index, 0);
    assert.equal(start.stop.body.reason, 'start');
  });

  it('continues to the first event that breaks the projection’s invariant, and reverse-continues to a breakpoint', async () => {
    const first = await launch(demoArgs());
    assert.equal(first.body.reason, 'exception');
    assert.match(first.body.text ?? '', new RegExp(`^${DEMO_STORY.accountName}'s balance is -`));
    const frames = await topFrames();
    assert.match(frames.at(-1)!.name, /^Debited #/);
    const failedAt = demo.events.findIndex((_, i) => Object.values(demo.balancesAfter(i)).some((b) => b < 0));
    const step = await valueOf('[event.position, event.type]');
    assert.deepEqual(step, [demo.events[failedAt].position, demo.events[failedAt].type]);

    // Reverse Continue to the previous Debited of any account.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'Debited' }] });
    const { stop, step: back } = await stopAfter(() => dc.reverseContinueRequest(THREAD));
    assert.equal(stop.body.reason, 'function breakpoint');
    const previousDebit = demo.events.slice(0, failedAt).findLastIndex((e) => e.type.endsWith('.Debited'));
    assert.equal(back.index, previousDebit);
    // And Continue comes back to the next one.
    const next = await stopAfter(() => dc.continueRequest(THREAD));
    assert.equal(
      next.step.index,
      demo.events.findIndex((e, i) => i > previousDebit && e.type.endsWith('.Debited')),
    );
  });

  it('debugs a replay through the user’s Python code: each stream’s aggregate as the state, stepping both ways, a Python invariant', async function () {
    const python = eventsourcingEnv();
    if (!python) {
      console.log(`      ${NO_EVENTSOURCING}`);
      this.skip();
    }
    const dana = demo.events.find((e) => e.data.full_name === DEMO_STORY.accountName)!.streamId;
    const events = demo.events.filter((e) => e.streamId === dana);
    const roots = [
      resolve(__dirname, '..', 'examples', 'bankapp'),
      ...(process.env.EVENTSCOPE_EVENTSOURCING_SRC ? [process.env.EVENTSCOPE_EVENTSOURCING_SRC] : []),
    ];
    const entry = await launch({ store: demo.path, stream: dana, python: true, pythonPath: roots, stopOnEntry: true });
    assert.equal(entry.body.reason, 'entry');
    assert.deepEqual(await valueOf('[state.full_name, state.version, state.balance]'), [DEMO_STORY.accountName, 1, '0.00']);
    await stopAfter(() => dc.nextRequest(THREAD));
    assert.deepEqual(await valueOf('[state.version, state.balance]'), [2, events[1].data.amount]);
    const back = await stopAfter(() => dc.stepBackRequest(THREAD));
    assert.equal(back.step.index, 0);
    assert.equal(await valueOf('state.version'), 1);
    await dc.stop();

    // The invariant is a Python expression: Continue stops where Dana's balance goes below zero.
    dc = new DebugClient(process.execPath, ADAPTER, 'eventscope');
    await dc.start();
    const stop = await launch({ store: demo.path, stream: dana, python: true, pythonPath: roots, invariant: 'aggregate.balance >= 0' });
    assert.equal(stop.body.reason, 'exception');
    assert.match(stop.body.text ?? '', /aggregate\.balance >= 0 is false/);
    const at = (await valueOf('event.revision')) as number;
    let balance = 0;
    const broken = events.findIndex((e) => {
      if (e.type.endsWith('.Credited')) balance += cents(e.data.amount as string);
      if (e.type.endsWith('.Debited')) balance -= cents(e.data.amount as string);
      return balance < 0;
    });
    assert.equal(at, events[broken].revision);
  });

  it('function breakpoints with a condition and a hit count; a data breakpoint on a state value', async () => {
    const target = demo.events.find((e) => e.type.endsWith('.Opened') && e.data.full_name === DEMO_STORY.accountName)!;
    await launch(demoArgs({ stopOnEntry: true, projection: undefined }));
    // The generic projection has no invariant: only breakpoints stop it.
    await dc.setFunctionBreakpointsRequest({
      breakpoints: [{ name: 'Credited', condition: `event.streamId === ${JSON.stringify(target.streamId)}`, hitCondition: '2' }],
    });
    const { stop, step } = await stopAfter(() => dc.continueRequest(THREAD));
    assert.equal(stop.body.reason, 'function breakpoint');
    const credits = demo.events
      .map((e, i) => [e, i] as const)
      .filter(([e]) => e.streamId === target.streamId && e.type.endsWith('.Credited'));
    assert.equal(step.index, credits[1][1], 'the second credit of that account');

    // A data breakpoint on that account's last event type in the generic state.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const state = await scope('State');
    const streams = await children(state.get('streams')!);
    assert.ok(streams.has(target.streamId));
    const info = await dc.dataBreakpointInfoRequest({
      variablesReference: state.get('streams')!.variablesReference,
      name: target.streamId,
    });
    assert.ok(info.body.dataId, 'the state value can be watched');
    assert.equal(info.body.description, `state.streams["${target.streamId}"] changes`);
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
    const watched = await stopAfter(() => dc.continueRequest(THREAD));
    assert.equal(watched.stop.body.reason, 'data breakpoint');
    const nextOfAccount = demo.events.findIndex((e, i) => i > credits[1][1] && e.streamId === target.streamId);
    assert.equal(watched.step.index, nextOfAccount);
  });

  /** The step (0-based) of the `n`th event (1-based) of a type of the demo. */
  const nth = (type: string, n: number) =>
    demo.events.map((e, i) => [e, i] as const).filter(([e]) => e.type.endsWith(`.${type}`))[n - 1][1];
  /** The helper's first line: the one after `export function cents(amount) {`. */
  const centsBody =
    readFileSync(PROJECTION, 'utf8')
      .split('\n')
      .findIndex((l) => l.startsWith('export function cents(')) + 2;
  const LINE = { opened: 8, credited: 12, debited: 15, centsBody };

  /** The names of the variables of a scope of a frame. */
  async function scopeOf(frame: DebugProtocol.StackFrame, name: string): Promise<Map<string, DebugProtocol.Variable>> {
    const scopes = (await dc.scopesRequest({ frameId: frame.id })).body.scopes;
    const found = scopes.find((s) => s.name === name);
    assert.ok(found, `a ${name} scope among ${scopes.map((s) => s.name).join(', ')}`);
    return new Map((await dc.variablesRequest({ variablesReference: found.variablesReference })).body.variables.map((v) => [v.name, v]));
  }

  it('a line breakpoint pauses inside the handler, with its locals; stepping over its lines, into a helper and out, then back to events', async () => {
    const first = await launch(demoArgs(), async () => {
      const set = await dc.setBreakpointsRequest({ source: { path: PROJECTION }, breakpoints: [{ line: LINE.debited }, { line: 1 }] });
      assert.deepEqual(
        set.body.breakpoints.map((b) => b.verified),
        [false, false],
        'verified only once the projection is loaded',
      );
    });
    assert.equal(first.body.reason, 'breakpoint');
    const debit = nth('Debited', 1);
    const e = demo.events[debit];
    let frames = await topFrames();
    assert.equal(frames[0].name, 'Debited');
    assert.equal(frames[0].source?.path, PROJECTION);
    assert.equal(frames[0].line, LINE.debited);
    assert.match(frames.at(-1)!.name, new RegExp(`^Debited #${e.revision} @ .*, step ${debit + 1} of ${demo.events.length}$`));
    // The handler's own locals, before the line ran: the balance before this debit.
    const locals = await scopeOf(frames[0], 'Local');
    assert.deepEqual([...locals.keys()].sort(), ['event', 'state']);
    assert.equal(await evaluate('event.data.amount'), JSON.stringify(e.data.amount));
    const before = demo.balancesAfter(debit - 1)[e.streamId];
    assert.equal(await evaluate('state.balances[event.streamId]'), String(before));
    const event = await scopeOf(frames[0], 'Event');
    assert.equal(event.get('type')!.value, JSON.stringify(e.type));

    // Into the helper the line calls, and out again.
    let stop = await stopAfter(() => dc.stepInRequest(THREAD));
    assert.equal(stop.stop.body.reason, 'step');
    frames = await topFrames();
    assert.deepEqual(
      frames.slice(0, 2).map((f) => [f.name, f.line]),
      [
        ['cents', LINE.centsBody],
        ['Debited', LINE.debited],
      ],
    );
    assert.equal(await evaluate('amount'), JSON.stringify(e.data.amount), 'the helper’s argument, in its own frame');
    await stopAfter(() => dc.stepOutRequest(THREAD));
    frames = await topFrames();
    assert.equal(frames[0].name, 'Debited');

    // Over the rest of the line: out of the handler, back to stepping events, the balance debited.
    stop = await stopAfter(() => dc.nextRequest(THREAD));
    assert.equal(stop.stop.body.reason, 'step');
    assert.equal(stop.step.index, debit, 'the step whose handler it left');
    frames = await topFrames();
    assert.equal(frames.length, 2, 'the handler frame and the event frame, not the worker’s');
    assert.equal(((await valueOf('state.balances')) as Record<string, number>)[e.streamId], demo.balancesAfter(debit)[e.streamId]);

    // Continue: the next debit pauses at the line again; stepping back from inside goes to the step before.
    stop = await stopAfter(() => dc.continueRequest(THREAD));
    assert.equal(stop.stop.body.reason, 'breakpoint');
    assert.equal(stop.step.index, nth('Debited', 2));
    assert.equal((await topFrames())[0].line, LINE.debited);
    stop = await stopAfter(() => dc.stepBackRequest(THREAD));
    assert.equal(stop.step.index, nth('Debited', 2) - 1);

    // The helper's lines: over the first, its locals are set; over the rest, back in the handler; then the events.
    await dc.setBreakpointsRequest({ source: { path: PROJECTION }, breakpoints: [{ line: LINE.centsBody }] });
    stop = await stopAfter(() => dc.continueRequest(THREAD));
    const at = stop.step.index;
    assert.equal(at, nth('Debited', 2), 'the step after the one it stepped back to');
    frames = await topFrames();
    assert.deepEqual([frames[0].name, frames[0].line, frames.length], ['cents', LINE.centsBody, 3]);
    await stopAfter(() => dc.nextRequest(THREAD));
    assert.equal((await topFrames())[0].line, LINE.centsBody + 1);
    assert.equal(await evaluate('units'), JSON.stringify(String(demo.events[at].data.amount).split('.')[0]));
    // Over the rest, the return and the closing brace (where V8 stops too): back in the handler that called it.
    for (let i = 0; i < 12 && (await topFrames())[0].name === 'cents'; i++) await stopAfter(() => dc.nextRequest(THREAD));
    assert.deepEqual((await topFrames()).map((f) => f.name).slice(0, 1), ['Debited']);
    stop = await stopAfter(() => dc.nextRequest(THREAD));
    assert.equal(stop.step.index, at);
    assert.equal((await topFrames()).length, 2);
  });

  it('line breakpoints with a condition over the handler’s locals and a hit count; a comment line is not verified; step in enters a handler', async () => {
    const credit = nth('Credited', 5);
    const { position } = demo.events[credit];
    const amount = cents(demo.events[credit].data.amount);
    const breakpoints = [
      { line: LINE.credited, condition: `cents(event.data.amount) === ${amount} && event.position === ${position}` },
      { line: LINE.debited, hitCondition: '3' },
      { line: 2 },
    ];
    await launch(demoArgs({ stopOnEntry: true }), async () => {
      await dc.setBreakpointsRequest({ source: { path: PROJECTION }, breakpoints });
    });
    const set = await dc.setBreakpointsRequest({ source: { path: PROJECTION }, breakpoints });
    assert.deepEqual(
      set.body.breakpoints.map((b) => b.verified),
      [true, true, false],
    );
    assert.match(set.body.breakpoints[2].message ?? '', /No code/);
    const stops: number[] = [];
    for (let i = 0; i < 2; i++) stops.push((await stopAfter(() => dc.continueRequest(THREAD))).step.index);
    assert.deepEqual(
      stops,
      [credit, nth('Debited', 3)].sort((a, b) => a - b),
    );

    // Leave the code (to the events), then step in: the next event's handler, at its first line.
    await stopAfter(() => dc.stepOutRequest(THREAD));
    const stepIn = await stopAfter(() => dc.stepInRequest(THREAD));
    assert.equal(stepIn.stop.body.reason, 'step');
    assert.equal(stepIn.step.index, stops[1] + 1);
    const type = demo.events[stepIn.step.index].type;
    const handler = type.endsWith('.Opened') ? LINE.opened : type.endsWith('.Credited') ? LINE.credited : LINE.debited;
    assert.equal((await topFrames())[0].line, handler, `the first line of the ${type} handler`);
  });

  it('a pause in the code holds the time budget: a long look does not stop the replay', async () => {
    await launch(demoArgs({ timeBudgetMs: 200 }), async () => {
      await dc.setBreakpointsRequest({ source: { path: PROJECTION }, breakpoints: [{ line: LINE.debited }] });
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(await evaluate('typeof state'), '"object"');
    const stop = await stopAfter(() => dc.continueRequest(THREAD));
    assert.equal(stop.stop.body.reason, 'breakpoint');
    assert.equal(stop.step.index, nth('Debited', 2));
  });

  it('a partitioned KurrentDB projection has a thread per partition; stepping one goes to that partition’s next and previous event', async () => {
    const script = join(dir, 'per-account.js');
    writeFileSync(
      script,
      'fromAll()\n  .foreachStream()\n  .when({\n    $init: () => ({ n: 0 }),\n    $any: (s) => {\n      s.n += 1;\n      return s;\n    },\n  });\n',
    );
    const first = await launch({ store: demo.path, projection: script, stopOnEntry: true });
    const threads = (await dc.threadsRequest()).body.threads;
    const stream = demo.events[0].streamId;
    const mine = threads.find((t) => t.name === `Partition ${JSON.stringify(stream)}`);
    assert.ok(mine, `a thread for the first event's stream among ${threads.map((t) => t.name).join(', ')}`);
    assert.equal(threads[0].id, THREAD.threadId);
    assert.equal(first.body.threadId, mine.id, 'the stop is on the thread of the step’s partition');
    // Another partition's thread shows its state.
    const ofStream = (from: number) => demo.events.findIndex((e, i) => i > from && e.streamId === stream);
    let stop = await stopAfter(() => dc.nextRequest({ threadId: mine.id }));
    assert.equal(stop.step.index, ofStream(0), 'the stream’s next event, not the replay’s');
    assert.equal(stop.stop.body.threadId, mine.id);
    stop = await stopAfter(() => dc.nextRequest({ threadId: mine.id }));
    const third = ofStream(ofStream(0));
    assert.equal(stop.step.index, third);
    const state = await scope('State');
    assert.ok(state.has('partitions'));
    stop = await stopAfter(() => dc.stepBackRequest({ threadId: mine.id }));
    assert.equal(stop.step.index, ofStream(0));
    // The replay's own thread steps every event.
    stop = await stopAfter(() => dc.nextRequest(THREAD));
    assert.equal(stop.step.index, ofStream(0) + 1);
    const other = (await dc.threadsRequest()).body.threads.find((t) => t.id !== THREAD.threadId && t.id !== stop.stop.body.threadId)!;
    const frames = (await dc.stackTraceRequest({ threadId: other.id })).body.stackFrames;
    assert.match(frames[0].name, /^Partition ".*" \(at step \d+\)$/);
    const scopes = (await dc.scopesRequest({ frameId: frames[0].id })).body.scopes;
    const n = (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables.find((v) => v.name === 'n');
    assert.ok(n && Number(n.value) >= 1, 'the partition’s count');
  });

  it('evaluates in the debug console, on hover and in watches; reports a bad expression in one sentence', async () => {
    await launch(demoArgs({ stopOnEntry: true }));
    await stopAfter(() => dc.nextRequest(THREAD));
    assert.equal(await evaluate('event.revision'), String(demo.events[1].revision));
    const hover = await dc.evaluateRequest({ expression: 'state.names', context: 'hover' });
    assert.ok(hover.body.variablesReference > 0);
    assert.match(hover.body.result, /^\{/);
    await assert.rejects(dc.evaluateRequest({ expression: 'state.(', context: 'repl' }), /is not a JavaScript expression/);
    await assert.rejects(dc.evaluateRequest({ expression: 'nosuch.x', context: 'watch' }), /nosuch is not defined/);
  });

  it('shows exact values of a library-written store as they are (decimals, UUIDs), encrypted with its key from the environment', async () => {
    const store = copyFixture('c_aes_zlib.db');
    const before = sha256(store);
    await dc.stop(); // the one beforeEach started: this test needs the key in the adapter's environment
    dc = new DebugClient(process.execPath, ADAPTER, 'eventscope', {
      env: { ...process.env, EVENTSCOPE_CIPHER_KEY: FIXTURE_KEY },
    });
    await dc.start();
    await launch({ store, stopOnEntry: true });
    const event = await scope('Event');
    const data = await children(event.get('data')!);
    const decimal = [...data.values()].find((v) => v.type === 'decimal');
    if (decimal) assert.match(decimal.value, /^-?\d+(\.\d+)?$/);
    assert.ok(data.size > 0);
    await dc.terminateRequest();
    assert.equal(sha256(store), before, 'the store is unchanged');
  });

  it('a store it cannot open fails the launch with one sentence', async () => {
    await dc.initializeRequest({ adapterID: 'eventscope', pathFormat: 'path' });
    await assert.rejects(
      dc.launchRequest({ store: join(dir, 'missing.sqlite') } as LaunchArguments),
      /There is no file at .*missing\.sqlite/,
    );
    const encrypted = copyFixture('c_aes_zlib.db');
    await assert.rejects(dc.launchRequest({ store: encrypted } as LaunchArguments), /no cipher key was given/);
  });

  it('terminates cleanly', async () => {
    await launch(demoArgs({ stopOnEntry: true }));
    const terminated = dc.waitForEvent('terminated', 10_000);
    await dc.terminateRequest();
    await terminated;
  });
});

describe('debug adapter: hit conditions and data breakpoint expressions', () => {
  it('reads DAP hit conditions', () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => hitPasses('3', n)),
      [false, false, true, false],
    );
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => hitPasses('>= 3', n)),
      [false, false, true, true],
    );
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => hitPasses('% 2', n)),
      [false, true, false, true],
    );
    assert.deepEqual(
      [1, 2].map((n) => hitPasses(undefined, n)),
      [true, true],
    );
  });

  it('a data breakpoint compares the value before and after, bigints included', () => {
    const changed = new Function('state', 'before', `return (${changedExpression(['a', 0, 'b'])});`);
    assert.equal(changed({ a: [{ b: 1n }] }, { a: [{ b: 1n }] }), false);
    assert.equal(changed({ a: [{ b: 2n }] }, { a: [{ b: 1n }] }), true);
    assert.equal(changed({ a: [] }, {}), false, 'missing before and after');
    assert.equal(changed({ a: [{ b: { c: 1 } }] }, { a: [{ b: { c: 1 } }] }), false, 'equal objects');
  });
});
