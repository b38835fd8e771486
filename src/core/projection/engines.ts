/**
 * The projection engines of JS/TS modules (`export default { init, when, any, invariant }`) and the
 * built-in generic projection (KurrentDB scripts are in kurrent.ts); what an engine is: types.ts.
 */

import { eventToJSON, type RecordedEvent } from '../events';
import { markCall } from './guard';
import { applyEvent, checkInvariant, HandlerTable, type Projection } from './projection';
import type { ProjectionEngine, StepOutput } from './types';

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
      ...Object.entries(projection.when ?? {}).map(([key, fn]) => ({ name: `the ${key} handler`, fn, on: key })),
      { name: 'any', fn: projection.any, on: '*' },
      { name: 'the invariant', fn: projection.invariant, on: '*' },
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
