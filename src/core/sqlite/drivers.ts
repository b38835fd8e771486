/**
 * The SQLite drivers behind one seam: better-sqlite3 (Node-API, fast) or the built-in `node:sqlite`,
 * picked at runtime. Both return rows as arrays; blobs as Uint8Array (Buffer for better-sqlite3).
 */

import { pathToFileURL } from 'node:url';
import { isSingleExecutable } from '../sea';

export type EngineName = 'better-sqlite3' | 'node:sqlite';
export type SqlValue = number | bigint | string | Uint8Array | null;
export type Row = SqlValue[];

export interface SqliteStatement {
  all(...params: SqlValue[]): Row[];
  get(...params: SqlValue[]): Row | undefined;
  iterate(...params: SqlValue[]): IterableIterator<Row>;
  run(...params: SqlValue[]): void;
}

export interface SqliteConnection {
  readonly engine: EngineName;
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  close(): void;
}

export interface OpenOptions {
  /** Open for writing, creating the file (only the demo/benchmark writers do this). */
  write?: boolean;
  /** Open as immutable: no locks, no -wal/-shm, no change noticed (stores at rest, read-only folders). */
  immutable?: boolean;
}

export interface SqliteEngine {
  readonly name: EngineName;
  open(path: string, options?: OpenOptions): SqliteConnection;
}

/** How long a connection waits for another program's lock before SQLite says "database is locked" (better-sqlite3's default). */
const BUSY_TIMEOUT_MS = 5000;

function immutableUri(path: string): string {
  return `${pathToFileURL(path).href}?immutable=1`;
}

type BetterSqlite = typeof import('better-sqlite3');

// URI filenames (for ?immutable=1: stores at rest are opened so) must be switched on before
// better-sqlite3's addon loads, and code that loads it itself (a writer, a test) may run before the
// first store opens: switched on as this module loads.
process.env.SQLITE_USE_URI = '1';

function loadBetterSqlite(): SqliteEngine {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as BetterSqlite;
  // The native addon loads on the first open, not on require: open one now, so that a missing or
  // unloadable addon (a platform whose package has no prebuild for it) falls back to node:sqlite.
  new Database(':memory:').close();
  return {
    name: 'better-sqlite3',
    open(path, options = {}) {
      if (options.immutable) {
        try {
          return wrapBetterSqlite(new Database(immutableUri(path), { readonly: true }));
        } catch (error) {
          // The addon was loaded by someone else before URIs were switched on: node:sqlite can.
          if ((error as { code?: string }).code !== 'SQLITE_CANTOPEN') throw error;
          return sqliteEngine('node:sqlite').open(path, options);
        }
      }
      return wrapBetterSqlite(new Database(path, { readonly: !options.write, fileMustExist: !options.write, timeout: BUSY_TIMEOUT_MS }));
    },
  };
}

function wrapBetterSqlite(db: import('better-sqlite3').Database): SqliteConnection {
  return {
    engine: 'better-sqlite3',
    prepare(sql) {
      const stmt = db.prepare(sql);
      const reader = stmt.reader ? stmt.raw(true) : undefined;
      return {
        all: (...p) => reader!.all(...p) as Row[],
        get: (...p) => reader!.get(...p) as Row | undefined,
        iterate: (...p) => reader!.iterate(...p) as IterableIterator<Row>,
        run: (...p) => void stmt.run(...p),
      };
    },
    exec: (sql) => void db.exec(sql),
    close: () => db.close(),
  };
}

function loadNodeSqlite(): SqliteEngine {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DatabaseSync } = require('node:sqlite') as typeof import('node:sqlite');
  return {
    name: 'node:sqlite',
    open(path, options = {}) {
      const db = options.immutable
        ? new DatabaseSync(new URL(immutableUri(path)), { readOnly: true })
        : new DatabaseSync(path, { readOnly: !options.write });
      // Wait for a writer's lock as better-sqlite3 does (5 s); node:sqlite's default is not to wait.
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      return {
        engine: 'node:sqlite',
        prepare(sql) {
          const stmt = db.prepare(sql);
          stmt.setReturnArrays(true);
          return {
            all: (...p) => stmt.all(...p) as unknown as Row[],
            get: (...p) => stmt.get(...p) as unknown as Row | undefined,
            iterate: (...p) => stmt.iterate(...p) as unknown as IterableIterator<Row>,
            run: (...p) => void stmt.run(...p),
          };
        },
        exec: (sql) => db.exec(sql),
        close: () => db.close(),
      };
    },
  };
}

const loaders: Record<EngineName, () => SqliteEngine> = {
  'better-sqlite3': loadBetterSqlite,
  'node:sqlite': loadNodeSqlite,
};
const loaded = new Map<EngineName, SqliteEngine>();

/** Loads one engine by name (throws if it cannot load here). */
export function sqliteEngine(name: EngineName): SqliteEngine {
  let engine = loaded.get(name);
  if (!engine) {
    engine = loaders[name]();
    loaded.set(name, engine);
  }
  return engine;
}

let fallback: SqliteEngine | undefined;

/**
 * The engine to use: `EVENTSCOPE_SQLITE_ENGINE` when set, else better-sqlite3, else node:sqlite
 * (for a Node or Electron where the native module can't load, or a package without its addon, or
 * the single-file executable).
 */
export function defaultSqliteEngine(): SqliteEngine {
  const wanted = process.env.EVENTSCOPE_SQLITE_ENGINE;
  if (wanted === 'better-sqlite3' || wanted === 'node:sqlite') return sqliteEngine(wanted);
  if (fallback) return fallback;
  if (isSingleExecutable()) return (fallback = sqliteEngine('node:sqlite'));
  try {
    return sqliteEngine('better-sqlite3');
  } catch {
    return (fallback = sqliteEngine('node:sqlite'));
  }
}
