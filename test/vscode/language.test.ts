/**
 * The language server inside a real VS Code: the extension starts it, hands it the demo
 * connection, and a `.events` file and a projection file get its diagnostics, completions, hovers,
 * symbols, folding, formatting and CodeLenses through VS Code's own providers.
 */

import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../../src/extension/ctx';
import { eventUri } from '../../src/extension/documents';
import { PROJECTION_LENS_COMMAND } from '../../src/server/protocol';
import { waitFor } from './helpers';

const EXTENSION_ID = 'eventscope.eventscope';

let ctx: Ctx;
let dir: string;

const labelOf = (item: vscode.CompletionItem) => (typeof item.label === 'string' ? item.label : item.label.label);
const hoverText = (hovers: vscode.Hover[]) =>
  hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');

async function open(name: string, text: string): Promise<vscode.TextDocument> {
  const path = join(dir, name);
  writeFileSync(path, text);
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path));
  await vscode.window.showTextDocument(doc);
  return doc;
}

/** The server's diagnostics of a document, once they satisfy `ready`. */
function diagnostics(doc: vscode.TextDocument, ready: (d: vscode.Diagnostic[]) => boolean): Promise<vscode.Diagnostic[]> {
  return waitFor(`diagnostics of ${doc.fileName}`, () => {
    const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.source === 'eventscope');
    return ready(d) ? d : undefined;
  });
}

async function complete(doc: vscode.TextDocument, line: number, character: number): Promise<string[]> {
  const list = await vscode.commands.executeCommand<vscode.CompletionList>(
    'vscode.executeCompletionItemProvider',
    doc.uri,
    new vscode.Position(line, character),
  );
  return list.items.map(labelOf);
}

