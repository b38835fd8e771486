/**
 * The replay panel inside a real VS Code (code-server's extension host): opened on the demo store
 * with examples/bank-balances.js and with the generic projection, driven through the same typed
 * messages its page sends, and checked through the messages the host sends back (the State and
 * Diff payloads, the failure search, breakpoints, the filter), plus re-run on save, Workspace
 * Trust, export, and the page itself loading under its Content Security Policy.
 */

import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { DEMO_STORY } from '../../src/core/demo';
import { parseExactJson } from '../../src/core/json/exact';
import { EventsourcingSqliteWriter, type StoredEventInput } from '../../src/core/stores/eventsourcingSqliteWriter';
import { describeBreaks } from '../../src/core/projection/breaks';
import { flattenDelta } from '../../src/shared/deltaPaths';
import { buildMarks } from '../../src/shared/replayMarks';
import { readPanelState, type ProjectionChoice, type StepView, type WebviewMessage } from '../../src/shared/replayProtocol';
import type { Ctx } from '../../src/extension/ctx';
import type { ReplayPanel } from '../../src/extension/replay/replayPanel';
import type { Node } from '../../src/extension/streamsTree';
import { waitFor } from './helpers';
import { cents } from '../helpers/money';

const EXTENSION_ID = 'eventscope.eventscope';
const DEMO = 'Demo bank';

let ctx: Ctx;
let dir: string;
let projectionFile: string;

function demoConnection(): Node & { kind: 'connection' } {
  const connection = ctx.connections.get(DEMO);
  assert.ok(connection, 'the demo connection exists');
  return { kind: 'connection', connection };
}

/** Opens a replay the way the tree's "Replay…" does, answering the projection question. */
async function openReplay(node: Node, projection: ProjectionChoice): Promise<ReplayPanel> {
  await vscode.commands.executeCommand('eventscope.replay', node, { projection });
  const panel = ctx.replays.lastOpened;
  assert.ok(panel, 'a panel opened');
  await panel.testApi.settled();
  const expected = projection.kind === 'file' && !ctx.replays.isTrusted() ? 'untrusted' : 'open';
  assert.equal(panel.phase, expected, `the panel is ${panel.phase}: ${JSON.stringify(panel.testApi.history().slice(-3))}`);
  return panel;
}

/** The step the host last sent, once it is the one at `index` (when given). */
async function stepAt(panel: ReplayPanel, index?: number): Promise<StepView> {
  return waitFor(`step ${index ?? '(any)'}`, () => {
    const step = panel.testApi.last('step')?.step;
    return step && (index === undefined || step.index === index) ? step : undefined;
  });
}

async function send(panel: ReplayPanel, message: WebviewMessage): Promise<void> {
  await panel.testApi.send(message);
}

interface BankState {
  balances: Record<string, number>;
  names: Record<string, string>;
}

