/**
 * Reads an event store written by the Python `eventsourcing` library's SQLite recorder
 * (`stored_events`, `stored_snapshots`, `tracking`), read-only, tolerating a live writer (WAL).
 *
 * Side files. The library puts file databases in WAL mode, and a WAL reader needs the `-shm`
 * index to see what is in the `-wal`: opened plainly read-only, SQLite creates both (a 32 KB -shm,
 * an empty -wal) and, being read-only, can't remove them on close. So:
 * - A WAL database at rest (no -wal, or an empty one: all of its content is in the file itself) is
 *   opened with SQLite's `immutable=1`, which makes no side files and takes no locks. Since such a
 *   connection notices no change, every read checks the file (device, inode, size, mtime, ctime)
 *   and its -wal before and after: when anything moved it opens the file again as it is now (at
 *   rest again after a writer that checkpointed and left, else live) and reads again. A writer can
 *   only change the file through a -wal that has frames, so a read that saw the same state before
 *   and after read a consistent file; new events are seen on the next read (the extension's live
 *   tail watches the file and its -wal and asks for the head position).
 * - Otherwise (a -wal with content, a live writer) it is opened read-only as SQLite does it, with
 *   its locks and the application's -wal/-shm, which it never touches. A store opened at rest goes
 *   live this way once a writer's -wal appears, and stays live.
 * - Side files are never deleted: whether another process opened them since can't be told from
 *   here (SQLite knows by its POSIX locks), and deleting a -wal or -shm a writer uses loses or
 *   corrupts its commits.
 * A database in rollback-journal mode gets no side files from a reader. A folder where SQLite
 * can't create side files gets an immutable open without live updates, with a warning.
 */

import { accessSync, closeSync, constants, existsSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  dashUuid,
  decodeEventsourcingStates,
  describeStateEncoding,
  isHexId,
  type DecodedState,
  type EventsourcingCodecOptions,
  type StoredState,
} from '../codecs/eventsourcing';
import type { TranscodingMapping } from '../codecs/transcodings';
import { DecodeError, EventscopeError, messageOf, NoSuchStream } from '../errors';
import { categoryOf, isModuleLevelTopic, learnAggregate, typeFilter, type RecordedEvent, type StreamInfo } from '../events';
import {
  defaultSqliteEngine,
  type Row,
  type SqlValue,
  type SqliteConnection,
  type SqliteEngine,
  type SqliteStatement,
} from '../sqlite/drivers';
import type {
  CategoryInfo,
  Checkpoint,
  EventPage,
  EventStore,
  ListStreamsOptions,
  Page,
  ReadAllOptions,
  ReadStreamOptions,
  Snapshot,
  StoreInfo,
  TableInfo,
} from './types';
import { pageLimit, storedForms } from './types';
import { Feeds, watchFile } from './feeds';

/** A stored event as the eventsourcing library wrote it (see `storedEvents`). */
export interface StoredEventRow {
  originatorId: string;
  version: number;
  topic: string;
  state: Uint8Array;
}

