/**
 * The replay panel: header and banners, the stepping toolbar, "Find first failure" and breakpoints,
 * the event timeline, and the State / Diff / Event / Output tabs. It holds no replay logic: every
 * move is a message to the host (src/extension/replay/panel.ts), and the host's answers are drawn.
 * Everything from the events and the projection is rendered as text (Lit text bindings).
 */

import { html, LitElement, nothing, type TemplateResult } from 'lit';
import { classMap } from 'lit/directives/class-map.js';
import { live } from 'lit/directives/live.js';
import { parseExactJson } from '../../src/core/json/exact';
import { qualifiedName } from '../../src/core/events';
import { changedKeys, flattenDelta, formatPath, type Change } from '../../src/shared/deltaPaths';
import {
  readPanelState,
  TAB_IDS,
  type BreakpointSpec,
  type CursorView,
  type HostMessage,
  type Mark,
  type NoticeLevel,
  type PanelState,
  type ReplayTarget,
  type StepMove,
  type StepView,
  type SummaryView,
  type TabId,
  type WebviewMessage,
} from '../../src/shared/replayProtocol';
import { count, jsonText, plural, shortJson, timeText } from './format';
import { icons } from './icons';
import { styleProps } from './styleProps';
import type { Highlights, JsonTree } from './jsonTree';
import type { EventTimeline, MarkKind } from './timeline';
import { onHostMessage, post, savedState, saveState } from './vscode';

type Phase = 'waiting' | 'untrusted' | 'opening' | 'open' | 'failed';

interface ParsedStep {
  view: StepView;
  state: unknown;
  stateProblem?: string;
  delta: unknown;
  changes: Change[];
  highlights: Highlights;
  event: { data?: unknown; metadata?: unknown };
  output: { emitted: { kind: string; stream: string; type: string; data: unknown; metadata?: unknown }[]; logs: string[] };
}

const SPEEDS = [1, 2, 5, 10, 20, 50];

export const KEYS_HELP = [
  '↓ / j / →: next step',
  '↑ / k / ←: previous step',
  'Home / End: first / last step',
  'Space: play / pause',
  'F5 or n: run to the next breakpoint hit; Shift+F5 or N: the previous one',
  'b or F9: toggle a breakpoint on this event’s type',
  'f: find the first failure',
  '/: filter the timeline; Escape: back to the timeline',
  '1–4: State, Diff, Event, Output',
].join('\n');

/** A condition typed as a breakpoint, or an event type (letters, digits, dots, colons). */
export function breakpointFrom(text: string): BreakpointSpec | undefined {
  const t = text.trim();
  if (!t) return undefined;
  return /^[\w.:$-]+$/.test(t) && !/^(true|false|null|\d+)$/.test(t) ? { kind: 'type', type: t } : { kind: 'condition', expression: t };
}

function describeBreakpoint(b: BreakpointSpec): string {
  return b.kind === 'type' ? `type ${b.type}` : `when ${b.expression}`;
}

function parse(text: string): { value: unknown; problem?: string } {
  try {
    return { value: parseExactJson(text) };
  } catch (error) {
    return { value: undefined, problem: error instanceof Error ? error.message : String(error) };
  }
}

function parseStep(view: StepView): ParsedStep {
  const state = view.stateAfter === undefined ? { value: undefined } : parse(view.stateAfter);
  const delta = parse(view.changes).value;
  const changes = flattenDelta(delta);
  const event = parse(view.eventJson).value as ParsedStep['event'] | undefined;
  const output = parse(view.output).value as ParsedStep['output'] | undefined;
  return {
    view,
    state: state.value,
    ...(state.problem ? { stateProblem: state.problem } : {}),
    delta,
    changes,
    highlights: changedKeys(changes),
    event: event ?? {},
    output: { emitted: output?.emitted ?? [], logs: output?.logs ?? [] },
  };
}

