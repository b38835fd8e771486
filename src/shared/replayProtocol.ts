/**
 * The messages between the replay panel (webview/src, a browser) and its host (src/extension/replay),
 * declared once and imported by both sides. Everything here is JSON: VS Code's postMessage to a
 * webview is JSON-based, so states, events, deltas and step output travel as exact JSON text
 * (`stringifyExact` on the host, `parseExactJson` in the panel) and keep integers beyond 2^53.
 *
 * It is bundled for the browser as well as for Node: it imports only types, from files with no
 * Node imports (src/core/events.ts, src/core/projection/types.ts); the linter keeps it so. What a
 * replay runs over and with is the core's own types, not copies.
 */

import type { EventKey } from '../core/events';
import type {
  Break,
  Breakpoint,
  EmittedEvent,
  EngineKind,
  Mark,
  Partitioning,
  ProjectionChoice,
  ReplayScope,
  StepOutput,
} from '../core/projection/types';

export type { Break, Breakpoint, EmittedEvent, EngineKind, EventKey, Mark, Partitioning, ProjectionChoice, ReplayScope, StepOutput };

export const REPLAY_VIEW_TYPE = 'eventscope.replay';

/** Steps the "Export Session" command writes at most (the file says when it stops early). */
export const EXPORT_STEP_LIMIT = 10_000;

// ---------------------------------------------------------------------------------------------
// What a replay runs over and with (kept in the panel's state, so a reload can restore it).

export type SourceDescriptor =
  /** A connection of the Streams view, by name (its path and key are looked up when opening). */
  | { kind: 'connection'; connection: string; scope: ReplayScope }
  /** A `.events` file. */
  | { kind: 'eventsFile'; path: string };

export interface ReplayTarget {
  source: SourceDescriptor;
  projection: ProjectionChoice;
}

export type TabId = 'state' | 'diff' | 'event' | 'output';
export const TAB_IDS: readonly TabId[] = ['state', 'diff', 'event', 'output'];

/** What the panel keeps with `setState`: enough for the serializer to reopen it after a reload. */
export interface PanelState {
  version: 1;
  target: ReplayTarget;
  /** The selected step (0-based). */
  cursor: number;
  cursorEvent?: EventKey;
  tab: TabId;
  filter: string;
  breakpoints: Breakpoint[];
  /** The text of the "Find first failure" expression box. */
  expression: string;
  /** Steps per second while playing. */
  speed: number;
}

// ---------------------------------------------------------------------------------------------
// Host -> panel.

export interface SummaryView {
  steps: number;
  /** "all events of demo.sqlite", "stream 8b79… of demo.sqlite", "fixture.events". */
  source: string;
  projection: { name: string; kind: EngineKind; path?: string };
  hasInvariant: boolean;
  /** Handler errors of the first pass (the first ones, in order). */
  errors: Mark[];
  /** Where the projection's invariant breaks (the first ones, in order): the steps the timeline marks. */
  breaks: Break[];
  /** There are breaks past the last one listed. */
  breaksTruncated: boolean;
  /** How many steps the invariant fails after (breaks, and the steps that stay broken). */
  failingSteps: number;
  /** Breaks are per stream / per `partitionBy` partition. */
  partitioning?: Partitioning;
  /** True when there were more errors or breaks than the marks kept. */
  marksTruncated: boolean;
  firstFailure?: Mark;
  /** Why the replay ends before the source does (a step overran its time budget, the worker died). */
  stopped?: string;
  elapsedMs: number;
}

/** One line of the timeline. */
export interface TimelineRow {
  index: number;
  type: string;
  streamId: string;
  revision: number;
  position: number;
  timestamp: string | null;
  /** The stream's label ("Dana Whitfield"), when it has one. */
  label?: string;
}

/** Where the cursor is: its step, and its line in the (maybe filtered) timeline (-1: filtered out). */
export interface CursorView {
  index: number;
  row: number;
}

