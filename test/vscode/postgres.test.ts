/**
 * A PostgreSQL connection inside a real VS Code (issue 11): a throwaway PostgreSQL (initdb +
 * pg_ctl, helpers/postgresServer.ts) holding the shared fixture's rows in the library's layout,
 * added as a connection whose password goes to secret storage, never to settings; the tree shows
 * its aggregate types and streams, an event opens as a document, and a replay runs on it.
 */

import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../../src/extension/ctx';
import { discoverStores } from '../../src/extension/discovery';
import type { Node } from '../../src/extension/streamsTree';
import { loadFixture, startPostgres, type PostgresServer } from '../helpers/postgresServer';
import { replayAllSteps, treeLabel } from './helpers';

const EXTENSION_ID = 'eventscope.eventscope';
const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'eventsourcing');
const NAME = 'pg bank';

describe('a PostgreSQL connection (in a real VS Code)', function () {
  this.timeout(120_000);
  let ctx: Ctx;
  let server: PostgresServer | undefined;
  let dir: string;

  before(async function () {
    server = await startPostgres();
    if (!server) {
      console.log('    (skipped: no initdb/pg_ctl here; apt-get install postgresql)');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'eventscope-pgvs-'));
    const fixture = join(dir, 'a_plain.db');
    copyFileSync(join(FIXTURES, 'a_plain.db'), fixture);
    await loadFixture(server, fixture, 'fixtureapp');
    ctx = await vscode.extensions.getExtension<Ctx>(EXTENSION_ID)!.activate();
  });
  after(async () => {
    const connection = ctx?.connections.get(NAME);
    if (connection) await ctx.connections.remove(connection);
    server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('browses it in the tree and replays it; its password is in secret storage only', async () => {
    const url = `${server!.url()}?app=fixtureapp`;
    await ctx.connections.add({ name: NAME, kind: 'eventsourcing-postgres', path: url }, undefined, 'user', server!.password);
    const saved = JSON.stringify(vscode.workspace.getConfiguration('eventscope').inspect('connections'));
    assert.ok(saved.includes(url), 'the URL is in the settings');
    assert.ok(!saved.includes(server!.password), 'the password is not');
    assert.equal(await ctx.context.secrets.get(`eventscope.password/${NAME}`), server!.password);

    const connection = (await ctx.tree.getChildren()).find((n) => n.kind === 'connection' && n.connection.name === NAME)!;
    assert.ok(connection, 'the connection is in the tree');
    const label = (n: Node) => treeLabel(ctx, n);
    const categories = await ctx.tree.getChildren(connection);
    assert.deepEqual(
      categories
        .map(label)
        .filter((l) => l === 'BankAccount' || l === 'Dog')
        .sort(),
      ['BankAccount', 'Dog'],
    );
    const bank = categories.find((n) => label(n) === 'BankAccount')!;
    assert.equal(ctx.tree.getTreeItem(bank).description, '3 streams');
    const [stream] = await ctx.tree.getChildren(bank);
    const events = (await ctx.tree.getChildren(stream)).filter((n) => n.kind === 'event');
    assert.ok(events.length >= 2);
    assert.match(label(events[0]), /Opened/);

    assert.equal(await replayAllSteps(ctx, NAME), 21);
  });

  it('offers a .env with the library’s POSTGRES_* settings under “Detected in this workspace”, its password kept for secret storage', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const sub = mkdtempSync(join(folder, 'pg-app-'));
    writeFileSync(
      join(sub, '.env'),
      `PERSISTENCE_MODULE=eventsourcing.postgres\nPOSTGRES_DBNAME=bank\nPOSTGRES_HOST=127.0.0.1\nPOSTGRES_PORT=${server!.port}\nPOSTGRES_USER=eventscope\nPOSTGRES_PASSWORD=${server!.password}\n`,
    );
    try {
      const found = (await discoverStores()).find((d) => d.path.includes(`:${server!.port}/`));
      assert.ok(found, 'the .env is found');
      assert.equal(found.path, `postgres://eventscope@127.0.0.1:${server!.port}/bank`);
      assert.equal(found.password, server!.password);
      assert.doesNotMatch(found.path, new RegExp(server!.password));
    } finally {
      rmSync(sub, { recursive: true, force: true });
    }
  });
});
