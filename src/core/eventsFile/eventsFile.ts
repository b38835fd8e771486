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
 * `metadata`, `id`, `revision`); then a JSON body (may span lines) until the next `###`. A line
 * that starts with one `#` (not three) is a comment wherever it stands, in a body too. A type and a
 * stream id hold no whitespace.
 *
 * One parser: `parseEventsDocument` reads a whole document into a model with the exact place of
 * every part (what a language server needs), and goes on past what is wrong, listing problems;
 * `parseEventsFile` is that model's events, or its first error thrown.
 */

import { partitionPoint } from '../sorted';
import { EventscopeError } from '../errors';
import { isRecord, type RecordedEvent } from '../events';
import { JsonSyntaxError, parseExactJson, stringifyExact } from '../json/exact';

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

/** The header keys of the format (`key: value` lines under `###`). */
export const HEADER_KEYS = ['created', 'metadata', 'id', 'revision'] as const;
type HeaderKey = (typeof HEADER_KEYS)[number];
const isHeaderKey = (key: string): key is HeaderKey => (HEADER_KEYS as readonly string[]).includes(key);

/** Prints events in the `.events` format (the whole data of each, exact values kept). */
export function printEventsFile(events: Iterable<RecordedEvent>, title?: string): string {
  const parts: string[] = [];
  if (title) parts.push(...title.split(/\r\n?|\n/).map((l) => `# ${l}`), '');
  for (const e of events) {
    parts.push(`### ${e.type}  ${e.streamId}`);
    parts.push(`revision: ${e.revision}`);
    if (e.timestamp) parts.push(`created: ${e.timestamp}`);
    if (Object.keys(e.metadata).length) parts.push(`metadata: ${stringifyExact(e.metadata)}`);
    parts.push('', stringifyExact(e.data, 2), '');
  }
  return parts.join('\n');
}

// ---- The document model -------------------------------------------------------------------------

/** A place in the text as a language server counts it (LSP's Position): zero-based line, UTF-16 character. */
export interface Position {
  line: number;
  character: number;
}

/**
 * A stretch of the text: LSP's range (`end` exclusive), and the same as offsets into the text. The
 * model's ranges work out `start` and `end` when asked (most are never asked for), and turn into
 * plain data in JSON.
 */
export interface TextRange {
  readonly start: Position;
  readonly end: Position;
  readonly startOffset: number;
  readonly endOffset: number;
}

/** A piece of the text and where it stands. */
export interface Token {
  text: string;
  range: TextRange;
}

/** A `key: value` line of an event's header. */
export interface EventsHeaderLine {
  key: Token;
  /** The value without the whitespace around it (empty, and where it would start, when there is none). */
  value: Token;
  /** The line, without its line break. */
  range: TextRange;
  /** Whether the key is one of the format's (`created`, `metadata`, `id`, `revision`). */
  known: boolean;
}

/** An event's JSON body. */
export interface EventsBody {
  /** From its first to its last non-blank character (comment lines after it excluded). */
  range: TextRange;
  /** The text parsed as JSON: the range's text with the comment lines inside it blanked out (same offsets). */
  json: string;
  /** The parsed body (exact: `parseExactJson`), when it is JSON. */
  value?: unknown;
  /** Where and why it is not JSON (also in the document's problems). */
  error?: { message: string; range: TextRange };
  /** Whether comment lines stand inside it (between its first and last line). */
  hasComments: boolean;
}

export interface EventsDocumentEvent {
  /** From the `###` line to the end of its last header line or body (trailing comments and blank lines excluded). */
  range: TextRange;
  /** The `###` line, without its line break. */
  headerLine: TextRange;
  /** Missing when the `###` line has no type (and then no stream id either). */
  type?: Token;
  streamId?: Token;
  headers: EventsHeaderLine[];
  /** Missing when the event has none (its data is then `{}`). */
  body?: EventsBody;
  /** The event as `parseEventsFile` gives it: missing when this event has an error. */
  event?: EventsFileEvent;
}

export type EventsProblemCode =
  | 'stray-text'
  | 'malformed-header'
  | 'unknown-header-key'
  | 'duplicate-header'
  | 'invalid-header-value'
  | 'invalid-json'
  | 'revision-order';

