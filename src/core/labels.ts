/**
 * Stream labels: the name people know an aggregate by ("Dana Whitfield", "SKU-4711"), shown beside
 * its UUID. A label is the first of the candidate fields (`LABEL_FIELDS`) with a short scalar value
 * in the aggregate's latest snapshot when it has one (names change, and a snapshot has the current
 * one), else in its first (created) event. A rule per category (the `eventscope.streamLabels`
 * setting: `{"BankAccount": "full_name"}`) names the field instead, as a dotted path into the data
 * (`customer.name`); an empty rule turns labels off for that category, and `"*"` is the rule for the
 * categories not named.
 *
 * Built on the `EventStore` interface only (`snapshots()` and `readStream` with limit 1), so it
 * works for every backend. Labelling a stream costs one or two indexed reads and one decode.
 */

import { categoryOf, isRecord, type RecordedEvent, type StreamInfo } from './events';
import { pagesOf, type EventStore } from './stores/types';

/** Category (aggregate type, as `StreamInfo.category`) -> dotted path of the field to show; `"*"`: any other. */
export type LabelRules = Record<string, string>;

/**
 * The fields a label is taken from, in order, when no rule names one. Keys match ignoring case,
 * `_` and `-` (`full_name`, `fullName`, `FullName`).
 */
export const LABEL_FIELDS: readonly string[] = [
  'name',
  'full_name',
  'display_name',
  'title',
  'label',
  'username',
  'user_name',
  'login',
  'handle',
  'email',
  'email_address',
  'sku',
  'slug',
  'code',
  'reference',
];

/** Longest label shown (characters); longer values are cut with "…". */
export const LABEL_MAX_LENGTH = 60;

const normalizeKey = (key: string) => key.replace(/[_-]/g, '').toLowerCase();
const CANDIDATES = LABEL_FIELDS.map(normalizeKey);

/** The text of a value fit to be a label: a non-empty string (one line, cut), a finite number or a bigint. */
export function labelText(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'string') return undefined;
  const text = value.replace(/\s+/g, ' ').trim();
  if (!text) return undefined;
  return text.length > LABEL_MAX_LENGTH ? `${text.slice(0, LABEL_MAX_LENGTH - 1)}…` : text;
}

