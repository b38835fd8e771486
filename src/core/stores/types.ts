/** The interface every event-store backend implements. Everything pages; nothing loads a store. */

import type { RecordedEvent, StreamInfo, ValueKinds } from '../events';

/** One page of results and, when there is more, the cursor for the next page. */
export interface Page<T> {
  items: T[];
  /** Opaque cursor (streams) or the next revision/position to read from; absent at the end. */
  next?: string;
}

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
  /** First position to read (inclusive). */
  fromPosition?: number;
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

export interface StoreInfo {
  kind: string;
  location: string;
  engine: string;
  /** How the store was opened: read-only with live updates, or immutable (no live updates). */
  openMode: 'read-only' | 'immutable';
  warnings: string[];
  tables: TableInfo[];
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
  readStream(streamId: string, options?: ReadStreamOptions): Promise<Page<RecordedEvent>>;
  readAll(options?: ReadAllOptions): Promise<Page<RecordedEvent>>;
  categories(): Promise<CategoryInfo[]>;
  /** The position of the newest event (0 when empty): cheap, for noticing new events. */
  headPosition(): Promise<number>;
  snapshots(streamId: string): Promise<Snapshot[]>;
  /** Projection positions; `upstreamHead` (the followed store's head) gives their lag. */
  checkpoints(upstreamHead?: number): Promise<Checkpoint[]>;
  close(): Promise<void>;
}

/** Every event of a stream, page by page. */
export async function* iterateStream(store: EventStore, streamId: string, options: ReadStreamOptions = {}): AsyncGenerator<RecordedEvent> {
  let from = options.fromRevision;
  for (;;) {
    const page = await store.readStream(streamId, { ...options, fromRevision: from });
    yield* page.items;
    if (page.next === undefined) return;
    from = Number(page.next);
  }
}

/** Every event of the store in global order, page by page. */
export async function* iterateAll(store: EventStore, options: ReadAllOptions = {}): AsyncGenerator<RecordedEvent> {
  let from = options.fromPosition;
  for (;;) {
    const page = await store.readAll({ ...options, fromPosition: from });
    yield* page.items;
    if (page.next === undefined) return;
    from = Number(page.next);
  }
}
