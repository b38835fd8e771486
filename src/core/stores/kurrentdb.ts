/**
 * KurrentDB (formerly EventStoreDB) as an event store, read-only, through the official client
 * (`@kurrent/kurrentdb-client`). The client is bundled apart (dist/kurrentdb.js) and loaded on the
 * first call of the first KurrentDB store: its reads go through a per-platform native module
 * (`@kurrent/bridge-<platform>`), whose absence is one sentence here, never an activation failure.
 * Only reads are sent (Streams.Read on streams and `$all`).
 *
 * - Events: the stream's own revisions (0-based, as KurrentDB numbers them and as the
 *   eventsourcing library's KurrentDB recorder uses them for `originator_version`); positions are
 *   the events' prepare positions in `$all` (byte offsets: gaps are normal). The data is decoded by
 *   the eventsourcing codec (the library's KurrentDB recorder stores each state's bytes as they
 *   are: JSON, zlib, AES-GCM, its value types), exactly: a JSON body keeps big integers whole.
 *   A body that is neither JSON nor the library's is shown as `{ "$binary": <base64> }`.
 *   The metadata is the event's custom metadata (JSON) with its `eventId`.
 * - The log (`readAll`) is `$all` without system events (types starting with `$`) and without the
 *   library's snapshot streams (`snapshot-$<id>`); a type filter is sent to the server as a regex.
 * - New events are pushed by a subscription to `$all` (`watch`), for the extension's live tail.
 * - Streams: from the `$streams` system projection when it runs (links to each stream's first
 *   event, read with the links resolved: the names, first types and categories in one read),
 *   else from a scan of `$all` without system events (which also counts each stream's events); both
 *   kept in memory and brought up to date on each listing (only what is new is read). A stream's
 *   category: for the library's events (a type like `bank.domain:Account.Opened`) its aggregate
 *   class, as for the other eventsourcing stores; else the stream name before the first `-` (as
 *   KurrentDB's `$ce-` projection has it), or the whole name.
 *
 * Location: `kurrentdb://[user@]host[:port][,host…][?tls=false…]` (also `kurrent://`, `kdb://`,
 * `esdb://`, `+discover`). The password never comes into a message or the location: it is given
 * apart (options.password; else the URL's, else EVENTSCOPE_PASSWORD), and goes into the
 * connection string the client gets.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { decodeEventsourcingStates, describeStateEncoding } from '../codecs/eventsourcing';
import type { TranscodingMapping } from '../codecs/transcodings';
import { DecodeError, EventscopeError, messageOf, NoSuchStream } from '../errors';
import { categoryOf, categoryOfStreamName, isRecord, typeFilter, type RecordedEvent, type StreamInfo } from '../events';
import { parseExactJson } from '../json/exact';
import { isSingleExecutable } from '../sea';
import { indexIn, upperBound } from '../sorted';
import {
  categoriesOf,
  checkIndex,
  inBatches,
  MAX_PAGE,
  pageLimit,
  storedForms,
  type CategoryInfo,
  type Checkpoint,
  type EventPage,
  type EventStore,
  type ListStreamsOptions,
  type Page,
  type ReadAllOptions,
  type ReadStreamOptions,
  type Snapshot,
  type StoreInfo,
} from './types';

export interface KurrentDbOptions {
  /** The user's password (else the URL's, else EVENTSCOPE_PASSWORD). Never shown. */
  password?: string;
  cipherKey?: Buffer;
  /** Application transcodings to decode as a known kind (see `EventsourcingCodecOptions`). */
  transcodings?: TranscodingMapping;
  /** Keep each event's stored form (see `storedForms`), for the Python runner. */
  keepStored?: boolean;
  /** The most events a scan of `$all` reads to list streams (when `$streams` does not run); default 1,000,000. */
  maxScanEvents?: number;
}

/** With a type filter on a stream, the most events one readStream call looks at before it hands back a (short) page. */
const TYPE_SCAN_BUDGET = 10_000;
/** Events (or `$streams` links) read per request while indexing streams. */
const INDEX_CHUNK = 4096;
/** Requests sent at once when one is needed per stream. */
const BATCH = 64;
const DEFAULT_MAX_SCAN = 1_000_000;
/** The most events read past to reach a position that is no event's. */
const MAX_SKIP = 100_000;
/** The most event positions kept as places to start reads from (thinned out beyond). */
const MAX_ANCHORS = 200_000;
/** The eventsourcing library's KurrentDB recorder keeps snapshots in streams named so. */
const SNAPSHOT_PREFIX = 'snapshot-$';
/** No system event types (`$…`): the client's `excludeSystemEvents()` filter. */
const NO_SYSTEM_TYPES = '^[^\\$]';

