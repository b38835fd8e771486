/**
 * `.events` and JSON lines files as a store: read-only, read whole into memory (up to
 * `MAX_EVENTS_FILE_BYTES`), behind the same `EventStore` interface as the databases.
 *
 * - `.events` (src/core/eventsFile/, docs/architecture.md): each `### <type> <streamId>` block is
 *   an event; `created` is its timestamp, `id` and `metadata` its metadata, `revision` its revision.
 * - `.jsonl` / `.ndjson`: one JSON event a line, in the shape `eventscope log --ndjson` prints
 *   (`{streamId, revision, position, type, timestamp, data, metadata}`, and the `kinds` of
 *   `--typed`). `streamId` and `type` are needed; `data` and `metadata` default to `{}`, the
 *   timestamp to none. Blank lines are skipped. A last line without its newline that is not JSON
 *   yet is left out (a writer may be in the middle of it), and `info` says so.
 * - The file's order is the log's. An event's position is the one the file gives, else its place
 *   among the events (`.events`) or its line number (JSON lines), or one past the event before when
 *   that is higher; its revision is the one the file gives, else the one after the previous event of
 *   its stream (from 1). Positions must increase through the file and revisions through each
 *   stream: a file that says otherwise is refused with a sentence naming its line.
 * - Streams are listed in id order; a stream's category is `categoryOfStream`'s (the aggregate of a
 *   topic or `originator_topic`, the prefix of a dotted type, else the stream's name before `-`).
 *   No snapshots, no checkpoints.
 *
 * Every call looks at the file (one stat) and reads it again when it changed (size, times, inode),
 * so events appended by a writer or an editor show on the next read; `watch` calls back when its
 * folder says the file changed (`log --follow`, the extension's live tail).
 */

import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { EventscopeError, messageOf, NoSuchStream } from '../errors';
import {
  addValueKinds,
  categoryOfStream,
  isRecord,
  learnAggregate,
  typeFilter,
  type RecordedEvent,
  type StreamInfo,
  type ValueKinds,
} from '../events';
import { parseEventsFile } from '../eventsFile/eventsFile';
import { parseExactJson, stringifyExact } from '../json/exact';
import { partitionPoint } from '../sorted';
import {
  byCodeUnit,
  categoriesOf,
  checkIndex,
  pageLimit,
  type CategoryInfo,
  type Checkpoint,
  type Direction,
  type EventPage,
  type EventStore,
  type ListStreamsOptions,
  type Page,
  type ReadAllOptions,
  type ReadStreamOptions,
  type Snapshot,
  type StoreInfo,
} from './types';
import { Feeds, watchFile } from './feeds';

/** The largest file read (whole, into memory). */
const MAX_EVENTS_FILE_BYTES = 200 * 1024 * 1024;

/** The file names this store opens: `.events`, `.jsonl`, `.ndjson`. */
export function isEventsFilePath(location: string): boolean {
  return /\.(events|jsonl|ndjson)$/i.test(location);
}

/** An event as the file gives it, before its revision and position are settled. */
interface Draft extends Omit<RecordedEvent, 'revision' | 'position'> {
  line: number;
  revision?: number;
  position?: number;
  /** Its position when the file gives none: its place among the events, or its line. */
  place: number;
}

interface FileStream {
  info: StreamInfo;
  /** The aggregate's topic, when its first event names one. */
  topic?: string;
  /** In revision (and file) order. */
  events: RecordedEvent[];
}

interface Contents {
  /** In the file's (the log's) order. */
  events: RecordedEvent[];
  streams: Map<string, FileStream>;
  /** Stream ids in code-unit order (the listing's). */
  ids: string[];
  /** UUID ids without dashes, lower-case -> the id (an id may be given either way). */
  undashed: Map<string, string>;
  categories: CategoryInfo[];
  warnings: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const squash = (text: string) => text.replace(/-/g, '').toLowerCase();

/** Whether a stream id matches a `prefix` / `contains` filter: as written, or (UUIDs) without dashes and case. */
function idMatches(id: string, text: string, how: 'prefix' | 'contains'): boolean {
  const test = (a: string, b: string) => (how === 'prefix' ? a.startsWith(b) : a.includes(b));
  return test(id, text) || (UUID.test(id) && /^[0-9a-fA-F-]+$/.test(text) && test(squash(id), squash(text)));
}

/** The first index whose key is at least `value` (`items` ascending by key). */
function firstAtLeast<T>(items: readonly T[], key: (item: T) => number, value: number): number {
  return partitionPoint(items.length, (i) => key(items[i]) < value);
}

const megabytes = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;

export class EventsFileStore implements EventStore {
  /** The file's absolute path. */
  readonly location: string;
  private readonly format: 'events' | 'jsonl';
  private closed = false;
  /** What the last read found (or the error it failed with), for the file as it was then. */
  private last: { stamp: string; contents?: Contents; error?: unknown } | undefined;
  private reading: Promise<Contents> | undefined;
  private readonly feeds: Feeds;

