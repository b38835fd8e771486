import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'eventscope.eventscope';

describe('extension activation (in a real VS Code)', () => {
  it('is installed under its publisher.name id', () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not among ${vscode.extensions.all.map((e) => e.id).join(', ')}`);
    assert.equal(extension.packageJSON.name, 'eventscope');
  });

  it('activates', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  it('registers eventscope.showVersion', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('eventscope.showVersion'), 'eventscope.showVersion is not a registered command');
  });

  it('runs eventscope.showVersion, which answers the version', async () => {
    const version = await vscode.commands.executeCommand<string>('eventscope.showVersion');
    assert.equal(version, vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.version);
  });
});
