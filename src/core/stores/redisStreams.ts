/**
 * Reads Redis (or Valkey) streams as an event store, read-only, with node-redis over one
 * connection that is opened on first use (and again after it was lost). Only read commands are
 * sent: SCAN, XINFO STREAM, XLEN, XRANGE, XREVRANGE, TYPE, INFO (and AUTH/SELECT to connect).
 *
 * - A stream is a key of TYPE stream, found with `SCAN cursor MATCH … TYPE stream COUNT 1000`
 *   (never KEYS). Its category is the part of the key before the first `-` or `:`, whichever
 *   comes first (`BankAccount-1` and `BankAccount:1` are both `BankAccount`); a key with neither
 *   is its own category.
 * - An entry is an event: its type is the field `typeField` (default `type`, else `event_type`;
 *   "(untyped)" when absent or empty), its data the other fields (values that are JSON objects,
 *   arrays, numbers or booleans parsed, the rest kept as strings), its metadata `{ id }` (the entry
 *   id), its timestamp the millisecond part of the id. Its revision is its 1-based place in the
 *   stream: stable while entries are only appended (trimming or XDEL renumbers what follows).
 * - Redis has no global log, so Eventscope defines one: every entry of every stream, ordered by
 *   entry id (time), ties by key; an event's position is its 1-based place in that order.
 *
 * Costs. Listing streams: SCAN plus one XINFO STREAM per listed stream. Reading a stream: one XINFO
 * STREAM, then XRANGE/XREVRANGE of the page; finding the entry at a revision costs nothing when it
 * is an end of the stream or a page boundary handed out before (a small per-stream cache of
 * revision -> entry id, dropped when XINFO shows entries were deleted), else a walk from the
 * nearest known revision in XRANGE chunks of 1000 entries (entries travel whole: Redis cannot count
 * a range). The global log (readAll, and the positions of events read from one stream) is an
 * in-memory index of every entry's id and type, built on first use by reading every stream once
 * (about 100 bytes an entry) and brought up to date on each readAll (SCAN plus one XINFO STREAM a
 * stream, then only the new entries); it holds at most `maxLogEntries` (500,000 by default): past
 * that, readAll fails with a sentence that says so and events read from one stream have position 0
 * (unknown). `headPosition()` is the sum of XLEN (SCAN plus one XLEN a stream). Field values are read
 * as UTF-8 text. Needs Redis 6.2+ (exclusive XRANGE bounds, SCAN TYPE); on Redis before 7 (no
 * `entries-added` in XINFO) an XDEL in the middle of a stream goes unnoticed by the caches.
 *
 * Location: `redis://[user@]host[:port][/db]` or `rediss://…` (TLS). The password never comes into
 * a message or the location: it is given apart (options.password; else the URL's, else
 * EVENTSCOPE_PASSWORD or REDISCLI_AUTH).
 */

