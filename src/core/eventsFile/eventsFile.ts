/**
 * The `.events` text format (docs/architecture.md): a human-editable list of events, like `.http`
 * request files.
 *
 *     # comments start with '#'
 *     ### BankAccount.Opened  account-1
 *     created: 2024-05-01T10:00:00Z
 *     metadata: {"correlationId": "c-1"}
 *
 *     { "full_name": "Alice" }
 *
 * `### <type> <streamId>` starts an event; optional `key: value` header lines (`created`,
 * `metadata`, `id`, `revision`); then a JSON body (may span lines) until the next `###`.
 */

import { EventscopeError } from '../errors';
import type { RecordedEvent } from '../events';
import { parseExactJson, stringifyExact } from '../json/exact';

export interface EventsFileEvent {
  type: string;
  streamId: string;
  created?: string;
  id?: string;
  revision?: number;
  metadata?: Record<string, unknown>;
  data: unknown;
  /** 1-based line of the `###` line. */
  line: number;
}

const HEADER_KEYS = new Set(['created', 'metadata', 'id', 'revision']);

/** Prints events in the `.events` format (the whole data of each, exact values kept). */
export function printEventsFile(events: Iterable<RecordedEvent>, title?: string): string {
  const parts: string[] = [];
  if (title) parts.push(...title.split('\n').map((l) => `# ${l}`), '');
  for (const e of events) {
    parts.push(`### ${e.type}  ${e.streamId}`);
    parts.push(`revision: ${e.revision}`);
    if (e.timestamp) parts.push(`created: ${e.timestamp}`);
    if (Object.keys(e.metadata).length) parts.push(`metadata: ${stringifyExact(e.metadata)}`);
    parts.push('', stringifyExact(e.data, 2), '');
  }
  return parts.join('\n');
}

function fail(file: string, line: number, what: string): never {
  throw new EventscopeError(`${file}:${line}: ${what}.`);
}

/** Parses `.events` text; errors name the file and line. */
export function parseEventsFile(text: string, file = '<events>'): EventsFileEvent[] {
  const lines = text.split(/\r?\n/);
  const events: EventsFileEvent[] = [];
  let i = 0;
  const isComment = (l: string) => l.startsWith('#') && !l.startsWith('###');
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '' || isComment(line)) {
      i++;
      continue;
    }
    if (!line.startsWith('###')) fail(file, i + 1, 'expected "### <type> <streamId>" to start an event');
    const start = i + 1;
    const [type, streamId, ...rest] = line.slice(3).trim().split(/\s+/);
    if (!type || !streamId) fail(file, start, 'an event needs a type and a stream id: "### <type> <streamId>"');
    if (rest.length) fail(file, start, `unexpected text after the stream id: "${rest.join(' ')}"`);
    const event: EventsFileEvent = { type, streamId, data: {}, line: start };
    i++;
    // Header lines until a blank line or the body.
    for (; i < lines.length; i++) {
      const header = /^([A-Za-z]+):\s*(.*)$/.exec(lines[i]);
      if (!header || !HEADER_KEYS.has(header[1])) break;
      const [, key, value] = header;
      if (key === 'created' || key === 'id') event[key] = value;
      else if (key === 'revision') {
        if (!/^\d+$/.test(value)) fail(file, i + 1, `revision must be a whole number (got "${value}")`);
        event.revision = Number(value);
      } else {
        let metadata: unknown;
        try {
          metadata = parseExactJson(value);
        } catch (error) {
          fail(file, i + 1, `metadata is not valid JSON (${(error as Error).message})`);
        }
        if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) fail(file, i + 1, 'metadata must be a JSON object');
        event.metadata = metadata as Record<string, unknown>;
      }
    }
    const bodyStart = i;
    const body: string[] = [];
    for (; i < lines.length && !lines[i].startsWith('###'); i++) if (!isComment(lines[i])) body.push(lines[i]);
    const json = body.join('\n').trim();
    if (json) {
      try {
        event.data = parseExactJson(json);
      } catch (error) {
        const offset = body.findIndex((l) => l.trim() !== '');
        fail(file, bodyStart + Math.max(offset, 0) + 1, `the body of "${type}" is not valid JSON (${(error as Error).message})`);
      }
    }
    events.push(event);
  }
  return events;
}
