/**
 * The explorer inside a real VS Code (code-server's extension host): connections and secrets,
 * the streams tree over the demo and the fixture stores, paging, filters, event and stream
 * documents, errors, and live tail with a python3 writer.
 */

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { transcoded } from '../../src/core/codecs/eventsourcing';
import { parseEventsFile } from '../../src/core/eventsFile/eventsFile';
import { EventsourcingSqliteWriter, type StoredEventInput } from '../../src/core/stores/eventsourcingSqliteWriter';
import { secretKeyName } from '../../src/extension/connections';
import { discoverStores } from '../../src/extension/discovery';
import type { Ctx } from '../../src/extension/ctx';
import type { Node } from '../../src/extension/streamsTree';
import { errorsShownBy, treeLabel, waitFor } from './helpers';

const EXTENSION_ID = 'eventscope.eventscope';
const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'eventsourcing');
const FIXTURE_KEY = 'ZXZlbnRzb3VyY2luZy1maXh0dXJlLWtleS0zMmJ5dGU=';

let ctx: Ctx;
let dir: string;

async function children(node?: Node): Promise<Node[]> {
  return ctx.tree.getChildren(node);
}

const label = (node: Node) => treeLabel(ctx, node);

async function connectionNode(name: string): Promise<Node & { kind: 'connection' }> {
  const found = (await children()).find((n) => n.kind === 'connection' && n.connection.name === name);
  assert.ok(found, `no connection node ${name}`);
  return found as Node & { kind: 'connection' };
}

async function child(node: Node, text: string): Promise<Node> {
  const found = (await children(node)).find((n) => label(n) === text);
  assert.ok(found, `no child "${text}" under ${label(node)}: ${(await children(node)).map(label).join(', ')}`);
  return found;
}

function copyFixture(name: string): string {
  const path = join(dir, name);
  copyFileSync(join(FIXTURES, name), path);
  chmodSync(path, 0o644);
  return path;
}

