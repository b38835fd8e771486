/** The store-independent shapes of events and streams, and their canonical JSON. */

// No imports: the replay panel's page (a browser) bundles this module too.

/** What a decoded value really is, where plain JSON would lose it. */
export type ValueKind = 'decimal' | 'uuid' | 'datetime' | 'date' | 'bigint' | 'nonfinite' | `custom:${string}`;

/** JSON pointer (RFC 6901, into the decoded state) -> the kind of the value there. */
export type ValueKinds = Record<string, ValueKind>;

/** A key as a segment of a JSON pointer (RFC 6901: `~` and `/` escaped). */
export function pointerSegment(key: string): string {
  return key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key;
}

/**
 * Adds the kinds values say of themselves (bigints, non-finite numbers) to `kinds`, under `path`,
 * where `kinds` has none: in arrays and plain objects, as JSON prints them (`seen`: the objects
 * above, so a cycle ends).
 */
export function addValueKinds(value: unknown, path: string, kinds: ValueKinds, seen: Set<object> = new Set()): void {
  if (typeof value === 'bigint') kinds[path] ??= 'bigint';
  else if (typeof value === 'number') {
    if (!Number.isFinite(value)) kinds[path] ??= 'nonfinite';
  } else if (value !== null && typeof value === 'object' && !seen.has(value)) {
    const proto = Object.getPrototypeOf(value) as object | null;
    const array = Array.isArray(value);
    if (!array && proto !== null && Object.getPrototypeOf(proto) !== null) return; // not a plain object (of any realm)
    seen.add(value); // the objects above this one: a cycle stops here
    if (array) value.forEach((v, i) => addValueKinds(v, `${path}/${i}`, kinds, seen));
    else for (const [k, v] of Object.entries(value)) addValueKinds(v, `${path}/${pointerSegment(k)}`, kinds, seen);
    seen.delete(value);
  }
}

/** One stored event, decoded. */
export interface RecordedEvent {
  /** Stream (aggregate) id: a dashed UUID for eventsourcing UUID ids, else the raw id. */
  streamId: string;
  /** Position within the stream (eventsourcing: `originator_version`). */
  revision: number;
  /** Global position in the store (eventsourcing SQLite: the notification id = rowid). */
  position: number;
  /** The event type as stored (eventsourcing: the full topic `module:Qual.Name`). */
  type: string;
  /** ISO timestamp as stored, or null when the event has none. */
  timestamp: string | null;
  /** The whole decoded state/body: every key kept; bigints and non-finite numbers exact. */
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** Kinds of exact values inside `data` (decimal, uuid, datetime, bigint...), by JSON pointer. */
  kinds: ValueKinds;
}

/** One stream (eventsourcing: one aggregate). */
export interface StreamInfo {
  streamId: string;
  category: string;
  count: number;
  lastRevision: number;
  firstType: string;
  /** The name people know the stream by ("Dana Whitfield"), when known: see `labels.ts`. */
  label?: string;
}

/** Whether a value is a JSON object (not null, not an array): an event's data or metadata, say. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The event as the CLI's JSON and projections see it: the recorded event without its value kinds. */
export type EventJSON = Omit<RecordedEvent, 'kinds'>;

/** The event as the CLI's JSON and projections see it (field order fixed). */
export function eventToJSON(event: RecordedEvent): EventJSON {
  return {
    streamId: event.streamId,
    revision: event.revision,
    position: event.position,
    type: event.type,
    timestamp: event.timestamp,
    data: event.data,
    metadata: event.metadata,
  };
}

/** The event with the kinds of its exact values (`--typed`): pointers into `data`, as `ValueKinds`. */
export type TypedEventJSON = EventJSON & { kinds: ValueKinds };

/** The event as the CLI's `--typed` JSON prints it: `eventToJSON`'s fields, then `kinds`. */
export function eventToTypedJSON(event: RecordedEvent): TypedEventJSON {
  return { ...eventToJSON(event), kinds: event.kinds };
}

export function streamToJSON(stream: StreamInfo): Record<string, unknown> {
  return {
    streamId: stream.streamId,
    category: stream.category,
    count: stream.count,
    lastRevision: stream.lastRevision,
    firstType: stream.firstType,
    ...(stream.label !== undefined ? { label: stream.label } : {}),
  };
}

/** What identifies an event across replays of the same source (a re-run keeps the cursor on it). */
export type EventKey = Pick<RecordedEvent, 'streamId' | 'revision' | 'position'>;

/** The key of an event: enough to find it again across re-runs. */
export function eventKey(event: EventKey): EventKey {
  return { streamId: event.streamId, revision: event.revision, position: event.position };
}

export function sameEvent(event: EventKey, key: EventKey): boolean {
  return event.position === key.position && event.streamId === key.streamId && event.revision === key.revision;
}

/**
 * Whether a filter text matches an event: every word, case-insensitively, in its type (or its
 * qualified name, `Dog.TrickAdded` for a module-level class too), stream id or stream label.
 */
export function filterMatches(filter: string, type: string, streamId: string, label?: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const named = `${type} ${qualifiedName(type)}`;
  const text = (label === undefined ? `${named} ${streamId}` : `${named} ${streamId} ${label}`).toLowerCase();
  return words.every((w) => text.includes(w));
}