/** Something wrong in a document: errors make `parseEventsFile` throw, warnings do not. */
export interface EventsProblem {
  code: EventsProblemCode;
  severity: 'error' | 'warning';
  /** One sentence without its full stop, fit to show as it is. */
  message: string;
  range: TextRange;
}

export interface EventsDocument {
  events: EventsDocumentEvent[];
  /** Comment lines, without their line breaks. */
  comments: TextRange[];
  /** In the order of the text. */
  problems: EventsProblem[];
}

// What a line is, by its start (`Lines.kind`).
const BLANK = 0;
const COMMENT = 1;
const EVENT = 2;
const TEXT = 3;

/** Where each line starts and ends (before its line break: \r\n, \r or \n, as LSP counts), and what it is. */
class Lines {
  private readonly starts: Uint32Array;
  readonly count: number;
  private readonly bom: number;

  constructor(readonly text: string) {
    let starts = new Uint32Array(Math.max(64, text.length >> 5));
    let n = 1;
    for (let at = 0; at < text.length; at++) {
      const c = text.charCodeAt(at);
      if (c > 0x0d || (c !== 0x0a && c !== 0x0d)) continue;
      if (c === 0x0d && text.charCodeAt(at + 1) === 0x0a) at++;
      if (n === starts.length) {
        const more = new Uint32Array(n * 2);
        more.set(starts);
        starts = more;
      }
      starts[n++] = at + 1;
    }
    this.starts = starts;
    this.count = n;
    this.bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  }

  /** Where a line's text starts (after a byte order mark on the first). */
  start(line: number): number {
    return line === 0 ? this.bom : this.starts[line];
  }

  /** Where a line's text ends (at its line break, or the end of the text). */
  end(line: number): number {
    if (line + 1 >= this.count) return this.text.length;
    const next = this.starts[line + 1];
    return this.text.charCodeAt(next - 1) === 0x0a && this.text.charCodeAt(next - 2) === 0x0d ? next - 2 : next - 1;
  }

  lineText(line: number): string {
    return this.text.slice(this.start(line), this.end(line));
  }

  /** BLANK (whitespace only), COMMENT (`#`, not `###`), EVENT (`###`) or TEXT; without copying the line mostly. */
  kind(line: number): number {
    const at = this.start(line);
    const c = this.text.charCodeAt(at);
    if (c === 0x23) return this.text.startsWith('###', at) ? EVENT : COMMENT;
    if (c > 0x20 && c < 0x7f) return TEXT;
    return this.lineText(line).trim() === '' ? BLANK : TEXT;
  }

  lineOf(offset: number): number {
    return Math.max(0, partitionPoint(this.count, (i) => this.starts[i] <= offset) - 1);
  }

  position(offset: number): Position {
    const line = this.lineOf(offset);
    return { line, character: offset - this.starts[line] };
  }

  range(startOffset: number, endOffset: number): TextRange {
    return new Span(this, startOffset, endOffset);
  }

  /** A whole line's text, without its line break. */
  lineRange(line: number): TextRange {
    return this.range(this.start(line), this.end(line));
  }

  /** Where a line's text starts, past its leading whitespace. */
  trimmedStart(line: number): number {
    const start = this.start(line);
    const c = this.text.charCodeAt(start);
    if (c > 0x20 && c < 0x7f) return start;
    const text = this.lineText(line);
    return start + text.length - text.trimStart().length;
  }

  /** Where a line's text ends, before its trailing whitespace. */
  trimmedEnd(line: number): number {
    const end = this.end(line);
    const c = this.text.charCodeAt(end - 1);
    if (c > 0x20 && c < 0x7f) return end;
    return this.start(line) + this.lineText(line).trimEnd().length;
  }
}

/** A TextRange whose positions are worked out when asked for. */
class Span implements TextRange {
  constructor(
    private readonly lines: Lines,
    readonly startOffset: number,
    readonly endOffset: number,
  ) {}

  get start(): Position {
    return this.lines.position(this.startOffset);
  }