export interface EventsourcingSqliteOptions {
  /** Raw AES key for encrypted stores (see `parseCipherKey`). */
  cipherKey?: Buffer;
  /** Application transcodings to decode as a known kind (see `EventsourcingCodecOptions`). */
  transcodings?: TranscodingMapping;
  engine?: SqliteEngine;
  /**
   * Keep each event's stored form (`storedForms`) for a runner that decodes it itself; an event the
   * core can't decode (a cipher of the application's own) is then read with empty data, not refused.
   */
  keepStored?: boolean;
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const EVENT_COLUMNS = ['originator_id', 'originator_version', 'topic', 'state'];
const HEX_ID = /^[0-9a-f]{32}$/;

/** The canonical stream id of an `originator_id`: a dashed UUID for 32 hex digits, else as is. */
export function streamIdOf(originatorId: string): string {
  if (!isHexId(originatorId)) return originatorId;
  return dashUuid(originatorId);
}

/** How messages name an event: "the event at position 7 (stream 8b79…, revision 3)". */
function eventWhere(position: unknown, originatorId: unknown, revision: unknown): string {
  return `the event at position ${String(position)} (stream ${streamIdOf(String(originatorId))}, revision ${String(revision)})`;
}

function encodeCursor(originatorId: string): string {
  return Buffer.from(JSON.stringify({ after: originatorId }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through
  }
  throw new EventscopeError(`The cursor "${cursor}" is not one this store handed out.`);
}

/** The smallest string greater than every string that starts with `prefix`. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** SQLite's primary result codes by number, for node:sqlite (its errors carry `errcode`, not a name). */
const SQLITE_CODES: Record<number, string> = {
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  8: 'SQLITE_READONLY',
  11: 'SQLITE_CORRUPT',
  14: 'SQLITE_CANTOPEN',
  26: 'SQLITE_NOTADB',
};

/** The SQLite result code's name of an engine's error ('SQLITE_BUSY', 'SQLITE_READONLY_CANTINIT'…), or ''. */
function sqliteCode(error: unknown): string {
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return code;
  return typeof errcode === 'number' ? (SQLITE_CODES[errcode & 0xff] ?? '') : '';
}

/** Whether SQLite failed because the file is damaged or not a database. */
function isDamaged(error: unknown): boolean {
  const code = sqliteCode(error);
  return code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || /malformed|not a database|corrupt/i.test(messageOf(error));
}

/** One sentence for a SQLite failure at `path`, doing `what` ("Reading", "Opening"). */
function describeSqliteError(path: string, what: string, error: unknown): EventscopeError {
  const message = messageOf(error);
  const code = sqliteCode(error);
  if (isDamaged(error)) return new EventscopeError(`${path} is damaged: SQLite says "${message}".`, { cause: error });
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new EventscopeError(`${path} is locked by another program (SQLite says "${message}"); try again when it has finished writing.`, {
      cause: error,
    });
  }
  return new EventscopeError(`${what} ${path} failed: SQLite says "${message}".`, { cause: error });
}

interface Category {
  name: string;
  topic?: string;
}

export class EventsourcingSqliteStore implements EventStore {
  readonly location: string;
  private db: SqliteConnection;
  private readonly engine: SqliteEngine;
  /**
   * How the file is open: `live` (read-only, SQLite's own locks and WAL index), `at-rest`
   * (immutable while the file stays as `seen`, see the file's comment) or `immutable` (a folder
   * where SQLite cannot make its side files: no live updates).
   */
  private access: Access;
  /** The file as it was when the `at-rest` connection opened. */
  private seen: FileState | undefined;
  private closed = false;
  /** What the codec decodes states with: the cipher key and the application transcodings' kinds. */
  private readonly codec: EventsourcingCodecOptions;
  private readonly feeds: Feeds;
  private tables: string[];
  private readonly statements = new Map<string, SqliteStatement>();
  private readonly categoryByTopic = new Map<string, Category>();
  /** The topics whose aggregate has been looked for (`learnTopic`), once each. */
  private readonly topicsLearnt = new Set<string>();
  private readonly originatorIdByStream = new Map<string, string>();
  private categoriesCache: { head: number; value: CategoryInfo[] } | undefined;
  private hexIds: boolean | undefined;
  /**
   * How readAll and readStream fetch the state: without a key JSON states as TEXT, the rest (and
   * with a key every state, since a ciphertext can start with '{' too) as the hex of their bytes.
   * A string costs far less to fetch than a Buffer per row (see StoredState).
   */
  private readonly stateColumn: string;
  private readonly keepStored: boolean;