describe('the replay panel (in a real VS Code)', function () {
  this.timeout(90_000);

  before(async () => {
    ctx = await vscode.extensions.getExtension<Ctx>(EXTENSION_ID)!.activate();
    ctx.replays.historyLimit = 300;
    await vscode.commands.executeCommand('eventscope.openDemo');
    dir = mkdtempSync(join(tmpdir(), 'eventscope-replay-'));
    projectionFile = join(dir, 'bank-balances.js');
    copyFileSync(join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'examples', 'bank-balances.js'), projectionFile);
  });

  beforeEach(() => {
    // Each test opens its own panel (open() would reveal a panel already open on the same target).
    for (const panel of [...ctx.replays.panels]) panel.dispose();
    // Act as trusted whatever VS Code says (scripts/vscode/run.mjs runs these tests with Workspace Trust off).
    ctx.replays.trustOverride = true;
  });

  afterEach(() => {
    ctx.replays.trustOverride = undefined;
  });

  after(async () => {
    for (const panel of [...ctx.replays.panels]) panel.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(dir, { recursive: true, force: true });
  });

  it('contributes the commands, menus, settings and the panel activation', async () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    assert.ok(pkg.activationEvents.includes('onWebviewPanel:eventscope.replay'));
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    const config = vscode.workspace.getConfiguration('eventscope.replay');
    assert.equal(config.get('timeBudgetMs'), 1000);
    assert.equal(config.get('memoryLimitMb'), 512);
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['eventscope.replay', 'eventscope.replayWithProjection']) assert.ok(commands.includes(c), c);
    const treeMenu = pkg.contributes.menus['view/item/context'].find((m: { command: string }) => m.command === 'eventscope.replay');
    assert.match(treeMenu.when, /connection/);
  });

  it('opens on the demo store with bank-balances.js, under a strict CSP, and its page loads', async () => {
    const panel = await openReplay(demoConnection(), { kind: 'file', path: projectionFile });
    const summary = panel.testApi.last('summary')?.summary;
    assert.ok(summary, 'a summary was sent');
    assert.equal(summary.steps, 330);
    assert.equal(summary.source, 'all events of demo.sqlite');
    assert.deepEqual([summary.projection.name, summary.projection.kind, summary.hasInvariant], ['Account balances', 'module', true]);
    assert.match(summary.firstFailure?.message ?? '', new RegExp(`^${DEMO_STORY.accountName}'s balance is -`));
    assert.match(panel.panel.title, /Account balances/);

    const html = panel.panel.webview.html;
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-[A-Za-z0-9_-]{20,}'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    assert.ok(html.includes(`nonce="${nonce}" src=`), 'the script carries the nonce');
    const roots = panel.panel.webview.options.localResourceRoots ?? [];
    assert.deepEqual(
      roots.map((u) => u.path.split('/').slice(-2).join('/')),
      ['dist/webview'],
    );

    // The real page (in the browser) says it is ready, gets the init and reports no CSP or script error.
    await waitFor('the page to be ready', () => panel.testApi.readyCount() > 0, 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(panel.testApi.cspViolations, []);
    assert.deepEqual(panel.testApi.pageErrors, []);

    const first = await stepAt(panel, 0);
    assert.match(first.event.type, /BankAccount\.Opened$/);
    const state = parseExactJson(first.stateAfter!) as BankState;
    assert.deepEqual(state.balances, { [first.event.streamId]: 0 });
    const changes = flattenDelta(parseExactJson(first.changes));
    assert.deepEqual(
      changes.map((c) => [c.kind, c.path.join('.')]),
      [
        ['added', `balances.${first.event.streamId}`],
        ['added', `names.${first.event.streamId}`],
      ],
    );
  });

  it('steps forward and back, sending the State and Diff of each step', async () => {
    const panel = await openReplay(demoConnection(), { kind: 'file', path: projectionFile });
    await send(panel, { type: 'step', to: 'first' });
    await send(panel, { type: 'step', to: 'forward' });
    const second = await stepAt(panel, 1);
    assert.equal(panel.testApi.last('cursor')?.cursor.index, 1);
    assert.match(second.event.type, /BankAccount\.Credited$/);
    const event = parseExactJson(second.eventJson) as { data: { amount: string } };
    const before = flattenDelta(parseExactJson(second.changes));
    assert.deepEqual(
      before.map((c) => [c.kind, c.path.join('.'), c.before, c.after]),
      [['changed', `balances.${second.event.streamId}`, 0, cents(event.data.amount)]],
    );
    const state = parseExactJson(second.stateAfter!) as BankState;
    assert.equal(state.balances[second.event.streamId], cents(event.data.amount));
    assert.equal(second.kinds['/amount'], 'decimal');

    await send(panel, { type: 'step', to: 'back' });
    assert.equal((await stepAt(panel, 0)).index, 0);
    await send(panel, { type: 'step', to: 'back' });
    assert.equal(panel.testApi.last('cursor')?.cursor.index, 0, 'back from the first step stays there');
    await send(panel, { type: 'step', to: 'last' });
    assert.equal((await stepAt(panel, 329)).index, 329);
    await send(panel, { type: 'select', index: 100 });
    const hundred = await stepAt(panel, 100);
    assert.equal(hundred.row, 100);
    // Rows for the timeline, in a window.
    await send(panel, { type: 'requestRows', from: 100, count: 50, version: panel.testApi.last('timeline')!.version });
    const rows = panel.testApi.last('rows')!;
    assert.equal(rows.from, 100);
    assert.equal(rows.rows.length, 50);
    assert.equal(rows.rows[0].streamId, hundred.event.streamId);
    assert.deepEqual(
      rows.rows.map((r) => r.index),
      Array.from({ length: 50 }, (_, i) => 100 + i),
    );
  });

  it("finds the first failure: Dana Whitfield's duplicated Debited", async () => {
    const panel = await openReplay(demoConnection(), { kind: 'file', path: projectionFile });
    await send(panel, { type: 'select', index: 0 });
    await send(panel, { type: 'findFailure', from: 'start' });
    const found = panel.testApi.last('found')!;
    assert.ok(found.mark, 'a failing step was found');
    const step = await stepAt(panel, found.mark.index);
    assert.equal(step.event.type, DEMO_STORY.eventType);
    assert.match(step.invariantFailure ?? '', new RegExp(`^${DEMO_STORY.accountName}'s balance is -`));
    const [change] = flattenDelta(parseExactJson(step.changes));
    assert.deepEqual(change.path, ['balances', step.event.streamId]);
    assert.ok((change.before as number) >= 0 && (change.after as number) < 0, 'this event took the balance below zero');
    // The retried debit: the event before it in the stream carries the same transaction id.
    const [previous] = await panel.session!.events(found.mark.index - 1, 1);
    const data = parseExactJson(step.eventJson) as { data: { transaction_id: string } };
    assert.equal(previous.streamId, step.event.streamId);
    assert.equal(previous.data.transaction_id, data.data.transaction_id);

    // The same search with an expression typed in the panel.
    await send(panel, { type: 'findFailure', from: 'start', expression: 'Object.values(state.balances).every((b) => b >= 0)' });
    assert.equal(panel.testApi.last('found')!.mark?.index, found.mark.index);
    await send(panel, { type: 'findFailure', from: 'start', expression: 'state.balances !== undefined' });
    assert.equal(panel.testApi.last('found')!.mark, undefined);
    assert.match(panel.testApi.last('notice')!.message, /stays true from step 1 to the last step \(330\)/);
  });

  it('marks only the steps where the invariant breaks (per account with partitionBy), and Next goes from break to break', async () => {
    // The demo's invariant breaks once, at Dana's retried debit: the 104 steps after it still fail, unmarked.
    const demo = await openReplay(demoConnection(), { kind: 'file', path: projectionFile });
    const demoSummary = demo.testApi.summary()!;
    assert.deepEqual(
      demoSummary.breaks.map((b) => b.index),
      [demoSummary.firstFailure!.index],
    );
    assert.equal(demoSummary.failingSteps, 330 - demoSummary.firstFailure!.index);
    assert.equal(describeBreaks(demoSummary.breaks), `1 break (at step ${demoSummary.firstFailure!.index + 1})`);
    await send(demo, { type: 'select', index: demoSummary.firstFailure!.index });
    await send(demo, { type: 'findFailure', from: 'next' });
    assert.equal(demo.testApi.last('found')!.mark, undefined, 'Next: no later break (the steps after stay broken)');
    assert.match(demo.testApi.last('notice')!.message, /^No break of the invariant after step 226 \(the last step is 330\)\.$/);

    // A cap per account, checked for the account the event touched: accounts break, heal, break again.
    const capped = join(dir, 'capped.js');
    writeFileSync(
      capped,
      [
        "import balances from './bank-balances.js';",
        'export default {',
        '  ...balances,',
        "  name: 'Capped balances',",
        '  partitionBy: (event) => event.streamId,',
        '  invariant: (state, event) => !(state.balances[event.streamId] > 200000) || `${state.names[event.streamId]} holds more than 2,000.00`,',
        '};',
        '',
      ].join('\n'),
    );
    const panel = await openReplay(demoConnection(), { kind: 'file', path: capped });
    const summary = panel.testApi.summary()!;
    // What the breaks are, counted here from the events: a step after which its account is over the
    // cap while it was not after that account's previous event.
    const events = await panel.session!.events(0, summary.steps);
    const balance: Record<string, number> = {};
    const over = new Set<string>();
    const expected: [number, string][] = [];
    const failingSteps: number[] = [];
    events.forEach((e, i) => {
      const type = e.type.split('.').pop();
      if (!e.type.includes('BankAccount')) return;
      if (type === 'Opened') balance[e.streamId] = 0;
      if (type === 'Credited') balance[e.streamId] += cents(e.data.amount as string);
      if (type === 'Debited') balance[e.streamId] -= cents(e.data.amount as string);
      if (balance[e.streamId] <= 200000) return void over.delete(e.streamId);
      failingSteps.push(i);
      if (!over.has(e.streamId)) expected.push([i, e.streamId]);
      over.add(e.streamId);
    });
    assert.ok(
      expected.length > 2 && failingSteps.length > expected.length,
      `${expected.length} breaks, ${failingSteps.length} failing steps`,
    );
    assert.ok(new Set(expected.map(([, s]) => s)).size < expected.length, 'an account breaks, heals and breaks again');
    assert.deepEqual(
      summary.breaks.map((b) => [b.index, b.partition]),
      expected,
    );
    assert.equal(summary.failingSteps, failingSteps.length);
    assert.equal(summary.partitioning, 'custom');
    assert.equal(summary.firstFailure?.index, expected[0][0]);
    assert.equal(describeBreaks(summary.breaks), `${expected.length} breaks (first at step ${expected[0][0] + 1})`);

    // The rows' marks, built from this summary as the page builds them: the breaks, and nothing else.
    const marks = buildMarks({
      errors: new Map(summary.errors.map((m) => [m.index, m.message])),
      breaks: new Map(summary.breaks.map((m) => [m.index, m.message])),
      found: new Map(),
      hits: [],
      hitSet: new Set(),
    });
    assert.deepEqual(
      [...marks.byIndex.keys()],
      expected.map(([i]) => i),
    );
    assert.ok(
      [...marks.byIndex.values()].every(
        (m) => m.kind === 'failure' && /^The invariant breaks here: .* holds more than 2,000\.00$/.test(m.title),
      ),
    );
    // A step that stays over the cap fails (its Diff tab says so) but carries no mark.
    const stays = failingSteps.find((i) => !marks.byIndex.has(i))!;
    await send(panel, { type: 'select', index: stays });
    assert.match((await stepAt(panel, stays)).invariantFailure ?? '', /holds more than 2,000\.00$/);

    // Find first failure, then Next from each break: the next break, and after the last one none.
    await send(panel, { type: 'findFailure', from: 'start' });
    const visited = [panel.testApi.last('found')!.mark!];
    for (;;) {
      await stepAt(panel, visited.at(-1)!.index);
      await send(panel, { type: 'findFailure', from: 'next' });
      const next = panel.testApi.last('found')!.mark;
      if (!next) break;
      visited.push(next);
    }
    assert.deepEqual(
      visited.map((m) => [m.index, m.partition]),
      expected,
    );
    assert.match(panel.testApi.last('notice')!.message, /^No break of the invariant after step \d+/);
    // Next with a typed expression: its breaks, per account too.
    await send(panel, { type: 'select', index: 0 });
    await send(panel, { type: 'findFailure', from: 'next', expression: '!(state.balances[event.streamId] > 200000)' });
    assert.deepEqual(panel.testApi.last('found')!.mark?.index, expected[0][0]);
  });

  it('runs to breakpoints on a type and on a condition, and reports a broken condition', async () => {
    const panel = await openReplay(demoConnection(), { kind: 'file', path: projectionFile });
    await send(panel, { type: 'select', index: 0 });
    await send(panel, { type: 'setBreakpoints', breakpoints: [{ kind: 'type', type: 'Debited' }] });
    const hits = panel.testApi.last('hits')!;
    assert.ok(hits.hits.length > 10);
    await send(panel, { type: 'runToBreakpoint', direction: 'forward' });
    const hit = await stepAt(panel, hits.hits[0]);
    assert.match(hit.event.type, /\.Debited$/);
    await send(panel, { type: 'runToBreakpoint', direction: 'forward' });
    assert.match((await stepAt(panel, hits.hits[1])).event.type, /\.Debited$/);
    await send(panel, { type: 'runToBreakpoint', direction: 'backward' });
    await stepAt(panel, hits.hits[0]);

    await send(panel, {
      type: 'setBreakpoints',
      breakpoints: [
        { kind: 'condition', expression: 'Object.keys(state.balances).length === 3 && event.type.endsWith(".Opened")' },
        { kind: 'condition', expression: 'state.(' },
      ],
    });
    const conditional = panel.testApi.last('hits')!;
    assert.equal(conditional.hits.length, 1, 'the third account opening');
    assert.equal(conditional.problems.length, 1);
    assert.match(conditional.problems[0], /state\.\(/);
    await send(panel, { type: 'select', index: 0 });
    await send(panel, { type: 'runToBreakpoint', direction: 'forward' });
    const third = await stepAt(panel, conditional.hits[0]);
    assert.match(third.event.type, /\.Opened$/);
    assert.equal(Object.keys((parseExactJson(third.stateAfter!) as BankState).balances).length, 3);
    await send(panel, { type: 'setBreakpoints', breakpoints: [] });
    assert.deepEqual(panel.testApi.last('hits')!.hits, []);
  });

  it('filters the timeline by type or stream, and steps within the filter', async () => {
    const panel = await openReplay(demoConnection(), { kind: 'file', path: projectionFile });
    await send(panel, { type: 'select', index: 0 });
    await send(panel, { type: 'filter', text: 'dogschool' });
    const timeline = panel.testApi.last('timeline')!;
    assert.equal(timeline.filtering, false);
    assert.ok(timeline.total > 10 && timeline.total < 330, `${timeline.total} dog events`);
    await send(panel, { type: 'requestRows', from: 0, count: 500, version: timeline.version });
    const rows = panel.testApi.last('rows')!.rows;
    assert.equal(rows.length, timeline.total);
    assert.ok(rows.every((r) => r.type.startsWith('dogschool.')));
    await send(panel, { type: 'step', to: 'forward' });
    const dog = await stepAt(panel, rows[0].index);
    assert.equal(dog.row, 0);
    await send(panel, { type: 'step', to: 'forward' });
    assert.equal((await stepAt(panel, rows[1].index)).row, 1);
    await send(panel, { type: 'filter', text: '' });
    assert.equal(panel.testApi.last('timeline')!.total, 330);
    assert.equal(panel.testApi.last('cursor')!.cursor.row, rows[1].index);
  });

  it('replays one stream with the generic projection, labelled as generic', async () => {
    const failing = await openReplay(demoConnection(), { kind: 'file', path: projectionFile });
    const index = failing.testApi.summary()!.firstFailure!.index;
    const [event] = await failing.session!.events(index, 1);
    const node: Node = {
      kind: 'stream',
      connection: demoConnection().connection,
      stream: { streamId: event.streamId, category: 'BankAccount', count: 0, lastRevision: 0, firstType: '' },
    };
    const panel = await openReplay(node, { kind: 'generic' });
    const summary = panel.testApi.last('summary')!.summary;
    assert.equal(summary.projection.kind, 'generic');
    assert.match(summary.projection.name, /^Generic \(built-in\)/);
    assert.equal(summary.source, `stream ${event.streamId} of demo.sqlite`);
    assert.equal(summary.hasInvariant, false);
    const store = await ctx.connections.store(demoConnection().connection);
    const stream = await store.readStream(event.streamId, { limit: 1000 });
    assert.equal(summary.steps, stream.items.length, 'every event of the stream');
    const first = await stepAt(panel, 0);
    const state = parseExactJson(first.stateAfter!) as { streams: Record<string, { fields: { full_name: string } }> };
    assert.equal(state.streams[event.streamId].fields.full_name, DEMO_STORY.accountName);
    await send(panel, { type: 'select', index: event.revision - 1 });
    const debit = await stepAt(panel, event.revision - 1);
    assert.equal(debit.event.position, event.position);
    // Without an invariant, "Find first failure" asks for an expression.
    await send(panel, { type: 'findFailure', from: 'start' });
    assert.match(panel.testApi.last('notice')!.message, /has no invariant/);
    await send(panel, { type: 'findFailure', from: 'start', expression: 'state.events < 5' });
    assert.equal(panel.testApi.last('found')!.mark?.index, 4);
  });

  it('re-runs when the projection file is saved, keeping the cursor on the same event', async () => {
    const panel = await openReplay(demoConnection(), { kind: 'file', path: projectionFile });
    const failure = panel.testApi.summary()!.firstFailure!.index;
    await send(panel, { type: 'select', index: failure });
    const before = await stepAt(panel, failure);

    const document = await vscode.workspace.openTextDocument(projectionFile);
    const edit = new vscode.WorkspaceEdit();
    const text = document.getText();
    const changed = text.replace("name: 'Account balances'", "name: 'Balances, fixed'").replace('balance < 0', 'balance < -100000000');
    assert.notEqual(changed, text);
    edit.replace(document.uri, new vscode.Range(document.positionAt(0), document.positionAt(text.length)), changed);
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await document.save());
    const summary = await waitFor('the re-run', () => {
      const s = panel.testApi.last('summary')?.summary;
      return s?.projection.name === 'Balances, fixed' ? s : undefined;
    });
    assert.equal(summary.firstFailure, undefined, 'the edited invariant holds');
    const after = await waitFor('the step after the re-run', () => {
      const step = panel.testApi.last('step')?.step;
      return step && step !== before && step.invariantFailure === undefined ? step : undefined;
    });
    assert.equal(after.index, before.index);
    assert.deepEqual(
      [after.event.streamId, after.event.revision, after.event.position],
      [before.event.streamId, before.event.revision, before.event.position],
    );

    // A save that does not bundle keeps the previous run and says why.
    const broken = new vscode.WorkspaceEdit();
    broken.insert(document.uri, new vscode.Position(0, 0), 'export default {{{\n');
    assert.ok(await vscode.workspace.applyEdit(broken));
    assert.ok(await document.save());
    const notice = await waitFor('the re-run error', () => {
      const n = panel.testApi.last('notice');
      return n?.level === 'error' ? n : undefined;
    });
    assert.match(notice.message, /bank-balances\.js:1:\d+: .*previous run/);
    assert.equal(panel.phase, 'open');
    assert.doesNotMatch(notice.message, /\n\s+at /, 'no stack trace');
    copyFileSync(join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'examples', 'bank-balances.js'), projectionFile);
  });

  it('re-runs when a file the projection imports is saved', async () => {
    const helper = join(dir, 'limit.ts');
    const main = join(dir, 'limited.ts');
    writeFileSync(helper, 'export const LIMIT = 5;\n');
    writeFileSync(
      main,
      "import { LIMIT } from './limit';\nexport default { name: 'Limited', init: () => ({ n: 0 }), any: (s: { n: number }) => { s.n += 1; }, invariant: (s: { n: number }) => s.n <= LIMIT };\n",
    );
    const panel = await openReplay(demoConnection(), { kind: 'file', path: main });
    assert.equal(panel.testApi.summary()!.firstFailure!.index, 5);
    const document = await vscode.workspace.openTextDocument(helper);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(
      document.uri,
      new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)),
      'export const LIMIT = 50;\n',
    );
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await document.save());
    const summary = await waitFor('the re-run after the import changed', () => {
      const s = panel.testApi.last('summary')?.summary;
      return s?.firstFailure?.index === 50 ? s : undefined;
    });
    assert.equal(summary.projection.name, 'Limited');
  });

  it('in an untrusted workspace, explains and runs only the generic projection until trusted', async () => {
    // VS Code's own answer when this folder is untrusted, else pretend (these runs have Workspace Trust off).
    ctx.replays.trustOverride = vscode.workspace.isTrusted ? false : undefined;
    assert.equal(ctx.replays.isTrusted(), false);
    const category: Node = { kind: 'category', connection: demoConnection().connection, category: { name: 'Dog', streams: 0 } };
    const blocked = await openReplay(category, { kind: 'file', path: projectionFile });
    assert.equal(blocked.phase, 'untrusted');
    assert.match(blocked.testApi.last('untrusted')!.message, /not trusted/);
    assert.equal(blocked.testApi.last('summary'), undefined);
    assert.equal(blocked.session, undefined, 'no worker runs the workspace code');
    await send(blocked, { type: 'findFailure', from: 'start' });
    assert.equal(blocked.testApi.last('found'), undefined);

    const generic = await openReplay(category, { kind: 'generic' });
    assert.equal(generic.phase, 'open');
    assert.ok(generic.testApi.last('summary')!.summary.steps > 0);
    assert.ok(generic.testApi.last('summary')!.summary.source.startsWith('Dog streams'));

    ctx.replays.trustOverride = true;
    ctx.replays.trustGranted();
    await waitFor('the trusted replay', () => blocked.phase === 'open');
    await blocked.testApi.settled();
    assert.equal(blocked.testApi.last('summary')!.summary.projection.name, 'Account balances');
  });

  it("replays the demo from the walkthrough with the extension's own projection, trusted workspace or not", async () => {
    ctx.replays.trustOverride = vscode.workspace.isTrusted ? false : undefined;
    try {
      assert.equal(ctx.replays.isTrusted(), false);
      await vscode.commands.executeCommand('eventscope.replayDemo');
      const panel = ctx.replays.lastOpened!;
      await panel.testApi.settled();
      assert.equal(panel.phase, 'open', 'shipped with the extension, so it runs in Restricted Mode');
      const { summary } = panel.testApi.last('summary')!;
      assert.equal(summary.projection.name, 'Account balances');
      assert.match(summary.firstFailure!.message, new RegExp(`^${DEMO_STORY.accountName}'s balance is -`));
      const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
      const step = pkg.contributes.walkthroughs[0].steps.find((s: { id: string }) => s.id === 'replay');
      assert.match(step.description, /command:eventscope\.replayDemo/);
    } finally {
      ctx.replays.trustOverride = true;
    }
  });

  it('exports the state at the cursor and the session as JSON', async () => {
    const panel = await openReplay(demoConnection(), { kind: 'file', path: projectionFile });
    await send(panel, { type: 'select', index: 41 });
    const step = await stepAt(panel, 41);
    const stateFile = await panel.testApi.exportState(vscode.Uri.file(join(dir, 'state.json')));
    assert.ok(stateFile);
    assert.deepEqual(parseExactJson(readFileSync(stateFile.fsPath, 'utf8')), parseExactJson(step.stateAfter!));

    const sessionFile = await panel.testApi.exportSession(vscode.Uri.file(join(dir, 'session.json')));
    assert.ok(sessionFile);
    const exported = parseExactJson(readFileSync(sessionFile.fsPath, 'utf8')) as {
      steps: number;
      count: number;
      note?: string;
      initialState: BankState;
      records: { index: number; event: { type: string }; stateAfter: BankState; changes: unknown }[];
    };
    assert.equal(exported.steps, 330);
    assert.equal(exported.count, 330);
    assert.equal(exported.note, undefined);
    assert.deepEqual(exported.initialState, { balances: {}, names: {} });
    assert.equal(exported.records.length, 330);
    assert.deepEqual(exported.records[41].stateAfter, parseExactJson(step.stateAfter!));
    assert.deepEqual(exported.records[41].changes, parseExactJson(step.changes));
    assert.equal(exported.records[329].index, 329);
  });

  it('opens from a projection file (Replay with this projection…) and on an .events file', async () => {
    await vscode.commands.executeCommand('eventscope.replayWithProjection', vscode.Uri.file(projectionFile), {
      source: { kind: 'connection', connection: DEMO, scope: { category: 'BankAccount' } },
    });
    const fromFile = ctx.replays.lastOpened!;
    await fromFile.testApi.settled();
    assert.equal(fromFile.testApi.last('summary')!.summary.projection.name, 'Account balances');
    assert.equal(fromFile.testApi.last('summary')!.summary.source, 'BankAccount streams of demo.sqlite');
    assert.ok(fromFile.testApi.last('summary')!.summary.steps < 330, 'only the accounts, not the dogs');

    const eventsFile = join(dir, 'accounts.events');
    writeFileSync(
      eventsFile,
      [
        '# two accounts',
        '### BankAccount.Opened  acc-1',
        '{ "full_name": "Alice" }',
        '',
        '### BankAccount.Credited  acc-1',
        '{ "amount": "12.50" }',
        '',
        '### BankAccount.Opened  acc-2',
        '{ "full_name": "Bob", "big": 123456789012345678901234567890 }',
        '',
      ].join('\n'),
    );
    await vscode.commands.executeCommand('eventscope.replay', vscode.Uri.file(eventsFile), { projection: { kind: 'generic' } });
    const panel = ctx.replays.lastOpened!;
    await panel.testApi.settled();
    assert.equal(panel.phase, 'open');
    const summary = panel.testApi.last('summary')!.summary;
    assert.deepEqual([summary.steps, summary.source], [3, 'accounts.events']);
    await send(panel, { type: 'step', to: 'last' });
    const last = await stepAt(panel, 2);
    assert.match(last.stateAfter!, /"big": 123456789012345678901234567890/, 'big integers stay exact in the State payload');
    const state = parseExactJson(last.stateAfter!) as { streams: Record<string, { fields: { big?: bigint } }> };
    assert.equal(state.streams['acc-2'].fields.big, 123456789012345678901234567890n);
  });

  it('stops a projection that overruns its time budget (the setting), and marks handler errors', async () => {
    const stuck = join(dir, 'stuck.js');
    writeFileSync(
      stuck,
      [
        'export default {',
        "  name: 'Stuck on debits',",
        '  init: () => ({ n: 0 }),',
        '  when: {',
        "    Credited: (state) => { state.n++; if (state.n === 3) throw new Error('third credit'); },",
        '    Debited: () => { for (;;) {} },',
        '  },',
        '};',
        '',
      ].join('\n'),
    );
    const config = vscode.workspace.getConfiguration('eventscope.replay');
    await config.update('timeBudgetMs', 300, vscode.ConfigurationTarget.Global);
    try {
      const panel = await openReplay(demoConnection(), { kind: 'file', path: stuck });
      const summary = panel.testApi.last('summary')!.summary;
      assert.match(summary.stopped ?? '', /300 ms time budget/);
      assert.match(summary.stopped ?? '', /stuck\.js:6/, 'it names the handler line');
      assert.ok(summary.steps > 0 && summary.steps < 330, `${summary.steps} steps before the first debit`);
      assert.equal(summary.errors.length, 1);
      assert.match(summary.errors[0].message, /third credit/);
      assert.equal(summary.firstFailure?.index, summary.errors[0].index);
      await send(panel, { type: 'select', index: summary.errors[0].index });
      const step = await stepAt(panel, summary.errors[0].index);
      assert.match(step.error ?? '', /third credit \(at .*stuck\.js:5:\d+\)/);
      assert.doesNotMatch(step.error ?? '', /\n/, 'one line, no stack');
    } finally {
      await config.update('timeBudgetMs', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('says in one sentence when a replay cannot open', async () => {
    const panel = ctx.replays.open({
      source: { kind: 'connection', connection: 'gone', scope: { all: true } },
      projection: { kind: 'generic' },
    });
    await panel.testApi.settled();
    assert.equal(panel.phase, 'failed');
    assert.equal(panel.testApi.last('failed')!.message, 'There is no connection named "gone" any more.');
  });

  it('keeps what a reload needs in the page state, and reads it back defensively', () => {
    const state = readPanelState({
      version: 1,
      target: {
        source: { kind: 'connection', connection: DEMO, scope: { all: true } },
        projection: { kind: 'file', path: projectionFile },
      },
      cursor: 225,
      tab: 'diff',
      filter: 'Debited',
      breakpoints: [{ kind: 'type', type: 'Debited' }, { kind: 'bogus' }],
      expression: 'x',
      speed: 10,
    });
    assert.ok(state);
    assert.equal(state.cursor, 225);
    assert.equal(state.tab, 'diff');
    assert.deepEqual(state.breakpoints, [{ kind: 'type', type: 'Debited' }]);
    assert.equal(readPanelState({ target: { source: { kind: 'nope' }, projection: { kind: 'generic' } } }), undefined);
  });
});

describe('the replay panel on a 1,000,000-event store (figures in the test titles)', function () {
  this.timeout(180_000);
  const N = 1_000_000;
  const STREAMS = 1000;
  let bigDir: string;
  let panel: ReplayPanel;
  /** The event type of event i (the generator below). */
  const typeOf = (i: number) => (i < STREAMS ? 'Opened' : i % 7 === 0 ? 'Debited' : 'Credited');

  before(async function () {
    ctx = await vscode.extensions.getExtension<Ctx>(EXTENSION_ID)!.activate();
    ctx.replays.historyLimit = 300;
    bigDir = mkdtempSync(join(tmpdir(), 'eventscope-replay-big-'));
    const path = join(bigDir, 'big.db');
    const writer = new EventsourcingSqliteWriter(path, { snapshots: false });
    const topic = 'bench.domain:Account';
    function* events(from: number, to: number): Generator<StoredEventInput> {
      for (let i = from; i < to; i++) {
        const version = Math.floor(i / STREAMS) + 1;
        yield {
          originatorId: ((i % STREAMS) + 1).toString(16).padStart(32, '0'),
          version,
          topic: `${topic}.${typeOf(i)}`,
          state: version === 1 ? { originator_topic: topic, n: i } : { n: i },
        };
      }
    }
    for (let from = 0; from < N; from += 100_000) writer.append(events(from, from + 100_000));
    writer.close();
    await ctx.connections.add({ name: 'big replay', kind: 'eventsourcing-sqlite', path }, undefined, 'user');
    for (const p of [...ctx.replays.panels]) p.dispose();
  });

  after(async () => {
    panel?.dispose();
    const big = ctx.connections.get('big replay');
    if (big) await ctx.connections.remove(big);
    rmSync(bigDir, { recursive: true, force: true });
  });

  it('opens with the generic projection and shows the first step', async function () {
    const started = performance.now();
    await vscode.commands.executeCommand(
      'eventscope.replay',
      { kind: 'connection', connection: ctx.connections.get('big replay')! } satisfies Node,
      {
        projection: { kind: 'generic' },
      },
    );
    panel = ctx.replays.lastOpened!;
    const first = await stepAt(panel, 0);
    const ms = performance.now() - started;
    await waitFor('the page to be ready', () => panel.testApi.readyCount() > 0);
    this.test!.title += ` (first pass and first step in ${(ms / 1000).toFixed(1)} s)`;
    assert.equal(panel.testApi.summary()?.steps, N);
    assert.match(first.event.type, /\.Opened$/);
  });

  it('serves timeline windows anywhere in the million', async function () {
    const version = panel.testApi.last('timeline')!.version;
    const times: number[] = [];
    for (const from of [999_900, 500_000, 123_400, 0]) {
      const started = performance.now();
      await send(panel, { type: 'requestRows', from, count: 100, version });
      times.push(performance.now() - started);
      // The panel's own page asks for rows too: look for the answer to this request.
      const rows = await waitFor(`rows from ${from}`, () =>
        panel.testApi.history().findLast((m): m is Extract<typeof m, { type: 'rows' }> => m.type === 'rows' && m.from === from),
      );
      assert.deepEqual(
        rows.rows.map((r) => r.index),
        Array.from({ length: 100 }, (_, i) => from + i),
      );
      assert.ok(rows.rows.every((r) => r.type.endsWith(typeOf(r.index))));
    }
    this.test!.title += ` (100 rows in ${times.map((t) => t.toFixed(0)).join(' / ')} ms)`;
    assert.ok(Math.max(...times) < 2000, `windows took ${times.join(', ')} ms`);
  });

  it('seeks to any step', async function () {
    const times: number[] = [];
    for (const index of [500_000, 999_999, 1, 777_777]) {
      const started = performance.now();
      await send(panel, { type: 'select', index });
      const step = await stepAt(panel, index);
      times.push(performance.now() - started);
      assert.match(step.event.type, new RegExp(`\\.${typeOf(index)}$`));
      const state = parseExactJson(step.stateAfter!) as { events: number };
      assert.equal(state.events, index + 1);
    }
    this.test!.title += ` (steps in ${times.map((t) => t.toFixed(0)).join(' / ')} ms)`;
    // The page (a real browser) scrolled its virtual timeline there and asked for the rows around it.
    const shown = await waitFor('the page to ask for the rows around step 777,778', () =>
      panel.testApi.history().find((m) => m.type === 'rows' && m.from <= 777_777 && m.from + m.rows.length > 777_777),
    );
    assert.ok(shown.type === 'rows' && shown.rows.length <= 500, 'the page asks for a window, not the million');
    assert.deepEqual(panel.testApi.pageErrors, []);
  });

  it('filters the million by type and steps within the filter', async function () {
    await send(panel, { type: 'select', index: 0 });
    const started = performance.now();
    await send(panel, { type: 'filter', text: 'Debited' });
    const ms = performance.now() - started;
    const timeline = panel.testApi.last('timeline')!;
    let expected = 0;
    for (let i = 0; i < N; i++) if (typeOf(i) === 'Debited') expected++;
    this.test!.title += ` (filtered in ${(ms / 1000).toFixed(1)} s)`;
    assert.equal(timeline.filtering, false);
    assert.equal(timeline.total, expected);
    await send(panel, { type: 'step', to: 'forward' });
    const next = await stepAt(panel, 1001);
    assert.equal(next.row, 0);
    assert.match(next.event.type, /\.Debited$/);
    await send(panel, { type: 'step', to: 'last' });
    const last = await stepAt(panel, 999_999 - (999_999 % 7));
    assert.equal(last.row, expected - 1);
    await send(panel, { type: 'filter', text: '' });
  });
});