  constructor(path: string) {
    this.location = resolve(path);
    this.feeds = new Feeds(this.location);
    this.format = /\.events$/i.test(path) ? 'events' : 'jsonl';
  }

  /** The file as it is now (read again when it changed since the last call). */
  private contents(): Promise<Contents> {
    if (this.closed) return Promise.reject(new EventscopeError(`${this.location}: the store was closed.`));
    this.reading ??= this.read().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async read(): Promise<Contents> {
    for (let attempt = 1; ; attempt++) {
      const before = await this.stamp();
      if (this.last?.stamp === before) {
        if (this.last.contents) return this.last.contents;
        throw this.last.error;
      }
      let text: string;
      try {
        text = await readFile(this.location, 'utf8');
      } catch (error) {
        throw this.unreadable(error);
      }
      // Changed while it was read: read it again (a few times), else take what was read.
      const after = await this.stamp();
      if (after !== before && attempt < 3) continue;
      try {
        const contents = this.parse(text.replace(/^\uFEFF/, ''));
        this.last = { stamp: after, contents };
        return contents;
      } catch (error) {
        this.last = { stamp: after, error };
        throw error;
      }
    }
  }

  /** What tells one state of the file from another; refuses what is no file, or too large a one. */
  private async stamp(): Promise<string> {
    let stats;
    try {
      stats = await stat(this.location);
    } catch (error) {
      throw this.unreadable(error);
    }
    if (!stats.isFile()) throw new EventscopeError(`${this.location} is not a file.`);
    if (stats.size > MAX_EVENTS_FILE_BYTES) {
      throw new EventscopeError(
        `${this.location} is ${megabytes(stats.size)}, more than the ${megabytes(MAX_EVENTS_FILE_BYTES)} of .events and JSON lines files Eventscope reads (whole, into memory): split it, or read its events from their store.`,
      );
    }
    return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
  }

  private unreadable(error: unknown): EventscopeError {
    return new EventscopeError(`${this.location}: can't read the events file (${messageOf(error)}).`, { cause: error });
  }

  private fail(line: number, what: string): never {
    throw new EventscopeError(`${this.location}:${line}: ${what}.`);
  }

  private parse(text: string): Contents {
    const warnings: string[] = [];
    const drafts = this.format === 'events' ? this.eventsDrafts(text) : this.jsonLinesDrafts(text, warnings);
    const events: RecordedEvent[] = [];
    const byStream = new Map<string, RecordedEvent[]>();
    /** The line of each stream's last event so far. */
    const lastLines = new Map<string, number>();
    let previous: { position: number; line: number } | undefined;
    for (const d of drafts) {
      const position = d.position ?? (previous === undefined ? d.place : Math.max(d.place, previous.position + 1));
      if (previous !== undefined && position <= previous.position)
        this.fail(
          d.line,
          `position ${position} is not above position ${previous.position} (line ${previous.line}): a file's events are in the order of their positions`,
        );
      previous = { position, line: d.line };
      let list = byStream.get(d.streamId);
      if (!list) byStream.set(d.streamId, (list = []));
      const last = list.at(-1)?.revision;
      const revision = d.revision ?? (last === undefined ? 1 : last + 1);
      if (last !== undefined && revision <= last)
        this.fail(
          d.line,
          `revision ${revision} of stream "${d.streamId}" is not above revision ${last} (line ${lastLines.get(d.streamId)}): a stream's events are in the order of their revisions`,
        );
      lastLines.set(d.streamId, d.line);
      const event: RecordedEvent = {
        streamId: d.streamId,
        revision,
        position,
        type: d.type,
        timestamp: d.timestamp,
        data: d.data,
        metadata: d.metadata,
        kinds: d.kinds,
      };
      list.push(event);
      events.push(event);
    }
    const streams = new Map<string, FileStream>();
    const undashed = new Map<string, string>();
    for (const list of byStream.values()) {
      const originatorTopic = list[0].data.originator_topic;
      // Module-level event classes take the aggregate of the streams they are in (as the library's stores learn them).
      if (typeof originatorTopic === 'string' && originatorTopic) for (const e of list) learnAggregate(e.type, originatorTopic);
    }
    for (const [streamId, list] of byStream) {
      const first = list[0];
      const category = categoryOfStream(streamId, first.type, first.data.originator_topic);
      streams.set(streamId, {
        info: {
          streamId,
          category: category.name,
          count: list.length,
          lastRevision: list[list.length - 1].revision,
          firstType: first.type,
        },
        ...(category.topic ? { topic: category.topic } : {}),
        events: list,
      });
      if (UUID.test(streamId)) undashed.set(squash(streamId), streamId);
    }
    return {
      events,
      streams,
      ids: [...streams.keys()].sort(byCodeUnit),
      undashed,
      categories: categoriesOf([...streams.values()].map((s) => ({ category: s.info.category, ...(s.topic ? { topic: s.topic } : {}) }))),
      warnings,
    };
  }

  private eventsDrafts(text: string): Draft[] {
    return parseEventsFile(text, this.location).map((e, i): Draft => {
      const data = e.data ?? {};
      if (!isRecord(data)) this.fail(e.line, `the body of "${e.type}" is not a JSON object ({…})`);
      return {
        line: e.line,
        streamId: e.streamId,
        type: e.type,
        timestamp: e.created ?? null,
        data,
        metadata: { ...(e.id ? { id: e.id } : {}), ...e.metadata },
        kinds: this.kindsOf(data, {}),
        ...(e.revision !== undefined ? { revision: e.revision } : {}),
        place: i + 1,
      };
    });
  }

  private jsonLinesDrafts(text: string, warnings: string[]): Draft[] {
    const lines = text.split('\n');
    const drafts: Draft[] = [];
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
      if (!raw.trim()) continue;
      let value: unknown;
      try {
        value = parseExactJson(raw);
      } catch (error) {
        if (i === lines.length - 1) {
          warnings.push(
            `Its last line (${i + 1}) has no newline and is not JSON yet (a writer may be in the middle of it): it is left out.`,
          );
          break;
        }
        this.fail(i + 1, `the line is not valid JSON (${messageOf(error).replace(/\.$/, '')})`);
      }
      drafts.push(this.jsonEvent(value, i + 1));
    }
    return drafts;
  }