describe('the language server (in a real VS Code)', function () {
  this.timeout(90_000);

  before(async () => {
    ctx = await vscode.extensions.getExtension<Ctx>(EXTENSION_ID)!.activate();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace has a folder');
    dir = join(folder.uri.fsPath, 'language');
    mkdirSync(dir, { recursive: true });
    await vscode.commands.executeCommand('eventscope.openDemo');
    assert.ok(ctx.language, 'the language server is on by default');
    await ctx.language.start();
    await waitFor('the demo’s catalog', () => ctx.language!.state.stores.find((s) => s.name === 'Demo bank' && s.phase === 'ready'));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(dir, { recursive: true, force: true });
  });

  it('checks, completes, hovers, outlines, folds and formats a .events file', async () => {
    const text = [
      '# Fixture',
      '### bankapp.domainmodel:BankAccount.Opened  acc-1',
      '{ "full_name": "Ada", "email_address": "ada@example.com" }',
      '',
      '### BankAccount.Debitted  acc-1',
      '{ "amount": 5 ',
      '',
      '### ',
      '',
    ].join('\n');
    const doc = await open('fixture.events', text);
    assert.equal(doc.languageId, 'events');
    const found = await diagnostics(doc, (d) => d.length >= 2);
    const unknown = found.find((d) => d.code === 'unknown-type');
    assert.match(unknown?.message ?? '', /No event of type "BankAccount.Debitted" in Demo bank; did you mean "BankAccount.Debited"\?/);
    assert.equal(unknown!.severity, vscode.DiagnosticSeverity.Warning);
    const json = found.find((d) => d.code === 'invalid-json');
    assert.equal(json?.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(json!.range.start.line, 5);

    const types = await complete(doc, 7, 4);
    for (const t of ['BankAccount.Opened', 'BankAccount.Credited', 'BankAccount.Debited', 'Dog.TrickAdded'])
      assert.ok(types.includes(t), `${t} in ${types}`);
    const fields = await complete(doc, 2, 1);
    assert.deepEqual(fields.sort(), ['email_address', 'full_name', 'originator_topic', 'timestamp']);

    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(1, 30));
    assert.match(hoverText(hovers), /\*\*BankAccount.Opened\*\*: \d+ events?/);

    const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', doc.uri);
    assert.deepEqual(
      symbols.map((s) => s.name),
      ['bankapp.domainmodel:BankAccount.Opened', 'BankAccount.Debitted', '(no type)'],
    );
    const folds = await vscode.commands.executeCommand<vscode.FoldingRange[]>('vscode.executeFoldingRangeProvider', doc.uri);
    assert.ok(
      folds.some((f) => f.start === 1 && f.end === 2),
      JSON.stringify(folds),
    );
    const edits = await vscode.commands.executeCommand<vscode.TextEdit[]>('vscode.executeFormatDocumentProvider', doc.uri, {
      tabSize: 2,
      insertSpaces: true,
    });
    const edit = new vscode.WorkspaceEdit();
    edit.set(doc.uri, edits);
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.equal(
      doc.getText(),
      text.replace(
        '{ "full_name": "Ada", "email_address": "ada@example.com" }',
        '{\n  "full_name": "Ada",\n  "email_address": "ada@example.com"\n}',
      ),
    );
  });

  it('knows a projection file’s handlers: completions, event.data fields, unknown types and CodeLenses', async () => {
    const text = [
      'export default {',
      '  init: () => ({ total: 0 }),',
      '  when: {',
      '    Credited: (state, event) => {',
      '      state.total += Number(event.data.);',
      '    },',
      '    Debitted: (state, event) => {},',
      '    ',
      '  },',
      '  invariant: (state) => state.total >= 0,',
      '};',
      '',
    ].join('\n');
    const doc = await open('balance.projection.js', text);
    const found = await diagnostics(doc, (d) => d.length > 0);
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.match(found[0].message, /Debitted/);
    assert.match(found[0].message, /did you mean "?Debited"?|BankAccount\.Debited/);
    assert.equal(found[0].range.start.line, 6);

    const data = await complete(doc, 4, '      state.total += Number(event.data.'.length);
    assert.ok(data.includes('amount') && data.includes('transaction_id'), data.join());
    const keys = await complete(doc, 7, 4);
    assert.ok(keys.includes('BankAccount.Opened') && keys.includes('Dog.TrickAdded'), keys.join());

    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(3, 6));
    assert.match(hoverText(hovers), /\*\*BankAccount.Credited\*\*: \d+ events/);

    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
    assert.deepEqual(
      lenses.map((l) => l.command?.title),
      ['$(play) Replay', '$(debug-alt) Debug', '$(search) Find first broken invariant'],
    );
    assert.equal(lenses[0].command?.command, PROJECTION_LENS_COMMAND);
    assert.ok((await vscode.commands.getCommands(true)).includes(PROJECTION_LENS_COMMAND));
  });

  it('goes from a topic in an event document to the Python class in the workspace', async () => {
    // The demo bank's domain model, as the workspace's own code (found two folders down).
    cpSync(join(ctx.context.extensionPath, 'examples', 'bankapp', 'bankapp'), join(dir, 'app', 'bankapp'), { recursive: true });
    const connection = ctx.connections.get('Demo bank')!;
    const store = await ctx.connections.store(connection);
    const [first] = (await store.readAll({ limit: 1 })).items;
    const doc = await vscode.workspace.openTextDocument(eventUri('Demo bank', first.streamId, first.revision, first.type));
    await vscode.window.showTextDocument(doc);
    const text = doc.getText();
    const at = text.indexOf('bankapp.domainmodel:BankAccount');
    assert.ok(at > 0, text.slice(0, 300));
    const file = join(dir, 'app', 'bankapp', 'domainmodel.py');
    const locations = await waitFor('a definition', async () => {
      const found = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>(
        'vscode.executeDefinitionProvider',
        doc.uri,
        doc.positionAt(at + 25),
      );
      return found.length ? found : undefined;
    });
    const target = locations[0] as vscode.Location;
    assert.equal(target.uri.fsPath, file);
    const line = (await vscode.workspace.openTextDocument(target.uri)).lineAt(target.range.start.line).text;
    assert.match(line, /class BankAccount|@event\("Opened"\)/);
  });

  it('runs “Find first broken invariant” from a projection’s CodeLens: the panel stops at the demo’s broken balance', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = await open('bank.projection.js', readFileSync(join(ctx.context.extensionPath, 'examples', 'bank-balances.js'), 'utf8'));
    const lenses = await waitFor('the lenses', async () => {
      const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
      return found.length === 3 ? found : undefined;
    });
    const bisect = lenses.find((l) => l.command?.title.includes('Find first broken invariant'))!;
    ctx.replays.trustOverride = true;
    ctx.replays.historyLimit = 300;
    try {
      await vscode.commands.executeCommand(bisect.command!.command, ...bisect.command!.arguments!, {
        source: { kind: 'connection', connection: 'Demo bank', scope: { all: true } },
      });
      const panel = ctx.replays.lastOpened!;
      assert.equal(panel.target.projection.kind === 'file' && panel.target.projection.path, doc.uri.fsPath);
      const found = panel.testApi.last('found');
      assert.equal(found?.mark?.index, 225, JSON.stringify(found));
      assert.match(found!.mark!.message, /balance is -787\.93/);
      panel.dispose();
    } finally {
      ctx.replays.trustOverride = undefined;
      ctx.replays.historyLimit = 0;
    }
  });
});