import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  createClient,
  DisconnectsClientError,
  ErrorReply,
  SocketClosedUnexpectedlyError,
} from 'redis';
import { EventscopeError, messageOf, NoSuchStream } from '../errors';
import { typeFilter, type RecordedEvent, type StreamInfo } from '../events';
import { parseExactJson } from '../json/exact';
import {
  byCodeUnit,
  checkIndex,
  inBatches,
  pageLimit,
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

export interface RedisStreamsOptions {
  /** The password (AUTH); else the URL's, else EVENTSCOPE_PASSWORD or REDISCLI_AUTH. Never shown. */
  password?: string;
  /** The entry field that holds the event type (default: `type`, else `event_type`). */
  typeField?: string;
  /** The most entries merged into the global log (readAll, positions); default 500,000. */
  maxLogEntries?: number;
}

/** The type of an entry without a type field. */
export const UNTYPED = '(untyped)';
/** The `firstType` of a stream with no entries (all deleted or trimmed). */
export const EMPTY_STREAM = '(empty)';

/** SCAN's COUNT: slots looked at per SCAN call. */
const SCAN_COUNT = 1000;
/** Entries per XRANGE when walking to a revision or reading a stream into the log. */
const CHUNK = 1000;
/** With a type filter, the most entries one readStream call looks at before it hands back a (short) page. */
const TYPE_SCAN_BUDGET = 10_000;
/** Commands sent at once (node-redis pipelines them) when one is needed per stream. */
const BATCH = 256;
const MAX_BOUNDARIES = 1000;
const MAX_CACHED_STREAMS = 256;
const DEFAULT_MAX_LOG = 500_000;

type Client = ReturnType<typeof createClient>;
/** A RESP2 reply as node-redis returns it to `sendCommand`. */
type Reply = string | number | null | Reply[];
/** An entry as XRANGE returns it: its id and its fields, name and value alternating. */
type Entry = [id: string, fields: string[]];

/** What XINFO STREAM says of a stream. */
interface StreamMeta {
  length: number;
  first?: Entry;
  lastId?: string;
  /**
   * The first entry's id and the number of entries ever removed (`entries-added` - length; Redis
   * 7+): it changes when entries are trimmed or deleted, and caches keyed by revision are dropped.
   */
  token: string;
}

/** One stream in the global log: entry ids and types by revision - 1, and each entry's position. */
interface LoggedStream {
  key: string;
  token: string;
  ids: string[];
  types: string[];
  positions: number[];
}

/** The global log: every entry of every stream in (id, key) order; position p is `streams[p - 1]`, `revisions[p - 1]`. */
interface Log {
  byKey: Map<string, LoggedStream>;
  streams: LoggedStream[];
  revisions: number[];
}

/** The global log would be larger than `maxLogEntries`. */
class LogTooLarge extends EventscopeError {}

/** The category of a stream key: the part before the first `-` or `:`, else the whole key. */
export function categoryOfKey(key: string): string {
  const cut = key.search(/[-:]/);
  return cut > 0 ? key.slice(0, cut) : key;
}

/** Whether a location is a Redis URL. */
export function isRedisUrl(location: string): boolean {
  return /^rediss?:\/\//i.test(location);
}

interface ListCursor {
  /** The SCAN cursor of the batch to resume. */
  c: string;
  /** The last key of that batch already handed out (the batch is sorted by key). */
  k?: string;
}

function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

function decodeCursor(text: string): ListCursor {
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { c?: unknown; k?: unknown };
    if (typeof parsed.c === 'string' && /^\d+$/.test(parsed.c) && (parsed.k === undefined || typeof parsed.k === 'string')) {
      return parsed.k === undefined ? { c: parsed.c } : { c: parsed.c, k: parsed.k };
    }
  } catch {
    // fall through
  }
  throw new EventscopeError(`The cursor "${text}" is not one this store handed out.`);
}

/** Text for a SCAN MATCH pattern that matches itself only. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Compares two digit strings without leading zeros as numbers. */
function compareDigits(a: string, b: string): number {
  return a.length - b.length || byCodeUnit(a, b);
}

/** Compares two entry ids (`ms-seq`) in stream order. */
export function compareEntryIds(a: string, b: string): number {
  const da = a.indexOf('-');
  const db = b.indexOf('-');
  return compareDigits(a.slice(0, da), b.slice(0, db)) || compareDigits(a.slice(da + 1), b.slice(db + 1));
}

/** The ISO time of an entry id's millisecond part, or null when it is no time. */
function timestampOf(id: string): string | null {
  const date = new Date(Number(id.slice(0, id.indexOf('-'))));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** A field's value: JSON objects, arrays, numbers (integers beyond 2^53 as bigint) and booleans parsed; anything else as the text it is. */
export function fieldValue(text: string): unknown {
  const first = text[0];
  if (first === '{' || first === '[') {
    try {
      return parseExactJson(text);
    } catch {
      return text;
    }
  }
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (JSON_NUMBER.test(text)) {
    const value = parseExactJson(text);
    return typeof value === 'number' && !Number.isFinite(value) ? text : value;
  }
  return text;
}

/** Sets a key on a plain object, `__proto__` included (as an own property). */
function setField(target: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  else target[name] = value;
}

function isReply(error: unknown, pattern: RegExp): boolean {
  return error instanceof ErrorReply && pattern.test(error.message);
}

/** The errno code of a connection error (an AggregateError of several addresses carries it too). */
function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const inner = (error as { errors?: unknown } | null)?.errors;
  return Array.isArray(inner) ? errorCode(inner[0]) : undefined;
}

function parseMeta(reply: Reply): StreamMeta {
  const fields = new Map<string, Reply>();
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), reply[i + 1]);
  const length = Number(fields.get('length') ?? 0);
  const first = fields.get('first-entry');
  const last = fields.get('last-entry');
  const added = fields.get('entries-added');
  const firstEntry = Array.isArray(first) ? (first as Entry) : undefined;
  return {
    length,
    ...(firstEntry ? { first: firstEntry } : {}),
    ...(Array.isArray(last) ? { lastId: String(last[0]) } : {}),
    token: `${firstEntry?.[0] ?? ''}|${typeof added === 'number' ? added - length : '?'}`,
  };
}