  /** One line's event, its fields checked. */
  private jsonEvent(value: unknown, line: number): Draft {
    if (!isRecord(value)) this.fail(line, `the line is not a JSON object: each line is one event, {"streamId": …, "type": …, "data": {…}}`);
    const text = (name: string) => {
      const v = value[name];
      if (typeof v !== 'string' || !v) this.fail(line, `the event needs "${name}", a text`);
      return v;
    };
    const whole = (name: string) => {
      const v = value[name];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
        this.fail(line, `"${name}" must be a whole number (got ${stringifyExact(v)})`);
      return v;
    };
    const object = (name: string) => {
      const v = value[name];
      if (v === undefined || v === null) return {};
      if (!isRecord(v)) this.fail(line, `"${name}" must be a JSON object (got ${stringifyExact(v)})`);
      return v;
    };
    const timestamp = value.timestamp;
    if (timestamp !== undefined && timestamp !== null && typeof timestamp !== 'string')
      this.fail(line, `"timestamp" must be a text (got ${stringifyExact(timestamp)})`);
    const given: ValueKinds = {};
    for (const [pointer, kind] of Object.entries(object('kinds')))
      if (typeof kind === 'string') given[pointer] = kind as ValueKinds[string];
    const data = object('data');
    const revision = whole('revision');
    const position = whole('position');
    return {
      line,
      streamId: text('streamId'),
      type: text('type'),
      timestamp: typeof timestamp === 'string' ? timestamp : null,
      data,
      metadata: object('metadata'),
      kinds: this.kindsOf(data, given),
      ...(revision !== undefined ? { revision } : {}),
      ...(position !== undefined ? { position } : {}),
      place: line,
    };
  }

  /** The kinds a file gives (`--typed`), and those its values say of themselves (big integers, NaN). */
  private kindsOf(data: Record<string, unknown>, given: ValueKinds): ValueKinds {
    addValueKinds(data, '', given);
    return given;
  }