// ---- the client, loaded on first use ---------------------------------------------------------

/** A record as the native reader returns it. */
interface RawRecord {
  streamId: string;
  id: string;
  type: string;
  isJson: boolean;
  revision: bigint;
  created: number;
  data: Uint8Array;
  metadata: Uint8Array;
  position?: { commit: bigint; prepare: bigint };
}

interface RawResolved {
  event?: RawRecord;
  link?: RawRecord;
}

interface RawFilter {
  filterOn: 'eventType' | 'streamName';
  regex?: string;
  prefixes?: string[];
}

interface RustClient {
  readStream(
    stream: string,
    options: {
      fromRevision: bigint | 'start' | 'end';
      direction: 'forwards' | 'backwards';
      maxCount: bigint;
      requiresLeader: boolean;
      resolvesLink: boolean;
    },
  ): AsyncIterable<RawResolved[]>;
  readAll(options: {
    fromPosition: { commit: bigint; prepare: bigint } | 'start' | 'end';
    direction: 'forwards' | 'backwards';
    maxCount: bigint;
    requiresLeader: boolean;
    resolvesLink: boolean;
    filter?: RawFilter;
  }): AsyncIterable<RawResolved[]>;
}

/** A subscription of the client (gRPC, a Readable of resolved events). */
interface Subscription {
  on(event: 'data', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  unsubscribe(): Promise<void>;
}

interface Client {
  readonly rustClient: RustClient;
  subscribeToAll(options: { fromPosition: unknown; filter: unknown }): Subscription;
  dispose(): Promise<void>;
}

interface ClientModule {
  KurrentDBClient: { connectionString(text: string): Client };
  END: unknown;
  excludeSystemEvents(): unknown;
}

let clientModule: ClientModule | undefined;

/** The platform name the client's native reader is published under (`linux-x64-gnu`, …). */
function nativePlatform(): string {
  const { platform, arch } = process;
  if (platform === 'linux') {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    return `linux-${arch}-${header?.glibcVersionRuntime ? 'gnu' : 'musl'}`;
  }
  return platform === 'win32' ? `win32-${arch}-msvc` : `${platform}-${arch}`;
}

/** The bundled client (dist/kurrentdb.js), loaded once; a sentence when it or its native reader is missing. */
export function loadKurrentClient(script?: string): ClientModule {
  if (clientModule && !script) return clientModule;
  if (!script && isSingleExecutable())
    throw new EventscopeError(
      'KurrentDB connections need the KurrentDB client, which the single-file executable of Eventscope does not include: use the eventscope npm package (Node 22.14 or newer) or the VS Code extension.',
    );
  const candidates = script ? [script] : [join(__dirname, 'kurrentdb.js'), join(__dirname, '..', '..', '..', 'dist', 'kurrentdb.js')];
  const path = candidates.find((p) => existsSync(p));
  const missing = (cause?: unknown) =>
    new EventscopeError(
      `KurrentDB connections need the client's native reader (@kurrent/bridge-${nativePlatform()}), which this installation of Eventscope does not have for ${process.platform}-${process.arch}: install the Eventscope package built for this platform.`,
      { cause },
    );
  if (!path) throw missing(new Error(`none of ${candidates.join(', ')} exists`));
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, outside the bundle
    const loaded = require(path) as ClientModule;
    if (!script) clientModule = loaded;
    return loaded;
  } catch (error) {
    if (/no precompiled module|Cannot find module '@kurrent\/bridge|\.node/i.test(messageOf(error))) throw missing(error);
    throw error;
  }
}

// ---- locations ---------------------------------------------------------------------------------

const SCHEMES = /^(kurrentdb|kurrent|kdb|esdb|eventstore)(\+discover)?:\/\//i;

/** Whether a location is a KurrentDB connection string. */
export function isKurrentUrl(location: string): boolean {
  return SCHEMES.test(location);
}

/** A connection string with its userinfo split off: `user` and `password` apart, the rest as it was. */
export function splitCredentials(text: string): { before: string; user?: string; password?: string; after: string } {
  const scheme = SCHEMES.exec(text)![0];
  const rest = text.slice(scheme.length);
  const end = rest.search(/[/?]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  if (at < 0) return { before: scheme, after: rest };
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return {
    before: scheme,
    user: decode(colon < 0 ? userinfo : userinfo.slice(0, colon)) || undefined,
    ...(colon >= 0 ? { password: decode(userinfo.slice(colon + 1)) } : {}),
    after: rest.slice(at + 1),
  };
}

/** A server-side regex (.NET and JS alike) for the event types a type key matches (see `typeMatches`). */
export function typeKeyRegex(keys: string[]): string {
  const escaped = keys.map((k) => k.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return `(^|:)([^:]*\\.)?(${escaped.join('|')})$`;
}

// ---- the store ---------------------------------------------------------------------------------

interface IndexedStream {
  streamId: string;
  category: string;
  topic?: string;
  firstType: string;
  /** Counted by a scan; undefined when the index comes from `$streams` (counted per page). */
  count?: number;
  lastRevision?: number;
}

interface StreamIndex {
  source: '$streams' | 'scan';
  streams: IndexedStream[];
  byId: Map<string, IndexedStream>;
  /** `$streams`: the next link revision to read; scan: the next `$all` position (undefined: from the start). */
  resume?: { revision?: bigint; position?: { commit: bigint; prepare: bigint } };
  /** Events a scan has read (it stops at `maxScanEvents`). */
  scanned: number;
  snapshotStreams: number;
  truncated: boolean;
}

/** A position in `$all`. */
interface Position {
  commit: bigint;
  prepare: bigint;
}

export class KurrentDbStore implements EventStore {
  /** The connection string without its password. */
  readonly location: string;
  private readonly connectionText: string;
  private readonly host: string;
  private readonly user: string | undefined;
  private readonly maxScanEvents: number;
  private client: Client | undefined;
  private closed = false;
  private index: StreamIndex | undefined;
  private indexing: Promise<StreamIndex> | undefined;
  /** Positions of events seen: where reads of `$all` can start. */
  private readonly anchors = new Anchors();

  constructor(
    url: string,
    private readonly options: KurrentDbOptions = {},
  ) {
    if (!isKurrentUrl(url)) throw new EventscopeError(`"${url}" is not a KurrentDB connection string (kurrentdb://host:2113?tls=false).`);
    const parts = splitCredentials(url);
    const password = options.password ?? parts.password ?? process.env.EVENTSCOPE_PASSWORD;
    this.user = parts.user ?? (password ? 'admin' : undefined);
    this.host = parts.after.split(/[/?]/)[0];
    if (!this.host)
      throw new EventscopeError(
        `"${url.replace(/\/\/[^@/?]*@/, '//')}" names no host: give one, as in kurrentdb://localhost:2113?tls=false.`,
      );
    this.location = `${parts.before}${parts.user ? `${encodeURIComponent(parts.user)}@` : ''}${parts.after}`;
    const userinfo = this.user ? `${encodeURIComponent(this.user)}${password ? `:${encodeURIComponent(password)}` : ''}@` : '';
    this.connectionText = `${parts.before}${userinfo}${parts.after}`;
    this.maxScanEvents = options.maxScanEvents ?? DEFAULT_MAX_SCAN;
  }

  /** The client, made on first use (it connects lazily, and again after a connection was lost). */
  private connection(): Client {
    if (this.closed) throw new EventscopeError(`${this.location} was closed.`);
    if (!this.client) {
      const module = loadKurrentClient();
      try {
        this.client = module.KurrentDBClient.connectionString(this.connectionText);
      } catch (error) {
        throw new EventscopeError(`${this.location} is not a valid KurrentDB connection string: ${messageOf(error).replace(/\.$/, '')}.`, {
          cause: error,
        });
      }
    }
    return this.client;
  }

  /** Runs store work, turning any failure into one sentence that names the server. */
  private async guard<T>(doing: string, work: (client: RustClient) => Promise<T>): Promise<T> {
    try {
      return await work(this.connection().rustClient);
    } catch (error) {
      throw this.translate(error, doing);
    }
  }

  /** One sentence for what went wrong talking to the server (never with the password). */
  private translate(error: unknown, doing: string): Error {
    if (error instanceof EventscopeError) return error;
    const where = `KurrentDB at ${this.location}`;
    const name = error instanceof Error ? error.name : '';
    const message = messageOf(error).replace(this.connectionText, this.location).replace(/\.$/, '');
    const sentence = (() => {
      if (/access ?denied|unauthenticated|bad credentials|not authenticated/i.test(`${name} ${message}`))
        return `${where} refused ${this.user ? `the credentials of user "${this.user}"` : 'access without credentials'} while ${doing} (give the password with EVENTSCOPE_PASSWORD; in VS Code, Edit Connection).`;
      if (/tls|ssl|certificate|handshake/i.test(message))
        return `${where}: the TLS connection failed (${message}); for a server without TLS add ?tls=false.`;
      if (/dns|resolve|lookup|not known|ENOTFOUND/i.test(message)) return `Can't reach ${where}: the host ${this.host} is unknown.`;
      const code = (error as { code?: unknown } | null)?.code;
      // gRPC's CANCELLED from the server's side: it went away mid-call.
      if (code === 1 || /ECONNRESET|GOAWAY|Call cancelled/i.test(message))
        return `${where} closed the connection while ${doing}; it connects again on the next request.`;
      if (name === 'UnavailableError' || code === 14 || /unavailable|refused|connect|transport|broken pipe|reset/i.test(message))
        return `Can't reach ${where} while ${doing}: ${message && message !== name ? message : 'no server answers at that address (is it running, is the host right?)'}; it connects again on the next request.`;
      if (name === 'DeadlineExceededError' || /deadline|timed? ?out/i.test(message))
        return `${where} did not answer in time while ${doing}.`;
      if (name === 'NotLeaderError') return `${where} is not the cluster's leader and refused ${doing}.`;
      return `${where} failed ${doing}: ${message}.`;
    })();
    // A failure of the connection itself: the next request makes a new client.
    if (!/refused the credentials|failed /.test(sentence)) this.dropClient();
    return new EventscopeError(sentence, { cause: error });
  }

  private dropClient(): void {
    const client = this.client;
    this.client = undefined;
    void client?.dispose().catch(() => undefined);
  }

  /** The records of one read, resolved (link -> its event), or undefined when the stream does not exist. */
  private async records(read: AsyncIterable<RawResolved[]>): Promise<RawResolved[] | undefined> {
    const all: RawResolved[] = [];
    try {
      for await (const batch of read) all.push(...batch);
    } catch (error) {
      if (error instanceof Error && (error.name === 'StreamNotFoundError' || error.name === 'StreamDeletedError')) return undefined;
      throw error;
    }
    return all;
  }

  private readStreamRaw(
    client: RustClient,
    stream: string,
    from: bigint | 'start' | 'end',
    backwards: boolean,
    count: number,
    resolve = true,
  ) {
    return this.records(
      client.readStream(stream, {
        fromRevision: from,
        direction: backwards ? 'backwards' : 'forwards',
        maxCount: BigInt(count),
        requiresLeader: false,
        resolvesLink: resolve,
      }),
    );
  }

  /** The events of one read of `$all` (links unresolved: each record is its own event). */
  private async readAllRaw(
    client: RustClient,
    from: Position | 'start' | 'end',
    backwards: boolean,
    count: number,
    filter: RawFilter,
  ): Promise<RawRecord[]> {
    const read = client.readAll({
      fromPosition: from,
      direction: backwards ? 'backwards' : 'forwards',
      maxCount: BigInt(count),
      requiresLeader: false,
      resolvesLink: false,
      filter,
    });
    return ((await this.records(read)) ?? []).flatMap((r) => (r.event ? [r.event] : []));
  }

  /** The `$all` position of an event's position (its commit position when we have seen it). */
  private positionAt(position: number): Position {
    const prepare = BigInt(position);
    return { commit: this.anchors.commits.get(position) ?? prepare, prepare };
  }

  /** An event's position, noted as a place a read of `$all` can start from. */
  private remember(record: RawRecord): number {
    if (!record.position) return 0;
    const position = Number(record.position.prepare);
    this.anchors.add(position, record.position.commit);
    return position;
  }

  /**
   * `$all` from any position: KurrentDB starts a read only at an event's position (elsewhere it
   * fails: "invalid position"), so a position that is no event's is read from the nearest known
   * event's before it (or the start), skipping what lies before.
   */
  private async readAllFrom(client: RustClient, from: number | undefined, count: number, filter: RawFilter): Promise<RawRecord[]> {
    if (from === undefined) return this.readAllRaw(client, 'start', false, count, filter);
    try {
      return await this.readAllRaw(client, this.positionAt(from), false, count, filter);
    } catch (error) {
      // Only a position seen as an event's can't be an invalid one.
      if (this.anchors.has(from)) throw error;
      if (!/invalid.?(position|argument)/i.test(`${(error as Error)?.name} ${messageOf(error)}`)) throw error;
    }
    const anchor = this.anchors.floor(from);
    let at: Position | 'start' = anchor === undefined ? 'start' : this.positionAt(anchor);
    const found: RawRecord[] = [];
    for (let looked = 0; ;) {
      const chunk = await this.readAllRaw(client, at, false, INDEX_CHUNK, filter);
      // Each chunk after the first starts with the event the one before ended with.
      for (const record of looked ? chunk.slice(1) : chunk) if (this.remember(record) >= from) found.push(record);
      looked += chunk.length;
      if (found.length >= count || chunk.length < INDEX_CHUNK) return found.slice(0, count);
      if (looked > MAX_SKIP)
        throw new EventscopeError(
          `${this.location}: ${from} is not the position of an event, and the nearest known one is more than ${MAX_SKIP.toLocaleString('en-US')} events before it (KurrentDB positions are byte offsets: take one that the log shows).`,
        );
      at = chunk.at(-1)!.position!;
    }
  }

  /** The sentence for one of the library's events that does not decode. */
  private cannotDecode(record: RawRecord, error: DecodeError): EventscopeError {
    return new EventscopeError(`${this.location}: cannot decode the event ${record.revision}@${record.streamId}: ${error.message}.`, {
      cause: error,
    });
  }

  /** Decodes records into events (a page at a time: one batch for the cipher). */
  private toEvents(records: RawRecord[]): RecordedEvent[] {
    const decoded = decodeEventsourcingStates(
      records.map((r) => r.data),
      { cipherKey: this.options.cipherKey, transcodings: this.options.transcodings },
    );
    return records.map((record, i) => {
      const library = record.type.includes(':');
      const state = decoded[i];
      let data: Record<string, unknown>;
      let kinds = {};
      if (state instanceof DecodeError) {
        if (library && !this.options.keepStored) throw this.cannotDecode(record, state);
        data = library ? {} : jsonObjectOrBytes(record.data);
      } else {
        data = state.value;
        kinds = state.kinds;
      }
      const stateTime = library ? data.timestamp : undefined;
      const event: RecordedEvent = {
        streamId: record.streamId,
        revision: Number(record.revision),
        position: this.remember(record),
        type: record.type,
        timestamp: typeof stateTime === 'string' ? stateTime : new Date(record.created).toISOString(),
        data,
        metadata: { eventId: record.id, ...jsonObjectOrBytes(record.metadata) },
        kinds,
      };
      if (this.options.keepStored && library)
        storedForms.set(event, { originatorId: record.streamId, topic: record.type, state: record.data });
      return event;
    });
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<EventPage> {
    const limit = pageLimit(options.limit);
    const backwards = options.direction === 'backwards';
    checkIndex('revision', options.fromRevision);
    const types = options.types?.length ? options.types : undefined;
    const wanted = typeFilter(types);
    return this.guard(`reading stream "${streamId}"`, async (client) => {
      let from: bigint | 'start' | 'end' =
        options.fromRevision === undefined ? (backwards ? 'end' : 'start') : BigInt(options.fromRevision);
      const items: RecordedEvent[] = [];
      for (let looked = 0; ;) {
        const want = types ? MAX_PAGE : limit + 1;
        const raw = await this.readStreamRaw(client, streamId, from, backwards, want);
        if (!raw) throw new NoSuchStream(streamId, this.location);
        if (!raw.length) return { items };
        // Paging follows this stream's own revisions (a link's, when the stream holds links).
        const own = raw.map((r) => (r.link ?? r.event)!.revision);
        const records = raw.map((r) => r.event ?? r.link!);
        const kept = records.flatMap((r, i) => (wanted(r.type) ? [i] : []));
        const room = limit - items.length;
        items.push(...this.toEvents(kept.slice(0, room).map((i) => records[i])));
        if (kept.length > room) return { items, next: Number(own[kept[room]]) };
        const last = own[own.length - 1];
        looked += raw.length;
        if (raw.length < want || (backwards && last === 0n)) return { items };
        from = backwards ? last - 1n : last + 1n;
        if (looked >= TYPE_SCAN_BUDGET) return { items, next: Number(from) };
      }
    });
  }

  /**
   * `$all` newest first from any position (inclusive): a backwards read starts before an event's
   * position, so it starts from the first event at or after `from` (taking that one when it is at
   * `from`).
   */
  private async readAllBackwardsFrom(client: RustClient, from: number | undefined, count: number, filter: RawFilter): Promise<RawRecord[]> {
    const [after] = from === undefined ? [] : await this.readAllFrom(client, from, 1, filter);
    if (!after?.position) return this.readAllRaw(client, 'end', true, count, filter);
    const bound = this.remember(after);
    const before = (await this.readAllRaw(client, after.position, true, count, filter)).filter((r) => this.remember(r) < bound);
    return [...(bound === from ? [after] : []), ...before].slice(0, count);
  }

  async readAll(options: ReadAllOptions = {}): Promise<EventPage> {
    const limit = pageLimit(options.limit);
    checkIndex('position', options.fromPosition);
    const types = options.types?.length ? options.types : undefined;
    const filter: RawFilter = { filterOn: 'eventType', regex: types ? typeKeyRegex(types) : NO_SYSTEM_TYPES };
    return this.guard('reading its log', async (client) => {
      const raw =
        options.direction === 'backwards'
          ? await this.readAllBackwardsFrom(client, options.fromPosition, limit + 1, filter)
          : await this.readAllFrom(client, options.fromPosition, limit + 1, filter);
      // The server filters by type; system streams and snapshots are left out here.
      const wanted = typeFilter(types);
      const records = raw.slice(0, limit).filter((r) => isUserEvent(r) && wanted(r.type));
      const items = this.toEvents(records);
      return raw.length > limit ? { items, next: this.remember(raw[limit]) } : { items };
    });
  }

  async headPosition(): Promise<number> {
    return this.guard('reading its head position', async (client) => {
      const [last] = await this.readAllRaw(client, 'end', true, 1, { filterOn: 'eventType', regex: NO_SYSTEM_TYPES });
      return last ? this.remember(last) : 0;
    });
  }

  // ---- streams ---------------------------------------------------------------------------------

  /** The index of streams, brought up to date (one request when nothing is new). */
  private streamIndex(): Promise<StreamIndex> {
    this.indexing ??= this.guard('listing its streams', (client) => this.refreshIndex(client)).finally(() => (this.indexing = undefined));
    return this.indexing;
  }

  private async refreshIndex(client: RustClient): Promise<StreamIndex> {
    let index = this.index;
    if (!index) {
      const probe = await this.readStreamRaw(client, '$streams', 'start', false, 1, false);
      index = { source: probe ? '$streams' : 'scan', streams: [], byId: new Map(), scanned: 0, snapshotStreams: 0, truncated: false };
    }
    if (index.source === '$streams') await this.indexFromStreams(client, index);
    else await this.indexFromScan(client, index);
    this.index = index;
    return index;
  }

  private add(index: StreamIndex, first: RawRecord): IndexedStream | undefined {
    if (first.streamId.startsWith(SNAPSHOT_PREFIX)) {
      index.snapshotStreams++;
      return undefined;
    }
    const [event] = this.toEventsLenient([first]);
    const category = first.type.includes(':')
      ? categoryOf(first.type, event?.data.originator_topic)
      : { name: categoryOfStreamName(first.streamId) };
    const entry: IndexedStream = {
      streamId: first.streamId,
      category: category.name,
      ...(category.topic ? { topic: category.topic } : {}),
      firstType: first.type,
    };
    index.streams.push(entry);
    index.byId.set(entry.streamId, entry);
    return entry;
  }

  /** Events decoded where they can be (undefined where not): for the categories of first events. */
  private toEventsLenient(records: RawRecord[]): (RecordedEvent | undefined)[] {
    return records.map((r) => {
      try {
        return this.toEvents([r])[0];
      } catch {
        return undefined;
      }
    });
  }

  private async indexFromStreams(client: RustClient, index: StreamIndex): Promise<void> {
    for (;;) {
      const raw = (await this.readStreamRaw(client, '$streams', index.resume?.revision ?? 'start', false, INDEX_CHUNK, true)) ?? [];
      for (const { event, link } of raw) {
        // A link whose stream was deleted resolves to nothing.
        if (event && !event.streamId.startsWith('$') && !index.byId.has(event.streamId)) this.add(index, event);
        const own = link ?? event;
        if (own) index.resume = { revision: own.revision + 1n };
      }
      if (raw.length < INDEX_CHUNK) return;
    }
  }

  private async indexFromScan(client: RustClient, index: StreamIndex): Promise<void> {
    while (index.scanned < this.maxScanEvents) {
      const from = index.resume?.position ?? 'start';
      const want = Math.min(INDEX_CHUNK, this.maxScanEvents - index.scanned + 1);
      const raw = await this.readAllRaw(client, from, false, want, { filterOn: 'eventType', regex: NO_SYSTEM_TYPES });
      // A read from a position includes the event there: the last one of the previous chunk.
      const fresh = index.resume?.position ? raw.slice(1) : raw;
      for (const event of fresh) {
        if (event.streamId.startsWith('$')) continue;
        index.scanned++;
        const entry = index.byId.get(event.streamId) ?? this.add(index, event);
        if (entry) {
          entry.count = (entry.count ?? 0) + 1;
          entry.lastRevision = Number(event.revision);
        }
        if (event.position) index.resume = { position: event.position };
      }
      if (raw.length < want) {
        index.truncated = false;
        return;
      }
    }
    index.truncated = true;
  }

  /** Counts and last revisions of index entries that lack them (the `$streams` index): one read each. */
  private async counted(client: RustClient, entries: IndexedStream[]): Promise<StreamInfo[]> {
    const index = this.index!;
    return inBatches(entries, BATCH, async (entry) => {
      let { count, lastRevision } = entry;
      if (index.source === '$streams') {
        const [last] = (await this.readStreamRaw(client, entry.streamId, 'end', true, 1, false)) ?? [];
        lastRevision = last?.event ? Number(last.event.revision) : -1;
        count = lastRevision + 1;
      }
      return {
        streamId: entry.streamId,
        category: entry.category,
        count: count ?? 0,
        lastRevision: lastRevision ?? -1,
        firstType: entry.firstType,
      };
    });
  }

  async listStreams(options: ListStreamsOptions = {}): Promise<Page<StreamInfo>> {
    const limit = pageLimit(options.limit);
    const index = await this.streamIndex();
    const start = options.after === undefined ? 0 : Number(options.after);
    if (!Number.isInteger(start) || start < 0)
      throw new EventscopeError(`"${options.after}" is not a cursor of ${this.location}'s stream list.`);
    const squash = (s: string) => s.replace(/-/g, '').toLowerCase();
    const { category, prefix, contains } = options;
    const matches = (s: IndexedStream) =>
      (category === undefined || s.category === category || s.topic === category) &&
      (prefix === undefined || s.streamId.startsWith(prefix) || squash(s.streamId).startsWith(squash(prefix))) &&
      (contains === undefined || s.streamId.includes(contains) || squash(s.streamId).includes(squash(contains)));
    const chosen: IndexedStream[] = [];
    let at = start;
    for (; at < index.streams.length && chosen.length <= limit; at++) {
      if (matches(index.streams[at])) chosen.push(index.streams[at]);
    }
    const more = chosen.length > limit;
    if (more) at = index.streams.indexOf(chosen[limit]);
    const items = await this.guard('counting the events of its streams', (client) => this.counted(client, chosen.slice(0, limit)));
    return more ? { items, next: String(at) } : { items };
  }

  async categories(): Promise<CategoryInfo[]> {
    return categoriesOf((await this.streamIndex()).streams);
  }

  async info(): Promise<StoreInfo> {
    const index = await this.streamIndex();
    const warnings: string[] = [];
    let events: number;
    if (index.source === 'scan') {
      events = index.streams.reduce((sum, s) => sum + (s.count ?? 0), 0);
      warnings.push(
        index.truncated
          ? `The $streams system projection does not run, so Eventscope lists streams by reading $all, and stopped after ${this.maxScanEvents.toLocaleString('en-US')} events: streams written later are missing from the list.`
          : 'The $streams system projection does not run, so Eventscope lists streams by reading $all (start the system projections for a faster list).',
      );
    } else if (index.streams.length <= 10_000) {
      const counted = await this.guard('counting its events', (client) => this.counted(client, index.streams));
      events = counted.reduce((sum, s) => sum + s.count, 0);
    } else {
      events = -1;
      warnings.push(`${index.streams.length.toLocaleString('en-US')} streams: their events are not counted.`);
    }
    return {
      kind: 'kurrentdb',
      location: this.location,
      engine: 'KurrentDB (gRPC)',
      openMode: 'read-only',
      warnings,
      tables: [],
      events,
      streams: index.streams.length,
      snapshots: index.snapshotStreams,
      headPosition: await this.headPosition(),
      encoding: await this.encoding(),
      categories: await this.categories(),
      checkpoints: [],
    };
  }

  /** How the first of the library's events is stored (plain JSON for a store of other events). */
  private async encoding(): Promise<StoreInfo['encoding']> {
    return this.guard('reading its first event', async (client) => {
      const [first] = await this.readAllRaw(client, 'start', false, 1, { filterOn: 'eventType', regex: '^[^$].*:' });
      if (!first) return { compression: 'none', encrypted: false };
      try {
        return describeStateEncoding(first.data, this.options.cipherKey);
      } catch (error) {
        // A key that does not decrypt it: the sentence reading that event gives (toEvents).
        if (!(error instanceof DecodeError)) throw error;
        throw this.cannotDecode(first, error);
      }
    });
  }

  /** The library's snapshots of an aggregate: its `snapshot-$<id>` stream, newest first. */
  async snapshots(streamId: string): Promise<Snapshot[]> {
    return this.guard(`reading the snapshots of stream "${streamId}"`, async (client) => {
      const raw = (await this.readStreamRaw(client, `${SNAPSHOT_PREFIX}${streamId}`, 'end', true, 100, false)) ?? [];
      return this.toEventsLenient(raw.map((r) => r.event!)).flatMap((event) => {
        if (!event) return [];
        const version = event.metadata.originator_version;
        return [
          {
            streamId,
            revision: typeof version === 'number' ? version : event.revision,
            type: event.type,
            timestamp: event.timestamp,
            data: event.data,
            kinds: event.kinds,
          },
        ];
      });
    });
  }

  /** New events by a subscription to `$all` from its end (without system events). */
  watch(onChange: () => void, onError: (error: Error) => void): { close(): void } {
    const module = loadKurrentClient();
    const subscription = this.connection().subscribeToAll({ fromPosition: module.END, filter: module.excludeSystemEvents() });
    let open = true;
    subscription.on('data', () => {
      if (open) onChange();
    });
    subscription.on('error', (error) => {
      if (!open) return;
      open = false;
      onError(this.translate(error, 'following new events'));
    });
    return {
      close: () => {
        open = false;
        void subscription.unsubscribe().catch(() => undefined);
      },
    };
  }

  async checkpoints(_upstreamHead?: number): Promise<Checkpoint[]> {
    return [];
  }

  async close(): Promise<void> {
    this.closed = true;
    this.dropClient();
  }
}

/** Event positions seen, sorted, and the commit positions of those whose commit and prepare positions differ. */
class Anchors {
  private positions: number[] = [];
  readonly commits = new Map<number, bigint>();

  add(position: number, commit: bigint): void {
    const list = this.positions;
    if (!list.length || position > list[list.length - 1]) list.push(position);
    else {
      const at = upperBound(list, position);
      if (list[at - 1] === position) return;
      list.splice(at, 0, position);
    }
    if (commit !== BigInt(position)) this.commits.set(position, commit);
    if (list.length > MAX_ANCHORS) {
      this.positions = list.filter((_, i) => i % 2 === 0);
      for (const kept of this.commits.keys()) if (!this.has(kept)) this.commits.delete(kept);
    }
  }

  has(position: number): boolean {
    return indexIn(this.positions, position) >= 0;
  }

  /** The greatest position below `position`, if any. */
  floor(position: number): number | undefined {
    const at = upperBound(this.positions, position - 1);
    return at > 0 ? this.positions[at - 1] : undefined;
  }
}

function isUserEvent(record: RawRecord): boolean {
  return !record.type.startsWith('$') && !record.streamId.startsWith('$') && !record.streamId.startsWith(SNAPSHOT_PREFIX);
}

/**
 * A body or custom metadata that is not the library's, as an object: JSON as it is (exactly; a
 * value that is no object as `{ value }`), else its bytes as `{ $binary: base64 }`; none: `{}`.
 */
function jsonObjectOrBytes(bytes: Uint8Array): Record<string, unknown> {
  if (!bytes.length) return {};
  try {
    const value = parseExactJson(Buffer.from(bytes).toString('utf8'));
    return isRecord(value) ? value : { value };
  } catch {
    return { $binary: Buffer.from(bytes).toString('base64') };
  }
}
