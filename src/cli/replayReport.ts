/**
 * How `eventscope replay` prints its report (core/query/replayReport.ts) about its invariant:
 * where `--until-invariant-fails` stops, the failing event whole, what that step changed and the
 * events of its stream before it (`--context N`). Exit status 3 says the invariant broke, for CI.
 */

import { qualifiedName } from '../core/events';
import { stringifyExact } from '../core/json/exact';
import type { FailureContext } from '../core/query/replayReport';
import { formatPath, type Change } from '../shared/deltaPaths';
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
