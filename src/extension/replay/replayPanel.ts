/**
 * One replay panel (WebviewPanel `eventscope.replay`): the host side of a replay. It opens a
 * ReplaySession (the projection runs in a worker, never here), answers the page's typed messages
 * (webview/src), keeps the cursor, and re-runs when the projection file is saved, keeping the
 * cursor on the same event. The timeline (rows and filter) and the breakpoints are their own
 * modules; tests reach in through `testApi` only.
 */

import * as vscode from 'vscode';
import { applicationTranscodingsNote, mapAdvice } from '../../core/codecs/transcodings';
import { eventKey, eventToJSON, type EventKey } from '../../core/events';
import { stringifyExact } from '../../core/json/exact';
import { ReplayCancelled, ReplaySession, type ReplaySummary } from '../../core/projection/session';
import type { StepRecord } from '../../core/projection/types';
import {
  isWebviewMessage,
  type HostMessage,
  type PanelState,
  type ReplayTarget,
  type StepMove,
  type StepView,
  type SummaryView,
  type WebviewMessage,
} from '../../shared/replayProtocol';
import type { LabelRules } from '../../core/labels';
import type { Connections } from '../connections';
import { userMessage } from '../errors';
import type { Log } from '../log';
import { Breakpoints } from './breakpoints';
import { exportSession, exportState } from './export';
import { replayHtml, webviewRoot } from './html';
import { Outbox } from './outbox';
import { panelTitle, projectionAllowed, projectionLabel, resolveSource, sourceLabel } from './target';
import { resolvePythonChoice } from '../python';
import { rowOf, Timeline } from './timeline';

/** What a panel needs from the extension. */
export interface ReplayHost {
  readonly extensionUri: vscode.Uri;
  readonly log: Log;
  readonly connections: Connections;
  isTrusted(): boolean;
  settings(): { timeBudgetMs: number; memoryLimitMb: number; labelRules: LabelRules };
  /** How many sent messages a panel keeps for `testApi.history` (tests; 0 otherwise). */
  readonly historyLimit: number;
  closed(panel: ReplayPanel): void;
}

/** A state whose JSON is longer than this is not sent to the page (Export State writes it). */
const STATE_TEXT_LIMIT = 4 * 1024 * 1024;

export type PanelPhase = 'new' | 'untrusted' | 'opening' | 'open' | 'failed' | 'closed';

/** What the extension-host tests (test/vscode) reach into a panel through; the extension never uses it. */
export interface ReplayPanelTestApi {
  /** Handles a message as if the page sent it; resolves when its answer has been sent. */
  send(message: WebviewMessage): Promise<void>;
  /** Resolves when the open / re-run in progress is done. */
  settled(): Promise<void>;
  /** The last message of a kind the host sent (or buffered) to the page. */
  last<K extends HostMessage['type']>(kind: K): Extract<HostMessage, { type: K }> | undefined;
  /** The messages sent or buffered, newest last (kept when the registry's `historyLimit` is set). */
  history(): readonly HostMessage[];
  /** The summary of the open replay. */
  summary(): SummaryView | undefined;
  /** How many times a page said it was ready (it is rebuilt each time the panel is shown again). */
  readyCount(): number;
  /** CSP violations the page reported. */
  readonly cspViolations: readonly string[];
  /** Uncaught errors the page reported. */
  readonly pageErrors: readonly string[];
  /** Export State / Export Session to a file, without the dialogs. */
  exportState(to: vscode.Uri): Promise<vscode.Uri | undefined>;
  exportSession(to: vscode.Uri): Promise<vscode.Uri | undefined>;
}

export class ReplayPanel implements vscode.Disposable {
  phase: PanelPhase = 'new';
  session: ReplaySession | undefined;
  private readonly outbox: Outbox;
  private summary: SummaryView | undefined;
  private cursor = 0;
  private cursorEvent: EventKey | undefined;
  private readonly timeline: Timeline;
  private readonly breakpoints: Breakpoints;
  /** The open / re-run in progress (every request waits for it). */
  private running: Promise<void> = Promise.resolve();
  private wantedStep: number | undefined;
  private stepping: Promise<void> | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** What the page reported: readiness, CSP violations and uncaught errors (logged; tests check them). */
  private readyCount = 0;
  private readonly cspViolations: string[] = [];
  private readonly pageErrors: string[] = [];
  /** Application transcodings this panel has said are shown as stored (each once). */
  private readonly transcodingsNoted = new Set<string>();