describe('the explorer (in a real VS Code)', function () {
  this.timeout(60_000);

  before(async () => {
    const extension = vscode.extensions.getExtension<Ctx>(EXTENSION_ID)!;
    ctx = await extension.activate();
    dir = mkdtempSync(join(tmpdir(), 'eventscope-vscode-'));
  });
  after(async () => {
    for (const c of ctx.connections.list()) await ctx.connections.remove(c);
    rmSync(dir, { recursive: true, force: true });
  });

  it('contributes the view, its commands and a walkthrough', async () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    assert.equal(pkg.contributes.views.eventscope[0].id, 'eventscope.streams');
    assert.ok(pkg.contributes.walkthroughs[0].steps.length >= 3);
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['eventscope.openDemo', 'eventscope.addConnection', 'eventscope.filterStreams', 'eventscope.openStreamAsDocument']) {
      assert.ok(commands.includes(c), c);
    }
  });

  it('opens the demo store from the command and shows its categories', async () => {
    await vscode.commands.executeCommand('eventscope.openDemo');
    const demo = await connectionNode('Demo bank');
    const categories = await children(demo);
    assert.deepEqual(categories.map(label), ['BankAccount', 'Dog']);
    assert.equal(ctx.tree.getTreeItem(categories[0]).description, '12 streams');
  });

  it('refreshes one connection only: refreshing "Demo" keeps what "Demo bank" loaded', async () => {
    await vscode.commands.executeCommand('eventscope.openDemo');
    const path = join(dir, 'prefix-demo.db');
    copyFileSync(join(FIXTURES, 'a_plain.db'), path);
    chmodSync(path, 0o644);
    // Adding a connection refreshes the whole tree (a settings change): wait for that first.
    const redrawn = new Promise<void>((resolve) => {
      const once = ctx.tree.onDidChangeTreeData(() => {
        once.dispose();
        resolve();
      });
    });
    await ctx.connections.add({ name: 'Demo', kind: 'eventsourcing-sqlite', path }, undefined, 'user');
    await redrawn;
    try {
      const bank = await child(await connectionNode('Demo bank'), 'BankAccount');
      const demo = await child(await connectionNode('Demo'), 'BankAccount');
      const [bankBefore, demoBefore] = [await children(bank), await children(demo)];
      assert.ok(bankBefore.length > 0 && demoBefore.length > 0, 'their first pages are loaded');
      // A loaded page is kept (the same nodes come back) until its own connection is refreshed.
      assert.equal((await children(bank))[0], bankBefore[0]);
      await vscode.commands.executeCommand('eventscope.refresh', await connectionNode('Demo'));
      assert.notEqual((await children(demo))[0], demoBefore[0], '"Demo" reads its streams again');
      assert.equal((await children(bank))[0], bankBefore[0], '"Demo bank" keeps its page: it shares the prefix of the name, not the name');
    } finally {
      await ctx.connections.remove(ctx.connections.get('Demo')!);
    }
  });

  it('pages streams and events with "Load more…"', async () => {
    await vscode.workspace.getConfiguration('eventscope').update('streams.pageSize', 10, vscode.ConfigurationTarget.Global);
    try {
      ctx.tree.refresh();
      const accounts = await child(await connectionNode('Demo bank'), 'BankAccount');
      let page = await children(accounts);
      assert.equal(page.length, 11);
      const more = page[10];
      assert.equal(more.kind, 'more');
      await vscode.commands.executeCommand('eventscope.loadMore', more);
      page = await children(accounts);
      assert.equal(page.filter((n) => n.kind === 'stream').length, 12);
      assert.ok(!page.some((n) => n.kind === 'more'));
      // Streams come in id order (their items show labels: see labels.test.ts).
      const ids = page.flatMap((n) => (n.kind === 'stream' ? [n.stream.streamId] : []));
      assert.deepEqual(ids, [...ids].sort());

      const stream = page.find((n) => n.kind === 'stream' && n.stream.count > 20)!;
      const events = await children(stream);
      assert.equal(events[0].kind, 'snapshots', 'an account with 20+ events has snapshots');
      const firstPage = events.filter((n) => n.kind === 'event');
      assert.equal(firstPage.length, 10);
      assert.equal(label(firstPage[0]), '1  Opened');
      const item = ctx.tree.getTreeItem(firstPage[0]);
      assert.match((item.tooltip as vscode.MarkdownString).value, /\| position \| \d+ \|/);
      assert.equal(item.command?.command, 'eventscope.openEvent');
    } finally {
      await vscode.workspace.getConfiguration('eventscope').update('streams.pageSize', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('opens an event as a read-only JSON document, and reuses it when opened again', async () => {
    ctx.tree.refresh();
    const dogs = await child(await connectionNode('Demo bank'), 'Dog');
    const stream = (await children(dogs))[0];
    const event = (await children(stream)).find((n) => n.kind === 'event')!;
    await vscode.commands.executeCommand('eventscope.openEvent', event);
    const editor = await waitFor('the event editor', async () =>
      vscode.window.activeTextEditor?.document.uri.scheme === 'eventscope' ? vscode.window.activeTextEditor : undefined,
    );
    const json = JSON.parse(editor.document.getText());
    assert.equal(event.kind, 'event');
    if (event.kind !== 'event') return;
    assert.deepEqual(Object.keys(json), ['streamId', 'revision', 'position', 'type', 'timestamp', 'data', 'metadata']);
    assert.equal(json.streamId, event.event.streamId);
    assert.equal(json.data.originator_topic, 'dogschool.domainmodel:Dog');
    assert.equal(editor.document.languageId, 'json');
    await vscode.commands.executeCommand('eventscope.openEvent', event);
    const same = vscode.workspace.textDocuments.filter((d) => d.uri.toString() === editor.document.uri.toString());
    assert.equal(same.length, 1);
  });

  it('opens a stream as an .events document', async () => {
    const accounts = await child(await connectionNode('Demo bank'), 'BankAccount');
    const stream = (await children(accounts))[0];
    assert.equal(stream.kind, 'stream');
    if (stream.kind !== 'stream') return;
    await vscode.commands.executeCommand('eventscope.openStreamAsDocument', stream);
    const editor = await waitFor('the stream document', async () =>
      vscode.window.activeTextEditor?.document.uri.path.endsWith('.events') ? vscode.window.activeTextEditor : undefined,
    );
    const parsed = parseEventsFile(editor.document.getText());
    assert.equal(parsed.length, stream.stream.count);
    assert.deepEqual(
      parsed.map((e) => e.revision),
      Array.from({ length: stream.stream.count }, (_, i) => i + 1),
    );
  });

  it('reveals an event in the log, and copies its id, type and JSON', async () => {
    const dogs = await child(await connectionNode('Demo bank'), 'Dog');
    const event = (await children((await children(dogs))[0])).find((n) => n.kind === 'event' && n.event.revision === 2)!;
    if (event.kind !== 'event') return;
    await vscode.commands.executeCommand('eventscope.revealInLog', event);
    const editor = await waitFor('the log document', async () =>
      vscode.window.activeTextEditor?.document.uri.path.includes('log@') ? vscode.window.activeTextEditor : undefined,
    );
    const around = parseEventsFile(editor.document.getText());
    assert.ok(around.some((e) => e.streamId === event.event.streamId && e.revision === 2 && e.type === event.event.type));
    await vscode.commands.executeCommand('eventscope.copyId', event);
    assert.equal(await vscode.env.clipboard.readText(), event.event.streamId);
    await vscode.commands.executeCommand('eventscope.copyType', event);
    assert.equal(await vscode.env.clipboard.readText(), event.event.type);
    await vscode.commands.executeCommand('eventscope.copyJson', event);
    const copied = JSON.parse(await vscode.env.clipboard.readText());
    assert.deepEqual([copied.streamId, copied.revision, copied.position], [event.event.streamId, 2, event.event.position]);
  });

  it('filters streams by id and events by type or by a where expression', async () => {
    const accounts = await child(await connectionNode('Demo bank'), 'BankAccount');
    const all = (await children(accounts)).filter((n) => n.kind === 'stream');
    const target = all[3];
    if (target.kind !== 'stream') return;
    ctx.tree.filters = { streams: target.stream.streamId.slice(9, 18), types: ['Debited'] };
    ctx.applyFilters();
    const filtered = (await children(await child(await connectionNode('Demo bank'), 'BankAccount'))).filter((n) => n.kind === 'stream');
    assert.deepEqual(
      filtered.map((n) => n.kind === 'stream' && n.stream.streamId),
      [target.stream.streamId],
    );
    const events = await children(filtered[0]);
    assert.ok(events.length > 0);
    assert.ok(events.every((n) => n.kind === 'event' && n.event.type.endsWith('.Debited')));
    // The same `where` expressions as `eventscope log --where`.
    ctx.tree.filters = { streams: target.stream.streamId.slice(9, 18), where: 'Number(event.data.amount) >= 1' };
    ctx.applyFilters();
    assert.match(String(ctx.view.description), /where Number\(event\.data\.amount\) >= 1/);
    const stream = (await children(await child(await connectionNode('Demo bank'), 'BankAccount'))).find((n) => n.kind === 'stream')!;
    const big = (await children(stream)).filter((n) => n.kind === 'event');
    assert.ok(big.length > 0);
    assert.ok(big.every((n) => n.kind === 'event' && Number(n.event.data.amount) >= 1));
    assert.ok(!big.some((n) => n.kind === 'event' && n.event.type.endsWith('.Opened')), 'an Opened event has no amount');
    await vscode.commands.executeCommand('eventscope.clearFilters');
    assert.deepEqual(ctx.tree.filters, {});
  });

  it('shows every fixture store, and keeps the cipher key in SecretStorage, never in settings', async () => {
    const expected: Record<string, string[]> = {
      'a_plain.db': ['BankAccount', 'Dog'],
      'a_plain_counters.db': ['Counter', 'Checkpoints'],
      'b_zlib.db': ['BankAccount', 'Dog'],
      'c_aes_zlib.db': ['BankAccount', 'Dog'],
      // Module-level event classes: the aggregate comes from the stream's snapshot.
      'd_pydantic_orjson.db': ['Dog'],
    };
    for (const [file, labels] of Object.entries(expected)) {
      const key = file.startsWith('c_') ? FIXTURE_KEY : undefined;
      await ctx.connections.add({ name: file, kind: 'eventsourcing-sqlite', path: copyFixture(file) }, key, 'user');
      const node = await connectionNode(file);
      assert.deepEqual((await children(node)).map(label), labels, file);
    }
    const settings = JSON.stringify(vscode.workspace.getConfiguration('eventscope').inspect('connections'));
    assert.ok(!settings.includes(FIXTURE_KEY), 'the key is not in settings');
    assert.match(settings, /"encrypted":true/);
    assert.equal(await ctx.context.secrets.get(secretKeyName('c_aes_zlib.db')), FIXTURE_KEY);
    // The encrypted store's events decode with the stored key.
    const accounts = await child(await connectionNode('c_aes_zlib.db'), 'BankAccount');
    const events = (await children((await children(accounts))[0])).filter((n) => n.kind === 'event');
    assert.ok(events.length >= 3);
    const checkpoints = await child(await connectionNode('a_plain_counters.db'), 'Checkpoints');
    assert.deepEqual(
      (await children(checkpoints)).map((n) => [label(n), ctx.tree.getTreeItem(n).description]),
      [['FixtureApp', 'position 21']],
    );
  });

  it('shows an error item (and loses nothing) for a wrong key and a missing file', async () => {
    await ctx.connections.add(
      { name: 'wrong key', kind: 'eventsourcing-sqlite', path: copyFixture('c_aes_zlib.db') },
      Buffer.alloc(32, 7).toString('base64'),
      'user',
    );
    const accounts = await child(await connectionNode('wrong key'), 'BankAccount');
    const stream = (await children(accounts))[0];
    const items = await children(stream);
    assert.equal(items.length, 1);
    assert.equal(items[0].kind, 'error');
    assert.match(label(items[0]), /cipher key does not decrypt/);
    await ctx.connections.add({ name: 'missing', kind: 'eventsourcing-sqlite', path: join(dir, 'nope.db') }, undefined, 'user');
    const missing = await children(await connectionNode('missing'));
    assert.equal(missing[0].kind, 'error');
    assert.match(label(missing[0]), /There is no file at .*nope\.db/);
  });

  it('says how to give a missing cipher key the VS Code way, in the tree and the notification', async () => {
    await ctx.connections.add({ name: 'no key', kind: 'eventsourcing-sqlite', path: copyFixture('c_aes_zlib.db') }, undefined, 'user');
    const accounts = await child(await connectionNode('no key'), 'BankAccount');
    const stream = (await children(accounts))[0];
    const [items, shown] = await errorsShownBy(ctx, () => children(stream));
    assert.equal(items.length, 1);
    assert.equal(items[0].kind, 'error');
    const advice =
      /: the state looks encrypted and no cipher key was given; give it with "Eventscope: Edit Connection…" › "Set Cipher Key…"\.$/;
    assert.match(label(items[0]), advice);
    assert.doesNotMatch(label(items[0]), /--cipher-key|EVENTSCOPE_CIPHER_KEY/, 'no advice of the terminal');
    assert.deepEqual(shown, [label(items[0])]);
    // The advice names the real command and the real choice of its Quick Pick.
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const edit = pkg.contributes.commands.find((c: { command: string }) => c.command === 'eventscope.editConnection');
    assert.equal(`${edit.category}: ${edit.title}`, 'Eventscope: Edit Connection…');
  });

  it('shows any other error as one sentence, the details in the log', async () => {
    // A malformed event node makes the command throw a TypeError, as a bug would.
    const [, shown] = await errorsShownBy(ctx, () =>
      vscode.commands.executeCommand('eventscope.copyJson', { kind: 'event', connection: {}, event: null }),
    );
    assert.equal(shown.length, 1);
    assert.match(shown[0], /^The command "Eventscope: Copy as JSON" failed \([^\n]*null[^\n]*\); details are in the Eventscope log\.$/);
  });

  it('renames and removes connections, moving and deleting their secret', async () => {
    await ctx.connections.add(
      { name: 'secret one', kind: 'eventsourcing-sqlite', path: copyFixture('c_aes_zlib.db') },
      FIXTURE_KEY,
      'user',
    );
    await ctx.connections.rename(ctx.connections.get('secret one')!, 'secret two');
    assert.equal(ctx.connections.get('secret one'), undefined);
    assert.equal(await ctx.context.secrets.get(secretKeyName('secret one')), undefined);
    assert.equal(await ctx.context.secrets.get(secretKeyName('secret two')), FIXTURE_KEY);
    assert.ok((await children(await connectionNode('secret two'))).some((n) => label(n) === 'BankAccount'));
    await ctx.connections.remove(ctx.connections.get('secret two')!);
    assert.equal(await ctx.context.secrets.get(secretKeyName('secret two')), undefined);
    assert.ok(!(await children()).some((n) => n.kind === 'connection' && n.connection.name === 'secret two'));
    await assert.rejects(
      ctx.connections.add({ name: 'bad key', kind: 'eventsourcing-sqlite', path: 'x.db' }, 'not a key'),
      /cipher key is not valid/,
    );
  });

  it('detects stores and .env files in the workspace, offering the key from .env', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace has a folder');
    const sub = join(folder.uri.fsPath, 'detect-me');
    mkdirSync(sub, { recursive: true });
    try {
      copyFileSync(join(FIXTURES, 'c_aes_zlib.db'), join(sub, 'bank.db'));
      copyFileSync(join(FIXTURES, 'a_plain.db'), join(sub, 'other.sqlite'));
      writeFileSync(join(sub, 'notes.db'), 'not sqlite');
      writeFileSync(join(sub, '.env'), `SQLITE_DBNAME=bank.db\nCIPHER_KEY=${FIXTURE_KEY}\n`);
      const found = await discoverStores();
      const mine = found.filter((d) => d.path.startsWith(sub)).sort((a, b) => a.path.localeCompare(b.path));
      assert.deepEqual(
        mine.map((d) => [d.path.slice(sub.length + 1), d.cipherKey]),
        [
          ['bank.db', FIXTURE_KEY],
          ['other.sqlite', undefined],
        ],
      );
      ctx.tree.detected = mine;
      const detected = (await children()).find((n) => n.kind === 'detected');
      assert.ok(detected);
      assert.equal((await children(detected)).length, 2);
    } finally {
      ctx.tree.detected = [];
      rmSync(sub, { recursive: true, force: true });
    }
  });

  it('detects one store per application a .env configures (prefixed settings, PERSISTENCE_MODULE), named after it', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace has a folder');
    const sub = join(folder.uri.fsPath, 'detect-apps');
    mkdirSync(sub, { recursive: true });
    try {
      copyFileSync(join(FIXTURES, 'c_aes_zlib.db'), join(sub, 'accounts.db'));
      copyFileSync(join(FIXTURES, 'a_plain.db'), join(sub, 'shared.db'));
      // The class names spell the upper-case prefixes.
      writeFileSync(
        join(sub, 'apps.py'),
        'from eventsourcing.application import Application\n\nclass BankAccounts(Application):\n    pass\n',
      );
      writeFileSync(
        join(sub, '.env'),
        [
          'PERSISTENCE_MODULE=eventsourcing.sqlite',
          'SQLITE_DBNAME=shared.db',
          'BANKACCOUNTS_SQLITE_DBNAME=accounts.db',
          `BANKACCOUNTS_CIPHER_KEY=${FIXTURE_KEY}`,
          'SHOP_PERSISTENCE_MODULE=eventsourcing.postgres',
          'SHOP_POSTGRES_DBNAME=shop',
          'SHOP_POSTGRES_PASSWORD=pw',
        ].join('\n'),
      );
      const mine = (await discoverStores()).filter((d) => d.source.includes('detect-apps'));
      assert.deepEqual(
        mine.map((d) => [d.name, d.path.startsWith(sub) ? d.path.slice(sub.length + 1) : d.path, d.cipherKey, d.password]),
        [
          ['BankAccounts (.env)', 'accounts.db', FIXTURE_KEY, undefined],
          ['SHOP (.env)', 'postgres://postgres@localhost:5432/shop?app=shop', undefined, 'pw'],
          [undefined, 'shared.db', undefined, undefined],
        ],
      );
      ctx.tree.detected = mine;
      const detected = (await children()).find((n) => n.kind === 'detected');
      assert.ok(detected);
      assert.deepEqual((await children(detected)).map(label), ['BankAccounts (.env)', 'SHOP (.env)', 'detect-apps/shared.db']);
    } finally {
      ctx.tree.detected = [];
      rmSync(sub, { recursive: true, force: true });
    }
  });

  it('updates the tree when a python3 writer appends events (live tail)', async () => {
    const path = join(dir, 'live.db');
    copyFileSync(join(FIXTURES, 'a_plain.db'), path);
    chmodSync(path, 0o644);
    await ctx.connections.add({ name: 'live', kind: 'eventsourcing-sqlite', path }, undefined, 'user');
    const before = await child(await connectionNode('live'), 'BankAccount');
    assert.equal(ctx.tree.getTreeItem(before).description, '3 streams');
    // The watcher, not a re-read, must notice the write: record its refresh of this connection.
    const refresh = ctx.tree.refresh.bind(ctx.tree);
    let refreshedByTail = false;
    ctx.tree.refresh = (connection) => {
      if (connection?.name === 'live') refreshedByTail = true;
      refresh(connection);
    };
    const topic = 'eventsourcing.examples.bankaccounts.domainmodel:BankAccount';
    const script = `
import sqlite3, json
con = sqlite3.connect(${JSON.stringify(path)}, isolation_level=None)
state = json.dumps({"timestamp": {"_type_": "datetime_iso", "_data_": "2026-11-28T06:00:00+00:00"}, "originator_topic": "${topic}", "full_name": "Live", "email_address": "l@example.com"}, separators=(",", ":")).encode()
con.execute("INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)", ("0123456789abcdef0123456789abcdef", 1, "${topic}.Opened", state))
con.close()
`;
    try {
      const writer = spawnSync('python3', ['-c', script], { encoding: 'utf8' });
      assert.equal(writer.status, 0, writer.stderr);
      await waitFor('the live tail to refresh the connection', async () => (refreshedByTail ? true : undefined));
    } finally {
      ctx.tree.refresh = refresh;
    }
    const after = await waitFor('4 streams', async () => {
      const node = await child(await connectionNode('live'), 'BankAccount');
      return ctx.tree.getTreeItem(node).description === '4 streams' ? node : undefined;
    });
    assert.ok(
      (await children(after)).some(
        (n) => n.kind === 'stream' && n.stream.streamId === '01234567-89ab-cdef-0123-456789abcdef' && label(n) === 'Live',
      ),
    );
  });
});

