/**
 * A store's event catalog: what the editor needs to know of a store to help write code against it
 * (the language server's completions, hovers and "did you mean"). Per event type: how many, first
 * and last seen, a sample event, and the data fields seen with sample values; the stream ids with
 * their categories. Built by one read of the log (up to a limit), extended from where it stopped
 * when new events arrive.
 */

import { setImmediate } from 'node:timers/promises';
import { isRecord, qualifiedName, type RecordedEvent, type StreamInfo } from './events';
import { stringifyExact } from './json/exact';
import { pagesOf, type EventStore } from './stores/types';

/** The most events a catalog reads (counts beyond it are not known: `complete` is false). */
const CATALOG_SCAN = 1_000_000;
/** Events a page: reading and counting one holds the process ~5–10 ms, then it answers what waits. */
const PAGE = 1000;
/** The events of a type whose data fields are looked at (the first ones, then every 64th up to the limit). */
const FIELD_EVENTS = 200;
/** The most streams listed (for completion of stream ids). */
const STREAM_LIMIT = 10_000;
/** How deep into a payload fields are collected (`a.b.c`). */
const FIELD_DEPTH = 3;
/** The most fields kept per type, and distinct sample values per field. */
const MAX_FIELDS = 300;
const MAX_SAMPLES = 3;
/** How long a sample value's text may be before it is cut. */
const SAMPLE_CHARS = 80;

/** Where an event of a type stands: its position and time. */
export interface Seen {
  position: number;
  timestamp: string | null;
  streamId: string;
}

export interface FieldInfo {
  /** The keys from the payload down to the field (`['address', 'city']`). */
  path: string[];
  /** In how many of the looked-at events of the type it occurs. */
  count: number;
  /** Distinct values seen, as JSON text (cut to SAMPLE_CHARS). */
  samples: string[];
  /** The JSON kinds seen (`string`, `number`, `object`, …). */
  kinds: string[];
}

export interface TypeInfo {
  /** The type as stored (an eventsourcing topic, `bankapp.domainmodel:BankAccount.Opened`). */
  type: string;
  /** The qualified name projection keys use (`BankAccount.Opened`). */
  name: string;
  count: number;
  first: Seen;
  last: Seen;
  /** The data of the type's first event (as exact JSON text, cut to 2,000 characters). */
  sample: string;
  /** How many of the type's events the fields were counted over. */
  looked: number;
  fields: FieldInfo[];
}

export interface StreamEntry {
  streamId: string;
  category: string;
  count: number;
  label?: string;
}

export interface EventCatalog {
  /** The store's location (path or URL without password). */
  location: string;
  /** The events read. */
  events: number;
  /** The position of the last event read (0: none). */
  head: number;
  /** Whether every event of the store was read (false: the scan stopped at CATALOG_SCAN). */
  complete: boolean;
  types: TypeInfo[];
  streams: StreamEntry[];
  /** Whether every stream is listed (false: the first STREAM_LIMIT). */
  streamsComplete: boolean;
}

interface TypeAccumulator {
  info: TypeInfo;
  fields: Map<string, FieldInfo>;
}

/** Cuts a JSON text to SAMPLE_CHARS (an ellipsis says so). */
function cut(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'bigint' ? 'number' : typeof value;
}

/** Collects catalogs event by event (`add`), in log order; `catalog()` is the state so far. */
export class CatalogBuilder {
  private readonly types = new Map<string, TypeAccumulator>();
  private events = 0;
  private head = 0;
  private complete = false;
  private streams: StreamEntry[] = [];
  private streamsComplete = false;

  constructor(readonly location: string) {}

