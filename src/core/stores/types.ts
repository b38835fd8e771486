/** The interface every event-store backend implements. Everything pages; nothing loads a store. */

import { EventscopeError, NoSuchStream } from '../errors';
import type { RecordedEvent, StreamInfo, ValueKinds } from '../events';

/**
 * One page of results and, when there is more, the cursor of the next page: an opaque string for
 * lists of streams, the next revision or position (a number) for events. Absent at the end.
 */
export interface Page<T, C = string> {
  items: T[];
  next?: C;
}

/** A page of events: `next` is the revision (a stream) or position (the log) to read from. */
export type EventPage = Page<RecordedEvent, number>;

export interface ListStreamsOptions {
  /** Only streams of this category (aggregate type). */
  category?: string;
  /** Only stream ids that start with this text (dashes in UUIDs optional). */
  prefix?: string;
  /** Only stream ids that contain this text (dashes in UUIDs optional). */
  contains?: string;
  limit?: number;
  /** Cursor from a previous page's `next`. */
  after?: string;
}

export type Direction = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  /** First revision to read (inclusive); for backwards reads the highest revision. */
  fromRevision?: number;
  direction?: Direction;
  limit?: number;
  /** Only events whose type matches one of these keys (see `typeMatches`). */
  types?: string[];
}

export interface ReadAllOptions {
  /** First position to read (inclusive); for backwards reads the highest position. */
  fromPosition?: number;
  /** Newest first when 'backwards' (`next` then goes down). */
  direction?: Direction;
  limit?: number;
  /** Only events whose type matches one of these keys (see `typeMatches`). */
  types?: string[];
}

export interface CategoryInfo {
  /** Short name: the aggregate class (`BankAccount`). */
  name: string;
  /** The full aggregate topic when known (`bank.domain:BankAccount`). */
  topic?: string;
  streams: number;
}

export interface Snapshot {
  streamId: string;
  revision: number;
  type: string;
  timestamp: string | null;
  data: Record<string, unknown>;
  kinds: ValueKinds;
}

export interface Checkpoint {
  /** The upstream application the projection/process follows. */
  name: string;
  /** The last position it has processed. */
  position: number;
  /** How many positions it is behind the upstream head, when that head is known. */
  lag: number | null;
}

export interface TableInfo {
  name: string;
  rows: number;
}

/** The kinds of store Eventscope reads (the extension's connection kinds too). */
export type StoreKind = 'eventsourcing-sqlite' | 'eventsourcing-postgres' | 'kurrentdb' | 'redis-streams' | 'events-file';

/** What each kind of store is called in messages, tooltips and `info`. */
export const STORE_KIND_LABELS: Record<StoreKind, string> = {
  'eventsourcing-sqlite': 'eventsourcing SQLite',
  'eventsourcing-postgres': 'eventsourcing on PostgreSQL',
  kurrentdb: 'KurrentDB',
  'redis-streams': 'Redis streams',
  'events-file': 'events file (.events / JSON lines)',
};

export interface StoreInfo {
  kind: StoreKind;
  location: string;
  engine: string;
  /** How the store was opened: read-only with live updates, or immutable (no live updates). */
  openMode: 'read-only' | 'immutable';
  warnings: string[];
  tables: TableInfo[];
  /** -1 when the store cannot count them cheaply (see its warnings). */
  events: number;
  streams: number;
  snapshots: number;
  headPosition: number;
  encoding: { compression: string; encrypted: boolean | 'unknown' };
  categories: CategoryInfo[];
  checkpoints: Checkpoint[];
}

export interface EventStore {
  readonly location: string;
  info(): Promise<StoreInfo>;
  listStreams(options?: ListStreamsOptions): Promise<Page<StreamInfo>>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<EventPage>;
  readAll(options?: ReadAllOptions): Promise<EventPage>;
  categories(): Promise<CategoryInfo[]>;
  /** The position of the newest event (0 when empty): cheap, for noticing new events. */
  headPosition(): Promise<number>;
  snapshots(streamId: string): Promise<Snapshot[]>;
  /** Projection positions; `upstreamHead` (the followed store's head) gives their lag. */
  checkpoints(upstreamHead?: number): Promise<Checkpoint[]>;
  /**
   * Calls `onChange` soon after new events are written, pushed by the server, until closed; a
   * failure of the feed goes to `onError` once (and the feed ends). Stores without it are polled
   * with `headPosition`.
   */
  watch?(onChange: () => void, onError: (error: Error) => void): { close(): void };
  close(): Promise<void>;
}

/** The page size of a read that names none, and the largest any store hands out. */
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 10_000;

