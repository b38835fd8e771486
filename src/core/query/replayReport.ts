/**
 * What a replay reports about its invariant, as data: the breaks (core/projection/breaks.ts) with
 * their events, and where it first fails, the failing event whole, what that step changed and the
 * events of its stream before it. The CLI's `replay` prints it (src/cli/replayReport.ts), the
 * agents' `replay` and `find_first_failure` answer it.
 */

import { eventToJSON, eventToTypedJSON, type RecordedEvent } from '../events';
import type { ReplaySession } from '../projection/session';
import type { Break } from '../projection/types';
import { flattenDelta, type Change } from '../../shared/deltaPaths';

/** A break as `--json` lists it: its step (index 0-based, step 1-based), partition and event. */
export interface BreakJSON {
  index: number;
  step: number;
  /** The stream or `partitionBy` key that broke; null when the state is one whole. */
  partition: string | null;
  streamId: string;
  revision: number;
  position: number;
  type: string;
  error: string;
}

export async function breaksJSON(session: ReplaySession, breaks: readonly Break[]): Promise<BreakJSON[]> {
  const events = await session.eventsAt(breaks.map((b) => b.index));
  return breaks.map((b) => {
    const e = events.get(b.index)!;
    return {
      index: b.index,
      step: b.index + 1,
      partition: b.partition ?? null,
      streamId: e.streamId,
      revision: e.revision,
      position: e.position,
      type: e.type,
      error: b.message,
    };
  });
}

/** Where `--until-invariant-fails` stopped: the step's event, what it changed, its stream's events before it. */
export interface FailureContext {
  index: number;
  event: RecordedEvent;
  label?: string;
  changes: Change[];
  preceding: { index: number; event: RecordedEvent }[];
}

export async function failureContext(session: ReplaySession, index: number, count: number): Promise<FailureContext> {
  // No states across the thread (they may be big): what changed comes anyway.
  const record = await session.step(index, { maxStateBytes: 0 });
  return {
    index,
    event: record.event,
    ...(record.label !== undefined ? { label: record.label } : {}),
    changes: flattenDelta(record.changes),
    preceding: count > 0 ? await session.preceding(index, count) : [],
  };
}

/** `--json`'s `context`: `{step, event, changes, preceding}`; `typed` (`--typed`): events with their `kinds`. */
export function failureContextJSON(c: FailureContext, typed = false): Record<string, unknown> {
  const toJSON = typed ? eventToTypedJSON : eventToJSON;
  return {
    step: c.index + 1,
    event: toJSON(c.event),
    changes: c.changes,
    preceding: c.preceding.map((p) => ({ index: p.index, ...toJSON(p.event) })),
  };
}
