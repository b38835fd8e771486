/**
 * The panel's state: one object that `fold` builds from the host's messages (and the page's own
 * choices: tab, speed, expression, filter, playing), kept by `ReplayStore`. The store saves what a
 * reload needs with the webview state API and asks its host element to render, in one place.
 */

import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { parseExactJson } from '../../src/core/json/exact';
import { changedKeys, flattenDelta, type Change } from '../../src/shared/deltaPaths';
import {
  readPanelState,
  type Breakpoint,
  type CursorView,
  type HostMessage,
  type NoticeLevel,
  type ReplayTarget,
  type StepOutput,
  type StepView,
  type SummaryView,
  type TabId,
} from '../../src/shared/replayProtocol';
import { buildMarks, type Marks } from '../../src/shared/replayMarks';
import type { Highlights } from './jsonTree';
import { savedState, saveState } from './vscode';

export type Phase = 'waiting' | 'untrusted' | 'opening' | 'open' | 'failed';

export interface ParsedStep {
  view: StepView;
  state: unknown;
  stateProblem?: string;
  delta: unknown;
  changes: Change[];
  highlights: Highlights;
  event: { data?: unknown; metadata?: unknown };
  output: StepOutput;
}

export interface ReplayState {
  phase: Phase;
  target: ReplayTarget | undefined;
  projectionLabel: string;
  sourceLabel: string;
  trusted: boolean;
  progress: number;
  rerunning: boolean;
  untrustedMessage: string;
  failedMessage: string;
  summary: SummaryView | undefined;
  timeline: { total: number; filter: string; filtering: boolean; version: number };
  cursor: CursorView;
  step: ParsedStep | undefined;
  hits: number[];
  hitSet: ReadonlySet<number>;
  hitsTruncated: boolean;
  problems: string[];
  errorMarks: ReadonlyMap<number, string>;
  /** Where the invariant breaks (not every step after which it fails). */
  breakMarks: ReadonlyMap<number, string>;
  foundMarks: ReadonlyMap<number, string>;
  /** The steps that need attention, built again whenever a kind of them changes. */
  marks: Marks;
  notice: { level: NoticeLevel; message: string } | undefined;
  busy: string | undefined;
  breakpoints: Breakpoint[];
  tab: TabId;
  expression: string;
  speed: number;
  filterText: string;
  playing: boolean;
}

const INITIAL: ReplayState = {
  phase: 'waiting',
  target: undefined,
  projectionLabel: '',
  sourceLabel: '',
  trusted: true,
  progress: 0,
  rerunning: false,
  untrustedMessage: '',
  failedMessage: '',
  summary: undefined,
  timeline: { total: 0, filter: '', filtering: false, version: -1 },
  cursor: { index: 0, row: -1 },
  step: undefined,
  hits: [],
  hitSet: new Set(),
  hitsTruncated: false,
  problems: [],
  errorMarks: new Map(),
  breakMarks: new Map(),
  foundMarks: new Map(),
  marks: { byIndex: new Map(), steps: [] },
  notice: undefined,
  busy: undefined,
  breakpoints: [],
  tab: 'state',
  expression: '',
  speed: 5,
  filterText: '',
  playing: false,
};

/** Changes to these are saved for a reload. */
const PERSISTED: readonly (keyof ReplayState)[] = ['target', 'cursor', 'step', 'tab', 'filterText', 'breakpoints', 'expression', 'speed'];

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

/** The marks of a state whose errors, breaks, found steps or hits are `patch`'s (the rest as they are). */
function withMarks(s: ReplayState, patch: Partial<ReplayState>): Partial<ReplayState> {
  const { errorMarks: errors, breakMarks: breaks, foundMarks: found, hits, hitSet } = { ...s, ...patch };
  return { ...patch, marks: buildMarks({ errors, breaks, found, hits, hitSet }) };
}

/** What a host message changes in the state (`rows` go to the timeline, not here). */
export function fold(s: ReplayState, message: HostMessage): Partial<ReplayState> {
  switch (message.type) {
    case 'init':
      return {
        target: message.target,
        projectionLabel: message.projectionLabel,
        sourceLabel: message.sourceLabel,
        trusted: message.trusted,
        breakpoints: message.breakpoints,
        filterText: message.filter,
        cursor: { index: message.cursor, row: -1 },
      };
    case 'progress':
      return { phase: 'opening', progress: message.steps, rerunning: message.rerun };
    case 'untrusted':
      return { phase: 'untrusted', untrustedMessage: message.message };
    case 'failed':
      return { phase: 'failed', failedMessage: message.message };
    case 'summary':
      return withMarks(s, {
        phase: 'open',
        summary: message.summary,
        errorMarks: new Map(message.summary.errors.map((m) => [m.index, m.message])),
        breakMarks: new Map(message.summary.breaks.map((m) => [m.index, m.message])),
        foundMarks: new Map(),
      });
    case 'timeline':
      return { timeline: { total: message.total, filter: message.filter, filtering: message.filtering, version: message.version } };
    case 'rows':
      return {};
    case 'cursor':
      return { cursor: message.cursor };
    case 'step':
      return { step: parseStep(message.step), cursor: { index: message.step.index, row: message.step.row } };
    case 'hits':
      return withMarks(s, {
        hits: message.hits,
        hitSet: new Set(message.hits),
        problems: message.problems,
        hitsTruncated: message.truncated,
      });
    case 'found':
      return message.mark ? withMarks(s, { foundMarks: new Map(s.foundMarks).set(message.mark.index, message.mark.message) }) : {};
    case 'notice':
      return { notice: { level: message.level, message: message.message } };
    case 'busy':
      return { busy: message.what };
  }
}

/** Keeps the state for its host element: restores the saved choices, saves changes, renders the host. */
export class ReplayStore implements ReactiveController {
  state: ReplayState = INITIAL;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  /** The page opens again (a reload, or the panel shown again): the choices saved last time. */
  hostConnected(): void {
    const restored = readPanelState(savedState());
    if (restored) this.state = { ...this.state, tab: restored.tab, expression: restored.expression, speed: restored.speed };
  }

  apply(message: HostMessage): void {
    this.set(fold(this.state, message));
  }

  set(patch: Partial<ReplayState>): void {
    this.state = { ...this.state, ...patch };
    if (PERSISTED.some((key) => key in patch)) this.persist();
    this.host.requestUpdate();
  }

  private persist(): void {
    const { target, step, cursor } = this.state;
    if (!target) return;
    const view = step?.view;
    saveState({
      version: 1,
      target,
      cursor: cursor.index,
      ...(view && view.index === cursor.index
        ? { cursorEvent: { streamId: view.event.streamId, revision: view.event.revision, position: view.event.position } }
        : {}),
      tab: this.state.tab,
      filter: this.state.filterText,
      breakpoints: this.state.breakpoints,
      expression: this.state.expression,
      speed: this.state.speed,
    });
  }
}
