/**
 * A KurrentDB connection inside a real VS Code (issue 11), at the protocol level: the in-test gRPC
 * server (helpers/kurrentServer.ts, the official client's own service definitions) runs in the
 * extension host and holds the shared fixture's rows as the library's KurrentDB recorder writes
 * them. The connection's password goes to secret storage; the tree
 * shows the aggregate types and streams, an event opens as a document, a replay runs on it, and
 * a new event reaches the tree through the server's subscription (live tail). Not a KurrentDB.
 */

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Ctx } from '../../src/extension/ctx';
import type { Node } from '../../src/extension/streamsTree';
import { dashed, readDumps } from '../helpers/dumps';
import { KurrentServer } from '../helpers/kurrentServer';
import { replayAllSteps, treeLabel, waitFor } from './helpers';

const EXTENSION_ID = 'eventscope.eventscope';
const NAME = 'kurrent bank';
const PASSWORD = 'changeit-in-test';

describe('a KurrentDB connection (in a real VS Code, protocol level)', function () {
  this.timeout(120_000);
  let ctx: Ctx;
  // A node without TLS runs without authentication (KurrentDB's insecure mode), so the stand-in
  // checks no credentials; the password still goes to secret storage and to the client.
  const server = new KurrentServer({ systemProjections: true });

  before(async () => {
    await server.start();
    for (const row of readDumps()
      .get('a_plain.db')!
      .events.sort((a, b) => a.rowid! - b.rowid!))
      server.append(dashed(row.originatorId), row.topic, { bytes: Buffer.from(row.hex, 'hex') });
    ctx = await vscode.extensions.getExtension<Ctx>(EXTENSION_ID)!.activate();
    // No poll during these tests: new events can only come through the server's subscription.
    ctx.liveTail.pollMs = 600_000;
  });
  after(async () => {
    if (ctx) ctx.liveTail.pollMs = 3000;
    const connection = ctx?.connections.get(NAME);
    if (connection) await ctx.connections.remove(connection);
    server.stop();
  });

  const label = (n: Node) => treeLabel(ctx, n);

  it('browses it in the tree, opens an event, replays it; its password is in secret storage only', async () => {
    const url = `kurrentdb://admin@127.0.0.1:${server.port}?tls=false`;
    await ctx.connections.add({ name: NAME, kind: 'kurrentdb', path: url }, undefined, 'user', PASSWORD);
    const saved = JSON.stringify(vscode.workspace.getConfiguration('eventscope').inspect('connections'));
    assert.ok(saved.includes(url), 'the connection string is in the settings');
    assert.ok(!saved.includes(PASSWORD), 'the password is not');

    const connection = (await ctx.tree.getChildren()).find((n) => n.kind === 'connection' && n.connection.name === NAME)!;
    assert.ok(connection, 'the connection is in the tree');
    assert.match(String(ctx.tree.getTreeItem(connection).tooltip), /KurrentDB/);
    const categories = await ctx.tree.getChildren(connection);
    assert.deepEqual(categories.map(label).sort(), ['BankAccount', 'Dog']);
    const bank = categories.find((n) => label(n) === 'BankAccount')!;
    assert.equal(ctx.tree.getTreeItem(bank).description, '3 streams');
    const streams = await ctx.tree.getChildren(bank);
    assert.ok(
      streams.some((n) => label(n) === 'Alice Smith'),
      streams.map(label).join(', '),
    );
    const events = (await ctx.tree.getChildren(streams[0])).filter((n) => n.kind === 'event');
    assert.ok(events.length >= 2);
    assert.match(label(events[0]), /Opened/);

    const item = ctx.tree.getTreeItem(events[1]);
    assert.ok(item.command, 'an event opens on click');
    await vscode.commands.executeCommand(item.command.command, ...(item.command.arguments ?? []));
    const document = await waitFor('the event document', async () => vscode.window.activeTextEditor?.document);
    assert.match(document.getText(), /"amount"/);

    assert.equal(await replayAllSteps(ctx, NAME), 21);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('refreshes the tree when the server pushes a new event (live tail by subscription)', async () => {
    const connection = (await ctx.tree.getChildren()).find((n) => n.kind === 'connection' && n.connection.name === NAME)!;
    await ctx.tree.getChildren(connection);
    const refresh = ctx.tree.refresh.bind(ctx.tree);
    let refreshed = 0;
    ctx.tree.refresh = (c) => {
      if (c?.name === NAME) refreshed++;
      refresh(c);
    };
    try {
      const topic = 'eventsourcing.examples.bankaccounts.domainmodel:BankAccount';
      const alice = readDumps()
        .get('a_plain.db')!
        .events.find((r) => r.decoded.full_name === 'Alice Smith')!;
      const stream = dashed(alice.originatorId);
      const state = {
        timestamp: { _type_: 'datetime_iso', _data_: '2026-11-28T06:00:00+00:00' },
        amount: { _type_: 'decimal_str', _data_: '1.00' },
      };
      await new Promise((resolve) => setTimeout(resolve, 500));
      server.append(stream, `${topic}.Credited`, { bytes: Buffer.from(JSON.stringify(state)) });
      await waitFor('the subscription to refresh the connection', async () => (refreshed ? true : undefined));
    } finally {
      ctx.tree.refresh = refresh;
    }
  });
});
