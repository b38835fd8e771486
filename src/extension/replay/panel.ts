/**
 * One replay panel (WebviewPanel `eventscope.replay`): the host side of a replay. It opens a
 * ReplaySession (the projection runs in a worker, never here), answers the page's typed messages
 * (webview/src), keeps the cursor, the timeline filter and the breakpoints, and re-runs when the
 * projection file is saved, keeping the cursor on the same event.
 */

import { isAbsolute, relative } from 'node:path';
import * as vscode from 'vscode';
import { EventscopeError, messageOf } from '../../core/errors';
import { eventToJSON, type EventKey, type RecordedEvent } from '../../core/events';
import { stringifyExact } from '../../core/json/exact';
import { ReplayCancelled, ReplaySession, type ReplaySummary } from '../../core/projection/session';
import { MARK_LIMIT } from '../../core/projection/protocol';
import type { StepRecord } from '../../core/projection/replay';
import {
  isWebviewMessage,
  type BreakpointSpec,
  type HostMessage,
  type PanelState,
  type ReplayTarget,
  type StepMove,
  type StepView,
  type SummaryView,
  type TimelineRow,
  type WebviewMessage,
} from '../../shared/replayProtocol';
import type { LabelRules } from '../../core/labels';
import type { Connections } from '../connections';
import type { Log } from '../log';
import { exportSession, exportState } from './export';
import { replayHtml, webviewRoot } from './html';
import { Outbox } from './outbox';
import { panelTitle, projectionChoice, projectionLabel, resolveSource, sourceLabel } from './target';

/** What a panel needs from the extension. */
export interface ReplayHost {
  readonly extensionUri: vscode.Uri;
  readonly log: Log;
  readonly connections: Connections;
  readonly secrets: vscode.SecretStorage;
  isTrusted(): boolean;
  settings(): { timeBudgetMs: number; memoryLimitMb: number; labelRules: LabelRules };
  /** How many sent messages a panel keeps in `outbox.history` (tests; 0 otherwise). */
  readonly historyLimit: number;
  closed(panel: ReplayPanel): void;
}

/** Rows the page may ask for at once. */
const MAX_ROWS = 500;
/** A state whose JSON is longer than this is not sent to the page (Export State writes it). */
export const STATE_TEXT_LIMIT = 4 * 1024 * 1024;

export type PanelPhase = 'new' | 'untrusted' | 'opening' | 'open' | 'failed' | 'closed';

/** One sentence for the user: an EventscopeError's message, or a pointer to the log. */
export function userMessage(error: unknown, doing: string): string {
  if (error instanceof EventscopeError) return error.message;
  return `${doing} failed (${messageOf(error)}); details are in the Eventscope log.`;
}

function rowOf(event: RecordedEvent, index: number, label?: string): TimelineRow {
  return {
    index,
    type: event.type,
    streamId: event.streamId,
    revision: event.revision,
    position: event.position,
    timestamp: event.timestamp,
    ...(label !== undefined ? { label } : {}),
  };
}

function keyOf(event: RecordedEvent): EventKey {
  return { streamId: event.streamId, revision: event.revision, position: event.position };
}

/** The first element greater than `value` in a sorted array (its index), or the length. */
function upperBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of `value` in a sorted array, or -1. */
function indexIn(sorted: readonly number[], value: number): number {
  const i = upperBound(sorted, value) - 1;
  return i >= 0 && sorted[i] === value ? i : -1;
}