  constructor(path: string, options: EventsourcingSqliteOptions = {}) {
    this.location = resolve(path);
    this.feeds = new Feeds(this.location);
    this.codec = { cipherKey: options.cipherKey, ...(options.transcodings ? { transcodings: options.transcodings } : {}) };
    this.keepStored = options.keepStored ?? false;
    this.stateColumn = this.codec.cipherKey
      ? 'hex(state)'
      : "CASE WHEN substr(state, 1, 1) = X'7B' THEN CAST(state AS TEXT) ELSE hex(state) END";
    const wal = checkSqliteFile(this.location);
    this.engine = options.engine ?? defaultSqliteEngine();
    const opened = openReadOnly(this.engine, this.location, wal);
    this.db = opened.db;
    this.access = opened.access;
    this.seen = opened.seen;
    this.tables = opened.tables;
    try {
      this.checkSchema();
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  private checkSchema(): void {
    if (!this.tables.includes('stored_events')) {
      const found = this.tables.length ? `it has ${this.tables.map((t) => `"${t}"`).join(', ')}` : 'it has no tables';
      throw new EventscopeError(
        `${this.location} is a SQLite database but not an eventsourcing store: there is no stored_events table (${found}).`,
      );
    }
    const columns = this.guard(() =>
      this.db
        .prepare('PRAGMA table_info(stored_events)')
        .all()
        .map((r) => r[1] as string),
    );
    const missing = EVENT_COLUMNS.filter((c) => !columns.includes(c));
    if (missing.length) {
      throw new EventscopeError(
        `${this.location} has a stored_events table without the eventsourcing column(s) ${missing.join(', ')}, so it is not an eventsourcing store.`,
      );
    }
  }

  /** What `info` says of the way the file is open. */
  private warnings(): string[] {
    return this.access === 'immutable'
      ? [
          `${this.location} is in a folder Eventscope cannot write its SQLite side files to (-wal/-shm), so it is opened as immutable: live updates are off and events still in a -wal file are not shown.`,
        ]
      : [];
  }

  /** Runs store work, turning SQLite failures into one sentence that names the file. */
  private guard<T>(work: () => T): T {
    try {
      return this.access === 'at-rest' && !this.closed ? this.atRest(work) : work();
    } catch (error) {
      throw this.translate(error);
    }
  }

  /**
   * Runs work on the immutable connection of a store at rest, trusting what it read only when the
   * file was as `seen` before and after (else opens it again as it is now, and runs the work again):
   * the immutable connection takes no locks and notices no change by itself.
   */
  private atRest<T>(work: () => T): T {
    for (let tries = 0; ; tries++) {
      // A file that keeps changing under the reads: open it live (SQLite's locks) from then on.
      if (!this.unchanged()) this.reopen(tries >= 3);
      if (this.access !== 'at-rest') return work();
      let result: T;
      try {
        result = work();
      } catch (error) {
        if (this.unchanged()) throw error;
        continue;
      }
      if (this.unchanged()) return result;
    }
  }

  /** Whether the file is still as the at-rest connection saw it (a file gone for now counts as unchanged). */
  private unchanged(): boolean {
    const now = fileState(this.location);
    return now === undefined || (this.seen !== undefined && sameFileState(now, this.seen));
  }

  /** Opens the file again as it is now (at rest again, or live when a -wal has content); `live` forces live. */
  private reopen(live: boolean): void {
    const opened = openReadOnly(this.engine, this.location, checkSqliteFile(this.location), live);
    const old = this.db;
    this.statements.clear();
    this.db = opened.db;
    this.access = opened.access;
    this.seen = opened.seen;
    this.tables = opened.tables;
    old.close();
  }

  private translate(error: unknown): Error {
    return error instanceof EventscopeError ? error : describeSqliteError(this.location, 'Reading', error);
  }

  private stmt(sql: string): SqliteStatement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Decodes one state column as stored (not `stateColumn`), or throws a sentence that names the store and `where`. */
  private decode(state: SqlValue, where: () => string): DecodedState {
    const bytes = typeof state === 'string' ? Buffer.from(state, 'utf8') : stateValue(state);
    return this.located(decodeEventsourcingStates([bytes], this.codec)[0], where);
  }

  private located(result: DecodedState | DecodeError, where: () => string): DecodedState {
    if (result instanceof DecodeError) throw this.cannotDecode(result, where());
    return result;
  }

  /** The sentence for a state that does not decode: the store, which one (`where`), and why. */
  private cannotDecode(error: DecodeError, where: string): EventscopeError {
    return new EventscopeError(`${this.location}: cannot decode ${where}: ${error.message}.`, { cause: error });
  }

  /** A row the library could not have written (NULL ids, topics or versions). */
  private damaged(what: string): EventscopeError {
    return new EventscopeError(`${this.location} is damaged: ${what}.`);
  }

  private toEvent(row: Row, state: DecodedState | DecodeError): RecordedEvent {
    const position = row[0] as number;
    const originatorId = row[1];
    const revision = row[2];
    const type = row[3];
    if (typeof originatorId !== 'string' || typeof type !== 'string' || typeof revision !== 'number') {
      throw this.damaged(`the event at position ${position} has no valid originator_id, originator_version or topic`);
    }
    if (!this.topicsLearnt.has(type)) this.learnTopic(type, originatorId);
    const streamId = streamIdOf(originatorId);
    const where = () => eventWhere(position, originatorId, revision);
    const decoded: DecodedState & { undecoded?: string } =
      state instanceof DecodeError
        ? this.keepStored
          ? { value: {}, kinds: {}, undecoded: `cannot decode ${where()}: ${state.message}` }
          : this.located(state, where)
        : state;
    const ts = decoded.value.timestamp;
    const event: RecordedEvent = {
      streamId,
      revision,
      position,
      type,
      timestamp: typeof ts === 'string' ? ts : null,
      data: decoded.value,
      metadata: decoded.undecoded !== undefined ? { undecoded: decoded.undecoded } : {},
      kinds: decoded.kinds,
    };
    if (this.keepStored) storedForms.set(event, { originatorId, topic: type, state: stateValue(row[4]) });
    return event;
  }

  private head(): number {
    return (this.stmt('SELECT MAX(rowid) FROM stored_events').get()?.[0] as number | null) ?? 0;
  }

  /** Whether originator ids are 32-hex UUIDs (the default) rather than text ids. */
  private usesHexIds(): boolean {
    if (this.hexIds === undefined) {
      const first = this.stmt('SELECT originator_id FROM stored_events ORDER BY rowid LIMIT 1').get();
      this.hexIds = first === undefined || (typeof first[0] === 'string' && HEX_ID.test(first[0]));
    }
    return this.hexIds;
  }

  private initialVersion(): number {
    return (this.stmt('SELECT originator_version FROM stored_events ORDER BY rowid LIMIT 1').get()?.[0] as number) ?? 1;
  }

  /** A piece of a stream id as stored: UUID pieces lose their dashes and case in a 32-hex store. */
  private idFragment(text: string): string {
    return this.usesHexIds() && /^[0-9a-fA-F-]+$/.test(text) ? text.replace(/-/g, '').toLowerCase() : text;
  }

  /** The stored originator_id of a stream id, or undefined when the store has no such stream. */
  private originatorId(streamId: string): string | undefined {
    const known = this.originatorIdByStream.get(streamId);
    if (known !== undefined) return known;
    const candidates = [streamId];
    const undashed = streamId.replace(/-/g, '').toLowerCase();
    if (HEX_ID.test(undashed) && undashed !== streamId) candidates.push(undashed);
    for (const candidate of candidates) {
      if (this.stmt('SELECT 1 FROM stored_events WHERE originator_id = ? LIMIT 1').get(candidate)) {
        this.originatorIdByStream.set(streamId, candidate);
        return candidate;
      }
    }
    return undefined;
  }

  private requireOriginatorId(streamId: string): string {
    const id = this.originatorId(streamId);
    if (id === undefined) throw new NoSuchStream(streamId, this.location);
    return id;
  }

  /** The category (aggregate type) of streams whose first event has this topic (`categoryOf`), cached. */
  private categoryOf(topic: string, state: SqlValue): Category {
    let category = this.categoryByTopic.get(topic);
    if (category) return category;
    let originatorTopic: unknown;
    try {
      originatorTopic = this.decode(state, () => 'a created event').value.originator_topic;
    } catch {
      originatorTopic = undefined; // undecodable (no key): the topic still names the category
    }
    if (typeof originatorTopic !== 'string' || !originatorTopic) {
      originatorTopic = isModuleLevelTopic(topic) ? this.snapshotAggregate(topic) : undefined;
    }
    if (typeof originatorTopic === 'string') learnAggregate(topic, originatorTopic);
    category = categoryOf(topic, originatorTopic);
    this.categoryByTopic.set(topic, category);
    return category;
  }

  /**
   * The aggregate topic of the streams a module-level event without `originator_topic` creates
   * (the library's functional and Pydantic examples): the `topic` of a snapshot of any of them.
   */
  private snapshotAggregate(createdTopic: string): string | undefined {
    if (!this.tables.includes('stored_snapshots')) return undefined;
    // Snapshots are few beside events: walk them, checking each one's created event by the key.
    const row = this.stmt(
      'SELECT s.state FROM stored_snapshots s CROSS JOIN stored_events e ON e.originator_id = s.originator_id AND e.originator_version = ? WHERE e.topic = ? LIMIT 1',
    ).get(this.initialVersion(), createdTopic);
    if (!row) return undefined;
    try {
      const topic = this.decode(row[0], () => 'a snapshot').value.topic;
      return typeof topic === 'string' && topic ? topic : undefined;
    } catch {
      return undefined; // undecodable (no key): the module still names the category
    }
  }

  /**
   * Learns the aggregate of a module-level event class from a stream it is read in: that stream's
   * category (`categoryOf` of its created event), once per topic (`learnAggregate`), so type keys
   * like `Dog.TrickAdded` name it as they name nested classes.
   */
  private learnTopic(topic: string, originatorId: string): void {
    this.topicsLearnt.add(topic);
    if (!isModuleLevelTopic(topic)) return;
    const created = this.stmt('SELECT topic, state FROM stored_events WHERE originator_id = ? ORDER BY originator_version LIMIT 1').get(
      originatorId,
    );
    if (!created || typeof created[0] !== 'string') return;
    const aggregate = this.categoryOf(created[0], created[1]).topic;
    if (aggregate) learnAggregate(topic, aggregate);
  }

  async info(): Promise<StoreInfo> {
    return this.guard(() => {
      const tables: TableInfo[] = this.tables.map((name) => ({
        name,
        rows: this.stmt(`SELECT COUNT(*) FROM ${quoteIdent(name)}`).get()![0] as number,
      }));
      const rows = (name: string) => tables.find((t) => t.name === name)?.rows ?? 0;
      const streams = this.stmt('SELECT COUNT(DISTINCT originator_id) FROM stored_events').get()![0] as number;
      return {
        kind: 'eventsourcing-sqlite',
        location: this.location,
        engine: this.db.engine,
        openMode: this.access === 'immutable' ? 'immutable' : 'read-only',
        warnings: this.warnings(),
        tables,
        events: rows('stored_events'),
        streams,
        snapshots: rows('stored_snapshots'),
        headPosition: this.head(),
        encoding: this.sampleEncoding(),
        categories: this.categoriesNow(),
        checkpoints: this.checkpointsNow(),
      };
    });
  }

  /**
   * How the first event's state is stored. With a key, a key that does not decrypt it fails as
   * `log` fails on that event (the same sentence), rather than saying "encrypted? (no key given)".
   */
  private sampleEncoding(): StoreInfo['encoding'] {
    const row = this.stmt('SELECT rowid, originator_id, originator_version, state FROM stored_events ORDER BY rowid LIMIT 1').get();
    if (!row || !(row[3] instanceof Uint8Array)) return { compression: 'none', encrypted: false };
    try {
      return describeStateEncoding(row[3], this.codec.cipherKey);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      throw this.cannotDecode(error, eventWhere(row[0], row[1], row[2]));
    }
  }

  async listStreams(options: ListStreamsOptions = {}): Promise<Page<StreamInfo>> {
    return this.guard(() => {
      const limit = pageLimit(options.limit);
      const where: string[] = [];
      const params: SqlValue[] = [];
      if (options.after !== undefined) {
        where.push('originator_id > ?');
        params.push(decodeCursor(options.after));
      }
      if (options.prefix) {
        const prefix = this.idFragment(options.prefix);
        if (prefix) {
          where.push('originator_id >= ? AND originator_id < ?');
          params.push(prefix, prefixEnd(prefix));
        }
      }
      if (options.contains) {
        const part = this.idFragment(options.contains);
        if (part) {
          where.push('instr(originator_id, ?) > 0');
          params.push(part);
        }
      }
      let ids: string[];
      if (options.category !== undefined) {
        ids = this.idsInCategory(options.category, where, params, limit + 1);
      } else {
        const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
        const sql = `SELECT originator_id FROM stored_events ${filter} GROUP BY originator_id ORDER BY originator_id LIMIT ?`;
        ids = this.stmt(sql)
          .all(...params, limit + 1)
          .map((r) => r[0] as string);
      }
      const more = ids.length > limit;
      if (more) ids = ids.slice(0, limit);
      const stats = this.stmt(
        'SELECT COUNT(*), MIN(originator_version), MAX(originator_version) FROM stored_events WHERE originator_id = ?',
      );
      const first = this.stmt('SELECT topic, state FROM stored_events WHERE originator_id = ? AND originator_version = ?');
      const items = ids.map((id): StreamInfo => {
        if (typeof id !== 'string') throw this.damaged('stored_events has an event with no originator_id');
        const [count, minVersion, maxVersion] = stats.get(id)! as [number, number, number];
        const [topic, state] = (first.get(id, minVersion) ?? []) as [unknown, SqlValue];
        if (typeof topic !== 'string') throw this.damaged(`the first event of stream ${streamIdOf(id)} has no topic`);
        return {
          streamId: streamIdOf(id),
          category: this.categoryOf(topic, state).name,
          count,
          lastRevision: maxVersion,
          firstType: topic,
        };
      });
      return more ? { items, next: encodeCursor(ids[ids.length - 1]) } : { items };
    });
  }

  /**
   * Up to `wanted` stream ids of a category (by short name or topic), in id order: walks the
   * created events along the primary-key index, classifying each topic once, and stops as soon as
   * the page is full, so no full scan is needed for a category that is not rare.
   */
  private idsInCategory(category: string, where: string[], params: SqlValue[], wanted: number): string[] {
    const initial = this.initialVersion();
    const chunk = 512;
    const sql = `SELECT originator_id, topic FROM stored_events WHERE ${[...where, 'originator_version = ?', 'originator_id > ?'].join(' AND ')} ORDER BY originator_id LIMIT ${chunk}`;
    const createdState = this.stmt('SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = ?');
    const found: string[] = [];
    let after = '';
    for (;;) {
      const rows = this.stmt(sql).all(...params, initial, after);
      for (const [id, topic] of rows) {
        if (typeof id !== 'string' || typeof topic !== 'string')
          throw this.damaged('stored_events has an event with no originator_id or topic');
        const c = this.categoryByTopic.get(topic) ?? this.categoryOf(topic, createdState.get(id, initial)?.[0] ?? null);
        if (c.name === category || c.topic === category) {
          found.push(id);
          if (found.length === wanted) return found;
        }
      }
      if (rows.length < chunk) return found;
      after = rows[rows.length - 1][0] as string;
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<EventPage> {
    return this.guard(() => {
      const id = this.requireOriginatorId(streamId);
      const limit = pageLimit(options.limit);
      const backwards = options.direction === 'backwards';
      const from = options.fromRevision;
      const params: SqlValue[] = from === undefined ? [id] : [id, from];
      const types = typeCondition(options.types, params);
      const sql = backwards
        ? `SELECT rowid, originator_id, originator_version, topic, ${this.stateColumn} FROM stored_events WHERE originator_id = ?${from === undefined ? '' : ' AND originator_version <= ?'}${types} ORDER BY originator_version DESC LIMIT ?`
        : `SELECT rowid, originator_id, originator_version, topic, ${this.stateColumn} FROM stored_events WHERE originator_id = ?${from === undefined ? '' : ' AND originator_version >= ?'}${types} ORDER BY originator_version LIMIT ?`;
      return onlyTypes(this.page(this.stmt(sql).all(...params, limit + 1), limit, 2), options.types);
    });
  }

  /**
   * One stream's events as stored, in order, the state's bytes untouched (compressed, encrypted):
   * for a runner that decodes them with the application's own code (the Python runner).
   */
  async storedEvents(streamId: string): Promise<StoredEventRow[]> {
    return this.guard(() => {
      const id = this.requireOriginatorId(streamId);
      const rows = this.stmt(
        'SELECT originator_id, originator_version, topic, hex(state) FROM stored_events WHERE originator_id = ? ORDER BY originator_version',
      ).all(id);
      return rows.map((r) => ({
        originatorId: String(r[0]),
        version: Number(r[1]),
        topic: String(r[2]),
        state: Buffer.from(String(r[3]), 'hex'),
      }));
    });
  }

  async readAll(options: ReadAllOptions = {}): Promise<EventPage> {
    return this.guard(() => {
      const limit = pageLimit(options.limit);
      const backwards = options.direction === 'backwards';
      const params: SqlValue[] = [options.fromPosition ?? (backwards ? Number.MAX_SAFE_INTEGER : 0)];
      const types = typeCondition(options.types, params);
      const sql = `SELECT rowid, originator_id, originator_version, topic, ${this.stateColumn} FROM stored_events WHERE rowid ${backwards ? '<=' : '>='} ?${types} ORDER BY rowid${backwards ? ' DESC' : ''} LIMIT ?`;
      return onlyTypes(this.page(this.stmt(sql).all(...params, limit + 1), limit, 0), options.types);
    });
  }

  /**
   * Decodes up to `limit` rows (their state fetched as `stateColumn`); the row past the limit gives
   * the next cursor (its column `at`).
   */
  private page(rows: Row[], limit: number, at: number): EventPage {
    const more = rows.length > limit;
    const n = Math.min(rows.length, limit);
    const blobs = new Array<StoredState>(n);
    for (let i = 0; i < n; i++) blobs[i] = stateValue(rows[i][4]);
    const states = decodeEventsourcingStates(blobs, this.codec);
    const items = new Array<RecordedEvent>(n);
    for (let i = 0; i < n; i++) items[i] = this.toEvent(rows[i], states[i]);
    return more ? { items, next: Number(rows[limit][at]) } : { items };
  }

  async headPosition(): Promise<number> {
    return this.guard(() => this.head());
  }

  async categories(): Promise<CategoryInfo[]> {
    return this.guard(() => this.categoriesNow());
  }

  private categoriesNow(): CategoryInfo[] {
    const head = this.head();
    if (this.categoriesCache?.head === head) return this.categoriesCache.value;
    const initial = this.initialVersion();
    const counts = this.stmt('SELECT topic, COUNT(*) FROM stored_events WHERE originator_version = ? GROUP BY topic').all(initial);
    const sample = this.stmt('SELECT state FROM stored_events WHERE topic = ? AND originator_version = ? LIMIT 1');
    const byName = new Map<string, CategoryInfo>();
    for (const [topic, count] of counts as [unknown, number][]) {
      if (typeof topic !== 'string') throw this.damaged('stored_events has an event with no topic');
      const category = this.categoryByTopic.get(topic) ?? this.categoryOf(topic, sample.get(topic, initial)?.[0] ?? null);
      const entry = byName.get(category.name);
      if (entry) entry.streams += count;
      else byName.set(category.name, { name: category.name, ...(category.topic ? { topic: category.topic } : {}), streams: count });
    }
    const value = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
    this.categoriesCache = { head, value };
    return value;
  }

  async snapshots(streamId: string): Promise<Snapshot[]> {
    return this.guard(() => {
      if (!this.tables.includes('stored_snapshots')) return [];
      const id = this.originatorId(streamId) ?? this.snapshotOnlyId(streamId);
      if (id === undefined) return [];
      const rows = this.stmt(
        'SELECT originator_version, topic, state FROM stored_snapshots WHERE originator_id = ? ORDER BY originator_version',
      ).all(id);
      return rows.map(([revision, topic, state]) => {
        const decoded = this.decode(state, () => `the snapshot at revision ${revision} of stream ${streamId}`);
        const ts = decoded.value.timestamp;
        return {
          streamId: streamIdOf(id),
          revision: revision as number,
          type: topic as string,
          timestamp: typeof ts === 'string' ? ts : null,
          data: decoded.value,
          kinds: decoded.kinds,
        };
      });
    });
  }

  private snapshotOnlyId(streamId: string): string | undefined {
    const undashed = streamId.replace(/-/g, '').toLowerCase();
    return HEX_ID.test(undashed) ? undashed : streamId;
  }

  async checkpoints(upstreamHead?: number): Promise<Checkpoint[]> {
    return this.guard(() => this.checkpointsNow(upstreamHead));
  }

  private checkpointsNow(upstreamHead?: number): Checkpoint[] {
    if (!this.tables.includes('tracking')) return [];
    // Both forms: 9.2's one row per processed notification, and newer 9.x's one row per
    // application (plus a '__migration__' marker row).
    const rows = this.stmt(
      "SELECT application_name, MAX(notification_id) FROM tracking WHERE application_name <> '__migration__' GROUP BY application_name ORDER BY application_name",
    ).all();
    return rows.map(([name, position]) => ({
      name: name as string,
      position: position as number,
      lag: upstreamHead === undefined ? null : Math.max(0, upstreamHead - (position as number)),
    }));
  }

  /**
   * Calls `onChange` when the file or its `-wal` changes (a writer's commits land in the -wal
   * first), as the folder says: the extension's live tail, `log --follow`.
   */
  watch(onChange: () => void, onError: (error: Error) => void): { close(): void } {
    return this.feeds.add(() => watchFile(this.location, ['-wal'], onChange, onError));
  }

  async close(): Promise<void> {
    this.closed = true; // never opened again by a read after close
    this.feeds.closeAll();
    this.statements.clear();
    this.db.close();
  }
}

/**
 * SQL narrowing rows to event types (exact, the part after ':' or a trailing dotted part; for a
 * dotted key such as `Dog.TrickAdded`, module-level classes of its last part too, whose aggregate
 * is learnt as they are read); it may let through a few more, which `onlyTypes` removes after
 * decoding.
 */
function typeCondition(types: string[] | undefined, params: SqlValue[]): string {
  if (!types?.length) return '';
  const terms = types.map((key) => {
    params.push(key, key.length + 1, `:${key}`, key.length + 1, `.${key}`);
    const last = key.includes(':') ? '' : key.slice(key.lastIndexOf('.') + 1);
    if (!last || last === key) return '(topic = ? OR substr(topic, -?) = ? OR substr(topic, -?) = ?)';
    params.push(last.length + 1, `:${last}`);
    return '(topic = ? OR substr(topic, -?) = ? OR substr(topic, -?) = ? OR substr(topic, -?) = ?)';
  });
  return ` AND (${terms.join(' OR ')})`;
}

function onlyTypes(page: EventPage, types: string[] | undefined): EventPage {
  if (types?.length) {
    const wanted = typeFilter(types);
    page.items = page.items.filter((e) => wanted(e.type));
  }
  return page;
}

/** The state column as fetched (NULL becomes empty, which decodes to a clear error). */
function stateValue(state: SqlValue): StoredState {
  return state instanceof Uint8Array || typeof state === 'string' ? state : EMPTY;
}
const EMPTY = new Uint8Array(0);

/** Whether a file is an eventsourcing SQLite store (for discovery: never throws). */
export function isEventsourcingSqliteFile(path: string, engine?: SqliteEngine): boolean {
  try {
    const store = new EventsourcingSqliteStore(path, { engine });
    void store.close();
    return true;
  } catch {
    return false;
  }
}

/** Checks that the path is a readable SQLite file; returns whether it is in WAL mode. */
function checkSqliteFile(path: string): boolean {
  let size: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new EventscopeError(`${path} is a folder, not an event store file.`);
    size = stat.size;
  } catch (error) {
    if (error instanceof EventscopeError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new EventscopeError(`There is no file at ${path}.`, { cause: error });
    throw new EventscopeError(`Cannot read ${path}: ${messageOf(error)}.`, { cause: error });
  }
  if (size === 0) throw new EventscopeError(`${path} is an empty file, not an eventsourcing SQLite store.`);
  const header = Buffer.alloc(100);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    readSync(fd, header, 0, 100, 0);
  } catch (error) {
    throw new EventscopeError(`Cannot read ${path}: ${messageOf(error)}.`, { cause: error });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (!header.subarray(0, 16).equals(SQLITE_MAGIC)) {
    throw new EventscopeError(`${path} is not a SQLite database, so it cannot be an eventsourcing store.`);
  }
  return header[18] === 2 && header[19] === 2;
}

function canWriteSideFiles(path: string): boolean {
  try {
    accessSync(dirname(path), constants.W_OK);
    return true;
  } catch {
    // A read-only folder still works when the side files exist and are writable.
    try {
      accessSync(`${path}-shm`, constants.W_OK);
      return existsSync(`${path}-wal`);
    } catch {
      return false;
    }
  }
}

/** Whether SQLite failed for want of its -wal/-shm side files (it cannot create or write them). */
function isSideFileError(error: unknown): boolean {
  const code = sqliteCode(error);
  return code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY');
}

type Access = 'live' | 'at-rest' | 'immutable';

/** What the folder shows of a store file: which file it is, its size and last change, its -wal's size (-1: none). */
interface FileState {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  wal: number;
}

/** The file's state now, or undefined when there is no file at `path` (for now). */
function fileState(path: string): FileState | undefined {
  const stat = statSync(path, { bigint: true, throwIfNoEntry: false });
  if (!stat) return undefined;
  const wal = statSync(`${path}-wal`, { bigint: true, throwIfNoEntry: false });
  return {
    dev: stat.dev,
    ino: stat.ino,
    size: stat.size,
    mtimeNs: stat.mtimeNs,
    ctimeNs: stat.ctimeNs,
    wal: wal ? Number(wal.size) : -1,
  };
}

function sameFileState(a: FileState, b: FileState): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.wal === b.wal;
}

interface Opened {
  db: SqliteConnection;
  access: Access;
  /** For `at-rest`: the file as it was, unchanged, while the connection opened. */
  seen?: FileState;
  tables: string[];
}

/**
 * Opens read-only without leaving side files where it can (see the file's comment):
 * - a WAL database at rest (no -wal, or an empty one) is opened immutable, when the file is the
 *   same before and after the open (`at-rest`; `live` forbids this);
 * - otherwise read-only (`live`): SQLite's locks and the application's -wal/-shm (a database in
 *   rollback-journal mode gets no side files from a reader);
 * - a WAL database in a folder where SQLite can't create its -wal/-shm side files (read-only
 *   mounts, copies from production) falls back to immutable, without live updates (`immutable`).
 */
function openReadOnly(engine: SqliteEngine, path: string, wal: boolean, live = false): Opened {
  const attempt = (immutable: boolean) => {
    const db = engine.open(path, { immutable });
    try {
      // A 16 MB page cache (the default is 2 MB) keeps long streams, scattered over a big file, cached.
      db.exec('PRAGMA cache_size = -16384');
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all()
        .map((r) => r[0] as string);
      return { db, tables };
    } catch (error) {
      db.close();
      throw error;
    }
  };
  const describe = (error: unknown) => describeSqliteError(path, 'Opening', error);
  if (wal && !canWriteSideFiles(path)) {
    try {
      return { ...attempt(true), access: 'immutable' };
    } catch (error) {
      throw describe(error);
    }
  }
  const before = wal && !live ? fileState(path) : undefined;
  if (before && before.wal <= 0) {
    let opened: { db: SqliteConnection; tables: string[] } | undefined;
    try {
      opened = attempt(true);
    } catch (error) {
      // A damaged file is damaged either way; an engine that can't open immutable opens live.
      if (isDamaged(error)) throw describe(error);
    }
    if (opened) {
      const after = fileState(path);
      if (after && sameFileState(before, after)) return { ...opened, access: 'at-rest', seen: before };
      opened.db.close(); // a writer came meanwhile
    }
  }
  try {
    return { ...attempt(false), access: 'live' };
  } catch (error) {
    // Only a folder SQLite cannot make its side files in opens immutable, for good (no live
    // updates): a busy or locked file (a writer checkpointing) must not freeze the store's view.
    if (!wal || !isSideFileError(error)) throw describe(error);
    try {
      return { ...attempt(true), access: 'immutable' };
    } catch {
      throw describe(error);
    }
  }
}
