/**
 * Every replay panel of the window: opening (or revealing) one per target, restoring them after a
 * reload (WebviewPanelSerializer over the state the page keeps), re-running them when their
 * projection file is saved, and starting the waiting ones when the workspace becomes trusted.
 */

import * as vscode from 'vscode';
import { readLabelRules, type LabelRules } from '../../core/labels';
import { DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIME_BUDGET_MS } from '../../core/projection/session';
import { REPLAY_VIEW_TYPE, readPanelState, type PanelState, type ProjectionChoice, type ReplayTarget } from '../../shared/replayProtocol';
import type { Connections } from '../connections';
import type { Log } from '../log';
import { ReplayPanel, type ReplayHost } from './replayPanel';
import { panelTitle, sameProjection } from './target';

function sameTarget(a: ReplayTarget, b: ReplayTarget): boolean {
  return JSON.stringify(a.source) === JSON.stringify(b.source) && sameProjection(a.projection, b.projection);
}

export class ReplayPanelRegistry implements vscode.Disposable, ReplayHost {
  readonly panels = new Set<ReplayPanel>();
  /** Tests set this to act as an untrusted (false) or trusted (true) workspace; undefined: VS Code's answer. */
  trustOverride: boolean | undefined;
  /** How many sent messages each new panel keeps for tests (`panel.testApi.history()`); 0: none. */
  historyLimit = 0;
  /** The panel the last open() opened or revealed (tests reach panels through it). */
  lastOpened: ReplayPanel | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly log: Log,
    readonly connections: Connections,
  ) {
    this.subscriptions.push(
      vscode.window.registerWebviewPanelSerializer(REPLAY_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => this.restore(panel, state),
      }),
      vscode.workspace.onDidSaveTextDocument((document) => this.saved(document.uri)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.trustGranted()),
    );
  }

  get extensionUri(): vscode.Uri {
    return this.context.extensionUri;
  }

  isTrusted(): boolean {
    return this.trustOverride ?? vscode.workspace.isTrusted;
  }

  settings(): { timeBudgetMs: number; memoryLimitMb: number; labelRules: LabelRules } {
    const config = vscode.workspace.getConfiguration('eventscope.replay');
    return {
      timeBudgetMs: config.get<number>('timeBudgetMs', DEFAULT_TIME_BUDGET_MS),
      memoryLimitMb: config.get<number>('memoryLimitMb', DEFAULT_MEMORY_LIMIT_MB),
      labelRules: readLabelRules(vscode.workspace.getConfiguration('eventscope').get('streamLabels')),
    };
  }

  closed(panel: ReplayPanel): void {
    this.panels.delete(panel);
  }

  /** Opens a panel on a target (or reveals the one already open on it) and starts the replay. */
  open(target: ReplayTarget): ReplayPanel {
    for (const panel of this.panels) {
      if (sameTarget(panel.target, target)) {
        panel.panel.reveal();
        this.lastOpened = panel;
        return panel;
      }
    }
    const webviewPanel = vscode.window.createWebviewPanel(REPLAY_VIEW_TYPE, panelTitle(target), vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: false,
    });
    const panel = new ReplayPanel(webviewPanel, target, this);
    this.panels.add(panel);
    this.lastOpened = panel;
    void panel.start();
    return panel;
  }

  /** A panel VS Code restores after a reload, with the state its page kept. */
  private restore(webviewPanel: vscode.WebviewPanel, state: unknown): void {
    const restored: PanelState | undefined = readPanelState(state);
    if (!restored) {
      this.log.error('A replay panel could not be restored: its saved state is missing or malformed');
      webviewPanel.dispose();
      return;
    }
    const panel = new ReplayPanel(webviewPanel, restored.target, this, restored);
    this.panels.add(panel);
    this.log.info(`Restored the replay panel ${panelTitle(restored.target)} at step ${restored.cursor + 1}`);
    void panel.start();
  }

  /** Saving a projection file re-runs the panels that replay it. */
  private saved(uri: vscode.Uri): void {
    if (uri.scheme !== 'file') return;
    for (const panel of this.panels) {
      const saved: ProjectionChoice = { kind: 'file', path: uri.fsPath };
      const own = panel.target.projection.kind === 'file' && sameProjection(panel.target.projection, saved);
      // A file the projection imports counts too (the bundle's inputs, known once it ran).
      const imported = panel.session?.projectionFiles.some((file) => sameProjection({ kind: 'file', path: file }, saved));
      // A Python replay runs the workspace's own modules (aggregates, the application): any of them.
      const python = panel.target.projection.kind === 'python' && uri.fsPath.endsWith('.py');
      if (own || imported || python) {
        this.log.info(`${uri.fsPath} saved: re-running its replay`);
        void panel.rerun();
      }
    }
  }

  /** The workspace became trusted: start the panels that waited for it. */
  trustGranted(): void {
    for (const panel of this.panels) if (panel.phase === 'untrusted') void panel.start();
  }

  dispose(): void {
    for (const panel of [...this.panels]) panel.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}