export class ReplayPanel implements vscode.Disposable {
  readonly outbox: Outbox;
  phase: PanelPhase = 'new';
  session: ReplaySession | undefined;
  summary: SummaryView | undefined;
  cursor = 0;
  cursorEvent: EventKey | undefined;
  filter = '';
  /** Steps the filter lets through, ascending (undefined: no filter). */
  private matches: number[] | undefined;
  private filterVersion = 0;
  private filtering = false;
  breakpoints: BreakpointSpec[] = [];
  hits: number[] = [];
  private hitsTruncated = false;
  private problems: string[] = [];
  /** The open / re-run in progress (every request waits for it). */
  private running: Promise<void> = Promise.resolve();
  private wantedStep: number | undefined;
  private stepping: Promise<void> | undefined;
  private rowQueue: { from: number; count: number; version: number }[] = [];
  private rowsRunning: Promise<void> | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** CSP violations the page reported (tests check there are none). */
  readonly cspViolations: string[] = [];
  /** How many times a page said it was ready (it is rebuilt each time the panel is shown again). */
  readyCount = 0;
  /** Uncaught errors the page reported. */
  readonly pageErrors: string[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    public target: ReplayTarget,
    private readonly host: ReplayHost,
    restored?: Partial<PanelState>,
  ) {
    this.cursor = restored?.cursor ?? 0;
    this.cursorEvent = restored?.cursorEvent;
    this.filter = restored?.filter ?? '';
    this.breakpoints = restored?.breakpoints ?? [];
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

  /** Handles one message from the page; resolves when its answer has been sent (tests await it). */
  async receive(message: unknown): Promise<void> {
    if (!isWebviewMessage(message)) {
      this.host.log.error(`Replay panel: ignored a malformed message ${JSON.stringify(message)?.slice(0, 200)}`);
      return;
    }
    try {
      await this.handle(message);
    } catch (error) {
      this.host.log.error(`Replay panel: ${message.type} failed: ${messageOf(error)}`, error);
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
        return this.requestRows(message.from, message.count, message.version);
      case 'select':
        await this.running;
        return this.select(message.index);
      case 'step':
        await this.running;
        return this.move(message.to);
      case 'setBreakpoints':
        this.breakpoints = message.breakpoints;
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
        return this.setFilter(message.text);
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
        if (this.target.projection.kind === 'file') {
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
      filter: this.filter,
      breakpoints: this.breakpoints,
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
    const { projection } = this.target;
    if (projection.kind === 'generic' || this.host.isTrusted()) return true;
    const own = relative(this.host.extensionUri.fsPath, projection.path);
    return !own.startsWith('..') && !isAbsolute(own);
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
      const source = await resolveSource(this.target.source, this.host.connections, this.host.secrets);
      const { timeBudgetMs, memoryLimitMb, labelRules } = this.host.settings();
      const session = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Replaying ${label}`, cancellable: true },
        (progress, token) => {
          const cancel = new AbortController();
          token.onCancellationRequested(() => cancel.abort());
          return ReplaySession.open({
            source,
            projection: projectionChoice(this.target.projection),
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
        this.host.log.error(`Re-running ${projectionLabel(this.target.projection)} failed: ${messageOf(error)}`, error);
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
    const message = userMessage(error, doing);
    this.host.log.error(`${doing} failed: ${messageOf(error)}`, error);
    this.post({ type: 'failed', message });
    void vscode.window.showErrorMessage(message, 'Show Log').then((choice) => choice === 'Show Log' && this.host.log.show());
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
      failures: summary.failures,
      marksTruncated: summary.errors.length >= MARK_LIMIT || summary.failures.length >= MARK_LIMIT,
      ...(summary.firstFailure ? { firstFailure: summary.firstFailure } : {}),
      ...(summary.stopped ? { stopped: summary.stopped } : {}),
      elapsedMs: summary.elapsedMs,
    };
    this.post({ type: 'summary', summary: this.summary });
    if (summary.stopped) this.host.log.error(`Replay stopped early: ${summary.stopped}`);
    this.panel.title = `Replay: ${summary.projection.kind === 'generic' ? 'Generic (built-in)' : summary.projection.name} · ${sourceLabel(this.target.source)}`;
    const index = await this.relocate();
    await this.scanBreakpoints();
    // The filter reads every event: it runs on, while the panel is already usable.
    void this.setFilter(this.filter).catch((error: unknown) => this.host.log.error('Filtering the timeline failed', error));
    if (this.summary.steps > 0) await this.select(index);
    else this.post({ type: 'cursor', cursor: { index: 0, row: -1 } });
  }

  /** The step of the cursor's event in the new run: the same event if it is still there, else the same index. */
  private async relocate(): Promise<number> {
    const steps = this.summary?.steps ?? 0;
    const clamped = Math.max(0, Math.min(this.cursor, steps - 1));
    const key = this.cursorEvent;
    if (!key || steps === 0 || !this.session) return clamped;
    return (await this.session.indexOf(key)) ?? clamped;
  }

  // -------------------------------------------------------------------------------------------
  // The cursor and its step.

  private rowFor(index: number): number {
    return this.matches ? indexIn(this.matches, index) : index;
  }

  /** Moves the cursor to a step and sends its record (requests coalesce: the latest wins). */
  select(index: number): Promise<void> {
    const steps = this.summary?.steps ?? 0;
    if (!this.session || this.phase !== 'open' || steps === 0) return Promise.resolve();
    this.cursor = Math.max(0, Math.min(index, steps - 1));
    this.post({ type: 'cursor', cursor: { index: this.cursor, row: this.rowFor(this.cursor) } });
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
          this.cursorEvent = keyOf(record.event);
          if (this.wantedStep === undefined) this.post({ type: 'step', step: this.stepView(record) });
        } catch (error) {
          this.host.log.error(`Reading step ${index + 1} failed: ${messageOf(error)}`, error);
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
      row: this.rowFor(record.index),
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

  /** First / back / forward / last; with a filter, between the events the timeline shows. */
  private async move(to: StepMove): Promise<void> {
    const steps = this.summary?.steps ?? 0;
    if (!steps) return;
    const list = this.matches;
    let target: number | undefined;
    if (!list) {
      target =
        to === 'first'
          ? 0
          : to === 'last'
            ? steps - 1
            : to === 'forward'
              ? Math.min(this.cursor + 1, steps - 1)
              : Math.max(this.cursor - 1, 0);
    } else if (!list.length) {
      this.notice('info', this.filtering ? 'No event matches the filter yet.' : `No event matches the filter "${this.filter}".`);
      return;
    } else if (to === 'first') target = list[0];
    else if (to === 'last') target = list[list.length - 1];
    else if (to === 'forward') target = list[upperBound(list, this.cursor)];
    else target = list[upperBound(list, this.cursor - 1) - 1];
    if (target === undefined) {
      // Nowhere to go (the end): say where the cursor stays, so a playing panel stops.
      this.post({ type: 'cursor', cursor: { index: this.cursor, row: this.rowFor(this.cursor) }, atEnd: true });
      return;
    }
    return this.select(target);
  }

  // -------------------------------------------------------------------------------------------
  // The timeline: rows in windows, and the filter.

  private requestRows(from: number, count: number, version: number): Promise<void> {
    this.rowQueue.push({ from, count: Math.min(count, MAX_ROWS), version });
    // Scrolling fast asks for many windows: only the newest few still matter.
    if (this.rowQueue.length > 4) this.rowQueue.splice(0, this.rowQueue.length - 4);
    this.rowsRunning ??= this.rowLoop();
    return this.rowsRunning;
  }

  private async rowLoop(): Promise<void> {
    try {
      await this.running;
      for (let next = this.rowQueue.shift(); next; next = this.rowQueue.shift()) {
        if (next.version !== this.filterVersion || !this.session || this.phase !== 'open') continue;
        try {
          const rows = await this.rows(next.from, next.count);
          if (next.version === this.filterVersion) this.post({ type: 'rows', from: next.from, rows, version: next.version });
        } catch (error) {
          this.host.log.error(`Reading timeline rows ${next.from}… failed`, error);
        }
      }
    } finally {
      this.rowsRunning = undefined;
    }
  }

  /** Timeline rows with their streams' labels (read once per stream by the worker). */
  private async rows(from: number, count: number): Promise<TimelineRow[]> {
    const rows = await this.unlabelledRows(from, count);
    const labels = await this.session!.labels([...new Set(rows.map((r) => r.streamId))]);
    return labels.size ? rows.map((r) => (labels.has(r.streamId) ? { ...r, label: labels.get(r.streamId) } : r)) : rows;
  }

  private async unlabelledRows(from: number, count: number): Promise<TimelineRow[]> {
    const session = this.session!;
    const steps = this.summary?.steps ?? 0;
    if (!this.matches) {
      if (from >= steps) return [];
      const events = await session.events(from, Math.min(count, steps - from));
      return events.map((event, i) => rowOf(event, from + i));
    }
    const wanted = this.matches.slice(from, from + count);
    const rows: TimelineRow[] = [];
    // Near indexes are read together.
    for (let i = 0; i < wanted.length;) {
      let j = i;
      while (j + 1 < wanted.length && wanted[j + 1] - wanted[i] < 256) j++;
      const events = await session.events(wanted[i], wanted[j] - wanted[i] + 1);
      for (let k = i; k <= j; k++) {
        const event = events[wanted[k] - wanted[i]];
        if (event) rows.push(rowOf(event, wanted[k]));
      }
      i = j + 1;
    }
    return rows;
  }

  /** Filters the timeline by text in the event type, stream id or stream label (the worker reads every event). */
  async setFilter(text: string): Promise<void> {
    const filter = text.trim();
    this.filter = filter;
    const version = ++this.filterVersion;
    const steps = this.summary?.steps ?? 0;
    if (!filter || !this.session) {
      this.matches = undefined;
      this.filtering = false;
      this.post({ type: 'timeline', total: steps, filter, filtering: false, version });
      if (steps) this.post({ type: 'cursor', cursor: { index: this.cursor, row: this.rowFor(this.cursor) } });
      return;
    }
    this.matches = [];
    this.filtering = true;
    this.post({ type: 'timeline', total: 0, filter, filtering: true, version });
    const matches = await this.session.filter(filter);
    if (version !== this.filterVersion) return;
    this.matches = matches;
    this.filtering = false;
    this.post({ type: 'timeline', total: matches.length, filter, filtering: false, version });
    this.post({ type: 'cursor', cursor: { index: this.cursor, row: this.rowFor(this.cursor) } });
  }

  // -------------------------------------------------------------------------------------------
  // Breakpoints and failures.

  private async scanBreakpoints(): Promise<void> {
    const session = this.session;
    if (!session || this.phase !== 'open') return;
    if (!this.breakpoints.length) {
      this.hits = [];
      this.problems = [];
      this.hitsTruncated = false;
    } else {
      // A condition that does not compile or throws comes back in `problems`; the others still hit.
      const result = await session.scan(this.breakpoints);
      this.hits = result.hits;
      this.problems = result.problems;
      this.hitsTruncated = this.hits.length >= MARK_LIMIT;
    }
    this.post({ type: 'hits', hits: this.hits, problems: this.problems, truncated: this.hitsTruncated });
  }

  private async runToBreakpoint(direction: 'forward' | 'backward'): Promise<void> {
    if (!this.breakpoints.length) {
      this.notice('info', 'There are no breakpoints: add an event type or a condition first.');
      return;
    }
    const target = direction === 'forward' ? await this.nextHit() : await this.previousHit();
    if (target === undefined) {
      this.notice('info', `No breakpoint hit ${direction === 'forward' ? 'after' : 'before'} step ${this.cursor + 1}.`);
      return;
    }
    return this.select(target);
  }

  /** The first hit after the cursor: from the known hits, or (past the first MARK_LIMIT) a scan from there. */
  private async nextHit(): Promise<number | undefined> {
    const known = this.hits[upperBound(this.hits, this.cursor)];
    if (known !== undefined || !this.hitsTruncated || !this.session) return known;
    const steps = this.summary?.steps ?? 0;
    if (this.cursor + 1 >= steps) return undefined;
    return (await this.session.scan(this.breakpoints, this.cursor + 1)).hits[0];
  }

  /** The last hit before the cursor: from the known hits, or scans between the last known one and the cursor. */
  private async previousHit(): Promise<number | undefined> {
    let best = this.hits[upperBound(this.hits, this.cursor - 1) - 1];
    if (!this.hitsTruncated || !this.session || (best !== undefined && best < this.hits[this.hits.length - 1])) return best;
    for (let from = (best ?? -1) + 1; from < this.cursor;) {
      const { hits } = await this.session.scan(this.breakpoints, from);
      const before = hits.filter((h) => h < this.cursor);
      if (before.length) best = before[before.length - 1];
      if (hits.length < MARK_LIMIT || before.length < hits.length) break;
      from = hits[hits.length - 1] + 1;
    }
    return best;
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
        `${summary.projection.kind === 'generic' ? 'The generic projection' : summary.projection.name} has no invariant: type an expression over state, event and before that must stay true (e.g. state.events < 100).`,
      );
      return;
    }
    this.post({ type: 'busy', what: 'Looking for the first failure…' });
    const mark = await session.firstFailure(start, typed);
    this.post({ type: 'found', ...(mark ? { mark } : {}), ...(typed ? { expression: typed } : {}), from: start });
    this.post({ type: 'busy' });
    if (mark) {
      this.notice('warning', `Step ${mark.index + 1}: ${mark.message}`);
      return this.select(mark.index);
    }
    const what = typed ? `"${typed}" stays true` : 'the invariant holds';
    this.notice('info', `${what[0].toUpperCase()}${what.slice(1)} from step ${start + 1} to the last step (${summary.steps}).`);
  }

  // -------------------------------------------------------------------------------------------
  // Export.

  /** Writes events, states and diffs (up to EXPORT_STEP_LIMIT steps) as JSON; `to` skips the dialogs. */
  async exportSession(to?: vscode.Uri, from?: number): Promise<vscode.Uri | undefined> {
    await this.running;
    if (!this.session || !this.summary) {
      this.notice('info', 'There is no replay to export yet.');
      return undefined;
    }
    return exportSession(this.session, this.summary, this.cursor, this.host.log, to, from);
  }

  /** Writes the state after the cursor's step as JSON; `to` skips the save dialog. */
  async exportState(to?: vscode.Uri): Promise<vscode.Uri | undefined> {
    await this.running;
    if (!this.session || !this.summary || !this.summary.steps) {
      this.notice('info', 'There is no state to export yet.');
      return undefined;
    }
    return exportState(this.session, this.summary, this.cursor, to);
  }

  // -------------------------------------------------------------------------------------------

  /** The last message of a kind the host sent (or buffered) to the page: a test hook. */
  last<K extends HostMessage['type']>(kind: K): Extract<HostMessage, { type: K }> | undefined {
    return this.outbox.last(kind);
  }

  /** Resolves when the open / re-run in progress is done. */
  whenSettled(): Promise<void> {
    return this.running;
  }

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