export class RedisStreamsStore implements EventStore {
  /** The URL without its password. */
  readonly location: string;
  private readonly clientOptions: Parameters<typeof createClient>[0];
  private readonly host: string;
  private readonly user: string | undefined;
  private readonly typeFields: string[];
  private readonly maxLogEntries: number;
  private client: Promise<Client> | undefined;
  /** Set by close(): no call connects again. */
  private closed = false;
  /** Per stream: the token its revisions were counted under, and revision -> entry id of page boundaries. */
  private readonly boundaries = new Map<string, { token: string; ids: Map<number, string> }>();
  private log: Log | undefined;
  private logRefresh: Promise<Log> | undefined;
  /** Set once the store proved too large for the log: events read from one stream then have position 0. */
  private logTooLarge = false;

  constructor(url: string, options: RedisStreamsOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (error) {
      throw new EventscopeError(`"${url}" is not a Redis URL (redis://host:port/db or rediss://…).`, { cause: error });
    }
    if (!isRedisUrl(url)) throw new EventscopeError(`"${parsed.protocol}//" is not a Redis URL scheme: use redis:// or rediss://.`);
    const password =
      options.password ?? (decodeURIComponent(parsed.password) || process.env.EVENTSCOPE_PASSWORD || process.env.REDISCLI_AUTH);
    parsed.password = '';
    this.location = parsed.toString();
    const db = parsed.pathname.replace(/^\//, '');
    if (db && !/^\d+$/.test(db)) throw new EventscopeError(`${this.location}: the database must be a number (got "${db}").`);
    this.host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
    this.user = decodeURIComponent(parsed.username) || undefined;
    this.typeFields = options.typeField ? [options.typeField] : ['type', 'event_type'];
    this.maxLogEntries = options.maxLogEntries ?? DEFAULT_MAX_LOG;
    const socket = {
      host: this.host,
      port: parsed.port ? Number(parsed.port) : 6379,
      connectTimeout: 10_000,
      // No silent reconnects (which would queue or retry reads): a lost connection fails the
      // call, and the next call connects again (see `connection`).
      reconnectStrategy: false as const,
    };
    this.clientOptions = {
      socket: parsed.protocol.toLowerCase() === 'rediss:' ? { ...socket, tls: true } : socket,
      ...(this.user !== undefined ? { username: this.user } : {}),
      ...(password ? { password } : {}),
      ...(db ? { database: Number(db) } : {}),
      disableOfflineQueue: true,
      // No CLIENT SETINFO: nothing is set on the server, not even the client's name.
      disableClientInfo: true,
      maintNotifications: 'disabled',
    };
  }

  /** The one connection, opened on first use (again after it was lost). */
  private connection(): Promise<Client> {
    if (this.closed) return Promise.reject(new EventscopeError(`Redis at ${this.location}: the store was closed.`));
    if (!this.client) {
      const client = createClient(this.clientOptions);
      const connecting: Promise<Client> = client.connect().then(
        () => client,
        (error: unknown) => {
          this.forget(connecting, client);
          throw error;
        },
      );
      // node-redis emits 'error' when the socket fails; unheard it would end the process. Here it
      // just drops the client: the call in flight fails on its own, the next one connects again.
      client.on('error', () => this.forget(connecting, client));
      this.client = connecting;
    }
    return this.client;
  }

  /**
   * Drops a client: the next call connects anew. It is destroyed a moment later, so that the
   * commands it has in flight fail with what really happened (node-redis fails them after it
   * emits 'error'), not with "Disconnects client".
   */
  private forget(connecting: Promise<Client>, client: Client): void {
    if (this.client === connecting) this.client = undefined;
    setImmediate(() => {
      try {
        if (client.isOpen) client.destroy();
      } catch {
        // already closed
      }
    });
  }

  /** Runs store work on the connection, turning any failure into one sentence that names the URL. */
  private async guard<T>(doing: string, work: (client: Client) => Promise<T>): Promise<T> {
    const connecting = this.connection();
    try {
      return await work(await connecting);
    } catch (error) {
      // A failure that is no reply of the server (a lost or closed connection) drops the client.
      if (!(error instanceof EventscopeError) && !(error instanceof ErrorReply)) {
        void connecting.then(
          (client) => this.forget(connecting, client),
          () => undefined,
        );
      }
      throw this.translate(error, doing);
    }
  }

  /** One sentence for what went wrong talking to the server (never with the password). */
  private translate(error: unknown, doing: string): Error {
    if (error instanceof EventscopeError) return error;
    const where = `Redis at ${this.location}`;
    const message = messageOf(error).replace(/\.$/, '');
    const code = errorCode(error);
    const sentence = (() => {
      if (code === 'ECONNREFUSED') return `Can't reach ${where}: connection refused.`;
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `Can't reach ${where}: the host ${this.host} is unknown.`;
      if (code === 'ETIMEDOUT' || error instanceof ConnectionTimeoutError) return `Can't reach ${where}: the connection timed out.`;
      if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `Can't reach ${where}: no route to the host ${this.host}.`;
      if (isReply(error, /^WRONGPASS|^ERR invalid password/i))
        return `${where} refused the password${this.user ? ` of user "${this.user}"` : ''} (give it with EVENTSCOPE_PASSWORD or REDISCLI_AUTH; in VS Code, Edit Connection).`;
      if (isReply(error, /^NOAUTH/))
        return `${where} asks for a password: give it with EVENTSCOPE_PASSWORD or REDISCLI_AUTH (in VS Code, Edit Connection).`;
      if (isReply(error, /^NOPERM/)) return `${where} refused this user while ${doing}: ${message}.`;
      if (error instanceof ErrorReply) return `${where} failed ${doing}: ${message}.`;
      if (/SSL|TLS|certificate/i.test(message) || code?.startsWith('ERR_SSL') || code?.startsWith('ERR_TLS'))
        return `${where}: the TLS connection failed (${message}).`;
      if (
        code === 'ECONNRESET' ||
        code === 'EPIPE' ||
        error instanceof SocketClosedUnexpectedlyError ||
        error instanceof ClientClosedError ||
        error instanceof ClientOfflineError ||
        error instanceof DisconnectsClientError
      )
        return `${where} closed the connection while ${doing}; it reconnects on the next request.`;
      return `${where} failed ${doing}: ${message}.`;
    })();
    return new EventscopeError(sentence, { cause: error });
  }

  private async command(client: Client, args: string[]): Promise<Reply> {
    return (await client.sendCommand(args)) as Reply;
  }

  private async entries(client: Client, args: string[]): Promise<Entry[]> {
    return (await this.command(client, args)) as Entry[];
  }

  /** XINFO STREAM of a key, or a sentence when there is no such stream. */
  private async meta(client: Client, key: string): Promise<StreamMeta> {
    try {
      return parseMeta(await this.command(client, ['XINFO', 'STREAM', key]));
    } catch (error) {
      if (isReply(error, /^ERR no such key/i)) throw new NoSuchStream(key, this.location);
      if (isReply(error, /^WRONGTYPE/)) {
        const type = String(await this.command(client, ['TYPE', key]));
        throw new EventscopeError(`The key "${key}" in ${this.location} is a ${type}, not a stream.`);
      }
      throw error;
    }
  }

  /** XINFO STREAM of a key listed a moment ago, or undefined when it is gone (or no longer a stream). */
  private async metaIfStream(client: Client, key: string): Promise<StreamMeta | undefined> {
    try {
      return parseMeta(await this.command(client, ['XINFO', 'STREAM', key]));
    } catch (error) {
      if (isReply(error, /^ERR no such key|^WRONGTYPE/i)) return undefined;
      throw error;
    }
  }

  /** Every stream key, sorted (a full SCAN). */
  private async streamKeys(client: Client): Promise<string[]> {
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [next, found] = (await this.command(client, ['SCAN', cursor, 'MATCH', '*', 'TYPE', 'stream', 'COUNT', String(SCAN_COUNT)])) as [
        string,
        string[],
      ];
      for (const key of found) keys.add(key);
      cursor = next;
    } while (cursor !== '0');
    return [...keys].sort(byCodeUnit);
  }

