import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type {
  CodeAction,
  CodeLens,
  CompletionItem,
  CompletionList,
  DocumentSymbol,
  FoldingRange,
  Hover,
  Location,
  TextEdit,
} from 'vscode-languageserver-protocol';
import { writeDemoStore } from '../src/core/demo';
import { copyFixture, removeTempDirs } from './helpers/cli';
import { FIXTURE_KEY, FIXTURES } from './helpers/dumps';
import { loadFixture, startPostgres } from './helpers/postgresServer';
import { positionOf, TestClient } from './helpers/lsp';

const ROOT = resolve(__dirname, '..');
const BANKAPP = join(ROOT, 'examples', 'bankapp');

/** The demo store's events per topic, counted by SQL (not by our reader). */
function topicCounts(path: string): Map<string, number> {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare('SELECT topic, count(*) AS n FROM stored_events GROUP BY topic').all() as { topic: string; n: number }[];
    return new Map(rows.map((r) => [r.topic, r.n]));
  } finally {
    db.close();
  }
}

const items = (result: CompletionList | CompletionItem[] | null): CompletionItem[] =>
  Array.isArray(result) ? result : (result?.items ?? []);
const labels = (result: CompletionList | CompletionItem[] | null) => items(result).map((i) => i.label);
/** A diagnostic's message as text (LSP 3.18 allows Markdown). */
const plain = (message: string | { value: string } | undefined) => (typeof message === 'string' ? message : (message?.value ?? ''));
const hoverText = (hover: Hover | null) =>
  hover && typeof hover.contents === 'object' && 'value' in hover.contents ? hover.contents.value : '';

