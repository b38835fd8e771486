/**
 * Writes new SQLite files in exactly the layout of the `eventsourcing` library's SQLite recorder.
 * Only for stores Eventscope creates itself (the demo store, benchmark stores): never opens an
 * existing file.
 */

import { existsSync } from 'node:fs';
import { encodeEventsourcingState, type EncodeOptions } from '../codecs/eventsourcing';
import { EventscopeError } from '../errors';
import { defaultSqliteEngine, type SqliteConnection, type SqliteEngine, type SqliteStatement } from '../sqlite/drivers';

/** The library's DDL, as `sqlite_master` shows it in stores it wrote (see the fixtures). */
export const EVENTSOURCING_SQLITE_DDL = {
  storedEvents:
    'CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))',
  storedSnapshots:
    'CREATE TABLE stored_snapshots (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version)) WITHOUT ROWID',
  tracking:
    'CREATE TABLE tracking (application_name TEXT, notification_id INTEGER, PRIMARY KEY (application_name, notification_id)) WITHOUT ROWID',
};

export interface StoredEventInput {
  /** The aggregate id as the library stores it: 32 lowercase hex digits (or a text id). */
  originatorId: string;
  version: number;
  topic: string;
  /** The event's state in transcoded form (`{_type_, _data_}` values), as the library writes it. */
  state: unknown;
}

export interface WriterOptions extends EncodeOptions {
  engine?: SqliteEngine;
  snapshots?: boolean;
  tracking?: boolean;
}

export class EventsourcingSqliteWriter {
  private readonly db: SqliteConnection;
  private readonly insertEvent: SqliteStatement;
  private readonly insertSnapshot: SqliteStatement | undefined;
  private readonly encode: EncodeOptions;

  constructor(
    readonly path: string,
    options: WriterOptions = {},
  ) {
    if (existsSync(path)) throw new EventscopeError(`${path} already exists; Eventscope only writes new files.`);
    this.encode = { compress: options.compress, cipherKey: options.cipherKey };
    this.db = (options.engine ?? defaultSqliteEngine()).open(path, { write: true });
    this.db.exec('PRAGMA journal_mode=WAL');
    this.db.exec(EVENTSOURCING_SQLITE_DDL.storedEvents);
    if (options.snapshots !== false) this.db.exec(EVENTSOURCING_SQLITE_DDL.storedSnapshots);
    if (options.tracking) this.db.exec(EVENTSOURCING_SQLITE_DDL.tracking);
    this.insertEvent = this.db.prepare('INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)');
    this.insertSnapshot =
      options.snapshots !== false
        ? this.db.prepare('INSERT INTO stored_snapshots (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)')
        : undefined;
  }

  /** Appends events in one transaction (their notification ids follow in order). */
  append(events: Iterable<StoredEventInput>): void {
    this.transaction(() => {
      for (const e of events) this.insertEvent.run(e.originatorId, e.version, e.topic, encodeEventsourcingState(e.state, this.encode));
    });
  }

  snapshot(snapshot: StoredEventInput): void {
    if (!this.insertSnapshot) throw new EventscopeError(`${this.path} was created without a stored_snapshots table.`);
    this.insertSnapshot.run(snapshot.originatorId, snapshot.version, snapshot.topic, encodeEventsourcingState(snapshot.state, this.encode));
  }

  track(applicationName: string, notificationId: number): void {
    this.db.prepare('INSERT INTO tracking (application_name, notification_id) VALUES (?, ?)').run(applicationName, notificationId);
  }

  transaction(work: () => void): void {
    this.db.exec('BEGIN');
    try {
      work();
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Checkpoints the WAL into the main file (as the fixtures are) and closes. */
  close(): void {
    this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}
