/** How the CLI prints one event: its short data and time in a table row, or the event whole (`show`, a replay's failing event). */

import type { RecordedEvent } from '../core/events';
import { stringifyExact } from '../core/json/exact';
import { renderFields, type TableStyle } from './table';

/** An event's data without the fields every event of the library has (`timestamp`, `originator_topic`), as one line of JSON. */
export function dataSummary(event: RecordedEvent): string {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event.data)) if (k !== 'timestamp' && k !== 'originator_topic') rest[k] = v;
  return stringifyExact(rest);
}

/** A timestamp to the second, for a table: `2026-11-28 04:52:14`. */
export function shortTime(ts: string | null): string {
  return ts ? ts.replace('T', ' ').slice(0, 19) : '';
}

/** An event whole: its fields (the stream with its label, when known), then its data and metadata as JSON. */
export function renderEvent(event: RecordedEvent, style: TableStyle, streamLabel?: string): string {
  let out = renderFields(
    [
      ['Type', event.type],
      ['Stream', streamLabel !== undefined ? `${event.streamId} (${streamLabel})` : event.streamId],
      ['Revision', String(event.revision)],
      ['Position', String(event.position)],
      ['Timestamp', event.timestamp ?? ''],
    ],
    style,
  );
  out += `\nData\n${stringifyExact(event.data, 2)}\n`;
  if (Object.keys(event.metadata).length) out += `\nMetadata\n${stringifyExact(event.metadata, 2)}\n`;
  return out;
}