/** The page size asked for, checked and capped. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1) throw new EventscopeError(`The page limit must be a positive integer (got ${limit}).`);
  return Math.min(limit, MAX_PAGE);
}

/** Checks a revision or position to read from. */
export function checkIndex(what: string, value: number | undefined): void {
  if (value !== undefined && !Number.isInteger(value))
    throw new EventscopeError(`The ${what} to read from must be an integer (got ${value}).`);
}

/** Code-unit order of ids and names (the order stores list streams and categories in; locale-free). */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The categories of these streams, each with its number of streams, in code-unit order of their names. */
export function categoriesOf(streams: Iterable<{ category: string; topic?: string }>): CategoryInfo[] {
  const found = new Map<string, CategoryInfo>();
  for (const { category, topic } of streams) {
    const info = found.get(category) ?? { name: category, ...(topic ? { topic } : {}), streams: 0 };
    info.streams++;
    found.set(category, info);
  }
  return [...found.values()].sort((a, b) => byCodeUnit(a.name, b.name));
}

/** Runs `work` on every item, `size` at a time (a server's requests of one batch go out together). */
export async function inBatches<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  return out;
}

export interface PagingOptions<C> {
  /** Where to start (undefined: at the start). */
  from?: C;
  /** The most items in all (the last page is cut); undefined: all there are. */
  limit?: number;
  /** Items to ask for per page (fewer near `limit`); undefined: the store's default. */
  pageSize?: number;
}

/**
 * The pages of any paged read, in order: `read(cursor, size)` reads a page from `cursor` and its
 * `next` says where the one after starts. The one paging loop of the code base: stores cap their
 * pages, callers ask for what they need.
 */
export async function* pagesOf<T, C>(
  read: (cursor: C | undefined, size: number | undefined) => Promise<Page<T, C>>,
  options: PagingOptions<C> = {},
): AsyncGenerator<T[]> {
  const { limit, pageSize } = options;
  let remaining = limit ?? Infinity;
  let cursor = options.from;
  while (remaining > 0) {
    const size = limit === undefined ? pageSize : Math.min(remaining, pageSize ?? remaining);
    const page = await read(cursor, size);
    const items = page.items.length > remaining ? page.items.slice(0, remaining) : page.items;
    yield items;
    remaining -= items.length;
    if (page.next === undefined) return;
    cursor = page.next;
  }
}

/** Every event of a stream, page by page (`options.limit` is the page size). */
export async function* iterateStream(store: EventStore, streamId: string, options: ReadStreamOptions = {}): AsyncGenerator<RecordedEvent> {
  const read = (fromRevision: number | undefined, limit: number | undefined) =>
    store.readStream(streamId, { ...options, fromRevision, limit });
  for await (const items of pagesOf(read, { from: options.fromRevision, pageSize: options.limit })) yield* items;
}

/** Every event of the store in global order, page by page (`options.limit` is the page size). */
export async function* iterateAll(store: EventStore, options: ReadAllOptions = {}): AsyncGenerator<RecordedEvent> {
  const read = (fromPosition: number | undefined, limit: number | undefined) => store.readAll({ ...options, fromPosition, limit });
  for await (const items of pagesOf(read, { from: options.fromPosition, pageSize: options.limit })) yield* items;
}

/** An event as the eventsourcing library stored it: its originator id, topic, and state untouched (bytes, hex, or JSON text). */
export interface StoredForm {
  originatorId: string;
  topic: string;
  state: Uint8Array | string;
}

/**
 * The stored form of events read by a store opened with `keepStored` (for a runner that decodes
 * them with the application's own code: the Python runner). Beside the event, not in it, so it
 * never travels with the event to a host or a page.
 */
export const storedForms = new WeakMap<RecordedEvent, StoredForm>();

/**
 * A stream id as a person types it: the id itself, or the start of exactly one stream's id (UUID
 * dashes optional), as `streams --prefix` matches; an ambiguous start is a sentence naming the
 * candidates, no match the store's own "There is no stream".
 */
export async function resolveStreamId(store: EventStore, text: string): Promise<string> {
  try {
    await store.readStream(text, { limit: 1 });
    return text;
  } catch (error) {
    if (!(error instanceof NoSuchStream)) throw error;
    const { items } = await store.listStreams({ prefix: text, limit: 6 });
    if (items.length === 1) return items[0].streamId;
    if (!items.length) throw error;
    const shown = items.slice(0, 5).map((s) => `${s.streamId}${s.label ? ` (${s.label})` : ''}`);
    throw new EventscopeError(
      `"${text}" starts ${items.length > 5 ? 'more than 5' : items.length} stream ids in ${store.location}: ${shown.join(', ')}${items.length > 5 ? ', …' : ''}; give more of the id.`,
    );
  }
}
