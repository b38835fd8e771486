/**
 * What a replay runs: a projection engine. Module projections (docs/architecture.md), KurrentDB
 * scripts (kurrent.ts) and the built-in generic projection all present this one interface, so
 * the timeline, the worker, the CLI and the panel never ask which kind they drive.
 */

import { eventToJSON, type RecordedEvent } from '../events';
import { markCall, type UserFunction } from './guard';
import { applyEvent, checkInvariant, HandlerTable, type Projection } from './projection';

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

export type EngineKind = 'module' | 'kurrentdb' | 'generic';

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
  apply(state: unknown, event: RecordedEvent, output: StepOutput | undefined): unknown;
  /** The failure message when the projection's invariant does not hold after this event. */
  invariant?(state: unknown, event: RecordedEvent): string | undefined;
  /**
   * The user's functions in a fixed order (see guard.ts `registerUserFunctions`), so that the one
   * a stuck or crashed step was in can be named with its source line.
   */
  readonly userFunctions: readonly UserFunction[];
}

/** Where `console.log` and friends inside user code write while a step is being recorded. */
export const outputSink: { current: StepOutput | undefined } = { current: undefined };

/** A module projection (`export default { init, when, any, invariant }`). */
export function moduleEngine(projection: Projection, fallbackName: string): ProjectionEngine {
  const handlers = new HandlerTable(projection);
  return {
    name: typeof projection.name === 'string' && projection.name ? projection.name : fallbackName,
    kind: 'module',
    init: () => {
      markCall(projection.init);
      return projection.init?.() ?? {};
    },
    accepts: () => true,
    apply(state, event, output) {
      outputSink.current = output;
      try {
        return applyEvent(projection, handlers, state, event);
      } finally {
        outputSink.current = undefined;
      }
    },
    ...(projection.invariant ? { invariant: (state: unknown, event: RecordedEvent) => checkInvariant(projection, state, event) } : {}),
    userFunctions: [
      { name: 'init', fn: projection.init },
      ...Object.entries(projection.when ?? {}).map(([key, fn]) => ({ name: `the ${key} handler`, fn })),
      { name: 'any', fn: projection.any },
      { name: 'the invariant', fn: projection.invariant },
    ],
  };
}

interface GenericState {
  events: number;
  byType: Record<string, number>;
  streams: Record<string, { events: number; lastType: string; lastRevision: number; fields: Record<string, unknown> }>;
}

/**
 * The built-in generic projection, useful before any code is written: every event's data fields
 * merged into its stream's state (later values win), and events counted by type.
 */
export function genericEngine(): ProjectionEngine {
  return {
    name: 'Generic (built-in): fields merged per stream, events counted by type',
    kind: 'generic',
    init: (): GenericState => ({ events: 0, byType: {}, streams: {} }),
    accepts: () => true,
    apply(state, event) {
      const s = state as GenericState;
      const view = eventToJSON(event);
      s.events += 1;
      s.byType[view.type] = (s.byType[view.type] ?? 0) + 1;
      const stream = (s.streams[view.streamId] ??= { events: 0, lastType: '', lastRevision: 0, fields: {} });
      stream.events += 1;
      stream.lastType = view.type;
      stream.lastRevision = view.revision;
      Object.assign(stream.fields, view.data);
      return s;
    },
    userFunctions: [],
  };
}