/** The value at a dotted path (`customer.name`, `lines.0.sku`), or undefined. */
export function valueAt(data: unknown, path: string): unknown {
  let value = data;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** The rule for a category: its own, else `"*"`'s, else none (the candidate fields). */
export function ruleFor(category: string | undefined, rules: LabelRules | undefined): string | undefined {
  if (!rules) return undefined;
  if (category !== undefined && Object.hasOwn(rules, category)) return rules[category].trim();
  return Object.hasOwn(rules, '*') ? rules['*'].trim() : undefined;
}

/**
 * The label in an aggregate's data (a created event's fields, a snapshot's state): the rule's
 * field for the category when there is a rule (nothing when it is empty or the field is not
 * there), else the first candidate field (`LABEL_FIELDS`, at the top level) with a label-like value.
 */
export function labelOf(data: unknown, category?: string, rules?: LabelRules): string | undefined {
  if (!isRecord(data)) return undefined;
  const rule = ruleFor(category, rules);
  if (rule !== undefined) return rule ? labelText(valueAt(data, rule)) : undefined;
  let best: string | undefined;
  let bestRank = CANDIDATES.length;
  for (const key of Object.keys(data)) {
    const rank = CANDIDATES.indexOf(normalizeKey(key));
    if (rank < 0 || rank >= bestRank) continue;
    const text = labelText(data[key]);
    if (text === undefined) continue;
    best = text;
    bestRank = rank;
    if (rank === 0) break;
  }
  return best;
}

/**
 * The aggregate's own fields in a snapshot: eventsourcing's snapshots wrap them
 * (`{timestamp, topic, state: {...}}`); other stores' snapshots are the state itself.
 */
export function snapshotState(data: Record<string, unknown>): Record<string, unknown> {
  return typeof data.topic === 'string' && isRecord(data.state) ? data.state : data;
}

/** The category of the stream an event starts, as the stores name categories (`categoryOf`). */
export function categoryOfEvent(event: Pick<RecordedEvent, 'type' | 'data'>): string {
  return categoryOf(event.type, event.data.originator_topic).name;
}

/**
 * One stream's label: from its latest snapshot, else its first event. Without a category, the
 * first event tells it (read first). Reads fail loudly; `labelStreams` turns failures into no label.
 */
export async function labelStream(store: EventStore, streamId: string, category?: string, rules?: LabelRules): Promise<string | undefined> {
  let first: RecordedEvent | undefined;
  if (category === undefined) {
    first = (await store.readStream(streamId, { limit: 1 })).items[0];
    if (!first) return undefined;
    category = categoryOfEvent(first);
  }
  if (ruleFor(category, rules) === '') return undefined;
  const latest = (await store.snapshots(streamId)).at(-1);
  const fromSnapshot = latest ? labelOf(snapshotState(latest.data), category, rules) : undefined;
  if (fromSnapshot !== undefined) return fromSnapshot;
  first ??= (await store.readStream(streamId, { limit: 1 })).items[0];
  return first ? labelOf(first.data, category, rules) : undefined;
}

/**
 * `labelStream`, with no label for a stream that can't be read (a wrong cipher key, a damaged
 * row): a listing must not fail on one stream's name.
 */
function labelOrNone(store: EventStore, streamId: string, category?: string, rules?: LabelRules): Promise<string | undefined> {
  return labelStream(store, streamId, category, rules).catch(() => undefined);
}

/** The streams with their labels filled in (`label` only where there is one). */
export async function labelStreams(store: EventStore, streams: StreamInfo[], rules?: LabelRules): Promise<StreamInfo[]> {
  const out: StreamInfo[] = [];
  for (const stream of streams) {
    const label = await labelOrNone(store, stream.streamId, stream.category, rules);
    out.push(label === undefined ? stream : { ...stream, label });
  }
  return out;
}

/** Labels of streams known only by id (the category comes from each first event); unlabelled ones are absent. */
export async function labelStreamIds(store: EventStore, streamIds: Iterable<string>, rules?: LabelRules): Promise<Map<string, string>> {
  const labels = new Map<string, string>();
  for (const id of streamIds) {
    const label = await labelOrNone(store, id, undefined, rules);
    if (label !== undefined) labels.set(id, label);
  }
  return labels;
}

/** The label rules of a setting's value: string values only. */
export function readLabelRules(value: unknown): LabelRules {
  const rules: LabelRules = {};
  if (!isRecord(value)) return rules;
  for (const [category, path] of Object.entries(value)) if (typeof path === 'string') rules[category] = path;
  return rules;
}

/**
 * Whether a stream matches a streams filter: its id contains the text (case and UUID dashes
 * ignored) or its label does (case ignored).
 */
export function streamMatches(text: string, streamId: string, label: string | undefined): boolean {
  const needle = text.trim().toLowerCase();
  if (!needle) return true;
  if (label?.toLowerCase().includes(needle)) return true;
  const id = streamId.toLowerCase();
  return id.includes(needle) || id.replace(/-/g, '').includes(needle.replace(/-/g, ''));
}

/**
 * Labels asked for by stream id, kept once read (misses too): the replay worker's, one per replay.
 * `lookup` reads the ones not known yet.
 */
export class LabelCache {
  private readonly known = new Map<string, string | null>();

  constructor(private readonly lookup: (streamIds: string[]) => Promise<Map<string, string>>) {}

  /** The label when it is known: a string, null (none), or undefined (not read yet). */
  peek(streamId: string): string | null | undefined {
    return this.known.get(streamId);
  }

  /** The labels of these streams (those that have one), reading the unknown ones. */
  async labels(streamIds: Iterable<string>): Promise<Map<string, string>> {
    const wanted = new Set(streamIds);
    const missing = [...wanted].filter((id) => !this.known.has(id));
    if (missing.length) {
      const read = await this.lookup(missing);
      for (const id of missing) this.known.set(id, read.get(id) ?? null);
    }
    const out = new Map<string, string>();
    for (const id of wanted) {
      const label = this.known.get(id);
      if (typeof label === 'string') out.set(id, label);
    }
    return out;
  }

  async label(streamId: string): Promise<string | undefined> {
    return (await this.labels([streamId])).get(streamId);
  }
}

export interface LabelIndexOptions {
  /** Streams listed (and labelled) at a time; the event loop gets a turn between pages. */
  pageSize?: number;
  /** Streams indexed at most (memory: ~120 bytes each, ~220 with the store's id cache); past it the index says `truncated`. */
  maxStreams?: number;
  /** Events written since the index was built that `update` reads; past it the index starts again. */
  maxDelta?: number;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Every stream of one category with its label, so a streams filter can match labels on a big
 * store: built once (a page of streams at a time, resumable, in the background), then kept
 * current by `update`, which re-labels the streams that got events since (new ones included).
 * Matching is then a scan of the index in memory (~40 ms over 100,000 streams). Cost: listing
 * and labelling each stream once (~65 µs a stream with better-sqlite3: ~7 s for 100,000), and
 * ~120 bytes a stream.
 */
export class LabelIndex {
  /** Stream id -> label ('' when none), in the store's order (streams found by `update` at the end). */
  private readonly labels = new Map<string, string>();
  private after: string | undefined;
  /** The head position the index is current with. */
  private head = -1;
  /** Builds run one after the other (a later one goes on where an aborted one stopped). */
  private queue: Promise<void> = Promise.resolve();
  /** Goes up whenever labels are added or changed (a cache of `matching` results can check it). */
  version = 0;
  /** Every stream of the category is in (or `maxStreams` were reached). */
  done = false;
  /** It stopped at `maxStreams`. */
  truncated = false;
  private readonly pageSize: number;
  private readonly maxStreams: number;
  private readonly maxDelta: number;

  constructor(
    readonly store: EventStore,
    readonly category: string,
    readonly rules: LabelRules = {},
    options: LabelIndexOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 500;
    this.maxStreams = options.maxStreams ?? 250_000;
    this.maxDelta = options.maxDelta ?? 20_000;
  }

  /** Streams indexed so far. */
  get size(): number {
    return this.labels.size;
  }

  /** Builds the index, or goes on from where it stopped; resolves when it is done or `signal` aborted. */
  build(onProgress?: (indexed: number) => void, signal?: AbortSignal): Promise<void> {
    const run = () => this.run(onProgress, signal);
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async run(onProgress?: (indexed: number) => void, signal?: AbortSignal): Promise<void> {
    if (this.done) return;
    // Streams created from here on are listed if their id sorts after the cursor, else found by `update`.
    if (this.head < 0) this.head = await this.store.headPosition();
    for (;;) {
      if (signal?.aborted) return;
      const page = await this.store.listStreams({ category: this.category, limit: this.pageSize, after: this.after });
      for (const s of await labelStreams(this.store, page.items, this.rules)) this.labels.set(s.streamId, s.label ?? '');
      this.after = page.next;
      this.version++;
      onProgress?.(this.labels.size);
      if (page.next === undefined || this.labels.size >= this.maxStreams) {
        this.truncated = page.next !== undefined;
        this.done = true;
        return;
      }
      await nextTurn();
    }
  }

  /**
   * Catches up with events written since the index was built: re-labels the streams they belong
   * to (a new snapshot may rename one) and adds new streams of the category. After a big change
   * (more than `maxDelta` events) the index starts again: `done` is false, call `build`.
   */
  async update(): Promise<void> {
    if (!this.done) return;
    const head = await this.store.headPosition();
    if (head <= this.head) return;
    if (head - this.head > this.maxDelta) {
      this.labels.clear();
      Object.assign(this, { after: undefined, head: -1, done: false, truncated: false });
      this.version++;
      return;
    }
    const touched = new Set<string>();
    const read = (fromPosition: number | undefined, limit: number | undefined) => this.store.readAll({ fromPosition, limit });
    for await (const events of pagesOf(read, { from: this.head + 1, pageSize: 1000 })) {
      for (const event of events) if (event.position <= head) touched.add(event.streamId);
      if (events.length && events[events.length - 1].position >= head) break;
    }
    for (const id of touched) {
      if (!this.labels.has(id)) {
        // A stream not seen: in the index only if it is of this category (and there is room).
        if (this.truncated) continue;
        const listed = await this.store.listStreams({ category: this.category, prefix: id, limit: 1 });
        if (listed.items[0]?.streamId !== id) continue;
      }
      this.labels.set(id, (await labelOrNone(this.store, id, this.category, this.rules)) ?? '');
    }
    this.head = head;
    this.version++;
  }

  /** The label of an indexed stream ('' none; undefined: not in the index). */
  labelOf(streamId: string): string | undefined {
    return this.labels.get(streamId);
  }

  /** Ids of the indexed streams that match a filter (`streamMatches`), sorted. */
  matching(text: string): string[] {
    const out: string[] = [];
    for (const [id, label] of this.labels) if (streamMatches(text, id, label)) out.push(id);
    return out.sort();
  }
}

/** "8b79390a…" for a UUID, else the id (cut at 24 characters): beside a label, the id in short. */
export function shortStreamId(streamId: string): string {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(streamId)) return `${streamId.slice(0, 8)}…`;
  return streamId.length > 24 ? `${streamId.slice(0, 23)}…` : streamId;
}
