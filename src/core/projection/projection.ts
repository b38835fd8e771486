/**
 * The projection API users write (docs/architecture.md): `init`, `when` handlers keyed by event
 * type, `any`, and an optional `invariant` (with `partitionBy` when it checks one partition). Handlers may mutate the state and return nothing, or
 * return a new state (KurrentDB's rule). The most specific matching key wins: exact type, then the
 * part after ':' of a topic, then a trailing dotted part.
 */

import { eventToJSON, typeMatchRank, type EventJSON, type RecordedEvent } from '../events';
import { EventscopeError } from '../errors';
import { markCall } from './guard';

export type Handler = (state: unknown, event: ProjectionEvent) => unknown;

/** The event as a projection sees it: the CLI's JSON event shape. */
export type ProjectionEvent = EventJSON;

export interface Projection {
  name?: string;
  init?: () => unknown;
  when?: Record<string, Handler>;
  any?: Handler;
  /** True (or undefined) when the state is fine; false or a message when it is broken. */
  invariant?: (state: unknown, event: ProjectionEvent) => unknown;
  /**
   * The partition of the state an event is about (a string or number; anything else: none), when
   * `invariant` checks that part only: the invariant then breaks per partition (see breaks.ts).
   */
  partitionBy?: (event: ProjectionEvent) => unknown;
}

/** The handler for an event type, by the most specific matching key (cached per type). */
export class HandlerTable {
  private readonly cache = new Map<string, Handler | null>();
  constructor(private readonly projection: Projection) {}

  for(type: string): Handler | undefined {
    let handler = this.cache.get(type);
    if (handler === undefined) {
      let best = 0;
      handler = null;
      for (const [key, h] of Object.entries(this.projection.when ?? {})) {
        const rank = typeMatchRank(type, key);
        if (rank > best && typeof h === 'function') {
          best = rank;
          handler = h;
        }
      }
      this.cache.set(type, handler);
    }
    return handler ?? undefined;
  }
}

/** A handler's result: undefined keeps the (mutated) state, a value replaces it, a Promise is refused. */
function resultOf(state: unknown, result: unknown, what: string): unknown {
  if (result === undefined) return state;
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    throw new EventscopeError(`${what} returned a Promise: projection handlers must be synchronous (no async, no await).`);
  }
  return result;
}

/** Applies one event: its handler, then `any`; a returned value replaces the state. */
export function applyEvent(projection: Projection, handlers: HandlerTable, state: unknown, event: RecordedEvent): unknown {
  const view = eventToJSON(event);
  const handler = handlers.for(event.type);
  if (handler) {
    markCall(handler);
    state = resultOf(state, handler(state, view), `The handler for ${event.type}`);
  }
  if (projection.any) {
    markCall(projection.any);
    state = resultOf(state, projection.any(state, view), 'The any handler');
  }
  return state;
}

/** Whether the invariant holds; a string or false is a failure (its message, or a default). */
export function checkInvariant(projection: Projection, state: unknown, event: RecordedEvent): string | undefined {
  if (!projection.invariant) return undefined;
  markCall(projection.invariant);
  const verdict = projection.invariant(state, eventToJSON(event));
  if (verdict === undefined || verdict === true) return undefined;
  if (typeof verdict === 'string') return verdict;
  return verdict ? undefined : 'the invariant returned false';
}

/** The partition `partitionBy` names for an event: a string, a number as text, else none. */
export function partitionOf(projection: Projection, event: RecordedEvent): string | undefined {
  if (!projection.partitionBy) return undefined;
  markCall(projection.partitionBy);
  const key = projection.partitionBy(eventToJSON(event));
  return typeof key === 'string' ? key : typeof key === 'number' ? String(key) : undefined;
}
