/**
 * The replay core's shared types and limits: what an engine is and produces, what a step record
 * holds, marks and breakpoints, and what a replay runs over. A leaf module (type imports only,
 * no Node): every other file of the projection core builds on it, and the replay panel's
 * protocol (src/shared/replayProtocol.ts) imports its types from here.
 */

import type { Delta } from 'jsondiffpatch';
import type { RecordedEvent, ValueKinds } from '../events';

/** How many marks (errors, invariant breaks, breakpoint hits) a replay keeps of each kind: the first ones. */
export const MARK_LIMIT = 10_000;

/** An event a projection emitted (`emit`), a link it made (`linkTo`), or a result it output. */
export interface EmittedEvent {
  kind: 'emit' | 'link' | 'result';
  /** The target stream (`$projections-<name>-result` style for results). */
  stream: string;
  type: string;
  data: unknown;
  metadata?: unknown;
}

/** What one step produced besides the state: emitted events and log lines. */
export interface StepOutput {
  emitted: EmittedEvent[];
  logs: string[];
}

export type EngineKind = 'module' | 'kurrentdb' | 'generic' | 'python';

/** A function of the user's projection and what to call it in a message ("the Debited handler"). */
export interface UserFunction {
  name: string;
  fn: unknown;
  /** The events it runs for: an event type key (a handler), `*` (every event), or none (at load). */
  on?: string;
}

/**
 * What a replay runs: a projection engine. Module projections (engines.ts), KurrentDB scripts
 * (kurrent.ts) and the built-in generic projection all present this one interface, so the
 * timeline, the worker, the CLI and the panel never ask which kind they drive.
 */
export interface ProjectionEngine {
  /** Shown to the user: the projection's `name`, the file name, or "Generic (built-in)". */
  readonly name: string;
  readonly kind: EngineKind;
  /** A fresh initial state. */
  init(): unknown;
  /** Whether the event takes part in the replay at all (KurrentDB's fromStream / fromCategory). */
  accepts(event: RecordedEvent): boolean;
  /**
   * Applies one event and returns the new state (handlers may mutate the one they get). Emits and
   * logs go to `output` when given (stepping), and are dropped when not (fast passes).
   */
  apply(state: unknown, event: RecordedEvent, output: StepOutput | undefined, index?: number): unknown;
  /** The failure message when the projection's invariant does not hold after this event. */
  invariant?(state: unknown, event: RecordedEvent): string | undefined;
  /**
   * The partition of the state an event is about, when the state is kept per partition (its stream
   * for KurrentDB's `foreachStream()`, the generic projection and Python aggregates; the user's
   * `partitionBy` function otherwise): invariant breaks are then found per partition (breaks.ts).
   * Undefined: the event belongs to no partition. Without it the state is one whole.
   */
  partitionOf?(event: RecordedEvent): string | undefined;
  /** What `partitionOf` gives: each event's stream, or the projection's own `partitionBy` key. */
  readonly partitioning?: Partitioning;
  /** The events of a page, before any of them is applied (an engine that applies in batches looks ahead). */
  lookahead?(events: readonly RecordedEvent[]): void;
  /** The user's view of a state the engine keeps in a form of its own (the Python engine's state texts). */
  present?(state: unknown): unknown;
  /**
   * The kinds of the exact values in a state as `present` shows it (JSON pointer -> kind, as an
   * event's `kinds`), for typed output: an engine that knows them (the Python engine decodes its
   * state texts) or can trace them (the generic one copies event data: `applied` visits the events
   * applied to reach the state, in order). Without it only what values say of themselves is known
   * (bigints, non-finite numbers).
   */
  stateKinds?(state: unknown, applied: (visit: (event: RecordedEvent) => void) => Promise<void>): ValueKinds | Promise<ValueKinds>;
  /**
   * Conditions in the engine's own language (Python expressions), used until the next call: each
   * test gives its verdict on an event just applied, or throws what the expression raised.
   */
  compileConditions?(expressions: string[]): ((event: RecordedEvent) => unknown)[];
  /** What runs the user's code, when it is not this process: "Python 3.11.7 (/usr/bin/python3), eventsourcing 9.2.22". */
  readonly runtime?: string;
  /** Ends what the engine started (the Python runner). */
  dispose?(): void;
  /**
   * The user's functions in a fixed order (see guard.ts `registerUserFunctions`), so that the one
   * a stuck or crashed step was in can be named with its source line.
   */
  readonly userFunctions: readonly UserFunction[];
}

