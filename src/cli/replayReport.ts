/**
 * What `eventscope replay` reports about its invariant: the breaks (core/projection/breaks.ts)
 * with their events, and where `--until-invariant-fails` stops, the failing event whole, what
 * that step changed and the events of its stream before it (`--context N`). Exit status 3 says
 * the invariant broke, for CI.
 */

import { eventToJSON, eventToTypedJSON, qualifiedName, type RecordedEvent } from '../core/events';
import { stringifyExact } from '../core/json/exact';
import type { ReplaySession } from '../core/projection/session';
import type { Break } from '../core/projection/types';
import { flattenDelta, formatPath, type Change } from '../shared/deltaPaths';
import { dataSummary, renderEvent, shortTime } from './eventText';
import { renderTable, truncate, type TableStyle } from './table';

/** `replay --until-invariant-fails` exits with this status when the invariant breaks. */
export const INVARIANT_FAILS_STATUS = 3;

/** How many events of the failing event's stream `--until-invariant-fails` prints before it, by default. */
export const DEFAULT_CONTEXT = 3;

/** The invariant broke where `--until-invariant-fails` stopped: main() exits with INVARIANT_FAILS_STATUS and this line. */
export class InvariantFails extends Error {
  readonly status = INVARIANT_FAILS_STATUS;
}

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

/** Longest value shown on a line of the text diff (the JSON has them whole). */
const VALUE_WIDTH = 200;

const valueText = (value: unknown) => truncate(stringifyExact(value) ?? 'undefined', VALUE_WIDTH);

function changeLine(c: Change): string {
  const path = formatPath(c.path, 'state');
  switch (c.kind) {
    case 'changed':
      return `  ${path}: ${valueText(c.before)} → ${valueText(c.after)}`;
    case 'added':
      return `  ${path}: added ${valueText(c.after)}`;
    case 'removed':
      return `  ${path}: removed (was ${valueText(c.before)})`;
    case 'moved':
      return `  ${path}: moved to index ${c.to}`;
    case 'text':
      return `  ${path}: text changed\n${(c.patch ?? '').replace(/^/gm, '    ')}`;
  }
}

/** The text `--until-invariant-fails` prints about the step it stopped at. */
export function renderFailureContext(c: FailureContext, requested: number, style: TableStyle): string {
  const { event } = c;
  const step = c.index + 1;
  let out = `\nThe failing event (step ${step})\n`;
  out += renderEvent(event, style, c.label);
  out += `\nWhat step ${step} changed\n`;
  out += c.changes.length ? `${c.changes.map(changeLine).join('\n')}\n` : '  nothing\n';
  if (requested > 0) {
    const n = c.preceding.length;
    out += `\nBefore it in stream ${event.streamId}: ${n === 0 ? 'no events' : n === 1 ? 'the last event' : `the last ${n} events`}\n`;
    if (n) {
      const rows = c.preceding.map(({ index, event: e }) => [
        String(index + 1),
        String(e.revision),
        String(e.position),
        qualifiedName(e.type),
        shortTime(e.timestamp),
        truncate(dataSummary(e), 100),
      ]);
      out += renderTable(['STEP', 'REV', 'POS', 'TYPE', 'TIME', 'DATA'], rows, style);
    }
  }
  return out;
}
