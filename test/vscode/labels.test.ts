/**
 * Stream labels inside a real VS Code (code-server's extension host): the Streams view shows them
 * and its filter finds streams by them (at once on a small category, after a background index on a
 * big one), the `eventscope.streamLabels` setting changes them, and the replay panel's timeline
 * rows, steps and filter carry them.
 */

import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { transcoded } from '../../src/core/codecs/eventsourcing';
import { DEMO_STORY } from '../../src/core/demo';
import { EventsourcingSqliteWriter, type StoredEventInput } from '../../src/core/stores/eventsourcingSqliteWriter';
import type { Ctx } from '../../src/extension/ctx';
import type { ReplayPanel } from '../../src/extension/replay/replayPanel';
import { INLINE_INDEX_STREAMS, type Node } from '../../src/extension/streamsTree';
import type { StepView, WebviewMessage } from '../../src/shared/replayProtocol';
import { treeLabel, waitFor } from './helpers';

const EXTENSION_ID = 'eventscope.eventscope';
const DEMO = 'Demo bank';

let ctx: Ctx;

const label = (node: Node) => treeLabel(ctx, node);

async function category(connection: string, name: string): Promise<Node & { kind: 'category' }> {
  const root = (await ctx.tree.getChildren()).find((n) => n.kind === 'connection' && n.connection.name === connection);
  assert.ok(root, `no connection ${connection}`);
  const found = (await ctx.tree.getChildren(root)).find((n) => n.kind === 'category' && n.category.name === name);
  assert.ok(found, `no category ${name} under ${connection}`);
  return found as Node & { kind: 'category' };
}

async function streamsOf(connection: string, name: string): Promise<(Node & { kind: 'stream' })[]> {
  return (await ctx.tree.getChildren(await category(connection, name))).filter((n): n is Node & { kind: 'stream' } => n.kind === 'stream');
}

async function setLabelRules(rules: Record<string, string> | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('eventscope').update('streamLabels', rules, vscode.ConfigurationTarget.Global);
  await waitFor('the tree to read the label rules', () => JSON.stringify(ctx.tree.labelRules) === JSON.stringify(rules ?? {}));
}