describe('language server (dist/server.js over stdio)', function () {
  this.timeout(60_000);
  let dir: string;
  let demo: string;
  let client: TestClient;
  let counts: Map<string, number>;
  let streamIds: string[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventscope-lsp-'));
    demo = join(dir, 'demo.sqlite');
    writeDemoStore(demo);
    counts = topicCounts(demo);
    const db = new Database(demo, { readonly: true });
    streamIds = (db.prepare('SELECT DISTINCT originator_id AS id FROM stored_events').all() as { id: Buffer }[]).map((r) =>
      r.id.toString('hex'),
    );
    db.close();
    client = await TestClient.start({ stores: [{ name: 'Demo', location: demo }], roots: [BANKAPP] });
  });

  after(async () => {
    await client?.stop();
    rmSync(dir, { recursive: true, force: true });
    removeTempDirs();
  });

  it('reads the store’s catalog: every type with its count, fields and the streams', async () => {
    const { catalogs } = await client.catalogs();
    assert.equal(catalogs.length, 1);
    const [{ name, phase, catalog }] = catalogs;
    assert.equal(name, 'Demo');
    assert.equal(phase, 'ready');
    assert.ok(catalog?.complete);
    assert.deepEqual(new Map(catalog.types.map((t) => [t.type, t.count])), counts);
    const opened = catalog.types.find((t) => t.name === 'BankAccount.Opened')!;
    assert.deepEqual(
      opened.fields
        .filter((f) => f.path.length === 1)
        .map((f) => f.path[0])
        .sort(),
      ['email_address', 'full_name', 'originator_topic', 'timestamp'],
    );
    assert.equal(opened.fields.find((f) => f.path[0] === 'full_name')!.count, opened.looked);
    assert.deepEqual(catalog.streams.map((s) => s.streamId.replace(/-/g, '')).sort(), [...streamIds].sort());
  });

  describe('.events files', () => {
    const uri = 'file:///work/fixture.events';
    const text = [
      '# A fixture',
      '### bankapp.domainmodel:BankAccount.Opened  acc-1',
      'revision: 1',
      '{ "full_name": "Ada", "email_address": "ada@example.com" }',
      '',
      '### BankAccount.Credited  acc-1',
      'revision: 3',
      '{ "amount": "10.00" }',
      '',
      '### BankAccount.Debitted  acc-1',
      'revision: 2',
      '{ "amount": "1.00" }',
      '',
      '### BankAccount.Credited  acc-2',
      '{ "amount": "5.00", }',
      '',
      '### BankAccount.OverdraftLimitSet',
      '',
    ].join('\n');

    it('reports malformed headers, invalid JSON where it is, revisions out of order and unknown types with "did you mean"', async () => {
      const diagnostics = await client.open(uri, 'events', text);
      const byCode = (code: string) => diagnostics.filter((d) => d.code === code);
      const json = byCode('invalid-json');
      assert.equal(json.length, 1);
      assert.deepEqual(json[0].range.start, positionOf(text, '}', 0, 3));
      assert.equal(json[0].severity, 1);
      assert.match(plain(byCode('malformed-header')[0].message), /needs a type and a stream id/);
      assert.equal(byCode('malformed-header')[0].range.start.line, 16);
      assert.match(plain(byCode('revision-order')[0].message), /revision 2 of stream "acc-1" is not above revision 3/);
      const unknown = byCode('unknown-type');
      assert.equal(unknown.length, 1, JSON.stringify(unknown));
      assert.equal(unknown[0].severity, 2);
      assert.match(plain(unknown[0].message), /^No event of type "BankAccount.Debitted" in Demo; did you mean "BankAccount.Debited"\?$/);
      assert.deepEqual(unknown[0].range, {
        start: positionOf(text, 'BankAccount.Debitted'),
        end: positionOf(text, 'BankAccount.Debitted', 20),
      });

      const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
        textDocument: { uri },
        range: unknown[0].range,
        context: { diagnostics: unknown },
      });
      assert.equal(actions[0].title, 'Change to "BankAccount.Debited"');
      assert.equal(actions[0].edit!.changes![uri][0].newText, 'BankAccount.Debited');
    });

    it('completes event types, stream ids, header keys and the type’s data fields', async () => {
      const blank = text.replace('### BankAccount.OverdraftLimitSet', '### ');
      await client.change(uri, blank);
      const at = positionOf(blank, '### \n', 4);
      const types = await client.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position: at });
      // The stores' types, most events first, then the file's own others.
      const byCount = [...counts].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : 1)).map(([t]) => t.slice(t.indexOf(':') + 1));
      assert.deepEqual(labels(types), [...byCount, 'BankAccount.Debitted']);
      assert.equal(items(types).at(-1)!.detail, 'in this file');
      const opened = items(types).find((i) => i.label === 'BankAccount.Opened')!;
      assert.equal((opened.textEdit as TextEdit).newText, 'bankapp.domainmodel:BankAccount.Opened');
      assert.match(opened.detail!, new RegExp(`^${counts.get('bankapp.domainmodel:BankAccount.Opened')} events in Demo$`));
      // Its documentation (the type's hover) when the editor shows it.
      const resolved = await client.request<CompletionItem>('completionItem/resolve', opened);
      assert.match((resolved.documentation as { value: string }).value, /^\*\*BankAccount.Opened\*\*: \d+ events/);

      const withType = text.replace('### BankAccount.OverdraftLimitSet', '### BankAccount.OverdraftLimitSet ');
      await client.change(uri, withType);
      const ids = await client.request<CompletionList>('textDocument/completion', {
        textDocument: { uri },
        position: positionOf(withType, '### BankAccount.OverdraftLimitSet ', 34),
      });
      const idLabels = labels(ids);
      assert.equal(idLabels[0], 'acc-1', 'the file’s own stream first');
      for (const id of streamIds)
        assert.ok(
          idLabels.some((l) => l.replace(/-/g, '') === id),
          id,
        );

      const body = ['### bankapp.domainmodel:BankAccount.Opened  acc-9', 're', '{', '  "full_name": "x",', '  "', '}'].join('\n');
      const bodyUri = 'file:///work/body.events';
      await client.open(bodyUri, 'events', body);
      const headers = await client.request<CompletionList>('textDocument/completion', {
        textDocument: { uri: bodyUri },
        position: { line: 1, character: 2 },
      });
      assert.deepEqual(labels(headers), ['revision', 'created', 'metadata', 'id']);
      const fields = await client.request<CompletionList>('textDocument/completion', {
        textDocument: { uri: bodyUri },
        position: { line: 4, character: 3 },
      });
      assert.deepEqual(
        labels(fields).sort(),
        ['email_address', 'originator_topic', 'timestamp'],
        'the type’s fields but the one already there',
      );
      const email = items(fields).find((i) => i.label === 'email_address')!;
      assert.equal((email.textEdit as TextEdit).newText, '"email_address": ');
      assert.deepEqual((email.textEdit as TextEdit).range.start, { line: 4, character: 2 });
    });

    it('hovers types with their counts and samples, and streams', async () => {
      await client.change(uri, text);
      const hover = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'Credited') });
      const credited = counts.get('bankapp.domainmodel:BankAccount.Credited')!;
      assert.match(hoverText(hover), new RegExp(`\\*\\*BankAccount.Credited\\*\\*: ${credited} events`));
      assert.match(hoverText(hover), /first at position \d+ \(20\d\d-\d\d-\d\d \d\d:\d\d:\d\d UTC\)/);
      assert.match(hoverText(hover), /`amount`: string, in \d+ of \d+ e\.g\. `"/);
      assert.match(hoverText(hover), /```json\n\{/);
      assert.match(
        hoverText(hover),
        /Defined in \[bankapp\/domainmodel\.py:\d+\]\(file:\/\/.*\/examples\/bankapp\/bankapp\/domainmodel\.py#L\d+\)$/,
      );
      const none = await client.request<Hover | null>('textDocument/hover', {
        textDocument: { uri },
        position: positionOf(text, 'A fixture'),
      });
      assert.equal(none, null);
    });

    it('gives one symbol and one folding range per event, and formats JSON bodies', async () => {
      const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
      assert.deepEqual(
        symbols.map((s) => [s.name, s.detail, s.range.start.line]),
        [
          ['bankapp.domainmodel:BankAccount.Opened', 'acc-1 · revision 1', 1],
          ['BankAccount.Credited', 'acc-1 · revision 3', 5],
          ['BankAccount.Debitted', 'acc-1 · revision 2', 9],
          ['BankAccount.Credited', 'acc-2', 13],
          ['BankAccount.OverdraftLimitSet', '', 16],
        ],
      );
      const folds = await client.request<FoldingRange[]>('textDocument/foldingRange', { textDocument: { uri } });
      assert.deepEqual(
        folds.map((f) => [f.startLine, f.endLine]),
        [
          [1, 3],
          [5, 7],
          [9, 11],
          [13, 14],
        ],
      );
      const edits = await client.request<TextEdit[]>('textDocument/formatting', {
        textDocument: { uri },
        options: { tabSize: 2, insertSpaces: true },
      });
      assert.deepEqual(
        edits.map((e) => [e.range.start.line, e.newText]),
        [
          [3, '{\n  "full_name": "Ada",\n  "email_address": "ada@example.com"\n}'],
          [7, '{\n  "amount": "10.00"\n}'],
          [11, '{\n  "amount": "1.00"\n}'],
        ],
      );
    });

    it('goes from a topic to its Python class in the workspace', async () => {
      const locations = await client.request<Location | null>('textDocument/definition', {
        textDocument: { uri },
        position: positionOf(text, 'BankAccount.Opened', 14),
      });
      assert.ok(locations);
      const file = join(BANKAPP, 'bankapp', 'domainmodel.py');
      assert.equal(locations.uri, pathToFileURL(file).href);
      const line = readFileSync(file, 'utf8').split('\n')[locations.range.start.line];
      assert.match(line, /@event\("Opened"\)|def __init__/);
      // A short type name reaches the class through the store's topic for it.
      const viaType = await client.request<Location | null>('textDocument/definition', {
        textDocument: { uri },
        position: positionOf(text, 'Credited'),
      });
      assert.equal(viaType?.uri, pathToFileURL(file).href);
      assert.match(readFileSync(file, 'utf8').split('\n')[viaType!.range.start.line], /Credited|def credit/);
    });
  });

  describe('projection files', () => {
    const uri = 'file:///work/balances.projection.ts';
    const text = [
      "import type { Projection } from './types';",
      'export default {',
      '  init: () => ({ total: 0 }),',
      '  when: {',
      "    'BankAccount.Opened': (state, event) => {},",
      '    Credited(state: State, event: Ev): void {',
      '      state.total += Number(event.data.amount) + event.data?.',
      '    },',
      '    Debitted: (state, event) => {},',
      '    ',
      '  },',
      '  invariant: (state) => state.total >= 0,',
      '} satisfies Projection;',
      '',
    ].join('\n');

    it('warns of a handler whose type no store has, with "did you mean" and a quick fix', async () => {
      const diagnostics = await client.open(uri, 'typescript', text);
      assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
      assert.match(
        plain(diagnostics[0].message),
        /^This handler never runs: no event of type "Debitted" in Demo; did you mean "BankAccount.Debited"\?$/,
      );
      assert.deepEqual(diagnostics[0].range, { start: positionOf(text, 'Debitted'), end: positionOf(text, 'Debitted', 8) });
      const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
        textDocument: { uri },
        range: diagnostics[0].range,
        context: { diagnostics },
      });
      assert.equal(actions[0].edit!.changes![uri][0].newText, "'BankAccount.Debited'");
    });

    it('completes handler keys with the store’s types and event.data with the handler type’s fields', async () => {
      const keys = await client.request<CompletionList>('textDocument/completion', {
        textDocument: { uri },
        position: positionOf(text, '    \n  },', 4),
      });
      const names = new Set([...counts.keys()].map((t) => t.slice(t.indexOf(':') + 1)));
      assert.deepEqual(new Set(labels(keys)), names);
      const opened = items(keys).find((i) => i.label === 'BankAccount.Opened')!;
      assert.match(opened.detail!, /\(handled\)$/);
      const debited = items(keys).find((i) => i.label === 'BankAccount.Debited')!;
      assert.equal((debited.textEdit as TextEdit).newText, "'BankAccount.Debited': (state, event) => {},");

      const fields = await client.request<CompletionList>('textDocument/completion', {
        textDocument: { uri },
        position: positionOf(text, 'event.data?.', 12),
      });
      assert.deepEqual(labels(fields).sort(), ['amount', 'timestamp', 'transaction_id']);
      // The edit takes in the `?.`, as TypeScript's items do (so editors rank ours first).
      const amount = items(fields).find((i) => i.label === 'amount')!;
      assert.equal((amount.textEdit as TextEdit).newText, '?.amount');
      assert.deepEqual((amount.textEdit as TextEdit).range.start, positionOf(text, 'event.data?.', 10));
      assert.match(amount.detail!, /^string · in (\d+) of \1$/);
    });

    it('hovers a handler key with what it matches and lenses the projection', async () => {
      const hover = await client.request<Hover>('textDocument/hover', {
        textDocument: { uri },
        position: positionOf(text, 'Credited(', 2),
      });
      assert.match(
        hoverText(hover),
        new RegExp(`^\\*\\*BankAccount.Credited\\*\\*: ${counts.get('bankapp.domainmodel:BankAccount.Credited')} events`),
      );
      const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
      assert.deepEqual(
        lenses.map((l) => [l.command!.title, l.command!.arguments![0].action, l.range.start.line]),
        [
          ['$(play) Replay', 'replay', 1],
          ['$(debug-alt) Debug', 'debug', 1],
          ['$(search) Find first broken invariant', 'findFirstFailure', 1],
        ],
      );
      assert.equal(lenses[0].command!.arguments![0].path, '/work/balances.projection.ts');
      // No invariant: no bisecting lens.
      const other = 'file:///work/plain.js';
      await client.open(other, 'javascript', 'export default { when: { Credited: (s, e) => s } };\n');
      const fewer = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: other } });
      assert.deepEqual(
        fewer.map((l) => l.command!.arguments![0].action),
        ['replay', 'debug'],
      );
      // A module that is no projection gets nothing.
      const none = 'file:///work/util.js';
      assert.deepEqual(await client.open(none, 'javascript', 'export const when = 1;\n'), []);
      assert.deepEqual(await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: none } }), []);
    });

    it('goes from a handler key to the Python class of the type it matches', async () => {
      const location = await client.request<Location | null>('textDocument/definition', {
        textDocument: { uri },
        position: positionOf(text, 'Credited(', 1),
      });
      assert.equal(location?.uri, pathToFileURL(join(BANKAPP, 'bankapp', 'domainmodel.py')).href);
    });

    it('completes fields in a KurrentDB script (e.body)', async () => {
      const script = "fromAll().when({\n  $init: () => ({}),\n  'BankAccount.Debited': function (s, e) { s.x = e.body. },\n});\n";
      const kdb = 'file:///work/totals.js';
      await client.open(kdb, 'javascript', script);
      const fields = await client.request<CompletionList>('textDocument/completion', {
        textDocument: { uri: kdb },
        position: positionOf(script, 'e.body.', 7),
      });
      assert.deepEqual(labels(fields).sort(), ['amount', 'timestamp', 'transaction_id']);
    });
  });

  it('follows new events: a type written after the start stops being unknown', async () => {
    const live = join(dir, 'live.sqlite');
    copyFileSync(demo, live);
    const own = await TestClient.start({ stores: [{ name: 'Live', location: live }] });
    try {
      await own.catalogs();
      const uri = 'file:///work/live.events';
      const doc = '### bankapp.domainmodel:BankAccount.Frozen  acc-1\n{}\n';
      const first = await own.open(uri, 'events', doc);
      assert.match(plain(first.find((d) => d.code === 'unknown-type')?.message), /No event of type/);
      const next = own.nextDiagnostics(uri);
      // A new event in the library's own row format: an existing row's id and state under a new topic.
      const db = new Database(live);
      db.prepare(
        "INSERT INTO stored_events (originator_id, originator_version, topic, state) SELECT originator_id, 1000, 'bankapp.domainmodel:BankAccount.Frozen', state FROM stored_events LIMIT 1",
      ).run();
      db.close();
      // The store's feed notices the write; the catalog reads on; the document is checked again.
      let after = await next;
      while (after.some((d) => d.code === 'unknown-type')) after = await own.nextDiagnostics(uri);
      assert.deepEqual(after, []);
      const { catalogs } = await own.catalogs();
      assert.equal(catalogs[0].catalog!.types.find((t) => t.name === 'BankAccount.Frozen')?.count, 1);
    } finally {
      await own.stop();
    }
  });

  it('reads an encrypted PostgreSQL store’s catalog with the password and key the client sends (a real server)', async function () {
    const server = await startPostgres();
    if (!server) {
      console.log('    (skipped: no initdb/pg_ctl/psql here; apt-get install postgresql)');
      this.skip();
    }
    try {
      await loadFixture(server, copyFixture('c_aes_zlib.db'), 'secretapp', 'vault');
      const location = `${server.url()}?app=secretapp&schema=vault`;
      const own = await TestClient.start({ stores: [{ name: 'Vault', location, password: server.password, cipherKey: FIXTURE_KEY }] });
      try {
        const { catalogs } = await own.catalogs();
        assert.equal(catalogs[0].phase, 'ready', catalogs[0].message);
        const sqlite = await TestClient.start({
          stores: [{ name: 'File', location: copyFixture('c_aes_zlib.db'), cipherKey: FIXTURE_KEY }],
        });
        try {
          const [file] = (await sqlite.catalogs()).catalogs;
          const counts = (c: typeof file) => c.catalog!.types.map((t) => [t.type, t.count, t.fields.map((f) => f.path.join('.')).sort()]);
          assert.deepEqual(counts(catalogs[0]), counts(file), 'the same rows, the same catalog');
        } finally {
          await sqlite.stop();
        }
        assert.ok(!own.logs.some((l) => l.includes(server.password) || l.includes(FIXTURE_KEY)), 'no secret in the log');
      } finally {
        await own.stop();
      }
    } finally {
      server.stop();
    }
  });

  it('says in one sentence why a store cannot be read, and still checks the text', async () => {
    const own = await TestClient.start({ stores: [{ name: 'Gone', location: join(dir, 'missing.sqlite') }] });
    try {
      const { catalogs } = await own.catalogs();
      assert.equal(catalogs[0].phase, 'failed');
      assert.match(catalogs[0].message!, /missing\.sqlite/);
      assert.doesNotMatch(catalogs[0].message!, /\n\s+at /);
      const diagnostics = await own.open('file:///work/x.events', 'events', '### A\n');
      assert.deepEqual(
        diagnostics.map((d) => d.code),
        ['malformed-header'],
      );
      assert.ok(own.logs.some((l) => /Gone: cannot read its event catalog/.test(l)));
    } finally {
      await own.stop();
    }
  });

  it('runs standalone with --store and a cipher key from the environment', async () => {
    const encrypted = join(dir, 'c.db');
    copyFileSync(join(FIXTURES, 'c_aes_zlib.db'), encrypted);
    const own = await TestClient.start({ args: ['--store', encrypted], env: { EVENTSCOPE_CIPHER_KEY: FIXTURE_KEY } });
    try {
      const { catalogs } = await own.catalogs();
      assert.equal(catalogs[0].name, 'c.db');
      assert.equal(catalogs[0].phase, 'ready', catalogs[0].message);
      assert.ok(catalogs[0].catalog!.types.some((t) => t.name === 'BankAccount.Opened'));
    } finally {
      await own.stop();
    }
  });

  it('gives nothing for CodeLens in files that are not projections', async () => {
    const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: 'file:///work/fixture.events' } });
    assert.deepEqual(lenses, []);
  });
});
