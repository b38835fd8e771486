/**
 * The projection engines of JS/TS modules (`export default { init, when, any, invariant }`) and the
 * built-in generic projection (KurrentDB scripts are in kurrent.ts); what an engine is: types.ts.
 */

import { eventToJSON, pointerSegment, type RecordedEvent, type ValueKind, type ValueKinds } from '../events';
import { markCall } from './guard';
import { applyEvent, checkInvariant, HandlerTable, partitionOf, type Projection } from './projection';
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
    ...(typeof projection.partitionBy === 'function'
      ? { partitionOf: (event: RecordedEvent) => partitionOf(projection, event), partitioning: 'custom' as const }
      : {}),
    userFunctions: [
      { name: 'init', fn: projection.init },
      ...Object.entries(projection.when ?? {}).map(([key, fn]) => ({ name: `the ${key} handler`, fn, on: key })),
      { name: 'any', fn: projection.any, on: '*' },
      { name: 'the invariant', fn: projection.invariant, on: '*' },
      { name: 'partitionBy', fn: projection.partitionBy, on: '*' },
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
    async stateKinds(_state, applied) {
      // A stream's fields are its events' data merged, later values winning: so are their kinds.
      // Per stream, per top-level field (its pointer segment): the kinds within it, pointers from `fields`.
      const streams = new Map<string, Map<string, [string, ValueKind][]>>();
      await applied((event) => {
        let fields = streams.get(event.streamId);
        if (!fields) streams.set(event.streamId, (fields = new Map()));
        const within = new Map<string, [string, ValueKind][]>();
        for (const path in event.kinds) {
          const end = path.indexOf('/', 1);
          const segment = end < 0 ? path.slice(1) : path.slice(1, end);
          let list = within.get(segment);
          if (!list) within.set(segment, (list = []));
          list.push([path, event.kinds[path]]);
        }
        for (const key of Object.keys(event.data)) {
          const segment = pointerSegment(key);
          const list = within.get(segment);
          if (list) fields.set(segment, list);
          else fields.delete(segment);
        }
      });
      const kinds: ValueKinds = {};
      for (const [streamId, fields] of streams) {
        const prefix = `/streams/${pointerSegment(streamId)}/fields`;
        for (const list of fields.values()) for (const [path, kind] of list) kinds[prefix + path] = kind;
      }
      return kinds;
    },
    // Its state is kept per stream: an expression over it breaks per stream.
    partitionOf: (event) => event.streamId,
    partitioning: 'stream',
    userFunctions: [],
  };
}
