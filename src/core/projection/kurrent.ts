/**
 * A KurrentDB (formerly EventStoreDB) compatible environment for server-side JavaScript
 * projections, so a user can replay the very script they deploy to KurrentDB:
 *
 *   fromCategory('account').foreachStream().when({ $init: () => ({ balance: 0 }), Credited: ... })
 *
 * The semantics follow KurrentDB's current runtime (Jint, EventStoreDB 21+), read from
 * EventStore/EventStore `src/EventStore.Projections.Core/Services/Interpreted/JintProjectionStateHandler.cs`
 * (below: "Jint"), and where that is silent from the older V8 prelude
 * (`Prelude/1Prelude.js`, `Prelude/Projections.js`) and the "User defined projections" docs:
 *
 * - One handler per event: the handler for the exact event type, else `$any`, else (only when the
 *   script has no type handler at all) the state becomes the event body (Jint `Handle`). The old V8
 *   prelude ran `$any` and then the type handler; Jint does not. A script with type handlers and no
 *   `$any` is not sent events of other types at all (the source's `events` list), so those are not
 *   accepted here either.
 * - A handler's return value replaces the state unless it is `undefined` (then the mutated state
 *   stays).
 * - `$init` gives each partition's initial state (`{}` without it). `$initShared` (or
 *   `options({ biState: true })`) makes a "bi-state" projection: handlers then receive
 *   `s = [partitionState, sharedState]` and may change `s[0]` / `s[1]` or return a new pair
 *   (Jint `LoadCurrentState` / `PrepareOutput`). `$deleted` is refused in bi-state projections.
 * - `partitionBy(fn)`: a string (or number) names the partition; anything else skips the event
 *   (Jint `GetStatePartition` returns null, `CommittedEventWorkItem` then skips it).
 * - Results (`outputState`, `transformBy`, `filterBy`, `outputTo`): after an event changes a
 *   partition's state, the result is recomputed from the state (transforms in order; a transform
 *   returning null/undefined, or a filter returning anything but `true`, gives a null result) and
 *   written when it differs from the previous result (`ResultWriter.WriteRunningResult`): a `Result`
 *   event, or `ResultRemoved` for a null result (`ResultEventEmitter`). The root partition writes to
 *   `$projections-<name>-result` (or `resultStreamName` / `outputTo(stream)`), a partition `p` to
 *   `$projections-<name>-p-result` (or `outputTo(stream, pattern)` with `{0}`)
 *   (`ProjectionNamesBuilder`). Transforms never change the state: they get a copy. The previous
 *   result is recomputed from the state before the event (nothing is kept outside the engine
 *   state), so a non-partitioned projection whose first event leaves its `$init` state unchanged
 *   writes no result, where KurrentDB writes the initial one.
 * - `fromAll()` skips system streams (`$...`, except metastreams of user streams) and link events
 *   (`$>`) unless `$includeLinks` (`TransactionFileEventFilter.PassesSource`).
 * - The envelope's `category` is the selected category for `fromCategory`, null otherwise (the
 *   category event filters' `GetCategory`); `partition` is '' outside partitions.
 * - Chaining follows Jint's `_availableProperties` (e.g. `foreachStream` only after `fromAll` /
 *   `fromCategory`); anything else is an EventscopeError here, a TypeError there.
 *
 * Eventscope extensions (documented, because KurrentDB has no such thing):
 * - `fromCategory(c)` also selects eventsourcing events whose topic's aggregate class is `c`
 *   (`bank.domain:BankAccount.Opened` is in category `BankAccount`, also in the full class topic
 *   `bank.domain:BankAccount`): eventsourcing stream ids are UUIDs, so KurrentDB's rule (the stream id
 *   before its first '-') names nothing useful there.
 * - Handler keys also match like module projections (`typeMatchRank`): `Debited` handles
 *   `bank.domain:BankAccount.Debited`; the exact type always wins.
 * - Envelopes also carry `created` (our timestamp, ISO text) and `position` (our global position).
 *
 * Not supported: `fromStreamsMatching` (Jint does not provide it either), link resolution
 * (`$includeLinks` only lets `$>` events through as they are), `reorderEvents` / `processingLag`
 * (accepted and ignored: a replay is already in order), the partition-result link KurrentDB adds to
 * the root result stream, `copyTo` (a no-op in Jint too). Our stores have no deletions; a
 * `$streamDeleted` tombstone event (what KurrentDB writes on a hard delete) calls `$deleted(s, null,
 * partition, false)` for that stream's partition under `foreachStream()`, and is skipped otherwise.
 */