describe('stream labels in the Streams view (in a real VS Code)', function () {
  this.timeout(90_000);
  let dir: string;

  before(async () => {
    ctx = await vscode.extensions.getExtension<Ctx>(EXTENSION_ID)!.activate();
    await vscode.commands.executeCommand('eventscope.openDemo');
    dir = mkdtempSync(join(tmpdir(), 'eventscope-labels-'));
  });

  afterEach(async () => {
    ctx.tree.filters = {};
    ctx.applyFilters();
    await setLabelRules(undefined);
  });

  after(async () => {
    const big = ctx.connections.get('many accounts');
    if (big) await ctx.connections.remove(big);
    rmSync(dir, { recursive: true, force: true });
  });

  it('contributes the eventscope.streamLabels setting', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const setting = pkg.contributes.configuration.properties['eventscope.streamLabels'];
    assert.equal(setting.type, 'object');
    assert.equal(setting.additionalProperties.type, 'string');
    assert.deepEqual(vscode.workspace.getConfiguration('eventscope').get('streamLabels'), {});
  });

  it('shows each stream by its label, with the short id beside it and the whole id in the tooltip', async () => {
    const accounts = await streamsOf(DEMO, 'BankAccount');
    assert.equal(accounts.length, 12);
    const dana = accounts.find((n) => label(n) === DEMO_STORY.accountName);
    assert.ok(dana, `no stream labelled ${DEMO_STORY.accountName}: ${accounts.map(label).join(', ')}`);
    const item = ctx.tree.getTreeItem(dana);
    assert.match(String(item.description), new RegExp(`^${dana.stream.streamId.slice(0, 8)}… · \\d+ events$`));
    assert.match((item.tooltip as vscode.MarkdownString).value, new RegExp(dana.stream.streamId));
    assert.equal(dana.stream.label, DEMO_STORY.accountName);
    const dogs = (await streamsOf(DEMO, 'Dog')).map(label);
    assert.ok(dogs.includes('Fido') && dogs.includes('Rex 🐶'), dogs.join(', '));
    // The id is still what "Copy Id" copies; the JSON has the label.
    await vscode.commands.executeCommand('eventscope.copyId', dana);
    assert.equal(await vscode.env.clipboard.readText(), dana.stream.streamId);
    await vscode.commands.executeCommand('eventscope.copyJson', dana);
    assert.equal(JSON.parse(await vscode.env.clipboard.readText()).label, DEMO_STORY.accountName);
  });

  it('finds a stream by its label with the streams filter (and still by its id)', async () => {
    const dana = (await streamsOf(DEMO, 'BankAccount')).find((n) => label(n) === DEMO_STORY.accountName)!;
    ctx.tree.filters = { streams: 'whitf' };
    ctx.applyFilters();
    const found = await streamsOf(DEMO, 'BankAccount');
    assert.deepEqual(
      found.map((n) => [n.stream.streamId, label(n)]),
      [[dana.stream.streamId, DEMO_STORY.accountName]],
    );
    assert.deepEqual(await streamsOf(DEMO, 'Dog'), []);
    assert.match(ctx.view.description ?? '', /stream ∋ "whitf"/);
    ctx.tree.filters = { streams: dana.stream.streamId.slice(0, 8).toUpperCase() };
    ctx.applyFilters();
    assert.deepEqual(
      (await streamsOf(DEMO, 'BankAccount')).map((n) => n.stream.streamId),
      [dana.stream.streamId],
    );
  });

  it('follows the eventscope.streamLabels setting: another field, or none', async () => {
    await setLabelRules({ BankAccount: 'email_address', Dog: '' });
    const accounts = await streamsOf(DEMO, 'BankAccount');
    assert.ok(
      accounts.every((n) => /@example\.com$/.test(label(n))),
      accounts.map(label).join(', '),
    );
    assert.ok((await streamsOf(DEMO, 'Dog')).every((n) => n.stream.label === undefined && label(n) === n.stream.streamId));
    ctx.tree.filters = { streams: 'dana@' };
    ctx.applyFilters();
    assert.deepEqual((await streamsOf(DEMO, 'BankAccount')).map(label), ['dana@example.com']);
  });

  it('indexes the labels of a big category in the background, matching ids meanwhile (figures in the title)', async function () {
    const count = INLINE_INDEX_STREAMS * 3;
    const path = join(dir, 'many.db');
    const writer = new EventsourcingSqliteWriter(path);
    const topic = 'bank.domain:BankAccount';
    const opened = (i: number, name: string): StoredEventInput => ({
      originatorId: i.toString(16).padStart(32, '0'),
      version: 1,
      topic: `${topic}.Opened`,
      state: { timestamp: transcoded.datetime('2026-03-02T09:00:00.000000+00:00'), originator_topic: topic, full_name: name },
    });
    const events: StoredEventInput[] = [];
    for (let i = 1; i <= count; i++) events.push(opened(i, i === count - 7 ? 'Needle Haystack' : `Person ${i}`));
    writer.append(events);
    writer.close();
    await ctx.connections.add({ name: 'many accounts', kind: 'eventsourcing-sqlite', path }, undefined, 'user');
    ctx.tree.filters = { streams: 'needle' };
    ctx.applyFilters();
    const started = performance.now();
    const first = await ctx.tree.getChildren(await category('many accounts', 'BankAccount'));
    // Not indexed yet: a note says the filter matches ids for now (no id contains "needle").
    assert.deepEqual(
      first.map((n) => n.kind),
      ['note'],
    );
    assert.match(label(first[0]), /labels once indexed/);
    const found = await waitFor('the label index to find the needle', async () => {
      const streams = await streamsOf('many accounts', 'BankAccount');
      return streams.length ? streams : undefined;
    });
    const ms = performance.now() - started;
    this.test!.title += ` (${count} streams indexed in ${ms.toFixed(0)} ms)`;
    assert.deepEqual(found.map(label), ['Needle Haystack']);
    // Once indexed, other filters answer from the index at once.
    ctx.tree.filters = { streams: 'person 12' };
    ctx.applyFilters();
    const persons = await streamsOf('many accounts', 'BankAccount');
    assert.equal(persons.length, 100, 'a page of the matches');
    assert.ok(persons.every((n) => label(n).startsWith('Person 12')));
    // "Person 12", "Person 120"… "Person 129", "Person 1200"… "Person 1299": the rest under "Load more…".
    const page = await ctx.tree.getChildren(await category('many accounts', 'BankAccount'));
    const more = page.at(-1)!;
    assert.equal(more.kind, 'more');
    await vscode.commands.executeCommand('eventscope.loadMore', more);
    const all = await streamsOf('many accounts', 'BankAccount');
    assert.equal(all.length, 111);
    assert.equal(new Set(all.map((n) => n.stream.streamId)).size, 111);
  });
});