/**
 * Aggregates of event classes defined at module level (`app.domain:TrickAdded`, as in the
 * library's functional and Pydantic examples), as the eventsourcing stores learn them from the
 * streams they read (`learnAggregate`): the event topic -> its aggregate's topic
 * (`app.domain:Dog`), or null once streams of two aggregates have it. A topic names one Python
 * class, so what a store learns holds for every store of this thread (each thread learns from its
 * own reads: the replay worker from the store it opens).
 */
const moduleLevelAggregates = new Map<string, string | null>();

/** The part after `:` of a topic (or the whole type). */
function afterColon(type: string): string {
  const colon = type.lastIndexOf(':');
  return colon >= 0 ? type.slice(colon + 1) : type;
}

/** Whether a type is an eventsourcing topic of a class defined at module level (`module:Name`, no dot after `:`). */
export function isModuleLevelTopic(type: string): boolean {
  const colon = type.lastIndexOf(':');
  return colon > 0 && colon < type.length - 1 && type.indexOf('.', colon) < 0;
}

/**
 * Records that events of a module-level class (`eventTopic`) belong to streams of the aggregate
 * `aggregateTopic`: from then on `qualifiedName` names them as if nested in it
 * (`Dog.TrickAdded`), so type keys, categories and displays agree with nested classes. A topic
 * seen with two aggregates is named by itself again.
 */
export function learnAggregate(eventTopic: string, aggregateTopic: string): void {
  if (!isModuleLevelTopic(eventTopic) || !aggregateTopic) return;
  const known = moduleLevelAggregates.get(eventTopic);
  if (known === undefined) moduleLevelAggregates.set(eventTopic, aggregateTopic);
  else if (known !== null && known !== aggregateTopic) moduleLevelAggregates.set(eventTopic, null);
}

/** The aggregate topic learnt for a module-level event topic (`learnAggregate`), if any. */
export function learntAggregate(type: string): string | undefined {
  return moduleLevelAggregates.get(type) ?? undefined;
}

/**
 * The qualified name of an event type: the part of an eventsourcing topic after `module:` (or the
 * whole type); for a module-level class whose aggregate is known (`learnAggregate`), prefixed with
 * that aggregate's, as for a class nested in it (`Dog.TrickAdded`).
 */
export function qualifiedName(type: string): string {
  const name = afterColon(type);
  if (moduleLevelAggregates.size) {
    const aggregate = moduleLevelAggregates.get(type);
    if (aggregate) return `${afterColon(aggregate)}.${name}`;
  }
  return name;
}

/**
 * The category (aggregate type) of a stream whose first event has this type: the aggregate class
 * of that created event's `originator_topic` when it has one, else the qualified-name prefix of
 * the type (the learnt aggregate of a module-level class, see `learnAggregate`; else its module).
 */
export function categoryOf(type: string, originatorTopic: unknown): { name: string; topic?: string } {
  if (typeof originatorTopic === 'string' && originatorTopic) return { name: qualifiedName(originatorTopic), topic: originatorTopic };
  const learnt = learntAggregate(type);
  if (learnt) return { name: qualifiedName(learnt), topic: learnt };
  const name = qualifiedName(type);
  const dot = name.lastIndexOf('.');
  const colon = type.lastIndexOf(':');
  return { name: dot > 0 ? name.slice(0, dot) : colon > 0 ? type.slice(0, colon) : name };
}

/** The category of a stream that is not the library's: its name before the first `-`, or the whole name. */
export function categoryOfStreamName(name: string): string {
  const dash = name.indexOf('-');
  return dash > 0 ? name.slice(0, dash) : name;
}

/**
 * The category of a stream of a store that holds any kind of event (a `.events` or JSON lines
 * file): as `categoryOf` names it when its first event says (a topic `module:Class.Event`, an
 * `originator_topic`, a dotted type `BankAccount.Opened`), else the stream's name before its
 * first `-` (`order-7` is an `order`).
 */
export function categoryOfStream(streamId: string, firstType: string, originatorTopic: unknown): { name: string; topic?: string } {
  const says =
    firstType.includes(':') || (typeof originatorTopic === 'string' && originatorTopic) || qualifiedName(firstType).includes('.');
  return says ? categoryOf(firstType, originatorTopic) : { name: categoryOfStreamName(streamId) };
}

/** The short name shown in lists: the last dotted segment of the qualified name. */
export function shortTypeName(type: string): string {
  const name = qualifiedName(type);
  const dot = name.lastIndexOf('.');
  return dot >= 0 ? name.slice(dot + 1) : name;
}

/**
 * Whether a type key (from a filter or a projection handler) names this event type: exactly,
 * as its qualified name (`BankAccount.Credited`; `Dog.TrickAdded` for a module-level class of a
 * learnt aggregate), or as a trailing dotted part of it (`Credited`).
 */
export function typeMatches(type: string, key: string): boolean {
  if (type === key) return true;
  const name = qualifiedName(type);
  return name === key || name.endsWith(`.${key}`);
}

/** A test of event types against type keys (`typeMatches`), each type decided once; no keys: every type passes. */
export function typeFilter(keys: readonly string[] | undefined): (type: string) => boolean {
  if (!keys?.length) return () => true;
  const decided = new Map<string, boolean>();
  return (type) => {
    let yes = decided.get(type);
    if (yes === undefined) decided.set(type, (yes = keys.some((k) => typeMatches(type, k))));
    return yes;
  };
}

/** How specific a matching key is (higher wins): exact > qualified name > trailing part. */
export function typeMatchRank(type: string, key: string): number {
  if (type === key) return 3;
  const name = qualifiedName(type);
  if (name === key) return 2;
  return name.endsWith(`.${key}`) ? 1 : 0;
}