import { EventscopeError } from '../errors';
import type { RecordedEvent } from '../events';
import { learntAggregate, qualifiedName, typeMatchRank } from '../events';
import { parseExactJson, stringifyExact } from '../json/exact';
import { outputSink } from './engines';
import type { EmittedEvent, ProjectionEngine, StepOutput } from './types';
import { markCall } from './guard';

type Fn = (...args: unknown[]) => unknown;

export type KurrentSource =
  { kind: 'all' } | { kind: 'streams'; streams: readonly string[] } | { kind: 'categories'; categories: readonly string[] };

export interface KurrentOptions {
  resultStreamName?: string;
  $includeLinks?: boolean;
  reorderEvents?: boolean;
  processingLag?: number;
  biState?: boolean;
}

/** What a KurrentDB script declared when it loaded. Immutable once `definition()` returned it. */
export interface KurrentDefinition {
  readonly source: KurrentSource;
  /** `foreachStream()` ('stream'), `partitionBy(fn)` ('custom'), or neither. */
  readonly partitioning: 'none' | 'stream' | 'custom';
  readonly partitionBy?: Fn;
  /** Whether `when(...)` was called at all. */
  readonly hasWhen: boolean;
  /** Event-type handlers, by their key in `when`. */
  readonly handlers: ReadonlyMap<string, Fn>;
  readonly init?: Fn;
  readonly initShared?: Fn;
  readonly any?: Fn;
  readonly deleted?: Fn;
  readonly created?: Fn;
  /** `$initShared` or `options({ biState: true })`: handlers get `[state, shared]`. */
  readonly biState: boolean;
  /** `outputState()`, `transformBy`, `filterBy`, `outputTo`: results are written. */
  readonly producesResults: boolean;
  readonly transforms: readonly { kind: 'transform' | 'filter'; fn: Fn }[];
  readonly resultStreamName?: string;
  readonly partitionResultStreamNamePattern?: string;
  /** Every option the script set (only `resultStreamName` and `biState` change a replay). */
  readonly options: Readonly<KurrentOptions>;
  /** Where `emit`, `linkTo` and `log` write: set by the engine while it applies an event. */
  readonly outputRef: { current: StepOutput | undefined };
}

export interface KurrentEnvironment {
  /** The free identifiers a script calls: pass them as parameters when evaluating it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  globals: Record<string, (...args: any[]) => unknown>;
  /** The script's definition; undefined when it called no selector (not a KurrentDB script). */
  definition(): KurrentDefinition | undefined;
}

/** Which chained calls may follow which (Jint's `_availableProperties`). */
const FOLLOWERS: Record<string, readonly string[]> = {
  fromStream: ['when', 'partitionBy', 'outputState'],
  fromStreams: ['when', 'partitionBy', 'outputState'],
  fromAll: ['when', 'partitionBy', 'outputState', 'foreachStream'],
  fromCategory: ['when', 'partitionBy', 'outputState', 'foreachStream'],
  when: ['transformBy', 'filterBy', 'outputState', 'outputTo', '$defines_state_transform'],
  foreachStream: ['when'],
  partitionBy: ['when'],
  outputState: ['transformBy', 'filterBy', 'outputTo'],
  transformBy: ['transformBy', 'filterBy', 'outputState', 'outputTo'],
  filterBy: ['transformBy', 'filterBy', 'outputState', 'outputTo'],
  outputTo: [],
};

/** The options KurrentDB accepts (matched case-insensitively, like Jint's `_setters`), by type. */
const OPTION_TYPES: Record<string, [keyof KurrentOptions, 'string' | 'boolean' | 'number']> = {
  resultstreamname: ['resultStreamName', 'string'],
  $includelinks: ['$includeLinks', 'boolean'],
  reorderevents: ['reorderEvents', 'boolean'],
  processinglag: ['processingLag', 'number'],
  bistate: ['biState', 'boolean'],
};

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** A JSON-safe copy (what KurrentDB stores: the value serialized); bigints stay exact. */
function jsonCopy(value: unknown): unknown {
  const text = stringifyExact(value);
  return text === undefined ? null : parseExactJson(text);
}