  constructor(
    readonly panel: vscode.WebviewPanel,
    public target: ReplayTarget,
    private readonly host: ReplayHost,
    restored?: Partial<PanelState>,
  ) {
    this.cursor = restored?.cursor ?? 0;
    this.cursorEvent = restored?.cursorEvent;
    this.timeline = new Timeline(
      {
        log: host.log,
        session: () => this.session,
        isOpen: () => this.phase === 'open',
        steps: () => this.summary?.steps ?? 0,
        cursor: () => this.cursor,
        settled: () => this.running,
        post: (message) => this.post(message),
      },
      restored?.filter,
    );
    this.breakpoints = new Breakpoints(restored?.breakpoints);
    this.outbox = new Outbox((message) => void this.panel.webview.postMessage(message), host.historyLimit);
    panel.title = panelTitle(target);
    panel.iconPath = vscode.Uri.joinPath(host.extensionUri, 'media', 'eventscope.svg');
    panel.webview.options = { enableScripts: true, localResourceRoots: [webviewRoot(host.extensionUri)] };
    panel.webview.html = replayHtml(panel.webview, host.extensionUri);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: unknown) => {
        void this.receive(message);
      }),
      panel.onDidChangeViewState(() => {
        // Hidden: the page is gone until it is shown again and says it is ready.
        if (!panel.visible) this.outbox.pause();
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** Looks for the first step where the projection's invariant fails, as the panel's own button does (a projection file's CodeLens). */
  findFirstFailure(): Promise<void> {
    return this.receive({ type: 'findFailure', from: 'start' });
  }

  /** Selects step `index` (0-based) once the replay is open (a link to a step). */
  showStep(index: number): Promise<void> {
    return this.receive({ type: 'select', index });
  }

  /** The one way the extension-host tests reach into this panel. */
  readonly testApi: ReplayPanelTestApi = {
    send: (message) => this.receive(message),
    settled: () => this.running,
    last: (kind) => this.outbox.last(kind),
    history: () => this.outbox.history,
    summary: () => this.summary,
    readyCount: () => this.readyCount,
    cspViolations: this.cspViolations,
    pageErrors: this.pageErrors,
    exportState: (to) => this.exportState(to),
    exportSession: (to) => this.exportSession(to),
  };

  private get steps(): number {
    return this.summary?.steps ?? 0;
  }

  /** Handles one message from the page; resolves when its answer has been sent. */
  private async receive(message: unknown): Promise<void> {
    if (!isWebviewMessage(message)) {
      this.host.log.error(`Replay panel: ignored a malformed message ${JSON.stringify(message)?.slice(0, 200)}`);
      return;
    }
    try {
      await this.handle(message);
    } catch (error) {
      this.host.log.failed(`Replay panel: ${message.type}`, error);
      this.notice('error', userMessage(error, 'The replay'));
    }
  }

  private async handle(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.readyCount++;
        this.outbox.resume(this.initMessage());
        return;
      case 'requestRows':
        return this.timeline.requestRows(message.from, message.count, message.version);
      case 'select':
        await this.running;
        return this.select(message.index);
      case 'step':
        await this.running;
        return this.move(message.to);
      case 'setBreakpoints':
        this.breakpoints.specs = message.breakpoints;
        await this.running;
        return this.scanBreakpoints();
      case 'runToBreakpoint':
        await this.running;
        return this.runToBreakpoint(message.direction);
      case 'findFailure':
        await this.running;
        return this.findFailure(message.expression, message.from);
      case 'filter':
        await this.running;
        return this.timeline.setFilter(message.text);
      case 'exportSession':
        await this.exportSession();
        return;
      case 'exportState':
        await this.exportState();
        return;
      case 'manageTrust':
        await vscode.commands.executeCommand('workbench.trust.manage');
        return;
      case 'showLog':
        this.host.log.show();
        return;
      case 'openProjection':
        if (this.target.projection.kind !== 'generic' && this.target.projection.path) {
          await vscode.window.showTextDocument(vscode.Uri.file(this.target.projection.path), { viewColumn: vscode.ViewColumn.Beside });
        }
        return;
      case 'rerun':
        return this.rerun();
      case 'cspViolation':
        this.cspViolations.push(`${message.directive} ${message.blocked}`);
        this.host.log.error(`Replay panel: the Content Security Policy blocked ${message.blocked} (${message.directive})`);
        return;
      case 'pageError':
        this.pageErrors.push(message.message);
        this.host.log.error(`Replay panel page: ${message.message}`);
        return;
    }
  }

  private initMessage(): HostMessage {
    return {
      type: 'init',
      target: this.target,
      projectionLabel: projectionLabel(this.target.projection),
      sourceLabel: sourceLabel(this.target.source),
      trusted: this.host.isTrusted(),
      filter: this.timeline.filter,
      breakpoints: this.breakpoints.specs,
      cursor: this.cursor,
    };
  }

  private post(message: HostMessage): void {
    this.outbox.send(message);
  }

  private notice(level: 'info' | 'warning' | 'error', message: string): void {
    this.post({ type: 'notice', level, message });
  }

  /**
   * Whether Workspace Trust lets this panel's projection run: always for Eventscope's own code
   * (the generic projection, the demo's projection shipped with the extension), else only in a
   * trusted workspace.
   */
  private allowed(): boolean {
    return projectionAllowed(this.target.projection, this.host.isTrusted(), this.host.extensionUri);
  }

  // -------------------------------------------------------------------------------------------
  // Opening and re-running.

  /** Opens the replay (or explains why it can't run). Resolves when the first step is shown. */
  start(): Promise<void> {
    const run = this.running.then(() => this.open());
    this.running = run.catch(() => undefined);
    return run;
  }

  private async open(): Promise<void> {
    if (this.phase === 'closed') return;
    if (this.session) return this.reload();
    if (!this.allowed()) {
      this.phase = 'untrusted';
      this.post({
        type: 'untrusted',
        message: `${projectionLabel(this.target.projection)} is code from this workspace, and the workspace is not trusted, so Eventscope does not run it. Trust the workspace to replay with it; the built-in generic projection runs in Restricted Mode too.`,
      });
      return;
    }
    this.phase = 'opening';
    this.post({ type: 'progress', steps: 0, rerun: false });
    const label = `${projectionLabel(this.target.projection)} over ${sourceLabel(this.target.source)}`;
    try {
      const source = await resolveSource(this.target.source, this.host.connections);
      const { projection: chosen } = this.target;
      const projection = chosen.kind === 'python' ? (await resolvePythonChoice(chosen, this.host.log)).choice : chosen;
      const { timeBudgetMs, memoryLimitMb, labelRules } = this.host.settings();
      const session = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Replaying ${label}`, cancellable: true },
        (progress, token) => {
          const cancel = new AbortController();
          token.onCancellationRequested(() => cancel.abort());
          return ReplaySession.open({
            source,
            projection,
            timeBudgetMs,
            memoryLimitMb,
            labelRules,
            signal: cancel.signal,
            onProgress: (steps) => {
              progress.report({ message: `${steps.toLocaleString('en-US')} steps` });
              this.post({ type: 'progress', steps, rerun: this.session !== undefined });
            },
          });
        },
      );
      if ((this.phase as PanelPhase) === 'closed') {
        await session.dispose();
        return;
      }
      this.session = session;
      this.host.log.info(`Replay of ${label}: ${session.summary.steps} steps in ${Math.round(session.summary.elapsedMs)} ms`);
      await this.opened(session.summary);
    } catch (error) {
      this.failed(error, `Replaying ${label}`);
    }
  }

  /** Re-runs after the projection file changed (bundles it again), keeping the cursor on its event. */
  rerun(): Promise<void> {
    return this.start();
  }

  private async reload(): Promise<void> {
    const session = this.session!;
    if (!this.allowed()) {
      this.phase = 'untrusted';
      return;
    }
    this.phase = 'opening';
    this.post({ type: 'progress', steps: 0, rerun: true });
    try {
      const summary = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `Re-running ${projectionLabel(this.target.projection)}` },
        () => session.reload(),
      );
      this.host.log.info(`Re-ran ${projectionLabel(this.target.projection)}: ${summary.steps} steps`);
      await this.opened(summary);
    } catch (error) {
      // A file that does not bundle leaves the previous replay in the worker; one that does not load leaves none.
      const previous = await session.events(0, 0).then(
        () => true,
        () => false,
      );
      if (previous && this.summary) {
        this.phase = 'open';
        this.host.log.failed(`Re-running ${projectionLabel(this.target.projection)}`, error);
        this.post({ type: 'summary', summary: this.summary });
        this.notice('error', `${userMessage(error, 'Re-running the projection')} The panel still shows the previous run.`);
      } else {
        this.failed(error, `Re-running ${projectionLabel(this.target.projection)}`);
      }
    }
  }

  private failed(error: unknown, doing: string): void {
    if (this.phase === 'closed') return;
    this.phase = 'failed';
    if (error instanceof ReplayCancelled) {
      // The user pressed Cancel: the panel says so (and can re-run), no error notification.
      this.host.log.info(`${doing}: cancelled`);
      this.post({ type: 'failed', message: error.message });
      return;
    }
    this.post({ type: 'failed', message: this.host.log.showError(error, doing) });
  }

  /** After the first pass (or a re-run): summary, breakpoints, filter, and the cursor's step. */
  private async opened(summary: ReplaySummary): Promise<void> {
    this.phase = 'open';
    this.summary = {
      steps: summary.steps,
      source: summary.source,
      projection: { ...summary.projection, ...(summary.projectionPath ? { path: summary.projectionPath } : {}) },
      hasInvariant: summary.hasInvariant,
      errors: summary.errors,
      breaks: summary.breaks,
      breaksTruncated: summary.truncated.breaks,
      failingSteps: summary.failingSteps,
      ...(summary.partitioning ? { partitioning: summary.partitioning } : {}),
      marksTruncated: summary.truncated.errors || summary.truncated.breaks,
      ...(summary.firstFailure ? { firstFailure: summary.firstFailure } : {}),
      ...(summary.stopped ? { stopped: summary.stopped } : {}),
      elapsedMs: summary.elapsedMs,
    };
    this.post({ type: 'summary', summary: this.summary });
    if (summary.stopped) this.host.log.error(`Replay stopped early: ${summary.stopped}`);
    this.noteTranscodings(summary.transcodings);
    this.panel.title = `Replay: ${summary.projection.kind === 'generic' ? 'Generic (built-in)' : summary.projection.name} · ${sourceLabel(this.target.source)}`;
    const index = await this.relocate();
    await this.scanBreakpoints();
    // The filter reads every event: it runs on, while the panel is already usable.
    void this.timeline
      .setFilter(this.timeline.filter)
      .catch((error: unknown) => this.host.log.error('Filtering the timeline failed', error));
    if (this.summary.steps > 0) await this.select(index);
    else this.post({ type: 'cursor', cursor: { index: 0, row: -1 } });
  }

  /** Says once per panel which application transcodings its events show as stored, and where to map them to a kind. */
  private noteTranscodings(names: readonly string[] | undefined): void {
    const fresh = (names ?? []).filter((name) => !this.transcodingsNoted.has(name));
    if (!fresh.length) return;
    for (const name of fresh) this.transcodingsNoted.add(name);
    this.notice('info', `${applicationTranscodingsNote(fresh)}; ${mapAdvice(fresh.length, 'the eventscope.transcodings setting')}.`);
  }

  /** The step of the cursor's event in the new run: the same event if it is still there, else the same index. */
  private async relocate(): Promise<number> {
    const steps = this.steps;
    const clamped = Math.max(0, Math.min(this.cursor, steps - 1));
    const key = this.cursorEvent;
    if (!key || steps === 0 || !this.session) return clamped;
    return (await this.session.indexOf(key)) ?? clamped;
  }

  // -------------------------------------------------------------------------------------------
  // The cursor and its step.

  /** Moves the cursor to a step and sends its record (requests coalesce: the latest wins). */
  private select(index: number): Promise<void> {
    const steps = this.steps;
    if (!this.session || this.phase !== 'open' || steps === 0) return Promise.resolve();
    this.cursor = Math.max(0, Math.min(index, steps - 1));
    this.post(this.timeline.cursorMessage(this.cursor));
    this.wantedStep = this.cursor;
    this.stepping ??= this.stepLoop();
    return this.stepping;
  }

  private async stepLoop(): Promise<void> {
    try {
      while (this.wantedStep !== undefined && this.session) {
        const index = this.wantedStep;
        this.wantedStep = undefined;
        try {
          const record = await this.session.step(index, { maxStateBytes: STATE_TEXT_LIMIT });
          this.cursorEvent = eventKey(record.event);
          if (this.wantedStep === undefined) this.post({ type: 'step', step: this.stepView(record) });
        } catch (error) {
          this.host.log.failed(`Reading step ${index + 1}`, error);
          this.notice('error', userMessage(error, `Reading step ${index + 1}`));
        }
      }
    } finally {
      this.stepping = undefined;
    }
  }

  private stepView(record: StepRecord): StepView {
    const stateText = stringifyExact(record.stateAfter ?? null, 2) ?? 'null';
    return {
      index: record.index,
      row: this.timeline.rowFor(record.index),
      event: rowOf(record.event, record.index, record.label),
      eventJson: stringifyExact(eventToJSON(record.event), 2),
      kinds: { ...record.event.kinds },
      ...(!record.statesOmitted && stateText.length <= STATE_TEXT_LIMIT ? { stateAfter: stateText } : {}),
      stateSize: record.statesOmitted ? (record.stateBytes ?? 0) : stateText.length,
      changes: stringifyExact(record.changes ?? null) ?? 'null',
      ...(record.error !== undefined ? { error: record.error } : {}),
      ...(record.invariantFailure !== undefined ? { invariantFailure: record.invariantFailure } : {}),
      elapsedMs: record.elapsedMs,
      output: stringifyExact(record.output, 2),
    };
  }

  /**
   * Moves the cursor to an event (a debug session of the same replay stopped there): found by its
   * key, else step `index`. Waits for the open / re-run in progress; does nothing unless open.
   */
  async follow(key: EventKey, index: number): Promise<void> {
    await this.running;
    if (!this.session || this.phase !== 'open') return;
    const found = await this.session.indexOf(key);
    return this.select(found ?? index);
  }

  /** First / back / forward / last; with a filter, between the events the timeline shows. */
  private async move(to: StepMove): Promise<void> {
    if (!this.steps) return;
    const target = this.timeline.destination(to, this.cursor, this.steps);
    if (target === 'empty') return;
    // Nowhere to go (the end): say where the cursor stays, so a playing panel stops.
    if (target === 'end') return this.post(this.timeline.cursorMessage(this.cursor, true));
    return this.select(target);
  }

  // -------------------------------------------------------------------------------------------
  // Breakpoints and failures.

  private async scanBreakpoints(): Promise<void> {
    const session = this.session;
    if (!session || this.phase !== 'open') return;
    this.post(await this.breakpoints.scan(session));
  }

  private async runToBreakpoint(direction: 'forward' | 'backward'): Promise<void> {
    const to = await this.breakpoints.runTo(this.session, direction, this.cursor, this.steps);
    return 'notice' in to ? this.notice('info', to.notice) : this.select(to.index);
  }

  private async findFailure(expression: string | undefined, from: 'start' | 'next'): Promise<void> {
    const session = this.session;
    const summary = this.summary;
    if (!session || !summary || this.phase !== 'open') return;
    const typed = expression?.trim() || undefined;
    const start = from === 'start' ? 0 : Math.min(this.cursor + 1, summary.steps);
    if (!typed && !summary.hasInvariant) {
      this.post({ type: 'found', from: start });
      this.notice(
        'warning',
        summary.projection.kind === 'python'
          ? `${summary.projection.name} has no invariant: type a Python expression over aggregate, state, event and before that must stay true (e.g. aggregate.balance >= 0).`
          : `${summary.projection.kind === 'generic' ? 'The generic projection' : summary.projection.name} has no invariant: type an expression over state, event and before that must stay true (e.g. state.events < 100).`,
      );
      return;
    }
    this.post({ type: 'busy', what: from === 'start' ? 'Looking for the first failure…' : 'Looking for the next break…' });
    // Breaks, not every failing step: Next goes on to where the invariant breaks again (core/projection/breaks.ts).
    const mark = await session.firstFailure(start, typed);
    this.post({ type: 'found', ...(mark ? { mark } : {}), ...(typed ? { expression: typed } : {}), from: start });
    this.post({ type: 'busy' });
    if (mark) {
      const where =
        mark.partition !== undefined ? ` (${summary.partitioning === 'stream' ? 'stream' : 'partition'} ${mark.partition})` : '';
      this.notice('warning', `Step ${mark.index + 1}${where}: ${mark.message}`);
      return this.select(mark.index);
    }
    const what = typed ? `"${typed}"` : 'the invariant';
    this.notice(
      'info',
      start === 0
        ? `${what[0].toUpperCase()}${what.slice(1)} stays true from step 1 to the last step (${summary.steps}).`
        : `No break of ${what} after step ${start} (the last step is ${summary.steps}).`,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Export.

  /** Writes events, states and diffs (up to EXPORT_STEP_LIMIT steps) as JSON; `to` skips the dialogs. */
  private async exportSession(to?: vscode.Uri): Promise<vscode.Uri | undefined> {
    await this.running;
    if (!this.session || !this.summary) {
      this.notice('info', 'There is no replay to export yet.');
      return undefined;
    }
    return exportSession(this.session, this.summary, this.cursor, this.host.log, to);
  }

  /** Writes the state after the cursor's step as JSON; `to` skips the save dialog. */
  private async exportState(to?: vscode.Uri): Promise<vscode.Uri | undefined> {
    await this.running;
    if (!this.session || !this.summary || !this.summary.steps) {
      this.notice('info', 'There is no state to export yet.');
      return undefined;
    }
    return exportState(this.session, this.summary, this.cursor, to);
  }

  // -------------------------------------------------------------------------------------------

  dispose(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.outbox.pause();
    for (const d of this.disposables) d.dispose();
    const session = this.session;
    this.session = undefined;
    void session?.dispose();
    this.host.closed(this);
    this.panel.dispose();
  }
}
