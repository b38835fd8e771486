/**
 * The VS Code extension: connections, the streams tree, event documents and live tail. All the
 * work is in src/core; this layer wires it to VS Code. Activation is cheap: no store is opened
 * until the view asks for its children.
 */

import * as vscode from 'vscode';
import { readLabelRules } from '../core/labels';
import { commands } from './commands';
import { Connections } from './connections';
import { Ctx } from './ctx';
import { ReplayDebugging } from './debug';
import { discoverStores } from './discovery';
import { EventDocuments, SCHEME } from './documents';
import { EventscopeLanguage } from './languageClient';
import { registerAgentTools } from './lmTools';
import { LiveTail } from './liveTail';
import { Log } from './log';
import { ReplayPanelRegistry } from './replay/panelRegistry';
import { StreamsTree, type Node } from './streamsTree';

export function activate(context: vscode.ExtensionContext): Ctx {
  const started = Date.now();
  const log = new Log();
  const connections = new Connections(context);
  const tree = new StreamsTree(connections, log);
  // Several events at once: "Save as .events…" takes a multi-selection.
  const view = vscode.window.createTreeView<Node>('eventscope.streams', {
    treeDataProvider: tree,
    showCollapseAll: true,
    canSelectMany: true,
  });
  const liveTail = new LiveTail(connections, (connection) => tree.refresh(connection), log);
  const documents = new EventDocuments(connections);
  const ctx = new Ctx(context, log, connections, tree, view, liveTail);
  ctx.replays = new ReplayPanelRegistry(context, log, connections);

  const readSettings = () => {
    const config = vscode.workspace.getConfiguration('eventscope');
    tree.pageSize = config.get<number>('streams.pageSize', 100);
    tree.labelRules = readLabelRules(config.get('streamLabels'));
    liveTail.debounceMs = config.get<number>('liveTail.debounceMs', 300);
    documents.maxStreamEvents = config.get<number>('documents.maxStreamEvents', 10_000);
  };
  readSettings();
  tree.onConnectionLoaded = (connection, head) => {
    if (vscode.workspace.getConfiguration('eventscope').get<boolean>('liveTail.enabled', true)) liveTail.watch(connection, head);
  };

  context.subscriptions.push(
    log,
    connections,
    tree,
    view,
    liveTail,
    ctx.replays,
    new ReplayDebugging(ctx),
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, documents),
    connections.onDidChange(() => {
      liveTail.unwatchAll();
      tree.refresh();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('eventscope')) readSettings();
    }),
    ...Object.entries(commands).map(([name, handler]) =>
      vscode.commands.registerCommand(name, async (...args: unknown[]) => {
        try {
          return await (handler as (ctx: Ctx, ...rest: unknown[]) => unknown)(ctx, ...args);
        } catch (error) {
          log.showError(error, `The command "${commandTitle(context, name)}"`);
        }
      }),
    ),
  );

  // The language server: .events files and projections, on the connections' catalogs.
  if (vscode.workspace.getConfiguration('eventscope').get<boolean>('languageServer.enabled', true)) {
    ctx.language = new EventscopeLanguage(ctx);
    context.subscriptions.push(ctx.language);
  }

  // The agent tools (language-model tools and the MCP server), on the connections.
  context.subscriptions.push(registerAgentTools(ctx));

  // Discovery runs once the view is visible, off the activation path.
  let discovered = false;
  const discover = () => {
    if (discovered || !view.visible) return;
    discovered = true;
    void discoverStores().then(
      (found) => {
        tree.detected = found;
        if (found.length) {
          log.info(`Detected ${found.length} eventsourcing store(s) in the workspace`);
          tree.refresh();
        }
      },
      (error: unknown) => log.error('Looking for stores in the workspace failed', error),
    );
  };
  context.subscriptions.push(view.onDidChangeVisibility(discover));
  discover();

  ctx.activationMs = Date.now() - started;
  log.info(`Eventscope activated in ${ctx.activationMs} ms`);
  return ctx;
}

export function deactivate(): void {}

/** A command's title as the palette shows it ("Eventscope: Replay…"), from package.json. */
function commandTitle(context: vscode.ExtensionContext, name: string): string {
  const contributed = (
    context.extension.packageJSON as { contributes?: { commands?: { command: string; title: string; category?: string }[] } }
  ).contributes?.commands;
  const command = contributed?.find((c) => c.command === name);
  return command ? `${command.category ? `${command.category}: ` : ''}${command.title}` : name;
}