/** One log line: strings as they are, objects as JSON, joined by spaces. */
function logLine(args: unknown[]): string {
  return args
    .map((a) => (typeof a === 'string' ? a : a !== null && typeof a === 'object' ? (stringifyExact(a) ?? String(a)) : String(a)))
    .join(' ');
}

/**
 * The functions a KurrentDB script calls while it loads (selectors, `options`), and those its
 * handlers call (`emit`, `linkTo`, `log`). `outputRef` is where the latter write; by default the
 * shared `outputSink`, which the worker's `console.*` also writes to.
 */
export function createKurrentEnvironment(outputRef: { current: StepOutput | undefined } = outputSink): KurrentEnvironment {
  let selector: string | undefined;
  let stage: string | undefined;
  let sealed = false;
  let optionsCalled = false;
  let source: KurrentSource = { kind: 'all' };
  let partitioning: KurrentDefinition['partitioning'] = 'none';
  let partitionBy: Fn | undefined;
  let hasWhen = false;
  const handlers = new Map<string, Fn>();
  const special: { init?: Fn; initShared?: Fn; any?: Fn; deleted?: Fn; created?: Fn } = {};
  let producesResults = false;
  const transforms: { kind: 'transform' | 'filter'; fn: Fn }[] = [];
  let resultStreamName: string | undefined;
  let partitionResultStreamNamePattern: string | undefined;
  const options: KurrentOptions = {};
  let definition: KurrentDefinition | undefined;

  const checkLoading = (name: string) => {
    if (sealed) throw new EventscopeError(`${name}() can only be called while the script loads, not from a handler.`);
  };

  const advance = (name: string) => {
    checkLoading(name);
    if (stage === undefined)
      throw new EventscopeError(`${name}() needs a selector first: fromAll().${name}(...), fromCategory('x').${name}(...)...`);
    if (name === 'when' && hasWhen) {
      throw new EventscopeError('when() is called twice: a KurrentDB projection has one when({ ... }) with all its handlers.');
    }
    const allowed = FOLLOWERS[stage] ?? [];
    if (!allowed.includes(name)) {
      throw new EventscopeError(
        `${name}() cannot follow ${stage}() in a KurrentDB projection${allowed.length ? `: after ${stage}() come ${allowed.map((a) => `${a}()`).join(', ')}` : ''}.`,
      );
    }
    stage = name;
  };

  const requireFunction = (name: string, value: unknown): Fn => {
    if (typeof value !== 'function') throw new EventscopeError(`${name}() expects a function, not ${describe(value)}.`);
    return value as Fn;
  };

  const builder = {
    when(whenHandlers: unknown) {
      advance('when');
      if (whenHandlers === null || typeof whenHandlers !== 'object' || Array.isArray(whenHandlers)) {
        throw new EventscopeError(
          `when() expects an object of handlers ({ $init, EventType: (state, event) => ... }), not ${describe(whenHandlers)}.`,
        );
      }
      hasWhen = true;
      // Jint `When`: own properties whose value is a function; others are ignored.
      for (const [key, value] of Object.entries(whenHandlers)) {
        if (typeof value !== 'function') continue;
        const fn = value as Fn;
        if (key === '$init') special.init = fn;
        else if (key === '$initShared') special.initShared = fn;
        else if (key === '$any') special.any = fn;
        else if (key === '$deleted') special.deleted = fn;
        else if (key === '$created') special.created = fn;
        else handlers.set(key, fn);
      }
      if (special.deleted && (special.initShared || options.biState)) {
        // Jint `AddHandler`: "Cannot handle deletes in bi-state projections".
        throw new EventscopeError('$deleted cannot be used in a bi-state projection ($initShared or options({ biState: true })).');
      }
      return builder;
    },
    foreachStream() {
      advance('foreachStream');
      partitioning = 'stream';
      return builder;
    },
    partitionBy(fn: unknown) {
      advance('partitionBy');
      partitionBy = requireFunction('partitionBy', fn);
      partitioning = 'custom';
      return builder;
    },
    outputState() {
      advance('outputState');
      producesResults = true;
      return builder;
    },
    transformBy(fn: unknown) {
      advance('transformBy');
      transforms.push({ kind: 'transform', fn: requireFunction('transformBy', fn) });
      producesResults = true;
      return builder;
    },
    filterBy(fn: unknown) {
      advance('filterBy');
      transforms.push({ kind: 'filter', fn: requireFunction('filterBy', fn) });
      producesResults = true;
      return builder;
    },
    outputTo(stream: unknown, pattern?: unknown) {
      advance('outputTo');
      if (typeof stream !== 'string' || !stream) throw new EventscopeError(`outputTo() expects a stream name, not ${describe(stream)}.`);
      if (pattern !== undefined && typeof pattern !== 'string') {
        throw new EventscopeError(`outputTo(stream, pattern) expects a pattern such as "results-{0}", not ${describe(pattern)}.`);
      }
      resultStreamName = stream;
      if (pattern !== undefined) partitionResultStreamNamePattern = pattern;
      // Jint's OutputTo only names the streams; the V8 prelude's also turned results on. A script
      // that names a result stream wants results, so they are written.
      producesResults = true;
      return builder;
    },
    $defines_state_transform() {
      advance('$defines_state_transform');
      producesResults = true;
      return undefined;
    },
  };

  const select = (name: string, selected: KurrentSource) => {
    checkLoading(name);
    if (selector !== undefined) {
      throw new EventscopeError(`${name}() is called after ${selector}(): a KurrentDB projection selects its events once.`);
    }
    selector = name;
    stage = name;
    source = selected;
    return builder;
  };

  const streamNames = (name: string, args: unknown[]): string[] => {
    const list = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
    if (list.length === 0) throw new EventscopeError(`${name}() needs at least one name.`);
    for (const s of list) if (typeof s !== 'string' || !s) throw new EventscopeError(`${name}() expects names, not ${describe(s)}.`);
    return [...(list as string[])];
  };

  const pushOutput = (event: EmittedEvent) => {
    outputRef.current?.emitted.push(event);
  };

  const checkStream = (name: string, stream: unknown) => {
    if (typeof stream !== 'string' || !stream.trim())
      throw new EventscopeError(`${name}() expects a stream name first, not ${describe(stream)}.`);
  };

  const globals = {
    fromAll: () => select('fromAll', { kind: 'all' }),
    fromStream: (stream: unknown) => {
      if (typeof stream !== 'string' || !stream) throw new EventscopeError(`fromStream() expects a stream name, not ${describe(stream)}.`);
      return select('fromStream', { kind: 'streams', streams: [stream] });
    },
    // fromStreams(['a', 'b']) or fromStreams('a', 'b') (both, as in Jint's FromStreams).
    fromStreams: (...streams: unknown[]) => {
      const names = streamNames('fromStreams', streams);
      return select('fromStreams', { kind: 'streams', streams: names });
    },
    // Jint registers fromCategory and fromCategories as one function: one name, an array, or several.
    fromCategory: (...categories: unknown[]) =>
      select('fromCategory', { kind: 'categories', categories: streamNames('fromCategory', categories) }),
    fromCategories: (...categories: unknown[]) =>
      select('fromCategory', { kind: 'categories', categories: streamNames('fromCategories', categories) }),
    fromStreamsMatching: () => {
      throw new EventscopeError(
        "fromStreamsMatching() is not supported (KurrentDB's current JavaScript runtime does not provide it either): use fromAll() and check event.streamId in the handlers.",
      );
    },
    // Not a global in KurrentDB (a ReferenceError there); here it says what is missing.
    when: () => {
      throw new EventscopeError(
        'when() needs a selector first: fromAll().when({ ... }), fromCategory("x").when({ ... }) or fromStream("x").when({ ... }).',
      );
    },
    options: (opts: unknown) => {
      checkLoading('options');
      optionsCalled = true;
      if (opts === null || typeof opts !== 'object') return undefined; // Jint ignores a non-object
      for (const [key, value] of Object.entries(opts)) {
        const known = OPTION_TYPES[key.toLowerCase()];
        if (!known) {
          throw new EventscopeError(
            `Unrecognized option: ${key} (KurrentDB knows resultStreamName, $includeLinks, reorderEvents, processingLag, biState).`,
          );
        }
        const [name, type] = known;
        if (typeof value !== type) throw new EventscopeError(`options(): ${name} must be a ${type}, not ${describe(value)}.`);
        (options as Record<string, unknown>)[name] = value;
        if (name === 'resultStreamName') resultStreamName = value as string;
      }
      return undefined;
    },
    emit: (stream: unknown, type: unknown, body: unknown, metadata?: unknown) => {
      // Jint `Emit`: a stream, an event type, an object body, and optionally an object of metadata.
      checkStream('emit', stream);
      if (typeof type !== 'string' || !type.trim())
        throw new EventscopeError(`emit() expects an event type second, not ${describe(type)}.`);
      if (body === null || typeof body !== 'object')
        throw new EventscopeError(`emit() expects an object body third, not ${describe(body)}.`);
      if (metadata !== undefined && (metadata === null || typeof metadata !== 'object')) {
        throw new EventscopeError(`emit() expects metadata as an object, not ${describe(metadata)}.`);
      }
      if (!outputRef.current) return undefined;
      pushOutput({
        kind: 'emit',
        stream: stream as string,
        type,
        data: jsonCopy(body),
        ...(metadata !== undefined ? { metadata: jsonCopy(metadata) } : {}),
      });
      return undefined;
    },
    linkTo: (stream: unknown, event: unknown, metadata?: unknown) => {
      // Jint `LinkTo`: the event must carry a numeric sequenceNumber and a string streamId.
      checkStream('linkTo', stream);
      const e = event as { sequenceNumber?: unknown; streamId?: unknown } | null;
      if (!e || typeof e !== 'object' || typeof e.sequenceNumber !== 'number' || typeof e.streamId !== 'string') {
        throw new EventscopeError('linkTo(stream, event) expects the event a handler received (with sequenceNumber and streamId).');
      }
      if (metadata !== undefined && (metadata === null || typeof metadata !== 'object')) {
        throw new EventscopeError(`linkTo() expects metadata as an object, not ${describe(metadata)}.`);
      }
      if (!outputRef.current) return undefined;
      pushOutput({
        kind: 'link',
        stream: stream as string,
        type: '$>',
        data: `${e.sequenceNumber}@${e.streamId}`,
        ...(metadata !== undefined ? { metadata: jsonCopy(metadata) } : {}),
      });
      return undefined;
    },
    linkStreamTo: (stream: unknown, linkedStream: unknown, metadata?: unknown) => {
      // Jint `LinkStreamTo`: a `$@` event whose body is the linked stream's name.
      checkStream('linkStreamTo', stream);
      checkStream('linkStreamTo', linkedStream);
      if (!outputRef.current) return undefined;
      pushOutput({
        kind: 'link',
        stream: stream as string,
        type: '$@',
        data: linkedStream,
        ...(metadata !== undefined ? { metadata: jsonCopy(metadata) } : {}),
      });
      return undefined;
    },
    copyTo: () => {
      // Jint's CopyTo does nothing; say so rather than silently drop what the user expects.
      outputRef.current?.logs.push("copyTo() does nothing in KurrentDB's JavaScript runtime: no event was copied.");
      return undefined;
    },
    log: (...args: unknown[]) => {
      if (outputRef.current && args.length) outputRef.current.logs.push(logLine(args));
      return undefined;
    },
  };

  return {
    globals,
    definition() {
      sealed = true;
      if (definition) return definition;
      if (selector === undefined) {
        if (optionsCalled) {
          throw new EventscopeError(
            "The script calls options() but selects no events: add fromAll(), fromCategory('x') or fromStream('x').",
          );
        }
        return undefined;
      }
      definition = Object.freeze({
        source,
        partitioning,
        ...(partitionBy ? { partitionBy } : {}),
        hasWhen,
        handlers,
        ...special,
        biState: special.initShared !== undefined || options.biState === true,
        producesResults,
        transforms: Object.freeze([...transforms]),
        ...(resultStreamName !== undefined ? { resultStreamName } : {}),
        ...(partitionResultStreamNamePattern !== undefined ? { partitionResultStreamNamePattern } : {}),
        options: Object.freeze({ ...options }),
        outputRef,
      });
      return definition;
    },
  };
}