  add(event: RecordedEvent): void {
    this.events++;
    this.head = Math.max(this.head, event.position);
    const seen: Seen = { position: event.position, timestamp: event.timestamp, streamId: event.streamId };
    let acc = this.types.get(event.type);
    if (!acc) {
      acc = {
        info: {
          type: event.type,
          name: qualifiedName(event.type),
          count: 0,
          first: seen,
          last: seen,
          sample: cut(stringifyExact(event.data, 2), 2000),
          looked: 0,
          fields: [],
        },
        fields: new Map(),
      };
      this.types.set(event.type, acc);
    }
    const info = acc.info;
    info.count++;
    info.last = seen;
    // The first events of a type, then a thin sample of the rest: fields that come later are seen too.
    if (info.looked < FIELD_EVENTS || (info.count % 64 === 0 && info.looked < FIELD_EVENTS * 4)) {
      info.looked++;
      this.collect(acc, event.data, []);
    }
  }

  private collect(acc: TypeAccumulator, value: Record<string, unknown>, path: string[]): void {
    for (const [key, v] of Object.entries(value)) {
      const at = [...path, key];
      const id = JSON.stringify(at);
      let field = acc.fields.get(id);
      if (!field) {
        if (acc.fields.size >= MAX_FIELDS) continue;
        field = { path: at, count: 0, samples: [], kinds: [] };
        acc.fields.set(id, field);
      }
      field.count++;
      const kind = kindOf(v);
      if (!field.kinds.includes(kind)) field.kinds.push(kind);
      if (field.samples.length < MAX_SAMPLES && !isRecord(v)) {
        const text = cut(stringifyExact(v), SAMPLE_CHARS);
        if (!field.samples.includes(text)) field.samples.push(text);
      }
      if (isRecord(v) && at.length < FIELD_DEPTH) this.collect(acc, v, at);
    }
  }

  setStreams(streams: StreamInfo[], complete: boolean): void {
    this.streams = streams.map((s) => ({
      streamId: s.streamId,
      category: s.category,
      count: s.count,
      ...(s.label ? { label: s.label } : {}),
    }));
    this.streamsComplete = complete;
  }

  setComplete(complete: boolean): void {
    this.complete = complete;
  }

  get position(): number {
    return this.head;
  }

  get count(): number {
    return this.events;
  }

  catalog(): EventCatalog {
    const types = [...this.types.values()].map(({ info, fields }) => ({
      ...info,
      fields: [...fields.values()].sort((a, b) => b.count - a.count || a.path.length - b.path.length),
    }));
    return {
      location: this.location,
      events: this.events,
      head: this.head,
      complete: this.complete,
      types: types.sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1)),
      streams: this.streams,
      streamsComplete: this.streamsComplete,
    };
  }
}

export interface CatalogReadOptions {
  /** Called after each page with the events read so far. */
  onProgress?: (events: number) => void;
}

/**
 * Reads the store's events after those the builder has (all of them, the first time) into it, up
 * to CATALOG_SCAN, and lists its streams again when there were new events (streams come with
 * events). The same builder extends a catalog when new events arrive.
 */
export async function readCatalog(store: EventStore, builder: CatalogBuilder, options: CatalogReadOptions = {}): Promise<EventCatalog> {
  const first = builder.count === 0;
  const remaining = Math.max(0, CATALOG_SCAN - builder.count);
  const read = (fromPosition: number | undefined, size: number | undefined) => store.readAll({ fromPosition, limit: size });
  let got = 0;
  if (remaining > 0) {
    for await (const items of pagesOf(read, {
      from: builder.position ? builder.position + 1 : undefined,
      limit: remaining,
      pageSize: PAGE,
    })) {
      for (const e of items) builder.add(e);
      got += items.length;
      options.onProgress?.(builder.count);
      // A store that reads synchronously (SQLite) would otherwise hold its process until the end.
      await setImmediate();
    }
  }
  builder.setComplete(got < remaining || (await store.headPosition()) <= builder.position);
  if (first || got > 0) {
    const streams: StreamInfo[] = [];
    const list = (after: string | undefined, size: number | undefined) => store.listStreams({ after, limit: size });
    for await (const items of pagesOf(list, { limit: STREAM_LIMIT, pageSize: 1000 })) streams.push(...items);
    builder.setStreams(streams, streams.length < STREAM_LIMIT);
  }
  return builder.catalog();
}