/** One step, as the tabs show it. JSON fields are exact JSON text. */
export interface StepView {
  index: number;
  row: number;
  event: TimelineRow;
  /** `{streamId, revision, position, type, timestamp, data, metadata}`, pretty-printed. */
  eventJson: string;
  /** The kinds of exact values in `data` by JSON pointer ("/amount": "decimal"). */
  kinds: Record<string, string>;
  /** The state after this event, pretty-printed; undefined when it is larger than `stateLimit`. */
  stateAfter?: string;
  /** The size (characters) of the state's JSON, for the "too large to show" note. */
  stateSize: number;
  /** The jsondiffpatch delta from the state before to the state after; "null" when nothing changed. */
  changes: string;
  error?: string;
  invariantFailure?: string;
  elapsedMs: number;
  /** `{emitted: [{kind, stream, type, data, metadata?}], logs: string[]}`. */
  output: string;
}

export type NoticeLevel = 'info' | 'warning' | 'error';

export type HostMessage =
  /** First message after `ready`: what this panel replays, and the settled parts of its state. */
  | {
      type: 'init';
      target: ReplayTarget;
      /** The projection as the user knows it before the replay runs ("bank-balances.js", "Generic (built-in)"). */
      projectionLabel: string;
      sourceLabel: string;
      trusted: boolean;
      filter: string;
      breakpoints: Breakpoint[];
      cursor: number;
    }
  /** The first pass (or a re-run) is under way: steps replayed so far. */
  | { type: 'progress'; steps: number; rerun: boolean }
  | { type: 'summary'; summary: SummaryView }
  /** Workspace Trust keeps the projection from running. */
  | { type: 'untrusted'; message: string }
  /** The replay could not open or re-run (one sentence; details in the log). */
  | { type: 'failed'; message: string }
  /** The timeline's length (after a filter) and the filter it shows. */
  | { type: 'timeline'; total: number; filter: string; filtering: boolean; version: number }
  | { type: 'rows'; from: number; rows: TimelineRow[]; version: number }
  /** `atEnd`: a step move found nowhere to go (a playing panel stops). */
  | { type: 'cursor'; cursor: CursorView; atEnd?: boolean }
  | { type: 'step'; step: StepView }
  | { type: 'hits'; hits: number[]; problems: string[]; truncated: boolean }
  /** A "Find first failure" / "Next" answer: the break or handler error (selected too), or none. */
  | { type: 'found'; mark?: Break; expression?: string; from: number }
  | { type: 'notice'; level: NoticeLevel; message: string }
  | { type: 'busy'; what?: string };

// ---------------------------------------------------------------------------------------------
// Panel -> host.

export type StepMove = 'first' | 'back' | 'forward' | 'last';

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'requestRows'; from: number; count: number; version: number }
  | { type: 'select'; index: number }
  /** Moves the cursor; with a filter, between the events the timeline shows. */
  | { type: 'step'; to: StepMove }
  | { type: 'setBreakpoints'; breakpoints: Breakpoint[] }
  | { type: 'runToBreakpoint'; direction: 'forward' | 'backward' }
  /** From the first step, or from the one after the cursor; the projection's invariant or `expression`. */
  | { type: 'findFailure'; expression?: string; from: 'start' | 'next' }
  | { type: 'filter'; text: string }
  | { type: 'exportSession' }
  | { type: 'exportState' }
  | { type: 'manageTrust' }
  | { type: 'showLog' }
  | { type: 'openProjection' }
  | { type: 'rerun' }
  /** The panel's page reported a Content-Security-Policy violation (logged; tests check there is none). */
  | { type: 'cspViolation'; directive: string; blocked: string }
  /** An uncaught error in the panel's page (logged). */
  | { type: 'pageError'; message: string };

// ---------------------------------------------------------------------------------------------
// Checking what arrives (the host does not take the webview's word for shapes).

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isString = (v: unknown): v is string => typeof v === 'string';

