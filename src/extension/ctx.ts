/** What lives as long as the extension: built once in activate(), handed to every command. */

import * as vscode from 'vscode';
import type { Connections } from './connections';
import type { EventscopeLanguage } from './languageClient';
import type { LiveTail } from './liveTail';
import type { Log } from './log';
import type { ReplayPanelRegistry } from './replay/panelRegistry';
import type { Node, StreamsTree } from './streamsTree';

export class Ctx {
  /** How long activate() took (logged, and read by the extension-host tests). */
  activationMs = 0;
  /** The replay panels (set in activate(), right after this context is built). */
  replays!: ReplayPanelRegistry;
  /** The language server's client (undefined when `eventscope.languageServer.enabled` is off). */
  language?: EventscopeLanguage;

  constructor(
    readonly context: vscode.ExtensionContext,
    readonly log: Log,
    readonly connections: Connections,
    readonly tree: StreamsTree,
    readonly view: vscode.TreeView<Node>,
    readonly liveTail: LiveTail,
  ) {}

  /** Shows the active filters on the view and reloads it. */
  applyFilters(): void {
    const { streams, types, where } = this.tree.filters;
    const parts = [
      streams ? `stream ∋ "${streams}"` : '',
      types?.length ? `types: ${types.join(', ')}` : '',
      where ? `where ${where}` : '',
    ].filter(Boolean);
    this.view.description = parts.length ? `filtered: ${parts.join(' · ')}` : undefined;
    void vscode.commands.executeCommand('setContext', 'eventscope.filtered', parts.length > 0);
    this.tree.refresh();
  }
}
