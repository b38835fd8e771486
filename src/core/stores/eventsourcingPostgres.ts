/**
 * The eventsourcing library's PostgreSQL stores (issue 11, first part): its `<app>_events` table
 * (`originator_id uuid, originator_version bigint, topic text, state bytea, notification_id
 * bigserial`), with `<app>_snapshots` and `<app>_tracking` beside it, read with `pg` over one
 * read-only session (`default_transaction_read_only`, a statement timeout). The states decode as
 * in SQLite (the same codec: JSON, zlib, AES-GCM, the library's value types). Keyset paging:
 * the log on `notification_id` (gaps are normal), a stream on its primary key, the list of streams
 * by a skip scan over the primary key (no scan of the table per page).
 *
 * Location: `postgres://user@host:port/db?app=<name>` (table `<name>_events`; also `&schema=…`,
 * `&table=…`). Without `app` or `table`: the only events table of the database, or an error that
 * lists the candidates. New events: LISTEN where the library NOTIFYs (`watch`), else the caller polls
 * the head. The password never comes from the URL into a message: it is given apart
 * (the CLI: PGPASSWORD or EVENTSCOPE_PASSWORD; the extension: secret storage).
 */

import pg from 'pg';
import { decodeEventsourcingStates, type StoredState } from '../codecs/eventsourcing';
import type { TranscodingMapping } from '../codecs/transcodings';
import { DecodeError, EventscopeError, messageOf, NoSuchStream } from '../errors';
import { categoryOf, isModuleLevelTopic, learnAggregate, typeFilter, type RecordedEvent, type StreamInfo } from '../events';
import {
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
import { Feeds } from './feeds';

export interface EventsourcingPostgresOptions {
  /** The role's password (else PGPASSWORD, which `pg` reads itself). */
  password?: string;
  cipherKey?: Buffer;
  /** Application transcodings to decode as a known kind (see `EventsourcingCodecOptions`). */
  transcodings?: TranscodingMapping;
  /** Keep each event's stored form (see `storedForms`), for the Python runner. */
  keepStored?: boolean;
  statementTimeoutMs?: number;
}

type Row = unknown[];

/** How often `watch` polls the head until the library's first notification. */
const HEAD_POLL_MS = 3000;

interface Tables {
  /** Schema-qualified, quoted names. */
  events: string;
  snapshots?: string;
  tracking?: string;
  /** The unquoted name, for messages. */
  label: string;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Whether a location is a PostgreSQL URL. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The bounds of the UUIDs that start with a hex prefix (dashes optional), or undefined when it is not one. */
function uuidRange(prefix: string): [string, string] | undefined {
  const hex = prefix.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{1,32}$/.test(hex)) return undefined;
  return [hex.padEnd(32, '0'), hex.padEnd(32, 'f')];
}

export class EventsourcingPostgresStore implements EventStore {
  readonly location: string;
  private readonly config: pg.ClientConfig;
  private readonly app: string | undefined;
  private readonly schema: string | undefined;
  private readonly table: string | undefined;
  private client: Promise<pg.Client> | undefined;
  /** Set by close(): no request connects again. */
  private closed = false;
  /** The feeds of new events handed out (`watch`), closed with the store. */
  private readonly feeds: Feeds;
  private tablesFound: Promise<Tables> | undefined;
  private readonly categoryByTopic = new Map<string, { name: string; topic?: string }>();
  /** The topics whose aggregate has been looked for (`learnTopics`), once each. */
  private readonly topicsLearnt = new Set<string>();

  constructor(
    url: string,
    private readonly options: EventsourcingPostgresOptions = {},
  ) {
    const parsed = new URL(url);
    this.app = parsed.searchParams.get('app') ?? undefined;
    this.schema = parsed.searchParams.get('schema') ?? undefined;
    this.table = parsed.searchParams.get('table') ?? undefined;
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres';
    const user = decodeURIComponent(parsed.username) || process.env.PGUSER || 'postgres';
    const password = options.password ?? (decodeURIComponent(parsed.password) || process.env.EVENTSCOPE_PASSWORD || process.env.PGPASSWORD);
    const ssl = parsed.searchParams.get('sslmode');
    this.config = {
      host: parsed.hostname || 'localhost',
      port: parsed.port ? Number(parsed.port) : 5432,
      user,
      database,
      ...(password !== undefined ? { password } : {}),
      ...(ssl && ssl !== 'disable' ? { ssl: { rejectUnauthorized: ssl === 'verify-full' } } : {}),
      connectionTimeoutMillis: 10_000,
      // Read-only, whatever the role may do; and no statement runs for ever.
      options: `-c default_transaction_read_only=on -c statement_timeout=${options.statementTimeoutMs ?? 30_000}`,
    };
    parsed.password = '';
    this.location = parsed.toString();
    this.feeds = new Feeds(`PostgreSQL at ${this.location}`);
  }

  /** The one session, connected on first use (again after it was lost). */
  private async connection(): Promise<pg.Client> {
    if (this.closed) throw new EventscopeError(`PostgreSQL at ${this.location}: the store was closed.`);
    this.client ??= (async () => {
      const client = new pg.Client(this.config);
      client.on('error', () => {
        this.client = undefined; // a lost session: the next request connects again
      });
      try {
        await client.connect();
      } catch (error) {
        this.client = undefined;
        await client.end().catch(() => undefined);
        throw error;
      }
      return client;
    })();
    return this.client;
  }

  /** One sentence for what went wrong talking to the server. */
  private translate(error: unknown, doing?: string): Error {
    if (error instanceof EventscopeError) return error;
    const e = error as { code?: string; message?: string };
    const where = `PostgreSQL at ${this.location}`;
    const because = (() => {
      switch (e.code) {
        case 'ECONNREFUSED':
          return `Can't reach ${where}: connection refused.`;
        case 'ENOTFOUND':
        case 'EAI_AGAIN':
          return `Can't reach ${where}: the host ${this.config.host} is unknown.`;
        case 'ETIMEDOUT':
          return `Can't reach ${where}: the connection timed out.`;
        case '28P01':
        case '28000':
          return `${where} refused the password of role "${this.config.user}" (give it with PGPASSWORD or EVENTSCOPE_PASSWORD; in VS Code, Edit Connection).`;
        case '3D000':
          return `${where}: there is no database "${this.config.database}".`;
        case '57014':
          return `${where} cancelled a statement that ran past the statement timeout${doing ? ` (${doing})` : ''}.`;
        default:
          if (/SSL|TLS|certificate/i.test(e.message ?? '')) return `${where}: the TLS connection failed (${e.message}).`;
          if (/client password must be a string|password authentication/i.test(e.message ?? ''))
            return `${where} asks for the password of role "${this.config.user}": give it with PGPASSWORD or EVENTSCOPE_PASSWORD (in VS Code, Edit Connection).`;
          if (/Connection terminated|ECONNRESET|terminating connection/i.test(e.message ?? ''))
            return `${where} closed the connection${doing ? ` while ${doing}` : ''}; it reconnects on the next request.`;
          return `${where}${doing ? `, ${doing}` : ''}: ${messageOf(error)}.`;
      }
    })();
    return new EventscopeError(because, { cause: error });
  }

  private async query(sql: string, params: unknown[] = [], doing?: string): Promise<Row[]> {
    try {
      const client = await this.connection();
      const result = await client.query({ text: sql, values: params, rowMode: 'array' });
      return result.rows as Row[];
    } catch (error) {
      const code = (error as { code?: string }).code;
      // A lost session is replaced on the next request.
      if (!code || !/^[0-9A-Z]{5}$/.test(code) || code.startsWith('08') || code === '57P01') this.client = undefined;
      throw this.translate(error, doing);
    }
  }

  /** The events table (and its siblings): the one named, `<app>_events`, or the only one there is. */
  private tables(): Promise<Tables> {
    this.tablesFound ??= this.findTables().catch((error: unknown) => {
      this.tablesFound = undefined;
      throw error;
    });
    return this.tablesFound;
  }

  private async findTables(): Promise<Tables> {
    const rows = await this.query(
      `SELECT table_schema, table_name FROM information_schema.columns
       WHERE column_name IN ('originator_id', 'originator_version', 'topic', 'state', 'notification_id')
       GROUP BY table_schema, table_name HAVING count(*) = 5 ORDER BY table_schema, table_name`,
      [],
      'looking for the events tables',
    );
    const found = rows.map(([schema, name]) => ({ schema: String(schema), name: String(name) }));
    const wanted = this.table ?? (this.app ? `${this.app.toLowerCase()}_events` : undefined);
    const matching = found.filter((t) => (!wanted || t.name === wanted) && (!this.schema || t.schema === this.schema));
    const list = found.map((t) => `${t.schema}.${t.name}`).join(', ');
    if (matching.length !== 1) {
      if (!found.length)
        throw new EventscopeError(
          `${this.location} has no eventsourcing events table (a table with originator_id, originator_version, topic, state and notification_id).`,
        );
      if (!matching.length)
        throw new EventscopeError(
          `${this.location} has no events table ${wanted ?? ''} in ${this.schema ?? 'any schema'}; it has: ${list}.`,
        );
      throw new EventscopeError(
        `${this.location} has several events tables (${list}): add ?app=<name> (table <name>_events) or ?table=… to the URL.`,
      );
    }
    const [{ schema, name }] = matching;
    const prefix = name.endsWith('_events') ? name.slice(0, -'_events'.length) : name;
    const all = new Set(
      (
        await this.query(
          'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
          [schema],
          'looking for the events tables',
        )
      ).map(([n]) => String(n)),
    );
    const qualified = (table: string) => `${quote(schema)}.${quote(table)}`;
    return {
      events: qualified(name),
      label: `${schema}.${name}`,
      ...(all.has(`${prefix}_snapshots`) ? { snapshots: qualified(`${prefix}_snapshots`) } : {}),
      ...(all.has(`${prefix}_tracking`)
        ? { tracking: qualified(`${prefix}_tracking`) }
        : all.has('tracking')
          ? { tracking: qualified('tracking') }
          : {}),
    };
  }

  /** Events from rows `[notification_id, originator_id, originator_version, topic, state (hex)]`. */
  private toEvents(rows: Row[]): RecordedEvent[] {
    const states = rows.map((r) => (typeof r[4] === 'string' ? r[4] : '') as StoredState);
    const decoded = decodeEventsourcingStates(states, this.options);
    return rows.map((row, i) => {
      const [position, originatorId, version, topic] = [Number(row[0]), String(row[1]), Number(row[2]), String(row[3])];
      const where = `the event at position ${position} (stream ${originatorId}, revision ${version})`;
      let state = decoded[i];
      let undecoded: string | undefined;
      if (state instanceof DecodeError) {
        if (!this.options.keepStored)
          throw new EventscopeError(`${this.location}: cannot decode ${where}: ${state.message}.`, { cause: state });
        undecoded = `cannot decode ${where}: ${state.message}`;
        state = { value: {}, kinds: {} };
      }
      const ts = state.value.timestamp;
      const event: RecordedEvent = {
        streamId: originatorId,
        revision: version,
        position,
        type: topic,
        timestamp: typeof ts === 'string' ? ts : null,
        data: state.value,
        metadata: undecoded ? { undecoded } : {},
        kinds: state.kinds,
      };
      if (this.options.keepStored) storedForms.set(event, { originatorId, topic, state: states[i] });
      return event;
    });
  }

  private async page(rows: Row[], limit: number, at: number, types: string[] | undefined): Promise<EventPage> {
    const more = rows.length > limit;
    let items = this.toEvents(rows.slice(0, limit));
    await this.learnTopics(items);
    if (types?.length) {
      const wanted = typeFilter(types);
      items = items.filter((e) => wanted(e.type));
    }
    return more ? { items, next: Number(rows[limit][at]) } : { items };
  }

  /**
   * Events by a query whose `STATE` stands for the state column: without a cipher key, a JSON state
   * as text (half the bytes of hex, and no hex to decode), the rest as hex; a page where a state
   * that starts like JSON is no UTF-8 text (a ciphertext) is read again all in hex.
   */
  private async events(sql: string, params: unknown[], doing: string): Promise<Row[]> {
    const hex = "encode(state, 'hex')";
    if (this.options.cipherKey) return this.query(sql.replace('STATE', hex), params, doing);
    try {
      return await this.query(
        sql.replace('STATE', `CASE WHEN get_byte(state, 0) = 123 THEN convert_from(state, 'UTF8') ELSE ${hex} END`),
        params,
        doing,
      );
    } catch (error) {
      if (((error as { cause?: { code?: string } }).cause?.code ?? '') !== '22021') throw error;
      return this.query(sql.replace('STATE', hex), params, doing);
    }
  }

  async readAll(options: ReadAllOptions = {}): Promise<EventPage> {
    const { events } = await this.tables();
    const limit = pageLimit(options.limit);
    const backwards = options.direction === 'backwards';
    const rows = await this.events(
      `SELECT notification_id, originator_id::text, originator_version, topic, STATE FROM ${events}
       WHERE notification_id ${backwards ? '<=' : '>='} $1 ORDER BY notification_id ${backwards ? 'DESC' : ''} LIMIT $2`,
      [options.fromPosition ?? (backwards ? Number.MAX_SAFE_INTEGER : 0), limit + 1],
      'reading the log',
    );
    return this.page(rows, limit, 0, options.types);
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<EventPage> {
    const { events } = await this.tables();
    if (!uuidRange(streamId) || streamId.replace(/-/g, '').length !== 32) {
      throw new NoSuchStream(streamId, this.location);
    }
    const limit = pageLimit(options.limit);
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision;
    const rows = await this.events(
      `SELECT notification_id, originator_id::text, originator_version, topic, STATE FROM ${events}
       WHERE originator_id = $1::uuid AND originator_version ${backwards ? '<=' : '>='} $2
       ORDER BY originator_version ${backwards ? 'DESC' : ''} LIMIT $3`,
      [streamId, from ?? (backwards ? Number.MAX_SAFE_INTEGER : 0), limit + 1],
      `reading stream ${streamId}`,
    );
    if (!rows.length) {
      const exists = await this.query(`SELECT 1 FROM ${events} WHERE originator_id = $1::uuid LIMIT 1`, [streamId]);
      if (!exists.length) throw new NoSuchStream(streamId, this.location);
    }
    return this.page(rows, limit, 2, options.types);
  }

  /**
   * The category of streams whose first event has this topic (from its `originator_topic`; for a
   * module-level event without one, from a snapshot of such a stream), cached.
   */
  private async categoryOf(topic: string, hexState: unknown): Promise<{ name: string; topic?: string }> {
    let category = this.categoryByTopic.get(topic);
    if (category) return category;
    let originatorTopic: unknown;
    const [decoded] = decodeEventsourcingStates([typeof hexState === 'string' ? hexState : ''], this.options);
    if (!(decoded instanceof DecodeError)) originatorTopic = decoded.value.originator_topic;
    if (typeof originatorTopic !== 'string' || !originatorTopic) {
      originatorTopic = isModuleLevelTopic(topic) ? await this.snapshotAggregate(topic) : undefined;
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
  private async snapshotAggregate(createdTopic: string): Promise<string | undefined> {
    const { events, snapshots } = await this.tables();
    if (!snapshots) return undefined;
    const rows = await this.query(
      `SELECT encode(s.state, 'hex') FROM ${snapshots} s
       WHERE (SELECT e.topic FROM ${events} e WHERE e.originator_id = s.originator_id ORDER BY e.originator_version LIMIT 1) = $1 LIMIT 1`,
      [createdTopic],
      'looking for the aggregate of a stream',
    );
    if (!rows.length) return undefined;
    const [decoded] = decodeEventsourcingStates([String(rows[0][0])], this.options);
    const topic = decoded instanceof DecodeError ? undefined : decoded.value.topic;
    return typeof topic === 'string' && topic ? topic : undefined;
  }

  /**
   * Learns the aggregates of module-level event classes from the streams they are read in: each
   * such stream's category (`categoryOf` of its created event), once per topic (`learnAggregate`),
   * so type keys like `Dog.TrickAdded` name them as they name nested classes.
   */
  private async learnTopics(items: RecordedEvent[]): Promise<void> {
    for (const { type, streamId } of items) {
      if (this.topicsLearnt.has(type)) continue;
      this.topicsLearnt.add(type);
      if (!isModuleLevelTopic(type)) continue;
      const { events } = await this.tables();
      const [created] = await this.query(
        `SELECT topic, encode(state, 'hex') FROM ${events} WHERE originator_id = $1::uuid ORDER BY originator_version LIMIT 1`,
        [streamId],
        `reading the first event of ${streamId}`,
      );
      if (!created) continue;
      const aggregate = (await this.categoryOf(String(created[0]), created[1])).topic;
      if (aggregate) learnAggregate(type, aggregate);
    }
  }

  async listStreams(options: ListStreamsOptions = {}): Promise<Page<StreamInfo>> {
    const { events } = await this.tables();
    const limit = pageLimit(options.limit);
    let low = options.after ?? '00000000-0000-0000-0000-000000000000';
    let high = 'ffffffff-ffff-ffff-ffff-ffffffffffff';
    let inclusive = options.after === undefined;
    if (options.prefix) {
      const range = uuidRange(options.prefix);
      if (!range) return { items: [] };
      if (range[0] > low.replace(/-/g, '')) {
        low = range[0];
        inclusive = true;
      }
      high = range[1];
    }
    const contains = options.contains?.replace(/-/g, '').toLowerCase();
    /** Each listed stream's id, and its first event's topic and category (from the scan). */
    const ids: { id: string; topic: string; category: string }[] = [];
    // A skip scan over the primary key: the next id after the last one, one index probe each.
    let cursor = low;
    let first = inclusive;
    while (ids.length <= limit) {
      const rows = await this.query(
        `WITH RECURSIVE ids(id) AS (
           (SELECT originator_id FROM ${events} WHERE originator_id ${first ? '>=' : '>'} $1::uuid AND originator_id <= $2::uuid ORDER BY originator_id LIMIT 1)
           UNION ALL
           SELECT (SELECT originator_id FROM ${events} WHERE originator_id > ids.id AND originator_id <= $2::uuid ORDER BY originator_id LIMIT 1)
           FROM ids WHERE ids.id IS NOT NULL)
         SELECT i.id::text, e.topic, encode(e.state, 'hex') FROM (SELECT id FROM ids WHERE id IS NOT NULL LIMIT $3) i
         JOIN ${events} e ON e.originator_id = i.id AND e.originator_version = (SELECT min(originator_version) FROM ${events} WHERE originator_id = i.id)`,
        [cursor, high, 512],
        'listing streams',
      );
      if (!rows.length) break;
      for (const [id, topic, state] of rows) {
        const category = await this.categoryOf(String(topic), state);
        if (options.category !== undefined && category.name !== options.category && category.topic !== options.category) continue;
        if (contains && !String(id).replace(/-/g, '').includes(contains)) continue;
        ids.push({ id: String(id), topic: String(topic), category: category.name });
        if (ids.length > limit) break;
      }
      cursor = String(rows[rows.length - 1][0]);
      first = false;
      if (rows.length < 512) break;
    }
    const more = ids.length > limit;
    const page = ids.slice(0, limit);
    const stats = page.length
      ? await this.query(
          `SELECT originator_id::text, count(*), max(originator_version) FROM ${events} WHERE originator_id = ANY($1::uuid[]) GROUP BY originator_id`,
          [page.map((s) => s.id)],
          'listing streams',
        )
      : [];
    const byId = new Map(stats.map((r) => [String(r[0]), r]));
    const items = page.map(({ id, topic, category }): StreamInfo => {
      const [, count, last] = byId.get(id)!;
      return { streamId: id, category, count: Number(count), lastRevision: Number(last), firstType: topic };
    });
    return more ? { items, next: page[page.length - 1].id } : { items };
  }

  async categories(): Promise<CategoryInfo[]> {
    const { events } = await this.tables();
    const rows = await this.query(
      `SELECT topic, count(*), (array_agg(encode(state, 'hex')))[1] FROM ${events} WHERE originator_version = 1 GROUP BY topic`,
      [],
      'counting the aggregate types',
    );
    const byName = new Map<string, CategoryInfo>();
    for (const [topic, count, state] of rows) {
      const category = await this.categoryOf(String(topic), state);
      const entry = byName.get(category.name);
      if (entry) entry.streams += Number(count);
      else byName.set(category.name, { name: category.name, ...(category.topic ? { topic: category.topic } : {}), streams: Number(count) });
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async headPosition(): Promise<number> {
    const { events } = await this.tables();
    const [[head]] = await this.query(`SELECT coalesce(max(notification_id), 0) FROM ${events}`, [], 'reading the head position');
    return Number(head);
  }

  async snapshots(streamId: string): Promise<Snapshot[]> {
    const { snapshots } = await this.tables();
    if (!snapshots || streamId.replace(/-/g, '').length !== 32) return [];
    const rows = await this.query(
      `SELECT originator_version, topic, encode(state, 'hex') FROM ${snapshots} WHERE originator_id = $1::uuid ORDER BY originator_version`,
      [streamId],
      `reading the snapshots of ${streamId}`,
    );
    const decoded = decodeEventsourcingStates(
      rows.map((r) => String(r[2])),
      this.options,
    );
    return rows.map(([revision, topic], i) => {
      const state = decoded[i];
      if (state instanceof DecodeError)
        throw new EventscopeError(
          `${this.location}: cannot decode the snapshot at revision ${revision} of stream ${streamId}: ${state.message}.`,
        );
      const ts = state.value.timestamp;
      return {
        streamId,
        revision: Number(revision),
        type: String(topic),
        timestamp: typeof ts === 'string' ? ts : null,
        data: state.value,
        kinds: state.kinds,
      };
    });
  }

  async checkpoints(upstreamHead?: number): Promise<Checkpoint[]> {
    const { tracking } = await this.tables();
    if (!tracking) return [];
    const rows = await this.query(
      `SELECT application_name, max(notification_id) FROM ${tracking} WHERE application_name <> '__migration__' GROUP BY application_name ORDER BY application_name`,
      [],
      'reading the tracking table',
    );
    return rows.map(([name, position]) => ({
      name: String(name),
      position: Number(position),
      lag: upstreamHead === undefined ? null : Math.max(0, upstreamHead - Number(position)),
    }));
  }

  async info(): Promise<StoreInfo> {
    const tables = await this.tables();
    const count = async (table: string | undefined) => (table ? Number((await this.query(`SELECT count(*) FROM ${table}`))[0][0]) : 0);
    const [[version]] = await this.query('SHOW server_version');
    const [[streams]] = await this.query(`SELECT count(DISTINCT originator_id) FROM ${tables.events}`);
    const events = await count(tables.events);
    return {
      kind: 'eventsourcing-postgres',
      location: this.location,
      engine: `PostgreSQL ${String(version)} (pg)`,
      openMode: 'read-only',
      warnings: [],
      tables: [
        { name: tables.label, rows: events },
        ...(tables.snapshots ? [{ name: tables.snapshots.replace(/"/g, ''), rows: await count(tables.snapshots) }] : []),
        ...(tables.tracking ? [{ name: tables.tracking.replace(/"/g, ''), rows: await count(tables.tracking) }] : []),
      ],
      events,
      streams: Number(streams),
      snapshots: await count(tables.snapshots),
      headPosition: await this.headPosition(),
      encoding: { compression: 'unknown', encrypted: this.options.cipherKey ? true : 'unknown' },
      categories: await this.categories(),
      checkpoints: await this.checkpoints(),
    };
  }

  /**
   * New events by LISTEN on the channels the library's recorder NOTIFYs after each insert (newer
   * versions: the events table's name, a schema's dot as `_`), on a session of its own. Versions
   * that do not notify (9.2) never speak there, so until a notification comes the head position
   * is also polled (`max(notification_id)`, one index probe, every 3 s).
   */
  watch(onChange: () => void, onError: (error: Error) => void): { close(): void } {
    return this.feeds.add(() => this.listen(onChange, onError));
  }

  private listen(onChange: () => void, onError: (error: Error) => void): { close(): void } {
    const client = new pg.Client(this.config);
    let open = true;
    let head: number | undefined;
    const poll = () =>
      void this.headPosition().then(
        (now) => {
          if (open && head !== undefined && now !== head) onChange();
          head = now;
        },
        () => undefined, // a lost server: the LISTEN session says so
      );
    poll();
    const polling = setInterval(poll, HEAD_POLL_MS);
    polling.unref();
    const stop = () => {
      open = false;
      clearInterval(polling);
      void client.end().catch(() => undefined);
    };
    const fail = (error: unknown) => {
      if (!open) return;
      stop();
      onError(this.translate(error, 'listening for new events'));
    };
    client.on('error', fail);
    client.on('end', () => fail(new Error('Connection terminated')));
    client.on('notification', () => {
      if (!open) return;
      clearInterval(polling); // this version notifies: no more polling
      onChange();
    });
    void (async () => {
      try {
        await client.connect();
        const { label } = await this.tables();
        const name = label.slice(label.indexOf('.') + 1);
        for (const channel of new Set([name, label.replace('.', '_')])) await client.query(`LISTEN ${quote(channel)}`);
      } catch (error) {
        fail(error);
      }
    })();
    return { close: stop };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.feeds.closeAll();
    const client = this.client;
    this.client = undefined;
    if (client) await (await client.catch(() => undefined))?.end().catch(() => undefined);
  }
}
