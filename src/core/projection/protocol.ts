/**
 * The messages between a replay session (host, session.ts) and its worker (worker.ts);
 * structured-cloned. `WorkerOps` maps each operation to its arguments and its reply, so neither
 * side can pair an operation with the wrong reply type.
 */

import type { WireError } from '../errors';
import type { EventKey, RecordedEvent, ValueKinds } from '../events';
import type { LabelRules } from '../labels';
import type { ProjectionSpec, SourceRange } from './load';
import type { ReplaySourceSpec } from './source';
import type { Break, Breakpoint, BreakList, EngineKind, Mark, Partitioning, ScanBounds, ScanResult, StepRecord } from './types';

/** What a step record carries across to the host (states can be tens of MB). */
export interface StepOptions {
  /** Include the state before the step (default: no; `changes` says what changed). */
  before?: boolean;
  /** Leave both states out when the state after is bigger than this, serialized. */
  maxStateBytes?: number;
}

export interface OpenArgs {
  source: ReplaySourceSpec;
  projection: ProjectionSpec;
  /** Run the first pass over at most this many steps (after a step overran its time budget). */
  limit?: number;
  interval?: number;
  /** The `eventscope.streamLabels` rules the stream labels follow. */
  labelRules?: LabelRules;
  /** Typed expressions come from an agent: run them sealed (core/sealed.ts). */
  sealExpressions?: boolean;
}

/** What the first pass found. */
export interface OpenResult {
  steps: number;
  source: string;
  projection: { name: string; kind: EngineKind };
  /** What runs the user's code, when not the worker (see ProjectionEngine.runtime). */
  runtime?: string;
  hasInvariant: boolean;
  /** How the state is partitioned for its invariant: breaks are then per stream / partition. */
  partitioning?: Partitioning;
  /** The first MARK_LIMIT handler errors, in order. */
  errors: Mark[];
  /** Where the projection's own invariant breaks (core/projection/breaks.ts): the first MARK_LIMIT, in order. */
  breaks: Break[];
  /** How many steps the invariant fails after (breaks and the steps that stay broken). */
  failingSteps: number;
  /** Whether there were more errors / breaks than those listed. */
  truncated: { errors: boolean; breaks: boolean };
  elapsedMs: number;
  keyframeInterval: number;
  keyframes: number;
  /** The application transcodings the events hold, shown as stored (`custom:NAME` kinds), when there are any. */
  transcodings?: string[];
}

/** Each operation of the worker: what it is sent (`args`) and what it answers (`reply`). */
export interface WorkerOps {
  open: { args: OpenArgs; reply: OpenResult };
  events: { args: { from: number; count: number }; reply: RecordedEvent[] };
  step: { args: { index: number; options?: StepOptions }; reply: StepRecord };
  state: { args: { count: number }; reply: unknown };
  /** The state after `count` steps with the kinds of its exact values (JSON pointer -> kind). */
  typedState: { args: { count: number }; reply: { state: unknown; kinds: ValueKinds } };
  scan: { args: { breakpoints: Breakpoint[]; from?: number; bounds?: ScanBounds }; reply: ScanResult };
  filter: { args: { text: string }; reply: number[] };
  /** Stream id -> label, for those streams that have one. */
  labels: { args: { streamIds: string[] }; reply: Record<string, string> };
  locate: { args: { key: EventKey }; reply: number | undefined };
  /** The first break (or handler error) at or after `from`: of the projection's invariant, or `expression`. */
  find: { args: { from: number; expression?: string }; reply: Break | undefined };
  /** Every break of the projection's invariant, or of `expression` (the first MARK_LIMIT). */
  breaks: { args: { expression?: string }; reply: BreakList };
  /** The events of step `index`'s stream before it in the replay (at most `count`, oldest first), with their steps. */
  preceding: { args: { index: number; count: number }; reply: { index: number; event: RecordedEvent }[] };
  /** Names a step's event (and the user function `fn`, by its registered id) for an error message. */
  describe: { args: { index: number; fn?: number }; reply: { event: string; fn?: string } };
  /** A JavaScript expression over `state` (after step `index`), `event` and `previousState`. */
  evaluate: { args: { index: number; expression: string }; reply: Evaluation };
  /** The user functions step `index` runs, in order, and where they are. */
  calls: { args: { index: number }; reply: UserCall[] };
  /**
   * Runs steps `from`…`to - 1` live (live.ts: the debugger's breakpoints in user code pause in
   * them); the step after which it ended early (a breakpoint hit), if it did.
   */
  live: { args: { from: number; to: number; resetCounts?: boolean }; reply: number | undefined };
  /** Rebuilds the state before step `count` and keeps it (the floating keyframe), so a live run from there re-runs nothing. */
  seek: { args: { count: number }; reply: undefined };
  close: { args: Record<string, never>; reply: undefined };
}

export type WorkerOp = keyof WorkerOps;

/** What an expression gave: its value (structured-cloned; functions and symbols as their text) and its type. */
export interface Evaluation {
  value: unknown;
  type: string;
}

/** A user function: what to call it ("the Credited handler") and where it is, when known. */
export interface UserCall {
  name: string;
  /** The events it runs for: an event type key, `*` for every event, none at load. */
  on?: string;
  range?: SourceRange;
}

/** A request as sent: its operation, its id, and that operation's arguments. */
export type WorkerRequest<K extends WorkerOp = WorkerOp> = { [Op in K]: { op: Op; id: number } & WorkerOps[Op]['args'] }[K];

export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError } | { progress: number };