  /** The type of an entry and the index of its type field (-1 when it has none). */
  private typeOf(fields: string[]): { type: string; at: number } {
    for (const name of this.typeFields) {
      for (let i = 0; i + 1 < fields.length; i += 2) {
        if (fields[i] === name) return { type: fields[i + 1] || UNTYPED, at: i };
      }
    }
    return { type: UNTYPED, at: -1 };
  }

  private toEvent(streamId: string, [id, fields]: Entry, revision: number, position: number): RecordedEvent {
    const { type, at } = this.typeOf(fields);
    const data: Record<string, unknown> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) if (i !== at) setField(data, fields[i], fieldValue(fields[i + 1]));
    return { streamId, revision, position, type, timestamp: timestampOf(id), data, metadata: { id }, kinds: {} };
  }

  private streamInfo(key: string, meta: StreamMeta): StreamInfo {
    return {
      streamId: key,
      category: categoryOfKey(key),
      count: meta.length,
      lastRevision: meta.length,
      firstType: meta.first ? this.typeOf(meta.first[1]).type : EMPTY_STREAM,
    };
  }

  async info(): Promise<StoreInfo> {
    return this.guard('reading its info', async (client) => {
      const server = new Map<string, string>();
      for (const line of String(await this.command(client, ['INFO', 'server'])).split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon > 0 && !line.startsWith('#')) server.set(line.slice(0, colon), line.slice(colon + 1).trim());
      }
      const valkey = server.get('server_name') === 'valkey';
      const version = (valkey ? server.get('valkey_version') : server.get('redis_version')) ?? 'unknown';
      const keys = await this.streamKeys(client);
      const lengths = await inBatches(keys, BATCH, async (key) => Number(await this.command(client, ['XLEN', key])));
      const events = lengths.reduce((a, b) => a + b, 0);
      const warnings: string[] = [];
      if (!valkey && Number(version.split('.')[0]) < 7) {
        warnings.push(
          `Redis ${version} does not report deleted entries (XINFO entries-added, Redis 7+), so after an XDEL in the middle of a stream Eventscope may number its entries wrongly until the store is opened again.`,
        );
      }
      return {
        kind: 'redis-streams',
        location: this.location,
        engine: `${valkey ? 'valkey' : 'redis'} ${version}`,
        openMode: 'read-only',
        warnings,
        tables: [],
        events,
        streams: keys.length,
        snapshots: 0,
        headPosition: events,
        encoding: { compression: 'none', encrypted: false },
        categories: this.categoriesOf(keys),
        checkpoints: [],
      };
    });
  }

  async listStreams(options: ListStreamsOptions = {}): Promise<Page<StreamInfo>> {
    const limit = pageLimit(options.limit);
    const start: ListCursor = options.after === undefined ? { c: '0' } : decodeCursor(options.after);
    return this.guard('listing its streams', async (client) => {
      const { prefix, contains, category } = options;
      // SCAN's MATCH narrows on the server; the filters are applied again here, exactly.
      const match = prefix
        ? `${globEscape(prefix)}*`
        : category !== undefined
          ? `${globEscape(category)}*`
          : contains
            ? `*${globEscape(contains)}*`
            : '*';
      const wanted = (key: string) =>
        (!prefix || key.startsWith(prefix)) &&
        (!contains || key.includes(contains)) &&
        (category === undefined || categoryOfKey(key) === category);
      // SCAN hands out keys in batches, in no order. Each batch is sorted and handed out in that
      // order, so a page can end in the middle of one: the cursor then says which batch (its SCAN
      // cursor, asked again) and the last key of it already handed out.
      const keys: string[] = [];
      let cursor = start.c;
      let skipThrough = start.k;
      let next: string | undefined;
      scanning: for (;;) {
        const [following, found] = (await this.command(client, [
          'SCAN',
          cursor,
          'MATCH',
          match,
          'TYPE',
          'stream',
          'COUNT',
          String(SCAN_COUNT),
        ])) as [string, string[]];
        const batch = [...new Set(found)].filter((k) => wanted(k) && (skipThrough === undefined || k > skipThrough)).sort(byCodeUnit);
        let lastOfBatch = skipThrough;
        for (const key of batch) {
          if (keys.length === limit) {
            next = encodeCursor(lastOfBatch === undefined ? { c: cursor } : { c: cursor, k: lastOfBatch });
            break scanning;
          }
          keys.push(key);
          lastOfBatch = key;
        }
        skipThrough = undefined;
        if (following === '0') break;
        cursor = following;
      }
      const metas = await inBatches(keys, BATCH, (key) => this.metaIfStream(client, key));
      const items = keys.flatMap((key, i) => (metas[i] ? [this.streamInfo(key, metas[i])] : []));
      items.sort((a, b) => byCodeUnit(a.streamId, b.streamId));
      return next === undefined ? { items } : { items, next };
    });
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<EventPage> {
    const limit = pageLimit(options.limit);
    checkIndex('revision', options.fromRevision);
    return this.guard(`reading stream "${streamId}"`, async (client) => {
      const meta = await this.meta(client, streamId);
      const backwards = options.direction === 'backwards';
      const from = backwards ? Math.min(options.fromRevision ?? meta.length, meta.length) : Math.max(options.fromRevision ?? 1, 1);
      if (from < 1 || from > meta.length) return { items: [] };
      const id = await this.seek(client, streamId, meta, from);
      const page = await this.collect(client, streamId, meta, id, from, backwards, limit, options.types);
      await this.attachPositions(client, streamId, page.items);
      return page;
    });
  }

  /** The revision -> entry id cache of a stream, emptied when its entries were renumbered. */
  private boundaryIds(key: string, meta: StreamMeta): Map<number, string> {
    let cached = this.boundaries.get(key);
    if (!cached || cached.token !== meta.token) {
      cached = { token: meta.token, ids: new Map() };
      this.boundaries.delete(key);
      if (this.boundaries.size >= MAX_CACHED_STREAMS) this.boundaries.delete(this.boundaries.keys().next().value!);
      this.boundaries.set(key, cached);
    }
    return cached.ids;
  }

  private remember(ids: Map<number, string>, revision: number, id: string): void {
    if (ids.size >= MAX_BOUNDARIES && !ids.has(revision)) ids.delete(ids.keys().next().value!);
    ids.set(revision, id);
  }

  /**
   * The id of the entry at a revision (1..length): free at either end or at a cached page
   * boundary, else a walk in XRANGE (or XREVRANGE) chunks from the nearest known revision.
   */
  private async seek(client: Client, key: string, meta: StreamMeta, revision: number): Promise<string> {
    if (revision === 1) return meta.first![0];
    if (revision === meta.length) return meta.lastId!;
    const ids = this.boundaryIds(key, meta);
    const known = ids.get(revision);
    if (known !== undefined) return known;
    let below = 1;
    let belowId = meta.first![0];
    let above = meta.length;
    let aboveId = meta.lastId!;
    for (const [rev, id] of ids) {
      if (rev < revision && rev > below) [below, belowId] = [rev, id];
      if (rev > revision && rev < above) [above, aboveId] = [rev, id];
    }
    const id =
      revision - below <= above - revision
        ? await this.walk(client, key, belowId, revision - below, false)
        : await this.walk(client, key, aboveId, above - revision, true);
    this.remember(ids, revision, id);
    return id;
  }

  /** The id `steps` entries after (or before) an entry. */
  private async walk(client: Client, key: string, fromId: string, steps: number, backwards: boolean): Promise<string> {
    let cursor = fromId;
    for (let left = steps; left > 0;) {
      const n = Math.min(left, CHUNK);
      const chunk = await this.entries(
        client,
        backwards ? ['XREVRANGE', key, `(${cursor}`, '-', 'COUNT', String(n)] : ['XRANGE', key, `(${cursor}`, '+', 'COUNT', String(n)],
      );
      if (chunk.length < n) throw this.changedWhileReading(key);
      cursor = chunk[chunk.length - 1][0];
      left -= n;
    }
    return cursor;
  }

  private changedWhileReading(key: string): EventscopeError {
    this.boundaries.delete(key);
    return new EventscopeError(`The stream "${key}" in ${this.location} lost entries while it was being read; read it again.`);
  }

  /**
   * Up to `limit` events from the entry `id` at `revision` on, one way: one XRANGE of limit + 1
   * entries without a type filter; with one, chunks until the page is full, the stream ends or
   * TYPE_SCAN_BUDGET entries were looked at (a short page, `next` where to go on).
   */
  private async collect(
    client: Client,
    key: string,
    meta: StreamMeta,
    id: string,
    revision: number,
    backwards: boolean,
    limit: number,
    types: string[] | undefined,
  ): Promise<EventPage> {
    const filter = types?.length ? types : undefined;
    const wanted = typeFilter(filter);
    const step = backwards ? -1 : 1;
    const items: RecordedEvent[] = [];
    let rev = revision;
    let start = id;
    let scanned = 0;
    for (;;) {
      const n = filter ? CHUNK : limit + 1 - items.length;
      const chunk = await this.entries(
        client,
        backwards ? ['XREVRANGE', key, start, '-', 'COUNT', String(n)] : ['XRANGE', key, start, '+', 'COUNT', String(n)],
      );
      for (const entry of chunk) {
        if (wanted(this.typeOf(entry[1]).type)) {
          if (items.length === limit) {
            this.remember(this.boundaryIds(key, meta), rev, entry[0]);
            return { items, next: rev };
          }
          items.push(this.toEvent(key, entry, rev, 0));
        }
        rev += step;
        scanned++;
      }
      if (chunk.length < n || rev < 1) return { items };
      const last = chunk[chunk.length - 1][0];
      if (filter && scanned >= TYPE_SCAN_BUDGET) {
        this.remember(this.boundaryIds(key, meta), rev - step, last);
        return { items, next: rev };
      }
      start = `(${last}`;
    }
  }

  /** Sets the global positions of events just read from one stream (0 when the store is too large for the log). */
  private async attachPositions(client: Client, key: string, items: RecordedEvent[]): Promise<void> {
    if (!items.length || this.logTooLarge) return;
    const covered = (log: Log | undefined) => {
      const stream = log?.byKey.get(key);
      return !!stream && items.every((e) => stream.ids[e.revision - 1] === e.metadata.id);
    };
    let log = this.log;
    if (!covered(log)) {
      try {
        log = await this.refreshLog(client);
      } catch (error) {
        if (error instanceof LogTooLarge) return;
        throw error;
      }
    }
    const stream = log!.byKey.get(key);
    if (!stream) return;
    for (const e of items) e.position = stream.ids[e.revision - 1] === e.metadata.id ? stream.positions[e.revision - 1] : 0;
  }

  async readAll(options: ReadAllOptions = {}): Promise<EventPage> {
    const limit = pageLimit(options.limit);
    checkIndex('position', options.fromPosition);
    return this.guard('reading the log of all its streams', async (client) => {
      const log = await this.refreshLog(client);
      const filter = options.types?.length ? options.types : undefined;
      const wanted = typeFilter(filter);
      const positions: number[] = [];
      let next: number | undefined;
      const backwards = options.direction === 'backwards';
      const last = log.streams.length;
      const start = backwards ? Math.min(options.fromPosition ?? last, last) : Math.max(options.fromPosition ?? 1, 1);
      for (let p = start; backwards ? p >= 1 : p <= last; p += backwards ? -1 : 1) {
        if (filter && !wanted(log.streams[p - 1].types[log.revisions[p - 1] - 1])) continue;
        if (positions.length === limit) {
          next = p;
          break;
        }
        positions.push(p);
      }
      const items = backwards
        ? (await this.eventsAt(client, log, positions.reverse())).reverse()
        : await this.eventsAt(client, log, positions);
      return next === undefined ? { items } : { items, next };
    });
  }

  /**
   * The events at these positions (ascending), fetched per stream: one XRANGE over the stream's
   * part of the page when it is dense, else one XRANGE per entry.
   */
  private async eventsAt(client: Client, log: Log, positions: number[]): Promise<RecordedEvent[]> {
    const byStream = new Map<LoggedStream, number[]>();
    for (const p of positions) {
      const stream = log.streams[p - 1];
      let list = byStream.get(stream);
      if (!list) byStream.set(stream, (list = []));
      list.push(log.revisions[p - 1]);
    }
    const entries = new Map<LoggedStream, Map<string, Entry>>();
    await inBatches([...byStream], BATCH, async ([stream, revisions]) => {
      const first = revisions[0];
      const last = revisions[revisions.length - 1];
      const ranges: [string, string][] =
        last - first + 1 <= 2 * revisions.length + 16
          ? [[stream.ids[first - 1], stream.ids[last - 1]]]
          : revisions.map((r) => [stream.ids[r - 1], stream.ids[r - 1]]);
      const found = new Map<string, Entry>();
      for (const chunk of await Promise.all(ranges.map(([a, b]) => this.entries(client, ['XRANGE', stream.key, a, b]))))
        for (const entry of chunk) found.set(entry[0], entry);
      entries.set(stream, found);
    });
    return positions.map((p) => {
      const stream = log.streams[p - 1];
      const revision = log.revisions[p - 1];
      const entry = entries.get(stream)!.get(stream.ids[revision - 1]);
      if (!entry) {
        this.log = undefined;
        throw this.changedWhileReading(stream.key);
      }
      return this.toEvent(stream.key, entry, revision, p);
    });
  }

  /** The global log brought up to date (one refresh at a time; callers arriving meanwhile share it). */
  private refreshLog(client: Client): Promise<Log> {
    this.logRefresh ??= this.buildLog(client).finally(() => {
      this.logRefresh = undefined;
    });
    return this.logRefresh;
  }

  /**
   * Builds the global log, or updates it: streams with only new entries at their end are read from
   * their last known entry on; a stream that lost entries (or is new with a known key) is read
   * again. When every new entry sorts after the last one of the log (the usual case: ids are
   * times), positions stay as they were and the new entries are appended; otherwise the whole log
   * is sorted again (positions after the change move).
   */
  private async buildLog(client: Client): Promise<Log> {
    const keys = await this.streamKeys(client);
    const metas = await inBatches(keys, BATCH, (key) => this.metaIfStream(client, key));
    const total = metas.reduce((sum, m) => sum + (m?.length ?? 0), 0);
    if (total > this.maxLogEntries) {
      this.logTooLarge = true;
      this.log = undefined;
      throw new LogTooLarge(
        `${this.location} holds ${total} stream entries, more than the ${this.maxLogEntries} Eventscope merges into one log; read its streams one by one instead.`,
      );
    }
    this.logTooLarge = false;
    const old = this.log;
    let resort = !old;
    const byKey = new Map<string, LoggedStream>();
    /** New entries at the end of streams already in the log (or of new streams). */
    const added: [LoggedStream, number][] = [];
    await inBatches(
      keys.map((key, i) => [key, metas[i]] as const),
      BATCH,
      async ([key, meta]) => {
        if (!meta) return;
        const before = old?.byKey.get(key);
        if (before && before.token === meta.token && meta.length >= before.ids.length) {
          const lastId = before.ids[before.ids.length - 1];
          if (meta.length === before.ids.length && meta.lastId === lastId) {
            byKey.set(key, before);
            return;
          }
          const fresh = await this.readIdsAndTypes(client, key, lastId);
          const stream: LoggedStream = {
            key,
            token: meta.token,
            ids: before.ids.concat(fresh.ids),
            types: before.types.concat(fresh.types),
            positions: before.positions.slice(),
          };
          for (let r = before.ids.length + 1; r <= stream.ids.length; r++) added.push([stream, r]);
          byKey.set(key, stream);
          return;
        }
        const fresh = await this.readIdsAndTypes(client, key, undefined);
        const stream: LoggedStream = { key, token: meta.token, ids: fresh.ids, types: fresh.types, positions: [] };
        if (before) resort = true;
        else for (let r = 1; r <= stream.ids.length; r++) added.push([stream, r]);
        byKey.set(key, stream);
      },
    );
    if (old) for (const key of old.byKey.keys()) if (!byKey.has(key)) resort = true;
    const byPlace = (a: [LoggedStream, number], b: [LoggedStream, number]) =>
      compareEntryIds(a[0].ids[a[1] - 1], b[0].ids[b[1] - 1]) || byCodeUnit(a[0].key, b[0].key);
    if (!resort && old && added.length) {
      added.sort(byPlace);
      const tail = old.streams.length;
      if (tail && byPlace(added[0], [old.streams[tail - 1], old.revisions[tail - 1]]) < 0) resort = true;
    }
    let log: Log;
    if (resort) {
      const all: [LoggedStream, number][] = [];
      for (const stream of byKey.values()) for (let r = 1; r <= stream.ids.length; r++) all.push([stream, r]);
      all.sort(byPlace);
      // Every stream gets new positions (the old log, still in use by a read, keeps its own).
      for (const [key, stream] of byKey) byKey.set(key, { ...stream, positions: new Array<number>(stream.ids.length) });
      log = { byKey, streams: new Array(all.length), revisions: new Array(all.length) };
      all.forEach(([stream, revision], i) => {
        const current = byKey.get(stream.key)!;
        log.streams[i] = current;
        log.revisions[i] = revision;
        current.positions[revision - 1] = i + 1;
      });
    } else {
      log = { byKey, streams: old!.streams.slice(), revisions: old!.revisions.slice() };
      for (const [stream, revision] of added) {
        log.streams.push(stream);
        log.revisions.push(revision);
        stream.positions[revision - 1] = log.streams.length;
      }
      // Entries earlier in a stream that got new ones keep their place: point them at its new object.
      for (let i = 0; i < log.streams.length; i++) log.streams[i] = byKey.get(log.streams[i].key)!;
    }
    this.log = log;
    return log;
  }

  /** The ids and types of a stream's entries after `afterId` (all when undefined), read in chunks. */
  private async readIdsAndTypes(client: Client, key: string, afterId: string | undefined): Promise<{ ids: string[]; types: string[] }> {
    const ids: string[] = [];
    const types: string[] = [];
    const interned = new Map<string, string>();
    let start = afterId === undefined ? '-' : `(${afterId}`;
    for (;;) {
      const chunk = await this.entries(client, ['XRANGE', key, start, '+', 'COUNT', String(CHUNK)]);
      for (const [id, fields] of chunk) {
        const type = this.typeOf(fields).type;
        let same = interned.get(type);
        if (same === undefined) interned.set(type, (same = type));
        ids.push(id);
        types.push(same);
      }
      if (chunk.length < CHUNK) return { ids, types };
      start = `(${chunk[chunk.length - 1][0]}`;
    }
  }

  async categories(): Promise<CategoryInfo[]> {
    return this.guard('listing its categories', async (client) => this.categoriesOf(await this.streamKeys(client)));
  }

  private categoriesOf(keys: string[]): CategoryInfo[] {
    const counts = new Map<string, number>();
    for (const key of keys) {
      const name = categoryOfKey(key);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return [...counts].map(([name, streams]) => ({ name, streams })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The number of entries in all streams (the last position of the global log): SCAN plus one XLEN a stream. */
  async headPosition(): Promise<number> {
    return this.guard('counting its entries', async (client) => {
      const keys = await this.streamKeys(client);
      const lengths = await inBatches(keys, BATCH, async (key) => Number(await this.command(client, ['XLEN', key])));
      return lengths.reduce((a, b) => a + b, 0);
    });
  }

  /** Redis streams have no snapshots. */
  async snapshots(_streamId: string): Promise<Snapshot[]> {
    return [];
  }

  /** Consumer groups are not projections' checkpoints: none. */
  async checkpoints(_upstreamHead?: number): Promise<Checkpoint[]> {
    return [];
  }

  async close(): Promise<void> {
    this.closed = true;
    const connecting = this.client;
    this.client = undefined;
    if (!connecting) return;
    const client = await connecting.catch(() => undefined);
    if (!client?.isOpen) return;
    try {
      await client.close();
    } catch {
      if (client.isOpen) client.destroy();
    }
  }
}
