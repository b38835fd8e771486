/** Opens an event store from what a user typed: a path (a SQLite file, a `.events` or JSON lines file) or a URL. */

import { EventscopeError } from '../errors';
import type { TranscodingMapping } from '../codecs/transcodings';
import { EventsourcingPostgresStore, isPostgresUrl } from './eventsourcingPostgres';
import { isKurrentUrl, KurrentDbStore } from './kurrentdb';
import { isRedisUrl, RedisStreamsStore } from './redisStreams';
import type { SqliteEngine } from '../sqlite/drivers';
import { EventsourcingSqliteStore } from './eventsourcingSqlite';
import { EventsFileStore, isEventsFilePath } from './eventsFileStore';
import type { EventStore } from './types';

export interface OpenStoreOptions {
  cipherKey?: Buffer;
  /** Application transcodings to decode as a known kind (`{date_iso: 'date'}`; eventsourcing stores). */
  transcodings?: TranscodingMapping;
  engine?: SqliteEngine;
  /** A server's password (PostgreSQL, KurrentDB, Redis); else the environment's (EVENTSCOPE_PASSWORD, PGPASSWORD). */
  password?: string;
  /** Keep each event's stored form (see `storedForms`): for replays through the application's own Python code. */
  keepStored?: boolean;
}

export function openStore(location: string, options: OpenStoreOptions = {}): EventStore {
  if (isPostgresUrl(location)) return new EventsourcingPostgresStore(location, options);
  if (isKurrentUrl(location)) return new KurrentDbStore(location, options);
  if (isRedisUrl(location)) return new RedisStreamsStore(location, options.password !== undefined ? { password: options.password } : {});
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1];
  if (scheme && scheme.toLowerCase() !== 'file') {
    throw new EventscopeError(
      `${location}: "${scheme}://" stores are not supported yet; give the path of an eventsourcing SQLite file or of a .events or .jsonl file, a postgres://, kurrentdb:// or redis:// URL.`,
    );
  }
  const path = scheme ? decodeURIComponent(new URL(location).pathname) : location;
  // Read whole: the file's events are decoded already (no key, no transcodings).
  if (isEventsFilePath(path)) return new EventsFileStore(path);
  return new EventsourcingSqliteStore(path, options);
}