  get end(): Position {
    return this.lines.position(this.endOffset);
  }

  toJSON(): { start: Position; end: Position; startOffset: number; endOffset: number } {
    return { start: this.start, end: this.end, startOffset: this.startOffset, endOffset: this.endOffset };
  }
}

/** A header line: a key (a letter, then letters, digits, `_`, `-`), a colon, the value. */
const HEADER_LINE = /^([A-Za-z][\w-]*):(.*)$/s;
type HeaderValues = Pick<EventsFileEvent, HeaderKey>;

/**
 * Reads `.events` text into its events, with the exact place of every part, and its problems. A
 * wrong part is a problem, never an exception: the rest of the document is read all the same (a
 * wrong event keeps what could be read of it; text before the first `###` is skipped).
 */
export function parseEventsDocument(text: string): EventsDocument {
  const lines = new Lines(text);
  const doc: EventsDocument = { events: [], comments: [], problems: [] };
  const problem = (code: EventsProblemCode, range: TextRange, message: string, severity: 'error' | 'warning' = 'error') => {
    doc.problems.push({ code, severity, message, range });
  };

  /** Skips to the next `###` line, noting comments; returns it and the first and last lines with other text. */
  const skipToEvent = (from: number): { next: number; first: number; last: number } => {
    let first = -1;
    let last = -1;
    let i = from;
    for (; i < lines.count; i++) {
      const kind = lines.kind(i);
      if (kind === EVENT) break;
      if (kind === COMMENT) doc.comments.push(lines.lineRange(i));
      else if (kind === TEXT) {
        if (first < 0) first = i;
        last = i;
      }
    }
    return { next: i, first, last };
  };

  const readEvent = (start: number): number => {
    const headerLine = lines.lineRange(start);
    const words = [...lines.lineText(start).slice(3).matchAll(/\S+/g)].map((m): Token => {
      const offset = headerLine.startOffset + 3 + m.index;
      return { text: m[0], range: lines.range(offset, offset + m[0].length) };
    });
    const [type, streamId, ...rest] = words;
    const event: EventsDocumentEvent = { range: headerLine, headerLine, headers: [] };
    if (type) event.type = type;
    if (streamId) event.streamId = streamId;
    const errorsBefore = doc.problems.length;
    if (!type || !streamId) problem('malformed-header', headerLine, 'an event needs a type and a stream id: "### <type> <streamId>"');
    if (rest.length) {
      const range = lines.range(rest[0].range.startOffset, rest[rest.length - 1].range.endOffset);
      problem('malformed-header', range, `unexpected text after the stream id: "${rest.map((w) => w.text).join(' ')}"`);
    }
    let end = start;

    // Header lines, until the first line that is none (blank and comment lines may stand between them).
    const values: HeaderValues = {};
    let i = start + 1;
    for (; i < lines.count; i++) {
      const kind = lines.kind(i);
      if (kind === EVENT) break;
      if (kind === BLANK) continue;
      if (kind === COMMENT) {
        doc.comments.push(lines.lineRange(i));
        continue;
      }
      const match = HEADER_LINE.exec(lines.lineText(i));
      if (!match) break;
      const at = lines.start(i);
      const [, key, rest] = match;
      const value = rest.trim();
      const valueStart = at + key.length + 1 + rest.length - rest.trimStart().length;
      const header: EventsHeaderLine = {
        key: { text: key, range: lines.range(at, at + key.length) },
        value: { text: value, range: lines.range(valueStart, valueStart + value.length) },
        range: lines.lineRange(i),
        known: isHeaderKey(key),
      };
      readHeader(header, values, event.headers);
      event.headers.push(header);
      end = i;
    }

    // The body: every line up to the next `###` but comment lines.
    let first = -1;
    let last = -1;
    let inside: number[] | undefined;
    for (; i < lines.count; i++) {
      const kind = lines.kind(i);
      if (kind === EVENT) break;
      if (kind === COMMENT) {
        doc.comments.push(lines.lineRange(i));
        if (first >= 0) (inside ??= []).push(i);
      } else if (kind === TEXT) {
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first >= 0) {
      const range = lines.range(lines.trimmedStart(first), lines.trimmedEnd(last));
      const comments = inside?.filter((line) => line < last) ?? [];
      let json = '';
      let at = range.startOffset;
      for (const line of comments) {
        json += text.slice(at, lines.start(line)) + ' '.repeat(lines.end(line) - lines.start(line));
        at = lines.end(line);
      }
      json += text.slice(at, range.endOffset);
      const body: EventsBody = { range, json, hasComments: comments.length > 0 };
      const what = type ? `the body of "${type.text}"` : 'the body';
      const parsed = parseJsonAt(json, range.startOffset, lines);
      if ('error' in parsed) {
        body.error = { message: `${what} is not valid JSON (${parsed.error.message})`, range: parsed.error.range };
        problem('invalid-json', body.error.range, body.error.message);
      } else body.value = parsed.value;
      event.body = body;
      end = last;
    }
    event.range = lines.range(headerLine.startOffset, end === start ? headerLine.endOffset : lines.trimmedEnd(end));
    let failed = false;
    for (let p = errorsBefore; p < doc.problems.length; p++) failed ||= doc.problems[p].severity === 'error';
    if (!failed && type && streamId) {
      event.event = { type: type.text, streamId: streamId.text, data: event.body ? event.body.value : {}, line: start + 1, ...values };
    }
    doc.events.push(event);
    return i;
  };

  const readHeader = (header: EventsHeaderLine, values: HeaderValues, before: EventsHeaderLine[]) => {
    const { key, value } = header;
    if (!isHeaderKey(key.text)) {
      problem('unknown-header-key', key.range, `unknown header "${key.text}" (an event's headers are ${HEADER_KEYS.join(', ')})`);
      return;
    }
    if (before.some((h) => h.key.text === key.text)) {
      problem('duplicate-header', header.range, `a second "${key.text}" header: the last one counts`, 'warning');
    }
    const invalid = (message: string, range = value.text ? value.range : header.range) => problem('invalid-header-value', range, message);
    switch (key.text) {
      case 'created':
      case 'id':
        values[key.text] = value.text;
        break;
      case 'revision':
        if (!/^\d+$/.test(value.text)) invalid(`revision must be a whole number (got "${value.text}")`);
        else if (!Number.isSafeInteger(Number(value.text)))
          invalid(`revision ${value.text} is too large (at most ${Number.MAX_SAFE_INTEGER})`);
        else values.revision = Number(value.text);
        break;
      case 'metadata': {
        const parsed = parseJsonAt(value.text, value.range.startOffset, lines);
        if ('error' in parsed) invalid(`metadata is not valid JSON (${parsed.error.message})`, parsed.error.range);
        else if (!isRecord(parsed.value)) invalid('metadata must be a JSON object');
        else values.metadata = parsed.value;
        break;
      }
    }
  };

  for (let i = 0; i < lines.count;) {
    if (lines.kind(i) === EVENT) {
      i = readEvent(i);
      continue;
    }
    const { next, first, last } = skipToEvent(i);
    if (first >= 0) {
      const range = lines.range(lines.trimmedStart(first), lines.trimmedEnd(last));
      problem('stray-text', range, 'expected "### <type> <streamId>" to start an event');
    }
    i = next;
  }
  checkRevisions(doc, problem);
  doc.problems.sort((a, b) => a.range.startOffset - b.range.startOffset);
  return doc;
}

/** Parses JSON that stands at `offset` in the text: its value, or what is wrong and where in the text. */
function parseJsonAt(json: string, offset: number, lines: Lines): { value: unknown } | { error: { message: string; range: TextRange } } {
  try {
    return { value: parseExactJson(json) };
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    // At the end: the last character; elsewhere the character it is about.
    const at = offset + (error.atEnd ? Math.max(json.trimEnd().length - 1, 0) : error.offset);
    const range = lines.range(at, Math.min(at + 1, offset + json.length));
    const where = error.atEnd ? 'at its end: truncated?' : `at column ${range.start.character + 1}`;
    return { error: { message: `${error.reason} ${where}`, range } };
  }
}

/** A warning at each explicit revision that is not above the one before it in the same stream. */
function checkRevisions(
  doc: EventsDocument,
  problem: (code: EventsProblemCode, range: TextRange, message: string, severity: 'warning') => void,
) {
  const last = new Map<string, { revision: number; line: number }>();
  for (const { event, headers } of doc.events) {
    if (event?.revision === undefined) continue;
    const before = last.get(event.streamId);
    if (before && event.revision <= before.revision) {
      const header = headers.findLast((h) => h.key.text === 'revision')!;
      problem(
        'revision-order',
        header.value.range,
        `revision ${event.revision} of stream "${event.streamId}" is not above revision ${before.revision} (line ${before.line}): revisions out of order`,
        'warning',
      );
    }
    last.set(event.streamId, { revision: event.revision, line: event.line });
  }
}

/** Parses `.events` text; errors name the file and line. */
export function parseEventsFile(text: string, file = '<events>'): EventsFileEvent[] {
  const doc = parseEventsDocument(text);
  const error = doc.problems.find((p) => p.severity === 'error');
  if (error) throw new EventscopeError(`${file}:${error.range.start.line + 1}: ${error.message}.`);
  return doc.events.map((e) => e.event!);
}

// ---- Formatting ---------------------------------------------------------------------------------

/** A change to the text: `range` becomes `newText` (LSP's TextEdit). */
export interface TextEdit {
  range: TextRange;
  newText: string;
}

/**
 * Edits that lay out each event's JSON body as `printEventsFile` does (two-space indents, from the
 * line's start), keeping every value's text as it is written (numbers, escapes): only whitespace
 * changes. Headers, comments and blank lines stay; a body that is not JSON, or has comment lines
 * inside it, is left alone. The edits do not overlap and are in the text's order.
 */
export function formatEventsBodies(text: string, doc = parseEventsDocument(text)): TextEdit[] {
  const eol = /\r\n?|\n/.exec(text)?.[0] ?? '\n';
  const edits: TextEdit[] = [];
  for (const { body } of doc.events) {
    if (!body || body.error || body.hasComments) continue;
    // From the start of the body's first line (the document's ranges know where it is).
    const { line, character } = body.range.start;
    const start = body.range.startOffset - character;
    const newText = layOutJson(body.json, eol);
    if (text.slice(start, body.range.endOffset) !== newText) {
      const range = { start: { line, character: 0 }, end: body.range.end, startOffset: start, endOffset: body.range.endOffset };
      edits.push({ range, newText });
    }
  }
  return edits;
}

/** The text with `formatEventsBodies`' edits made. */
export function formatEventsDocument(text: string): string {
  let out = '';
  let at = 0;
  for (const edit of formatEventsBodies(text)) {
    out += text.slice(at, edit.range.startOffset) + edit.newText;
    at = edit.range.endOffset;
  }
  return out + text.slice(at);
}

/**
 * JSON text (known to parse) laid out as `JSON.stringify(value, undefined, 2)` lays it out, each
 * string, number and literal kept as written.
 */
function layOutJson(json: string, eol: string): string {
  const space = /[ \t\n\r]*/y;
  const literal = /[^ \t\n\r,:[\]{}"]*/y;
  const skip = (regex: RegExp, from: number) => {
    regex.lastIndex = from;
    regex.test(json);
    return regex.lastIndex;
  };
  let out = '';
  let depth = 0;
  const newLine = () => eol + '  '.repeat(depth);
  for (let i = 0; i < json.length;) {
    const c = json[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
    else if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      out += json.slice(i, j + 1);
      i = j + 1;
    } else if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      const next = skip(space, i + 1);
      if (json[next] === close) {
        out += c + close;
        i = next + 1;
      } else {
        depth++;
        out += c + newLine();
        i++;
      }
    } else if (c === '}' || c === ']') {
      depth--;
      out += newLine() + c;
      i++;
    } else if (c === ',') {
      out += ',' + newLine();
      i++;
    } else if (c === ':') {
      out += ': ';
      i++;
    } else {
      const end = skip(literal, i);
      out += json.slice(i, end);
      i = end;
    }
  }
  return out;
}