/** Marks where user code runs, for the host's watchdog (see guard.ts); a no-op by default. */
export interface UserCodeGuard {
  enter(index: number): void;
  exit(): void;
}

export interface StepRecord {
  index: number;
  event: RecordedEvent;
  stateBefore: unknown;
  stateAfter: unknown;
  /** jsondiffpatch delta from stateBefore to stateAfter (undefined: nothing changed). */
  changes: Delta;
  /** The handler threw: its message (with the source line); the state keeps what it changed. */
  error?: string;
  /** The invariant fails after this event. */
  invariantFailure?: string;
  elapsedMs: number;
  output: StepOutput;
  /** The size of the state after, serialized (v8), when known. */
  stateBytes?: number;
  /** The states were left out (see the worker's `step` options): too big to send. */
  statesOmitted?: boolean;
  /** The label of the event's stream (see core/labels.ts), when it has one and the replay reads labels. */
  label?: string;
}

/** A step of a replay that needs attention: a handler error, an invariant failure, a hit. */
export interface Mark {
  index: number;
  message: string;
}

/** How a projection's state is partitioned for its invariant (see ProjectionEngine.partitionOf). */
export type Partitioning = 'stream' | 'custom';

/**
 * A step after which the invariant fails while it held before: before this step overall, or, when
 * the state is partitioned, at the previous step of the same partition (see breaks.ts).
 */
export interface Break extends Mark {
  /** The partition (a stream id, or the projection's `partitionBy` key) that broke, when partitioned. */
  partition?: string;
}

/** The breaks of an invariant over a whole replay: the first MARK_LIMIT, and how many steps fail. */
export interface BreakList {
  breaks: Break[];
  /** There are breaks past the last one listed. */
  truncated: boolean;
  /** How many steps the invariant fails after (breaks, and the steps that stay broken). */
  failingSteps: number;
}

/**
 * A breakpoint: on an event type (and, when given, a condition that must hold too), or a condition
 * over `state` (after the event), `event` and `before`.
 */
export type Breakpoint = { kind: 'type'; type: string; condition?: string } | { kind: 'condition'; expression: string };

/** Where a scan stops: before step `to`, or after `limit` hits (at most MARK_LIMIT). */
export interface ScanBounds {
  to?: number;
  limit?: number;
}

/** Where the breakpoints hit: the first MARK_LIMIT steps (or `limit`), and whether there are more. */
export interface ScanResult {
  hits: number[];
  /** There are hits past the last one listed (scan again from after it). */
  truncated: boolean;
  /** Conditions that do not compile or that threw, one sentence each. */
  problems: string[];
}

/** What to replay of a store; a stream's `label` (its name, see core/labels.ts) only names it. */
export type ReplayScope = { stream: string; label?: string } | { category: string } | { all: true };

/** How a replay runs through the user's own Python code (see core/python/engine.ts). */
export interface PythonChoice {
  kind: 'python';
  /** A Python projection module; without one each stream replays through its own aggregate class. */
  path?: string;
  /** The application class (`package.module:AppClass`) whose transcoder, compressor and cipher decode the events. */
  app?: string;
  /** Source roots for `sys.path` (the workspace folder and its `src/` by default, in the extension). */
  pythonPath?: string[];
  interpreter?: string;
  /** The application's environment (from its .env file and the process environment). */
  env?: Record<string, string>;
  /** A Python expression over `aggregate`, `state`, `event` and `before` that must hold after every event. */
  invariant?: string;
  /** Run the user's code under debugpy (core/python/runner.ts `PythonDebug`). */
  debug?: PythonDebug;
  /** Replay the application's policy (`app` is a ProcessApplication): the events it collects are each step's output. */
  policy?: boolean;
  /** A function (topic) that applies an event to an aggregate, for functional aggregates: `mutate(event, aggregate)`. */
  mutator?: string;
}

/**
 * How the Python runner meets a debugger (debugpy): it connects to one listening at host:port
 * (VS Code's Python debugger, attached with `listen`), or listens there itself for a client (any
 * DAP client), and waits until that client has set its breakpoints. `debugpyPath`: a folder to
 * import debugpy from (the Python Debugger extension's bundled copy) when the interpreter has none.
 */
export interface PythonDebug {
  mode: 'connect' | 'listen';
  host: string;
  port: number;
  debugpyPath?: string;
}

/**
 * The projection a replay runs: the built-in generic one, a file (JS/TS module or KurrentDB
 * script), or the user's Python code.
 */
export type ProjectionChoice = { kind: 'generic' } | { kind: 'file'; path: string } | PythonChoice;