describe('the explorer on a big store (figures in the test titles)', function () {
  this.timeout(120_000);
  let bigDir: string;
  const SIZE = 100_000;

  before(async () => {
    ctx = await vscode.extensions.getExtension<Ctx>(EXTENSION_ID)!.activate();
    bigDir = mkdtempSync(join(tmpdir(), 'eventscope-vscode-big-'));
    const path = join(bigDir, 'big.db');
    const writer = new EventsourcingSqliteWriter(path);
    const topic = 'bench.domain:Account';
    const state = (i: number) => ({ timestamp: transcoded.datetime('2026-11-28T06:00:00.000000+00:00'), originator_topic: topic, n: i });
    const hex = (i: number) => i.toString(16).padStart(32, '0');
    const batch: StoredEventInput[] = [];
    for (let i = 1; i <= SIZE; i++) batch.push({ originatorId: hex(i), version: 1, topic: `${topic}.Opened`, state: state(i) });
    for (let v = 2; v <= 10_000; v++)
      batch.push({ originatorId: hex(1), version: v, topic: `${topic}.Credited`, state: { timestamp: state(v).timestamp, n: v } });
    writer.append(batch);
    writer.close();
    await ctx.connections.add({ name: 'big', kind: 'eventsourcing-sqlite', path }, undefined, 'user');
  });
  after(async () => {
    const big = ctx.connections.get('big');
    if (big) await ctx.connections.remove(big);
    rmSync(bigDir, { recursive: true, force: true });
  });

  it('activates quickly', function () {
    this.test!.title += ` (activation took ${ctx.activationMs} ms)`;
    assert.ok(ctx.activationMs >= 0);
  });

  it('shows the first page of a 100,000-stream category', async function () {
    const category = await child(await connectionNode('big'), 'Account');
    assert.equal(ctx.tree.getTreeItem(category).description, `${SIZE} streams`);
    const started = performance.now();
    const page = await children(category);
    const ms = performance.now() - started;
    this.test!.title += ` (first page in ${ms.toFixed(0)} ms)`;
    assert.equal(page.filter((n) => n.kind === 'stream').length, 100);
    assert.equal(page[page.length - 1].kind, 'more');
  });

  it('shows the first page of a 10,000-event stream', async function () {
    const category = await child(await connectionNode('big'), 'Account');
    const stream = (await children(category))[0];
    assert.equal(label(stream), '00000000-0000-0000-0000-000000000001');
    const started = performance.now();
    const events = await children(stream);
    const ms = performance.now() - started;
    this.test!.title += ` (first page in ${ms.toFixed(0)} ms)`;
    assert.equal(events.filter((n) => n.kind === 'event').length, 100);
    assert.equal(ctx.tree.getTreeItem(stream).description, '10000 events');
  });
});