/**
 * The event as a KurrentDB handler sees it. `bodyRaw` and `metadataRaw` are computed on first
 * read (as Jint parses `body` lazily), so fast passes don't serialize every event; `toJSON`
 * includes them, so `log(event)` shows everything.
 */
class Envelope {
  readonly isJson = true;
  readonly linkMetadata = null;
  readonly linkMetadataRaw = null;
  readonly streamId: string;
  readonly sequenceNumber: number;
  readonly eventType: string;
  readonly eventId: string;
  readonly created: string;
  readonly body: Record<string, unknown>;
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
  readonly position: number;
  #raw: string | undefined;

  constructor(
    event: RecordedEvent,
    readonly category: string | null,
    public partition: string,
  ) {
    this.streamId = event.streamId;
    this.sequenceNumber = event.revision;
    this.eventType = event.type;
    const id = event.metadata.id ?? event.metadata.eventId;
    this.eventId = typeof id === 'string' ? id : `${event.streamId}@${event.revision}`;
    this.created = event.timestamp ?? '';
    this.body = event.data;
    this.data = event.data;
    this.metadata = event.metadata;
    this.position = event.position;
  }

  get bodyRaw(): string {
    return (this.#raw ??= stringifyExact(this.body) ?? '');
  }

  get metadataRaw(): string {
    return stringifyExact(this.metadata) ?? '';
  }

  toJSON(): Record<string, unknown> {
    return {
      streamId: this.streamId,
      sequenceNumber: this.sequenceNumber,
      eventType: this.eventType,
      eventId: this.eventId,
      created: this.created,
      category: this.category,
      partition: this.partition,
      isJson: this.isJson,
      body: this.body,
      bodyRaw: this.bodyRaw,
      data: this.data,
      metadata: this.metadata,
      metadataRaw: this.metadataRaw,
      linkMetadata: this.linkMetadata,
      linkMetadataRaw: this.linkMetadataRaw,
      position: this.position,
    };
  }
}

/** The engine state of a partitioned projection (plain data, so it survives structuredClone). */
interface PartitionedState {
  partitions: Record<string, unknown>;
  shared?: unknown;
}

/** The engine state of a bi-state projection without partitions. */
interface SharedState {
  state: unknown;
  shared: unknown;
}

/** What an event does: a handler, the state becomes the body, a stream deletion, or nothing. */
type Route = Fn | 'body' | 'deleted' | 'skip';

const STREAM_DELETED = '$streamDeleted';

function ownValue(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function setOwn(record: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
  else record[key] = value;
}

/**
 * The aggregate class of an eventsourcing topic (`m:BankAccount.Opened`; a module-level class by
 * its learnt aggregate, see `learnAggregate`): name and full topic.
 */
function topicClass(type: string): [string, string] | undefined {
  const learnt = learntAggregate(type);
  if (learnt) return [qualifiedName(learnt), learnt];
  const colon = type.indexOf(':');
  const dot = type.lastIndexOf('.');
  if (colon < 0 || dot <= colon + 1) return undefined;
  return [type.slice(colon + 1, dot), type.slice(0, dot)];
}

/** KurrentDB's category: the stream id before its first '-' (none without one). */
function streamCategory(streamId: string): string | undefined {
  const dash = streamId.indexOf('-');
  return dash > 0 ? streamId.slice(0, dash) : undefined;
}

/** Replays a KurrentDB script's definition (see the top of this file for the semantics). */
export function kurrentEngine(definition: KurrentDefinition, name: string): ProjectionEngine {
  const d = definition;
  const partitioned = d.partitioning !== 'none';
  const categories = d.source.kind === 'categories' ? new Set(d.source.categories) : undefined;
  const streams = d.source.kind === 'streams' ? new Set(d.source.streams) : undefined;
  const includeLinks = d.options.$includeLinks === true;
  const rootResultStream = d.resultStreamName ?? `$projections-${name}-result`;
  const partitionPattern = d.partitionResultStreamNamePattern ?? `$projections-${name}-{0}-result`;
  const routes = new Map<string, Route>();
  const typeCategories = new Map<string, [string, string] | null>();
  /** The partition the last event applied went to (undefined: none), for `partitionOf`. */
  let applied: { event: RecordedEvent; key: string | undefined } | undefined;

  /** The partition `partitionBy` names (a string, or a number as text), else none: KurrentDB skips the event. */
  const customKey = (envelope: Envelope): string | undefined => {
    markCall(d.partitionBy);
    const p = d.partitionBy!(envelope);
    return typeof p === 'string' ? p : typeof p === 'number' ? String(p) : undefined;
  };

  const initState = (): unknown => {
    markCall(d.init);
    return d.init ? d.init() : {};
  };
  const initShared = (): unknown => {
    markCall(d.initShared);
    return d.initShared ? d.initShared() : {};
  };

  const route = (type: string): Route => {
    let r = routes.get(type);
    if (r !== undefined) return r;
    if (type === STREAM_DELETED) {
      r = d.deleted && d.partitioning === 'stream' ? 'deleted' : 'skip';
    } else {
      let best = 0;
      let handler: Fn | undefined;
      for (const [key, fn] of d.handlers) {
        const rank = typeMatchRank(type, key);
        if (rank > best) {
          best = rank;
          handler = fn;
          if (rank === 3) break;
        }
      }
      r = handler ?? d.any ?? (d.handlers.size === 0 ? 'body' : 'skip');
    }
    routes.set(type, r);
    return r;
  };

  const classOf = (type: string): [string, string] | null => {
    let c = typeCategories.get(type);
    if (c === undefined) {
      c = topicClass(type) ?? null;
      typeCategories.set(type, c);
    }
    return c;
  };

  /** The selected category this event belongs to (fromCategory), else undefined. */
  const categoryOf = (event: RecordedEvent): string | undefined => {
    if (!categories) return undefined;
    const byStream = streamCategory(event.streamId);
    if (byStream !== undefined && categories.has(byStream)) return byStream;
    const byType = classOf(event.type);
    if (byType) {
      if (categories.has(byType[0])) return byType[0];
      if (categories.has(byType[1])) return byType[1];
    }
    return undefined;
  };

  const sourceAccepts = (event: RecordedEvent): boolean => {
    if (streams) return streams.has(event.streamId);
    if (categories) return categoryOf(event) !== undefined;
    const id = event.streamId;
    if (id.charCodeAt(0) === 36 /* $ */ && !(id.startsWith('$$') && id.charCodeAt(2) !== 36)) return false;
    return includeLinks || event.type !== '$>';
  };

  const resultStream = (partition: string): string => (partition === '' ? rootResultStream : partitionPattern.replaceAll('{0}', partition));

  /** The result (JSON text, or null) of a state given as JSON text (Jint `TransformStateToResult`). */
  const resultOf = (stateJson: string | undefined): string | null => {
    if (stateJson === undefined) return null;
    if (d.transforms.length === 0) return stateJson;
    let value = parseExactJson(stateJson);
    for (const t of d.transforms) {
      markCall(t.fn);
      if (t.kind === 'transform') value = t.fn(value);
      else if (t.fn(value) !== true) return null;
      if (value === null || value === undefined) return null;
    }
    return stringifyExact(value) ?? null;
  };

  /**
   * Runs one partition's handler. `pair` is the bi-state `[state, shared]`; returns the new
   * partition state and writes the new shared state back into `pair[1]`.
   */
  const run = (r: Route, current: unknown, pair: unknown[] | undefined, envelope: Envelope, event: RecordedEvent): unknown => {
    if (r === 'body') {
      // Jint: no handler at all, the state becomes the event's body.
      return structuredClone(event.data);
    }
    if (r === 'deleted') {
      // Jint `HandleDeleted`: (state, null, partition, isSoftDeleted); its return value is ignored.
      markCall(d.deleted);
      d.deleted!(current, null, envelope.partition, false);
      return current;
    }
    if (r === 'skip') return current;
    markCall(r);
    if (!pair) {
      const result = r(current, envelope);
      return result === undefined ? current : result;
    }
    const result = r(pair, envelope);
    const next = result === undefined ? pair : result;
    if (Array.isArray(next)) {
      if (next.length > 1) pair[1] = next[1];
      return next[0];
    }
    return next; // a non-array replaces the partition state; the shared state stays
  };

  return {
    name,
    kind: 'kurrentdb',
    init(): unknown {
      if (partitioned) return d.biState ? { partitions: {}, shared: initShared() } : { partitions: {} };
      return d.biState ? ({ state: initState(), shared: initShared() } satisfies SharedState) : initState();
    },
    accepts(event) {
      return sourceAccepts(event) && route(event.type) !== 'skip';
    },
    apply(state, event, output) {
      const r = route(event.type);
      if (r === 'skip') return state; // not accepted: nothing runs
      const ref = d.outputRef;
      ref.current = output;
      outputSink.current = output;
      try {
        const category = categories ? (categoryOf(event) ?? null) : null;
        const envelope = new Envelope(event, category, '');
        const results = output !== undefined && d.producesResults;

        if (!partitioned) {
          if (!d.biState) {
            const before = results ? stringifyExact(state) : undefined;
            const after = run(r, state, undefined, envelope, event);
            if (results) writeResult(output, '', before, after, undefined, undefined);
            return after;
          }
          const s = state as SharedState;
          const before = results ? stringifyExact(s.state) : undefined;
          const beforePair = results && d.transforms.length ? stringifyExact([s.state, s.shared]) : undefined;
          const pair = [s.state, s.shared];
          s.state = run(r, s.state, pair, envelope, event);
          s.shared = pair[1];
          if (results) writeResult(output, '', before, s.state, beforePair, pair);
          return s;
        }

        // Partitioned: by stream, or by the user's function (a string or number names the partition).
        const key = d.partitioning === 'stream' ? event.streamId : customKey(envelope);
        applied = { event, key };
        if (key === undefined) return state; // no partition: KurrentDB skips the event
        envelope.partition = key;
        const container = state as PartitionedState;
        const exists = Object.hasOwn(container.partitions, key);
        if (!exists && r === 'deleted') return state; // nothing to delete
        let current = exists ? ownValue(container.partitions, key) : initState();
        const pair = d.biState ? [current, container.shared] : undefined;
        const before = results && exists ? stringifyExact(current) : undefined;
        const beforePair = results && exists && pair && d.transforms.length ? stringifyExact(pair) : undefined;
        if (!exists) {
          setOwn(container.partitions, key, current);
          // Jint `ProcessPartitionCreated`: $created(state, event) for a new partition; the
          // return value is ignored, a bi-state pair may be changed in place.
          if (d.created) {
            markCall(d.created);
            d.created(pair ?? current, envelope);
            if (pair) {
              current = pair[0];
              setOwn(container.partitions, key, current);
              container.shared = pair[1];
            }
          }
        }
        current = run(r, current, pair, envelope, event);
        setOwn(container.partitions, key, current);
        if (pair) container.shared = pair[1];
        if (results) writeResult(output, key, before, current, beforePair, pair);
        return container;
      } finally {
        ref.current = undefined;
        outputSink.current = undefined;
      }
    },
    ...(partitioned
      ? {
          partitioning: d.partitioning === 'stream' ? ('stream' as const) : ('custom' as const),
          // Invariant breaks per partition (breaks.ts): the key the event was applied under.
          partitionOf: (event: RecordedEvent): string | undefined => {
            if (d.partitioning === 'stream') return event.streamId;
            if (applied?.event === event) return applied.key;
            const category = categories ? (categoryOf(event) ?? null) : null;
            return customKey(new Envelope(event, category, ''));
          },
        }
      : {}),
    userFunctions: [
      { name: '$init', fn: d.init },
      { name: '$initShared', fn: d.initShared },
      { name: 'the $any handler', fn: d.any, on: '*' },
      { name: '$deleted', fn: d.deleted },
      { name: '$created', fn: d.created },
      { name: 'partitionBy', fn: d.partitionBy, on: '*' },
      ...[...d.handlers].map(([key, fn]) => ({ name: `the ${key} handler`, fn, on: key })),
      ...d.transforms.map((t) => ({ name: t.kind === 'transform' ? 'transformBy' : 'filterBy', fn: t.fn })),
    ],
  };

  /**
   * Writes a partition's result when its state changed and the result with it (Jint computes the
   * result when the state's JSON changed; `ResultWriter` writes it when it differs from the last).
   * In a bi-state projection transforms get the pair `[state, shared]`, as Jint passes its `_state`.
   */
  function writeResult(
    output: StepOutput,
    partition: string,
    before: string | undefined,
    after: unknown,
    beforePair: string | undefined,
    pair: unknown[] | undefined,
  ): void {
    const afterJson = stringifyExact(after);
    if (afterJson === before) return;
    const useTransforms = d.transforms.length > 0;
    const input = useTransforms && pair ? stringifyExact([after, pair[1]]) : afterJson;
    const result = resultOf(input);
    const previous = resultOf(useTransforms && pair ? beforePair : before);
    if (result === previous) return;
    output.emitted.push({
      kind: 'result',
      stream: resultStream(partition),
      type: result === null ? 'ResultRemoved' : 'Result',
      data: result === null ? null : parseExactJson(result),
    });
  }
}