describe('stream labels in the replay panel (in a real VS Code)', function () {
  this.timeout(90_000);

  before(async () => {
    ctx = await vscode.extensions.getExtension<Ctx>(EXTENSION_ID)!.activate();
    ctx.replays.historyLimit = 300;
    await vscode.commands.executeCommand('eventscope.openDemo');
    for (const panel of [...ctx.replays.panels]) panel.dispose();
  });

  after(async () => {
    for (const panel of [...ctx.replays.panels]) panel.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  async function send(panel: ReplayPanel, message: WebviewMessage): Promise<void> {
    await panel.testApi.send(message);
  }

  async function stepAt(panel: ReplayPanel, index: number): Promise<StepView> {
    return waitFor(`step ${index}`, () => {
      const step = panel.testApi.last('step')?.step;
      return step?.index === index ? step : undefined;
    });
  }

  it('shows labels in the timeline rows and the step, and filters the timeline by them', async () => {
    const connection = ctx.connections.get(DEMO)!;
    await vscode.commands.executeCommand('eventscope.replay', { kind: 'connection', connection } satisfies Node, {
      projection: { kind: 'generic' },
    });
    const panel = ctx.replays.lastOpened!;
    await panel.testApi.settled();
    assert.equal(panel.phase, 'open');
    const steps = panel.testApi.summary()!.steps;
    const version = panel.testApi.last('timeline')!.version;
    await send(panel, { type: 'requestRows', from: 0, count: steps, version });
    const all = await waitFor('rows of every step', () =>
      panel.testApi
        .history()
        .findLast(
          (m): m is Extract<typeof m, { type: 'rows' }> => m.type === 'rows' && m.from === 0 && m.rows.length === Math.min(steps, 500),
        ),
    );
    // Every stream of the demo has a name: every row carries its stream's label.
    assert.ok(
      all.rows.every((r) => typeof r.label === 'string' && r.label.length > 0),
      JSON.stringify(all.rows.find((r) => !r.label)),
    );
    const ofDana = all.rows.filter((r) => r.label === DEMO_STORY.accountName);
    assert.ok(ofDana.length > 5);
    assert.ok(ofDana.every((r) => r.streamId === ofDana[0].streamId));

    await send(panel, { type: 'select', index: ofDana[1].index });
    const step = await stepAt(panel, ofDana[1].index);
    assert.equal(step.event.label, DEMO_STORY.accountName);

    await send(panel, { type: 'filter', text: 'whitfield' });
    const timeline = panel.testApi.last('timeline')!;
    assert.equal(timeline.filtering, false);
    assert.equal(timeline.total, all.rows.filter((r) => r.streamId === ofDana[0].streamId).length);
    await send(panel, { type: 'requestRows', from: 0, count: 10, version: timeline.version });
    const filtered = await waitFor('filtered rows', () =>
      panel.testApi
        .history()
        .findLast((m): m is Extract<typeof m, { type: 'rows' }> => m.type === 'rows' && m.version === timeline.version),
    );
    assert.ok(filtered.rows.every((r) => r.label === DEMO_STORY.accountName));
    await send(panel, { type: 'filter', text: 'debited whitfield' });
    assert.ok(panel.testApi.last('timeline')!.total < timeline.total);
    assert.deepEqual(panel.testApi.pageErrors, []);

    // Replay… on the labelled stream of the tree: the panel is named after the account holder.
    const stream = {
      streamId: ofDana[0].streamId,
      category: 'BankAccount',
      count: 1,
      lastRevision: 1,
      firstType: '',
      label: DEMO_STORY.accountName,
    };
    await vscode.commands.executeCommand('eventscope.replay', { kind: 'stream', connection, stream } satisfies Node, {
      projection: { kind: 'generic' },
    });
    const streamPanel = ctx.replays.lastOpened!;
    await streamPanel.testApi.settled();
    assert.match(streamPanel.panel.title, new RegExp(`stream ${DEMO_STORY.accountName} \\(${ofDana[0].streamId.slice(0, 8)}…\\) of `));
  });
});
