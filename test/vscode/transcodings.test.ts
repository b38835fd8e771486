/**
 * Application transcodings in a real VS Code: shown as stored (and said so) in documents and the
 * replay panel, decoded as a known kind once the `eventscope.transcodings` setting maps them.
 */

import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { parseExactJson } from '../../src/core/json/exact';
import { eventUri, streamUri } from '../../src/extension/documents';
import type { Ctx } from '../../src/extension/ctx';
import { PERSON_A, PERSON_B, writeCustomTranscodingsStore } from '../helpers/customTranscodings';
import { waitFor } from './helpers';

const EXTENSION_ID = 'eventscope.eventscope';
const NAME = 'Custom transcodings';

let ctx: Ctx;
let dir: string;

const text = async (uri: vscode.Uri) => (await vscode.workspace.openTextDocument(uri)).getText();

describe('application transcodings (in a real VS Code)', function () {
  this.timeout(60_000);

  before(async () => {
    ctx = await vscode.extensions.getExtension<Ctx>(EXTENSION_ID)!.activate();
    ctx.replays.historyLimit = 300;
    dir = mkdtempSync(join(tmpdir(), 'eventscope-transcodings-'));
    const path = writeCustomTranscodingsStore(join(dir, 'custom.sqlite'));
    await ctx.connections.add({ name: NAME, kind: 'eventsourcing-sqlite', path }, undefined, 'user');
  });

  after(async () => {
    for (const panel of [...ctx.replays.panels]) panel.dispose();
    await vscode.workspace.getConfiguration('eventscope').update('transcodings', undefined, vscode.ConfigurationTarget.Global);
    const connection = ctx.connections.get(NAME);
    if (connection) await ctx.connections.remove(connection);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(dir, { recursive: true, force: true });
  });

  it('contributes the setting: an object of NAME -> decimal, uuid, datetime or date', () => {
    const setting =
      vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.configuration.properties['eventscope.transcodings'];
    assert.equal(setting.type, 'object');
    assert.deepEqual(setting.additionalProperties.enum, ['decimal', 'uuid', 'datetime', 'date']);
    assert.deepEqual(vscode.workspace.getConfiguration('eventscope').get('transcodings'), {});
  });

  it('shows them as stored, and a stream document says so in a comment line each', async () => {
    const event = parseExactJson(await text(eventUri(NAME, PERSON_A, 1))) as { data: Record<string, unknown> };
    assert.deepEqual(event.data.born_on, { _type_: 'date_iso', _data_: '1990-04-01' });
    const stream = await text(streamUri(NAME, PERSON_B));
    for (const name of ['date_iso', 'frozenset', 'uuid_str', 'money_str']) {
      assert.ok(stream.includes(`# \`${name}\` is an application transcoding: shown as stored\n`), `${name} in\n${stream.slice(0, 600)}`);
    }
  });

  it('decodes them as the kind the setting maps them to; the replay panel notes the rest once', async () => {
    await vscode.workspace
      .getConfiguration('eventscope')
      .update('transcodings', { date_iso: 'date', uuid_str: 'uuid' }, vscode.ConfigurationTarget.Global);
    // A new URI each time (other names of the same event: an open document keeps its text); the
    // store is opened again with the setting.
    let attempt = 0;
    const event = await waitFor('the event decoded with the setting', async () => {
      const parsed = parseExactJson(await text(eventUri(NAME, PERSON_B, 1, `app.domain:Person.Registered${++attempt}`))) as {
        data: Record<string, unknown>;
      };
      return parsed.data.born_on === '1985-12-31' ? parsed : undefined;
    });
    assert.equal(event.data.referrer, PERSON_A);

    const connection = ctx.connections.get(NAME)!;
    await vscode.commands.executeCommand('eventscope.replay', { kind: 'connection', connection }, { projection: { kind: 'generic' } });
    const panel = ctx.replays.lastOpened!;
    await panel.testApi.settled();
    assert.equal(panel.phase, 'open');
    const notices = () => panel.testApi.history().filter((m) => m.type === 'notice');
    const notice = await waitFor('the note', () => notices()[0]);
    assert.equal(notice.type === 'notice' && notice.level, 'info');
    assert.match(
      notice.type === 'notice' ? notice.message : '',
      /^`frozenset`, `money_str` and `date_iso` are application transcodings: shown as stored; map them to a kind \(decimal, uuid, datetime, date\) in the eventscope\.transcodings setting\.$/,
    );
    // The Event tab tags the mapped values with their kind.
    await panel.testApi.send({ type: 'select', index: 1 });
    const step = await waitFor('step 2', () => {
      const s = panel.testApi.last('step')?.step;
      return s?.index === 1 ? s : undefined;
    });
    assert.deepEqual([step.kinds['/born_on'], step.kinds['/referrer'], step.kinds['/tags']], ['date', 'uuid', 'custom:frozenset']);
    // Said once: a re-run finds the same names and says nothing more.
    await panel.testApi.send({ type: 'rerun' });
    await panel.testApi.settled();
    assert.equal(notices().length, 1);
  });
});