export function isBreakpoint(v: unknown): v is Breakpoint {
  if (!isObject(v)) return false;
  if (v.kind === 'type') return isString(v.type) && v.type.length > 0 && (v.condition === undefined || isString(v.condition));
  if (v.kind === 'condition') return isString(v.expression) && v.expression.length > 0;
  return false;
}

export function isScope(v: unknown): v is ReplayScope {
  if (!isObject(v)) return false;
  if ('stream' in v) return isString(v.stream) && (v.label === undefined || isString(v.label));
  if ('category' in v) return isString(v.category);
  return v.all === true;
}

export function isReplayTarget(v: unknown): v is ReplayTarget {
  if (!isObject(v) || !isObject(v.source) || !isObject(v.projection)) return false;
  const { source, projection } = v;
  const sourceOk =
    (source.kind === 'connection' && isString(source.connection) && isScope(source.scope)) ||
    (source.kind === 'eventsFile' && isString(source.path));
  const projectionOk =
    projection.kind === 'generic' ||
    (projection.kind === 'file' && isString(projection.path)) ||
    // A Python target names its projection file and source roots at most: the interpreter and the
    // application's settings come from the user's settings when it opens, never from a message.
    (projection.kind === 'python' &&
      Object.keys(projection).every((k) => ['kind', 'path', 'app', 'pythonPath', 'policy', 'mutator'].includes(k)) &&
      (projection.mutator === undefined || isString(projection.mutator)) &&
      (projection.policy === undefined || typeof projection.policy === 'boolean') &&
      (projection.path === undefined || isString(projection.path)) &&
      (projection.app === undefined || isString(projection.app)) &&
      (projection.pythonPath === undefined || (Array.isArray(projection.pythonPath) && projection.pythonPath.every(isString))));
  return sourceOk && projectionOk;
}

/** A restored panel state, checked field by field (unknown or malformed fields fall back). */
export function readPanelState(v: unknown): PanelState | undefined {
  if (!isObject(v) || !isReplayTarget(v.target)) return undefined;
  const key = v.cursorEvent;
  return {
    version: 1,
    target: v.target,
    cursor: isIndex(v.cursor) ? v.cursor : 0,
    ...(isObject(key) && isString(key.streamId) && isIndex(key.revision) && isIndex(key.position)
      ? { cursorEvent: { streamId: key.streamId, revision: key.revision, position: key.position } }
      : {}),
    tab: TAB_IDS.includes(v.tab as TabId) ? (v.tab as TabId) : 'state',
    filter: isString(v.filter) ? v.filter : '',
    breakpoints: Array.isArray(v.breakpoints) ? v.breakpoints.filter(isBreakpoint) : [],
    expression: isString(v.expression) ? v.expression : '',
    speed: typeof v.speed === 'number' && v.speed > 0 && v.speed <= 100 ? v.speed : 5,
  };
}

const MOVES: readonly StepMove[] = ['first', 'back', 'forward', 'last'];

export function isWebviewMessage(v: unknown): v is WebviewMessage {
  if (!isObject(v) || !isString(v.type)) return false;
  switch (v.type) {
    case 'ready':
    case 'exportSession':
    case 'exportState':
    case 'manageTrust':
    case 'showLog':
    case 'openProjection':
    case 'rerun':
      return true;
    case 'requestRows':
      return isIndex(v.from) && isIndex(v.count) && isIndex(v.version);
    case 'select':
      return isIndex(v.index);
    case 'step':
      return MOVES.includes(v.to as StepMove);
    case 'setBreakpoints':
      return Array.isArray(v.breakpoints) && v.breakpoints.every(isBreakpoint);
    case 'runToBreakpoint':
      return v.direction === 'forward' || v.direction === 'backward';
    case 'findFailure':
      return (v.expression === undefined || isString(v.expression)) && (v.from === 'start' || v.from === 'next');
    case 'filter':
      return isString(v.text);
    case 'cspViolation':
      return isString(v.directive) && isString(v.blocked);
    case 'pageError':
      return isString(v.message);
    default:
      return false;
  }
}
