/**
 * `.events` and JSON lines files as stores inside a real VS Code: found in the workspace, browsed
 * as a connection (categories, streams, events, the kind in the tooltip), followed as the file
 * grows, replayed and debugged; and "Save as .events…" on a stream and on a selection of events
 * writes a file that parses back to the same events.
 */

import * as assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { parseEventsFile } from '../../src/core/eventsFile/eventsFile';
import type { RecordedEvent } from '../../src/core/events';
import { iterateStream } from '../../src/core/stores/types';
import type { Ctx } from '../../src/extension/ctx';
import { discoverStores } from '../../src/extension/discovery';
import type { Node } from '../../src/extension/streamsTree';
import { FIXTURE_EVENTS } from '../helpers/eventsFiles';
import { treeLabel, waitFor } from './helpers';

const EXTENSION_ID = 'eventscope.eventscope';
const NAME = 'fixture events';

let ctx: Ctx;
let sub: string;

const label = (node: Node) => treeLabel(ctx, node);

async function child(node: Node | undefined, text: string): Promise<Node> {
  const children = await ctx.tree.getChildren(node);
  const found = children.find((n) => label(n) === text);
  assert.ok(found, `no "${text}" among ${children.map(label).join(', ')}`);
  return found;
}

describe('.events files as stores (in a real VS Code)', function () {
  this.timeout(60_000);

  before(async () => {
    ctx = await vscode.extensions.getExtension<Ctx>(EXTENSION_ID)!.activate();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace has a folder');
    sub = join(folder.uri.fsPath, 'events-files');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'fixtures.events'), FIXTURE_EVENTS);
    writeFileSync(join(sub, 'bank.jsonl'), `${JSON.stringify({ streamId: 'account-9', type: 'BankAccount.Opened', data: {} })}\n`);
    writeFileSync(join(sub, 'app-log.jsonl'), '{"level": "info", "msg": "not an event"}\n');
  });
  after(async () => {
    const connection = ctx.connections.get(NAME);
    if (connection) await ctx.connections.remove(connection);
    ctx.tree.detected = [];
    rmSync(sub, { recursive: true, force: true });
  });

  it('offers the workspace’s .events files and JSON lines of events under “Detected in this workspace”', async () => {
    const mine = (await discoverStores()).filter((d) => d.path.startsWith(sub)).sort((a, b) => a.path.localeCompare(b.path));
    assert.deepEqual(
      mine.map((d) => [d.path.slice(sub.length + 1), d.source]),
      [
        ['bank.jsonl', 'JSON lines of events'],
        ['fixtures.events', '.events file'],
      ],
    );
    ctx.tree.detected = mine;
    const detected = await child(undefined, 'Detected in this workspace');
    assert.deepEqual((await ctx.tree.getChildren(detected)).map(label), ['events-files/bank.jsonl', 'events-files/fixtures.events']);
    ctx.tree.detected = [];
  });

  it('a connection to a workspace .events file shows its categories, streams and events, and new ones as the file grows', async () => {
    await ctx.connections.add({ name: NAME, kind: 'events-file', path: 'events-files/fixtures.events' }, undefined, 'workspace');
    const connection = await child(undefined, NAME);
    assert.match(String(ctx.tree.getTreeItem(connection).tooltip), /events file \(\.events \/ JSON lines\) \(workspace connection\)/);
    const categories = await ctx.tree.getChildren(connection);
    assert.deepEqual(categories.map(label), ['BankAccount', 'order']);
    const accounts = await child(connection, 'BankAccount');
    assert.deepEqual((await ctx.tree.getChildren(accounts)).map(label), ['Alice', 'Bob']);
    const alice = await child(accounts, 'Alice');
    assert.deepEqual((await ctx.tree.getChildren(alice)).map(label), ['1  Opened', '2  Credited', '3  Debited']);

    // The file grows: the live tail refreshes the connection, and the stream shows the new event.
    const refresh = ctx.tree.refresh.bind(ctx.tree);
    let refreshed = false;
    ctx.tree.refresh = (c) => {
      if (c?.name === NAME) refreshed = true;
      refresh(c);
    };
    try {
      appendFileSync(join(sub, 'fixtures.events'), '\n### BankAccount.Closed  account-1\n{}\n');
      await waitFor('the live tail to refresh the connection', () => refreshed, 15_000);
    } finally {
      ctx.tree.refresh = refresh;
    }
    const again = await child(await child(await child(undefined, NAME), 'BankAccount'), 'Alice');
    assert.deepEqual((await ctx.tree.getChildren(again)).map(label), ['1  Opened', '2  Credited', '3  Debited', '4  Closed']);
  });

  it('replays the connection’s events', async () => {
    await vscode.commands.executeCommand('eventscope.replay', await child(undefined, NAME), { projection: { kind: 'generic' } });
    const panel = ctx.replays.lastOpened!;
    await panel.testApi.settled();
    assert.equal(panel.phase, 'open', JSON.stringify(panel.testApi.history().slice(-2)));
    const summary = panel.testApi.last('summary')!.summary;
    assert.deepEqual([summary.steps, summary.source], [6, 'all events of fixtures.events']);
    panel.dispose();
  });

  it('the debugger replays a stream of the connection, named in a launch configuration', async () => {
    let session: vscode.DebugSession | undefined;
    const listener = vscode.debug.onDidStartDebugSession((s) => {
      if (s.type === 'eventscope') session = s;
    });
    try {
      const config = {
        type: 'eventscope',
        request: 'launch',
        name: 'Debug the fixture',
        store: NAME,
        stream: 'account-1',
        stopOnEntry: true,
      };
      assert.equal(await vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], config), true);
      const started = await waitFor('the session', () => session);
      const frame = await waitFor('the stop on the first event', async () => {
        const body = (await started.customRequest('stackTrace', { threadId: 1 }).then(
          (b: unknown) => b,
          () => undefined,
        )) as { stackFrames: { name: string }[] } | undefined;
        return body?.stackFrames.find((f) => / of 4$/.test(f.name));
      });
      assert.equal(frame.name, 'Opened #1 @ account-1 (Alice), step 1 of 4');
      await vscode.debug.stopDebugging(started);
    } finally {
      listener.dispose();
    }
  });

  it('“Save as .events…” writes a stream, or the events selected, to a file that parses back to the same events, and opens it', async () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const menu = (pkg.contributes.menus['view/item/context'] as { command: string; when: string }[]).find(
      (m) => m.command === 'eventscope.saveAsEvents',
    );
    assert.match(menu!.when, /viewItem =~ \/\^\(stream\|event\)\$\//);

    const connection = ctx.connections.get(NAME)!;
    const store = await ctx.connections.store(connection);
    const alice = await child(await child(await child(undefined, NAME), 'BankAccount'), 'Alice');
    const target = join(sub, 'saved', 'alice.events');
    mkdirSync(join(sub, 'saved'), { recursive: true });
    const written = await vscode.commands.executeCommand<string>('eventscope.saveAsEvents', alice, [alice], { target });
    assert.equal(written, target);
    const text = readFileSync(target, 'utf8');
    assert.match(text, /^# Stream account-1 \(Alice\) of fixture events\n# 4 events\n/);
    const expected: RecordedEvent[] = [];
    for await (const e of iterateStream(store, 'account-1')) expected.push(e);
    const parsed = parseEventsFile(text, target);
    assert.deepEqual(
      parsed.map((e) => [e.streamId, e.revision, e.type, e.created ?? null, e.metadata ?? {}, e.data]),
      expected.map((e) => [e.streamId, e.revision, e.type, e.timestamp, e.metadata, e.data]),
    );
    assert.equal((parsed[0].data as { big: bigint }).big, 123456789012345678901234567890n, 'exact values stay exact');
    await waitFor('the saved file to open', () => vscode.window.activeTextEditor?.document.uri.fsPath === target);

    // Two events selected (of two streams): those two, in log order.
    const events = await ctx.tree.getChildren(alice);
    const bob = await child(await child(await child(undefined, NAME), 'BankAccount'), 'Bob');
    const [bobOpened] = await ctx.tree.getChildren(bob);
    const selection = [bobOpened, events[0]];
    const two = join(sub, 'saved', 'two.events');
    await vscode.commands.executeCommand('eventscope.saveAsEvents', bobOpened, selection, { target: two });
    const saved = parseEventsFile(readFileSync(two, 'utf8'));
    assert.deepEqual(
      saved.map((e) => [e.streamId, e.revision, e.type]),
      [
        ['account-1', 1, 'BankAccount.Opened'],
        ['account-2', 1, 'BankAccount.Opened'],
      ],
    );
    assert.match(readFileSync(two, 'utf8'), /^# 2 events of fixture events\n/);
  });
});
