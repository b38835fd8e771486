/**
 * Debug Python Replay: a replay through the user's own Python code with VS Code's Python debugger
 * attached, so a breakpoint in an `@event` method, a projection handler or a policy stops there
 * with the event object in its locals, and continuing moves the replay on. VS Code's debugpy
 * (the Python Debugger extension, `ms-python.debugpy`) starts first, listening on a local port, as
 * an `attach` session; the replay panel then opens with the runner told to connect there (with
 * the extension's own bundled debugpy when the interpreter has none). The runner waits until the
 * debugger has set its breakpoints before it applies anything; the time budget is off meanwhile.
 */

import { existsSync } from 'node:fs';
import { freePort } from '../core/freePort';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { EventscopeError } from '../core/errors';
import type { PythonChoice } from '../core/projection/types';
import type { SourceDescriptor } from '../shared/replayProtocol';
import type { Ctx } from './ctx';
import { panelTitle } from './replay/target';

const DEBUGPY_EXTENSION = 'ms-python.debugpy';

/** Starts VS Code's Python debugger and a replay panel whose runner connects to it. */
export async function debugPythonReplay(ctx: Ctx, source: SourceDescriptor, choice: PythonChoice): Promise<boolean> {
  if (!ctx.replays.isTrusted()) {
    throw new EventscopeError(
      'Debugging a Python replay runs your workspace’s own code: trust the workspace first (Manage Workspace Trust).',
    );
  }
  const extension = vscode.extensions.getExtension(DEBUGPY_EXTENSION);
  if (!extension) {
    const install = 'Install the Python Debugger';
    void vscode.window
      .showErrorMessage(
        'Debug Python Replay attaches VS Code’s Python debugger: install the Python Debugger extension (ms-python.debugpy), then try again.',
        install,
      )
      .then((picked) => picked === install && vscode.commands.executeCommand('workbench.extensions.installExtension', DEBUGPY_EXTENSION));
    return false;
  }
  // The extension's own copy of debugpy, for an interpreter that has none.
  const bundled = join(extension.extensionPath, 'bundled', 'libs');
  const port = await freePort();
  const runner = vscode.Uri.joinPath(ctx.context.extensionUri, 'python', 'eventscope_runner.py').fsPath;
  const folder = vscode.workspace.workspaceFolders?.[0];
  const name = `Python: ${panelTitle({ source, projection: choice })}`;
  const started = await vscode.debug.startDebugging(folder, {
    type: 'debugpy',
    request: 'attach',
    name,
    listen: { host: '127.0.0.1', port },
    justMyCode: true,
    // Eventscope's runner is not the user's code: stepping never stops in it.
    rules: [{ path: runner, include: false }],
  });
  if (!started) throw new EventscopeError('VS Code’s Python debugger did not start; see its output for why.');
  ctx.log.info(`Debugging a Python replay: VS Code's debugpy listens on 127.0.0.1:${port}`);
  ctx.replays.open({
    source,
    projection: {
      ...choice,
      debug: { mode: 'connect', host: '127.0.0.1', port, ...(existsSync(join(bundled, 'debugpy')) ? { debugpyPath: bundled } : {}) },
    },
  });
  return true;
}