  /** A stream by its id (a UUID's without dashes too), or a NoSuchStream. */
  private streamOf(contents: Contents, streamId: string): FileStream {
    const stream = contents.streams.get(streamId) ?? contents.streams.get(contents.undashed.get(squash(streamId)) ?? '');
    if (!stream) throw new NoSuchStream(streamId, this.location);
    return stream;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<EventPage> {
    const limit = pageLimit(options.limit);
    checkIndex('revision', options.fromRevision);
    const { events } = this.streamOf(await this.contents(), streamId);
    return this.page(events, (e) => e.revision, options.fromRevision, limit, options);
  }

  async readAll(options: ReadAllOptions = {}): Promise<EventPage> {
    const limit = pageLimit(options.limit);
    checkIndex('position', options.fromPosition);
    return this.page((await this.contents()).events, (e) => e.position, options.fromPosition, limit, options);
  }

  /**
   * Up to `limit` events of the types asked for, one way from the cursor `from` (inclusive: the
   * first event at or past it) in `events`, which ascend by `cursor` (revision or position); `next`
   * is the cursor of the event after the page.
   */
  private page(
    events: RecordedEvent[],
    cursor: (e: RecordedEvent) => number,
    from: number | undefined,
    limit: number,
    options: { direction?: Direction; types?: string[] },
  ): EventPage {
    const backwards = options.direction === 'backwards';
    const wanted = typeFilter(options.types);
    const start = backwards
      ? (from === undefined ? events.length : firstAtLeast(events, cursor, from + 1)) - 1
      : from === undefined
        ? 0
        : firstAtLeast(events, cursor, from);
    const items: RecordedEvent[] = [];
    for (let i = start; i >= 0 && i < events.length; i += backwards ? -1 : 1) {
      const event = events[i];
      if (!wanted(event.type)) continue;
      if (items.length === limit) return { items, next: cursor(event) };
      // A copy: what a caller does with an event does not change the next read's.
      items.push(structuredClone(event));
    }
    return { items };
  }

  /** Streams in id order; the cursor is the last id handed out. */
  async listStreams(options: ListStreamsOptions = {}): Promise<Page<StreamInfo>> {
    const limit = pageLimit(options.limit);
    const contents = await this.contents();
    const { category, prefix, contains, after } = options;
    const ids = contents.ids;
    // The first id after the cursor.
    let i = after === undefined ? 0 : partitionPoint(ids.length, (j) => ids[j] <= after);
    const items: StreamInfo[] = [];
    for (; i < ids.length; i++) {
      const stream = contents.streams.get(ids[i])!;
      if (category !== undefined && stream.info.category !== category && stream.topic !== category) continue;
      if (prefix !== undefined && !idMatches(ids[i], prefix, 'prefix')) continue;
      if (contains !== undefined && !idMatches(ids[i], contains, 'contains')) continue;
      if (items.length === limit) return { items, next: items[items.length - 1].streamId };
      items.push({ ...stream.info });
    }
    return { items };
  }

  async categories(): Promise<CategoryInfo[]> {
    return (await this.contents()).categories.map((c) => ({ ...c }));
  }

  async headPosition(): Promise<number> {
    return (await this.contents()).events.at(-1)?.position ?? 0;
  }

  /** Files have no snapshots. */
  async snapshots(_streamId: string): Promise<Snapshot[]> {
    await this.contents();
    return [];
  }

  /** Files record no projection positions. */
  async checkpoints(_upstreamHead?: number): Promise<Checkpoint[]> {
    await this.contents();
    return [];
  }

  async info(): Promise<StoreInfo> {
    const contents = await this.contents();
    return {
      kind: 'events-file',
      location: this.location,
      engine: this.format === 'events' ? '.events text, read whole' : 'JSON lines, read whole',
      openMode: 'read-only',
      warnings: [...contents.warnings],
      tables: [],
      events: contents.events.length,
      streams: contents.streams.size,
      snapshots: 0,
      headPosition: contents.events.at(-1)?.position ?? 0,
      encoding: { compression: 'none', encrypted: false },
      categories: contents.categories.map((c) => ({ ...c })),
      checkpoints: [],
    };
  }

  /** Calls `onChange` when the file's folder says the file changed (written, replaced, removed). */
  watch(onChange: () => void, onError: (error: Error) => void): { close(): void } {
    return this.feeds.add(() => watchFile(this.location, [], onChange, onError));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.last = undefined;
    this.feeds.closeAll();
  }
}