export class ReplayApp extends LitElement {
  private phase: Phase = 'waiting';
  private target: ReplayTarget | undefined;
  private projectionLabel = '';
  private sourceLabel = '';
  private trusted = true;
  private progress = 0;
  private rerunning = false;
  private untrustedMessage = '';
  private failedMessage = '';
  private summary: SummaryView | undefined;
  private timeline = { total: 0, filter: '', filtering: false, version: -1 };
  private cursor: CursorView = { index: 0, row: -1 };
  private step: ParsedStep | undefined;
  private hits: number[] = [];
  private hitSet = new Set<number>();
  private hitsTruncated = false;
  private problems: string[] = [];
  private errorMarks = new Map<number, string>();
  private failureMarks = new Map<number, string>();
  private foundMarks = new Map<number, string>();
  private marksVersion = 0;
  private notice: { level: NoticeLevel; message: string } | undefined;
  private busy: string | undefined;
  private breakpoints: BreakpointSpec[] = [];
  private tab: TabId = 'state';
  private expression = '';
  private speed = 5;
  private filterText = '';
  private breakpointText = '';
  private raw = false;
  private playing = false;
  private playTimer: number | undefined;
  private awaitingMove = false;
  private filterTimer: number | undefined;

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    const saved = savedState();
    const restored = readPanelState(saved);
    if (restored) {
      this.tab = restored.tab;
      this.expression = restored.expression;
      this.speed = restored.speed;
    }
    onHostMessage((message) => this.onMessage(message));
    document.addEventListener('keydown', this.onKeyDown);
    document.addEventListener('securitypolicyviolation', (e) =>
      this.send({ type: 'cspViolation', directive: e.violatedDirective, blocked: e.blockedURI || e.sample || '' }),
    );
    window.addEventListener('error', (e) => this.send({ type: 'pageError', message: e.message }));
    window.addEventListener('unhandledrejection', (e) => this.send({ type: 'pageError', message: String(e.reason) }));
    this.send({ type: 'ready' });
  }

  private send(message: WebviewMessage): void {
    post(message);
  }

  private get timelineEl(): EventTimeline | null {
    return this.querySelector('es-timeline');
  }

  // -------------------------------------------------------------------------------------------
  // Host messages.

  private onMessage(message: HostMessage): void {
    switch (message.type) {
      case 'init':
        this.target = message.target;
        this.projectionLabel = message.projectionLabel;
        this.sourceLabel = message.sourceLabel;
        this.trusted = message.trusted;
        this.breakpoints = message.breakpoints;
        this.filterText = message.filter;
        this.cursor = { index: message.cursor, row: -1 };
        this.persist();
        break;
      case 'progress':
        this.phase = 'opening';
        this.progress = message.steps;
        this.rerunning = message.rerun;
        break;
      case 'untrusted':
        this.phase = 'untrusted';
        this.untrustedMessage = message.message;
        break;
      case 'failed':
        this.phase = 'failed';
        this.failedMessage = message.message;
        this.pause();
        break;
      case 'summary':
        this.phase = 'open';
        this.summary = message.summary;
        this.errorMarks = new Map(message.summary.errors.map((m) => [m.index, m.message]));
        this.failureMarks = new Map(message.summary.failures.map((m) => [m.index, m.message]));
        this.foundMarks = new Map();
        this.marksVersion++;
        break;
      case 'timeline':
        this.timeline = { total: message.total, filter: message.filter, filtering: message.filtering, version: message.version };
        break;
      case 'rows':
        this.timelineEl?.addRows(message.from, message.rows, message.version);
        return;
      case 'cursor':
        this.onCursor(message.cursor, message.atEnd === true);
        break;
      case 'step':
        this.step = parseStep(message.step);
        this.cursor = { index: message.step.index, row: message.step.row };
        this.persist();
        this.checkPlayStop();
        break;
      case 'hits':
        this.hits = message.hits;
        this.hitSet = new Set(message.hits);
        this.problems = message.problems;
        this.hitsTruncated = message.truncated;
        this.marksVersion++;
        break;
      case 'found':
        if (message.mark) this.foundMarks.set(message.mark.index, message.mark.message);
        this.marksVersion++;
        break;
      case 'notice':
        this.notice = { level: message.level, message: message.message };
        break;
      case 'busy':
        this.busy = message.what;
        break;
    }
    this.requestUpdate();
  }

  private onCursor(cursor: CursorView, atEnd: boolean): void {
    this.cursor = cursor;
    this.persist();
    if (this.playing) {
      this.awaitingMove = false;
      // The end, or a step already known to need attention (the step's record may come later, or not
      // at all when playing fast: the host sends only the latest). A cursor that did not move for
      // another reason (an earlier click answered late) does not stop playing.
      if (atEnd || this.markOf(cursor.index)) this.pause();
    }
  }

  private persist(): void {
    if (!this.target) return;
    const step = this.step?.view;
    const state: PanelState = {
      version: 1,
      target: this.target,
      cursor: this.cursor.index,
      ...(step && step.index === this.cursor.index
        ? { cursorEvent: { streamId: step.event.streamId, revision: step.event.revision, position: step.event.position } }
        : {}),
      tab: this.tab,
      filter: this.filterText,
      breakpoints: this.breakpoints,
      expression: this.expression,
      speed: this.speed,
    };
    saveState(state);
  }

  // -------------------------------------------------------------------------------------------
  // Moving.

  private move(to: StepMove): void {
    if (this.phase !== 'open') return;
    this.send({ type: 'step', to });
  }

  private select(index: number): void {
    if (this.phase !== 'open') return;
    this.send({ type: 'select', index });
  }

  private togglePlay(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  private play(): void {
    if (this.phase !== 'open' || !this.summary?.steps) return;
    this.playing = true;
    this.awaitingMove = false;
    this.playTimer = window.setInterval(() => {
      if (this.awaitingMove) return;
      this.awaitingMove = true;
      this.move('forward');
    }, 1000 / this.speed);
    this.requestUpdate();
  }

  private pause(): void {
    if (this.playTimer !== undefined) window.clearInterval(this.playTimer);
    this.playTimer = undefined;
    this.playing = false;
    this.requestUpdate();
  }

  /** Playing stops at a breakpoint hit, a handler error or an invariant failure. */
  private checkPlayStop(): void {
    if (!this.playing || !this.step) return;
    const i = this.step.view.index;
    if (this.hitSet.has(i) || this.step.view.error !== undefined || this.step.view.invariantFailure !== undefined) this.pause();
  }

  private setSpeed(speed: number): void {
    this.speed = speed;
    this.persist();
    if (this.playing) {
      this.pause();
      this.play();
    }
  }

  private runToHit(direction: 'forward' | 'backward'): void {
    if (this.phase !== 'open') return;
    this.send({ type: 'runToBreakpoint', direction });
  }

  private findFailure(from: 'start' | 'next'): void {
    if (this.phase !== 'open') return;
    const expression = this.expression.trim();
    this.send({ type: 'findFailure', from, ...(expression ? { expression } : {}) });
  }

  private setBreakpoints(breakpoints: BreakpointSpec[]): void {
    this.breakpoints = breakpoints;
    this.persist();
    this.send({ type: 'setBreakpoints', breakpoints });
    this.requestUpdate();
  }

  private addBreakpoint(): void {
    const b = breakpointFrom(this.breakpointText);
    if (!b) return;
    if (!this.breakpoints.some((x) => describeBreakpoint(x) === describeBreakpoint(b))) this.setBreakpoints([...this.breakpoints, b]);
    this.breakpointText = '';
    this.requestUpdate();
  }

  /** Adds (or removes) a breakpoint on the current event's type. */
  private toggleTypeBreakpoint(): void {
    const type = this.step?.view.event.type;
    if (!type) return;
    const name = qualifiedName(type);
    const existing = this.breakpoints.find((b) => b.kind === 'type' && b.type === name);
    this.setBreakpoints(existing ? this.breakpoints.filter((b) => b !== existing) : [...this.breakpoints, { kind: 'type', type: name }]);
  }

  private setFilter(text: string): void {
    this.filterText = text;
    this.persist();
    window.clearTimeout(this.filterTimer);
    this.filterTimer = window.setTimeout(() => this.send({ type: 'filter', text }), 250);
  }

  private setTab(tab: TabId): void {
    this.tab = tab;
    this.persist();
    this.requestUpdate();
  }

  private onKeyDown = (e: KeyboardEvent): void => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const path = e.composedPath().filter((n): n is HTMLElement => n instanceof HTMLElement);
    const tags = new Set(path.map((n) => n.tagName));
    if (tags.has('INPUT') || tags.has('TEXTAREA') || tags.has('SELECT') || tags.has('VSCODE-TEXTFIELD')) {
      if (e.key === 'Escape') {
        (path.find((n) => n.tagName === 'VSCODE-TEXTFIELD') ?? path[0])?.blur();
        this.timelineEl?.focusList();
        e.preventDefault();
        e.stopPropagation();
      }
      return;
    }
    const onButton = tags.has('BUTTON') || tags.has('VSCODE-BUTTON');
    const onTab = tags.has('VSCODE-TAB-HEADER');
    let handled = true;
    switch (e.key) {
      case 'ArrowDown':
      case 'j':
        this.move('forward');
        break;
      case 'ArrowUp':
      case 'k':
        this.move('back');
        break;
      case 'ArrowRight':
      case 'l':
        if (onTab) handled = false;
        else this.move('forward');
        break;
      case 'ArrowLeft':
      case 'h':
        if (onTab) handled = false;
        else this.move('back');
        break;
      case 'Home':
      case 'g':
        this.move('first');
        break;
      case 'End':
      case 'G':
        this.move('last');
        break;
      case ' ':
        if (onButton || onTab) handled = false;
        else this.togglePlay();
        break;
      case 'F5':
        this.runToHit(e.shiftKey ? 'backward' : 'forward');
        break;
      case 'n':
        this.runToHit('forward');
        break;
      case 'N':
        this.runToHit('backward');
        break;
      case 'b':
      case 'F9':
        this.toggleTypeBreakpoint();
        break;
      case 'f':
        this.findFailure('start');
        break;
      case '/':
        (this.querySelector('#filter') as HTMLElement | null)?.focus();
        break;
      case '1':
      case '2':
      case '3':
      case '4':
        this.setTab(TAB_IDS[Number(e.key) - 1]);
        break;
      default:
        handled = false;
    }
    if (handled) {
      // Keep VS Code from acting on the same key (F5 would start debugging).
      e.preventDefault();
      e.stopPropagation();
    }
  };

  // -------------------------------------------------------------------------------------------
  // Rendering.

  private markOf = (index: number): { kind: MarkKind; title: string } | undefined => {
    const error = this.errorMarks.get(index);
    const failure = this.failureMarks.get(index);
    const found = this.foundMarks.get(index);
    const hit = this.hitSet.has(index);
    const titles = [
      error && `Handler error: ${error}`,
      failure && `Invariant fails: ${failure}`,
      found && `Found: ${found}`,
      hit && 'Breakpoint hit',
    ].filter(Boolean);
    const kind: MarkKind | undefined = error ? 'error' : failure ? 'failure' : found ? 'found' : hit ? 'hit' : undefined;
    return kind ? { kind, title: titles.join('\n') } : undefined;
  };

  protected override render(): TemplateResult {
    return html`${this.renderHeader()} ${this.renderBanners()} ${this.renderToolbar()} ${this.renderTools()}
      <div class="main">
        <div class="left">
          <div class="filter-row">
            <vscode-textfield
              id="filter"
              placeholder="Filter the timeline: event type, stream id or label ( / )"
              aria-label="Filter the timeline by event type, stream id or stream label"
              .value=${live(this.filterText)}
              @input=${(e: Event) => this.setFilter((e.target as HTMLInputElement).value)}
            ></vscode-textfield>
            <span class="muted" id="filter-count">${this.filterCount()}</span>
          </div>
          <es-timeline
            .total=${this.phase === 'open' ? this.timeline.total : 0}
            .version=${this.timeline.version}
            .selectedRow=${this.cursor.row}
            .selectedIndex=${this.cursor.index}
            .marksVersion=${this.marksVersion}
            .filtered=${this.timeline.filter !== ''}
            .marks=${this.markOf}
            .requestRows=${(from: number, n: number, version: number) => this.send({ type: 'requestRows', from, count: n, version })}
            .selectIndex=${(index: number) => this.select(index)}
          ></es-timeline>
        </div>
        <div class="right">${this.renderTabs()}</div>
      </div>`;
  }

  private filterCount(): string {
    if (this.phase !== 'open' || !this.summary) return '';
    if (!this.timeline.filter) return plural(this.summary.steps, 'event');
    return `${count(this.timeline.total)} of ${count(this.summary.steps)}${this.timeline.filtering ? ' (filtering…)' : ''}`;
  }

  private renderHeader(): TemplateResult {
    const s = this.summary;
    const kind = s?.projection.kind;
    const name = s ? (kind === 'generic' ? 'Generic (built-in)' : s.projection.name) : this.projectionLabel;
    const kindLabel =
      kind === 'generic'
        ? 'built-in · fields merged per stream, events counted by type'
        : kind === 'kurrentdb'
          ? 'KurrentDB script'
          : kind === 'module'
            ? 'module'
            : '';
    const isFile = this.target?.projection.kind === 'file';
    return html`<div class="top">
      <div class="title">
        <span class="projection-name" id="projection-name">${name}</span>
        ${kindLabel ? html`<span class=${classMap({ kind: true, generic: kind === 'generic' })} id="projection-kind">${kindLabel}</span>` : nothing}
        <span class="muted">over</span>
        <span id="source-label">${s?.source ?? this.sourceLabel}</span>
        ${
          s
            ? html`<span class="muted" id="summary-line"
                >${plural(s.steps, 'step')} · replayed in ${Math.round(s.elapsedMs)}
                ms${s.errors.length ? ` · ${plural(s.errors.length, 'handler error')}` : ''}${
                  s.failures.length ? ` · invariant fails at ${plural(s.failures.length, 'step')}` : ''
                }${s.marksTruncated ? ' (the first ones are marked)' : ''}</span
              >`
            : nothing
        }
      </div>
      <div class="actions">
        ${
          isFile
            ? html`<button
                  class="ib"
                  title="Open the projection file"
                  aria-label="Open the projection file"
                  @click=${() => this.send({ type: 'openProjection' })}
                >
                  ${icons.file}
                </button>
                <button
                  class="ib"
                  title="Re-run (also happens when you save the projection)"
                  aria-label="Re-run the replay"
                  @click=${() => this.send({ type: 'rerun' })}
                >
                  ${icons.rerun}
                </button>`
            : nothing
        }
        <button
          class="ib"
          id="export-state"
          title="Export the state at this step as JSON"
          ?disabled=${this.phase !== 'open'}
          @click=${() => this.send({ type: 'exportState' })}
        >
          ${icons.export}<span class="label">State</span>
        </button>
        <button
          class="ib"
          id="export-session"
          title="Export the session (events, states, diffs) as JSON"
          ?disabled=${this.phase !== 'open'}
          @click=${() => this.send({ type: 'exportSession' })}
        >
          ${icons.export}<span class="label">Session</span>
        </button>
      </div>
    </div>`;
  }

  private banner(
    level: NoticeLevel,
    body: TemplateResult | string,
    id: string,
    extra: TemplateResult | typeof nothing = nothing,
  ): TemplateResult {
    return html`<div class=${classMap({ banner: true, [level]: true })} id=${id} role=${level === 'info' ? 'status' : 'alert'}>
      <span class="text">${body}</span>${extra}
    </div>`;
  }

  private goTo(mark: Mark, label = 'Go to step'): TemplateResult {
    return html`<vscode-button secondary @click=${() => this.select(mark.index)}>${label} ${mark.index + 1}</vscode-button>`;
  }

  private renderBanners(): TemplateResult {
    const s = this.summary;
    const parts: TemplateResult[] = [];
    if (this.phase === 'waiting')
      parts.push(
        this.banner('info', html`<span class="progress"><vscode-progress-ring></vscode-progress-ring> Starting…</span>`, 'progress-banner'),
      );
    if (this.phase === 'opening') {
      parts.push(
        this.banner(
          'info',
          html`<span class="progress"
            ><vscode-progress-ring></vscode-progress-ring> ${this.rerunning ? 'Re-running' : 'Replaying'}…
            ${plural(this.progress, 'step')}</span
          >`,
          'progress-banner',
        ),
      );
    }
    if (this.phase === 'untrusted') {
      parts.push(
        this.banner(
          'warning',
          this.untrustedMessage,
          'untrusted-banner',
          html`<vscode-button id="manage-trust" @click=${() => this.send({ type: 'manageTrust' })}>Manage Workspace Trust</vscode-button>`,
        ),
      );
    } else if (!this.trusted && this.target?.projection.kind === 'generic') {
      parts.push(
        this.banner(
          'info',
          'Restricted Mode: the built-in generic projection runs (it is Eventscope’s own code); projection files from this workspace need it trusted.',
          'restricted-banner',
        ),
      );
    }
    if (this.phase === 'failed') {
      parts.push(
        this.banner(
          'error',
          this.failedMessage,
          'failed-banner',
          html`<vscode-button secondary @click=${() => this.send({ type: 'showLog' })}>Show Log</vscode-button>
            <vscode-button @click=${() => this.send({ type: 'rerun' })}>Try Again</vscode-button>`,
        ),
      );
    }
    if (this.phase === 'open' && s) {
      if (s.stopped) parts.push(this.banner('warning', s.stopped, 'stopped-banner'));
      if (s.firstFailure) {
        const isError = s.errors[0]?.index === s.firstFailure.index;
        parts.push(
          this.banner(
            'error',
            `${isError ? 'A handler first throws' : 'The invariant first fails'} at step ${s.firstFailure.index + 1}: ${s.firstFailure.message}`,
            'failure-banner',
            this.goTo(s.firstFailure),
          ),
        );
      }
      if (s.steps === 0) parts.push(this.banner('info', 'There are no events to replay.', 'empty-banner'));
    }
    if (this.notice) {
      const n = this.notice;
      parts.push(
        this.banner(
          n.level,
          n.message,
          'notice-banner',
          html`<button
            class="ib dismiss"
            title="Dismiss"
            aria-label="Dismiss"
            @click=${() => ((this.notice = undefined), this.requestUpdate())}
          >
            ${icons.close}
          </button>`,
        ),
      );
    }
    if (this.busy)
      parts.push(
        this.banner('info', html`<span class="progress"><vscode-progress-ring></vscode-progress-ring> ${this.busy}</span>`, 'busy-banner'),
      );
    return html`<div class="banners" aria-live="polite">${parts}</div>`;
  }

  private renderToolbar(): TemplateResult {
    const steps = this.summary?.steps ?? 0;
    const open = this.phase === 'open' && steps > 0;
    const index = this.cursor.index;
    const button = (id: string, label: string, keys: string, icon: TemplateResult, action: () => void, disabled = !open) =>
      html`<button
        class="ib"
        id=${id}
        title=${`${label} (${keys})`}
        aria-label=${label}
        aria-keyshortcuts=${keys}
        ?disabled=${disabled}
        @click=${action}
      >
        ${icon}
      </button>`;
    return html`<div class="toolbar" role="toolbar" aria-label="Stepping">
      ${button('first', 'First step', 'Home', icons.first, () => this.move('first'))}
      ${button('back', 'Previous step', 'ArrowUp k', icons.back, () => this.move('back'))}
      <button
        class=${classMap({ ib: true, pressed: this.playing })}
        id="play"
        title=${`${this.playing ? 'Pause' : 'Play'} (Space)`}
        aria-label=${this.playing ? 'Pause' : 'Play'}
        aria-pressed=${this.playing ? 'true' : 'false'}
        ?disabled=${!open}
        @click=${() => this.togglePlay()}
      >
        ${this.playing ? icons.pause : icons.play}
      </button>
      ${button('forward', 'Next step', 'ArrowDown j', icons.forward, () => this.move('forward'))}
      ${button('last', 'Last step', 'End', icons.last, () => this.move('last'))}
      <select
        class="speed"
        aria-label="Playing speed"
        title="Steps per second while playing"
        @change=${(e: Event) => this.setSpeed(Number((e.target as HTMLSelectElement).value))}
      >
        ${SPEEDS.map((s) => html`<option value=${s} ?selected=${s === this.speed}>${s}/s</option>`)}
      </select>
      <span class="sep"></span>
      ${button('previous-hit', 'Run back to the previous breakpoint hit', 'Shift+F5 N', icons.previousHit, () => this.runToHit('backward'), !open || !this.breakpoints.length)}
      ${button('next-hit', 'Run to the next breakpoint hit', 'F5 n', icons.nextHit, () => this.runToHit('forward'), !open || !this.breakpoints.length)}
      <div class="slider-wrap">
        <input
          class="slider"
          id="slider"
          type="range"
          min="0"
          max=${Math.max(0, steps - 1)}
          .value=${live(String(index))}
          ?disabled=${!open}
          aria-label="Step"
          aria-valuetext=${`Step ${index + 1} of ${steps}`}
          @input=${(e: Event) => this.select(Number((e.target as HTMLInputElement).value))}
        />
        ${this.renderStrip(steps)}
      </div>
      <span class="counter" id="step-counter" aria-live="polite">${open ? `Step ${count(index + 1)} of ${count(steps)}` : 'No step'}</span>
      <span class="keys-help" tabindex="0" title=${KEYS_HELP} aria-label=${`Keyboard shortcuts: ${KEYS_HELP}`}>Keys</span>
    </div>`;
  }

  /** Ticks above the slider where errors, failures and hits are (at most a few hundred). */
  private renderStrip(steps: number): TemplateResult | typeof nothing {
    if (steps < 2) return nothing;
    const ticks = new Map<number, MarkKind>();
    const add = (indexes: Iterable<number>, kind: MarkKind) => {
      for (const i of indexes) {
        const pct = Math.round((i / (steps - 1)) * 400);
        if (!ticks.has(pct)) ticks.set(pct, kind);
      }
    };
    add(this.errorMarks.keys(), 'error');
    add(this.failureMarks.keys(), 'failure');
    add(this.foundMarks.keys(), 'found');
    add(this.hits, 'hit');
    return html`<div class="strip" aria-hidden="true">
      ${[...ticks].map(([pct, kind]) => html`<span class=${`tick ${kind}`} ${styleProps({ left: `calc(${pct / 4}% - 1px)` })}></span>`)}
    </div>`;
  }

  private renderTools(): TemplateResult {
    const open = this.phase === 'open';
    const s = this.summary;
    const invariantHint = s?.hasInvariant
      ? 'Empty: the projection’s invariant. Or an expression over state, event, before that must stay true'
      : 'An expression over state, event, before that must stay true (this projection has no invariant)';
    return html`<div class="tools">
      <div class="tool">
        <vscode-textfield
          id="expression"
          placeholder=${invariantHint}
          aria-label="Invariant expression for Find first failure"
          title=${invariantHint}
          .value=${live(this.expression)}
          @input=${(e: Event) => {
            this.expression = (e.target as HTMLInputElement).value;
            this.persist();
          }}
          @keydown=${(e: KeyboardEvent) => e.key === 'Enter' && this.findFailure('start')}
        ></vscode-textfield>
        <vscode-button
          id="find-failure"
          ?disabled=${!open}
          title="Find the first step that breaks the invariant (f)"
          @click=${() => this.findFailure('start')}
        >
          Find first failure
        </vscode-button>
        <vscode-button
          secondary
          id="find-next"
          ?disabled=${!open}
          title="The next failing step after this one"
          @click=${() => this.findFailure('next')}
          >Next</vscode-button
        >
      </div>
      <div class="tool">
        <vscode-textfield
          id="breakpoint-input"
          placeholder="Breakpoint: an event type (Debited) or a condition (state.count > 3)"
          aria-label="New breakpoint: an event type or a condition"
          .value=${live(this.breakpointText)}
          @input=${(e: Event) => (this.breakpointText = (e.target as HTMLInputElement).value)}
          @keydown=${(e: KeyboardEvent) => e.key === 'Enter' && this.addBreakpoint()}
        ></vscode-textfield>
        <vscode-button secondary id="add-breakpoint" ?disabled=${!open} @click=${() => this.addBreakpoint()}>Add breakpoint</vscode-button>
        ${
          this.breakpoints.length
            ? html`<span class="muted" id="hit-count">${plural(this.hits.length, 'hit')}${this.hitsTruncated ? '+' : ''}</span>`
            : nothing
        }
        ${
          this.breakpoints.length
            ? html`<div class="chips">
                ${this.breakpoints.map(
                  (b) =>
                    html`<span class="chip"
                      ><span class="bp">${icons.breakpoint}</span>${describeBreakpoint(b)}<button
                        class="ib"
                        title="Remove this breakpoint"
                        aria-label=${`Remove the breakpoint ${describeBreakpoint(b)}`}
                        @click=${() => this.setBreakpoints(this.breakpoints.filter((x) => x !== b))}
                      >
                        ${icons.close}
                      </button></span
                    >`,
                )}
              </div>`
            : nothing
        }
        ${this.problems.map((p) => html`<div class="problem">${p}</div>`)}
      </div>
    </div>`;
  }

  private renderTabs(): TemplateResult {
    const step = this.step;
    const tabIndex = TAB_IDS.indexOf(this.tab);
    const changes = step?.changes.length ?? 0;
    const outputs = step ? step.output.emitted.length + step.output.logs.length + (step.view.error ? 1 : 0) : 0;
    return html`<vscode-tabs
      selected-index=${tabIndex}
      @vsc-tabs-select=${(e: CustomEvent<{ selectedIndex: number }>) => this.setTab(TAB_IDS[e.detail.selectedIndex] ?? 'state')}
    >
      <vscode-tab-header data-tab="state">State</vscode-tab-header>
      <vscode-tab-header data-tab="diff">Diff${step ? ` (${changes})` : ''}</vscode-tab-header>
      <vscode-tab-header data-tab="event">Event</vscode-tab-header>
      <vscode-tab-header data-tab="output">Output${outputs ? ` (${outputs})` : ''}</vscode-tab-header>
      <vscode-tab-panel data-panel="state"><div class="tab-body">${this.renderState(step)}</div></vscode-tab-panel>
      <vscode-tab-panel data-panel="diff"><div class="tab-body">${this.renderDiff(step)}</div></vscode-tab-panel>
      <vscode-tab-panel data-panel="event"><div class="tab-body">${this.renderEvent(step)}</div></vscode-tab-panel>
      <vscode-tab-panel data-panel="output"><div class="tab-body">${this.renderOutput(step)}</div></vscode-tab-panel>
    </vscode-tabs>`;
  }

  private stepHeading(step: ParsedStep): TemplateResult {
    const e = step.view.event;
    const stream = e.label === undefined ? e.streamId : `${e.label} (${e.streamId})`;
    return html`<div class="muted step-heading">
      Step ${count(step.view.index + 1)}: ${qualifiedName(e.type)} · stream ${stream} · revision ${e.revision}
    </div>`;
  }

  private rawToggle(): TemplateResult {
    return html`<label class="muted"
      ><input
        type="checkbox"
        .checked=${this.raw}
        @change=${(e: Event) => ((this.raw = (e.target as HTMLInputElement).checked), this.requestUpdate())}
      />
      Raw JSON</label
    >`;
  }

  private noStep(): TemplateResult {
    const text =
      this.phase === 'open'
        ? this.summary?.steps
          ? 'Loading the step…'
          : 'There are no events to replay.'
        : this.phase === 'failed'
          ? 'The replay did not run.'
          : this.phase === 'untrusted'
            ? 'The projection does not run in an untrusted workspace.'
            : 'Replaying…';
    return html`<div class="empty">${text}</div>`;
  }

  private renderState(step: ParsedStep | undefined): TemplateResult {
    if (!step) return this.noStep();
    const view = step.view;
    const tools = html`${this.stepHeading(step)}
      <div class="tab-tools">
        <span class="muted">${this.rawToggle()}</span>
        <button class="ib" title="Expand all" @click=${() => this.querySelector<JsonTree>('#state-tree')?.expandAll()}>Expand all</button>
        <button class="ib" title="Collapse all" @click=${() => this.querySelector<JsonTree>('#state-tree')?.collapseAll()}>
          Collapse all
        </button>
      </div>`;
    if (view.stateAfter === undefined) {
      return html`${tools}
        <div class="empty">
          The state after this step is ${count(Math.round(view.stateSize / 1024))} KB of JSON, too large to show here: use Export State.
        </div>`;
    }
    if (step.stateProblem)
      return html`${tools}
        <div class="error-text">The state could not be read: ${step.stateProblem}</div>`;
    return html`${tools}
      <div class="jt-changed-note">State after this event${step.changes.length ? '; what it changed is highlighted' : ''}.</div>
      ${
        this.raw
          ? html`<pre class="raw mono" id="state-raw">${view.stateAfter}</pre>`
          : html`<es-json-tree id="state-tree" label="state" .value=${step.state} .highlights=${step.highlights}></es-json-tree>`
      }`;
  }

  private renderDiff(step: ParsedStep | undefined): TemplateResult {
    if (!step) return this.noStep();
    const view = step.view;
    const head = html`${this.stepHeading(step)}
      <div class="tab-tools"><span class="muted">${this.rawToggle()}</span></div>`;
    const notes = html`${view.error ? html`<p class="error-text">The handler threw: ${view.error} (the state keeps what it changed before).</p>` : nothing}
    ${view.invariantFailure ? html`<p class="error-text" id="diff-invariant">The invariant fails after this event: ${view.invariantFailure}</p>` : nothing}`;
    if (this.raw)
      return html`${head}${notes}
        <pre class="raw mono" id="diff-raw">${jsonText(step.delta, 2)}</pre>`;
    if (!step.changes.length)
      return html`${head}${notes}
        <div class="empty" id="diff-empty">This event changed nothing in the state.</div>`;
    const kindLabel: Record<Change['kind'], string> = {
      added: '+ added',
      removed: '− removed',
      changed: '~ changed',
      moved: '↔ moved',
      text: '~ text',
    };
    return html`${head}${notes}
      <table class="diff" id="diff-table" aria-label="What this event changed">
        <tbody>
          ${step.changes.map(
            (c) =>
              html`<tr class=${c.kind}>
                <td class="what">${kindLabel[c.kind]}</td>
                <td class="path">${formatPath(c.path, 'state')}</td>
                <td class="values">${this.changeValues(c)}</td>
              </tr>`,
          )}
        </tbody>
      </table>`;
  }

  /** A value of the Diff: one line (short ones never wrap), the whole value in its tooltip. */
  private value(value: unknown, side: 'before' | 'after'): TemplateResult {
    const text = shortJson(value);
    return html`<span class=${classMap({ [side]: true, short: text.length <= 40 })} title=${jsonText(value, 2)}>${text}</span>`;
  }

  private changeValues(c: Change): TemplateResult {
    switch (c.kind) {
      case 'added':
        return this.value(c.after, 'after');
      case 'removed':
        return this.value(c.before, 'before');
      case 'changed':
        return html`${this.value(c.before, 'before')}<span class="arrow">→</span>${this.value(c.after, 'after')}`;
      case 'moved':
        return html`to index ${c.to}`;
      case 'text':
        return html`<span class="mono">${c.patch}</span>`;
    }
  }

  private renderEvent(step: ParsedStep | undefined): TemplateResult {
    if (!step) return this.noStep();
    const e = step.view.event;
    const dataKinds: Record<string, string> = step.view.kinds;
    return html`<dl class="fields" id="event-fields">
        <dt>Type</dt>
        <dd>${e.type}</dd>
        <dt>Stream</dt>
        <dd id="event-stream">
          ${e.label === undefined ? e.streamId : html`<span class="stream-label">${e.label}</span> <span class="muted mono">${e.streamId}</span>`}
        </dd>
        <dt>Revision</dt>
        <dd>${e.revision}</dd>
        <dt>Position</dt>
        <dd>${e.position}</dd>
        <dt>Time</dt>
        <dd title=${e.timestamp ?? ''}>${e.timestamp ? `${timeText(e.timestamp)} (${e.timestamp})` : '—'}</dd>
      </dl>
      <div class="tab-tools"><span class="muted">${this.rawToggle()}</span></div>
      ${
        this.raw
          ? html`<pre class="raw mono" id="event-raw">${step.view.eventJson}</pre>`
          : html`<h3>Data</h3>
              <es-json-tree id="event-data" label="data" .value=${step.event.data} .kinds=${dataKinds}></es-json-tree>
              <h3>Metadata</h3>
              <es-json-tree id="event-metadata" label="metadata" .value=${step.event.metadata}></es-json-tree>`
      }`;
  }

  private renderOutput(step: ParsedStep | undefined): TemplateResult {
    if (!step) return this.noStep();
    const { view, output } = step;
    return html`${this.stepHeading(step)}
      <dl class="fields">
        <dt>Handler time</dt>
        <dd>${view.elapsedMs < 1 ? '< 1 ms' : `${view.elapsedMs.toFixed(1)} ms`}</dd>
      </dl>
      ${
        view.error
          ? html`<h3>Error</h3>
              <p class="error-text" id="output-error">${view.error}</p>`
          : nothing
      }
      ${
        view.invariantFailure
          ? html`<h3>Invariant</h3>
              <p class="error-text" id="output-invariant">${view.invariantFailure}</p>`
          : nothing
      }
      <h3>Log (${output.logs.length})</h3>
      ${output.logs.length ? html`<pre class="logs mono" id="output-logs">${output.logs.join('\n')}</pre>` : html`<div class="muted">Nothing logged at this step (console.log and log() go here).</div>`}
      <h3>Emitted (${output.emitted.length})</h3>
      ${
        output.emitted.length
          ? output.emitted.map(
              (e) =>
                html`<div class="emitted">
                  <div>
                    <strong>${e.kind === 'link' ? 'linkTo' : e.kind === 'result' ? 'result' : 'emit'}</strong> ${e.type} → ${e.stream}
                  </div>
                  <es-json-tree label="data" .value=${e.data}></es-json-tree>
                  ${e.metadata !== undefined ? html`<es-json-tree label="metadata" .value=${e.metadata}></es-json-tree>` : nothing}
                </div>`,
            )
          : html`<div class="muted">No events emitted or linked at this step.</div>`
      }`;
  }
}

customElements.define('replay-app', ReplayApp);
