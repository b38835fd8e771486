/**
 * Finds event stores in the workspace: SQLite files that hold eventsourcing tables, and `.env`
 * files that name `SQLITE_DBNAME`, or the library's `POSTGRES_*` settings (with `CIPHER_KEY` and
 * `POSTGRES_PASSWORD`, which only ever go to SecretStorage).
 */

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import { parseDotEnv } from '../core/dotEnv';
import { isEventsourcingSqliteFile } from '../core/stores/eventsourcingSqlite';

export interface Detected {
  path: string;
  source: string;
  /** From a `.env` next to it: offered when the user adds the connection, then kept as a secret. */
  cipherKey?: string;
  /** A PostgreSQL store's password (`POSTGRES_PASSWORD`), kept as a secret once added. */
  password?: string;
}

/** The URL of the PostgreSQL store a `.env`'s `POSTGRES_*` settings name (no password in it), or undefined. */
export function postgresUrlOf(env: Record<string, string>): string | undefined {
  if (!env.POSTGRES_DBNAME && env.PERSISTENCE_MODULE !== 'eventsourcing.postgres') return undefined;
  const url = new URL('postgres://localhost');
  url.hostname = env.POSTGRES_HOST || 'localhost';
  url.port = env.POSTGRES_PORT || '5432';
  url.username = encodeURIComponent(env.POSTGRES_USER || 'postgres');
  url.pathname = `/${encodeURIComponent(env.POSTGRES_DBNAME || 'postgres')}`;
  if (env.POSTGRES_SCHEMA) url.searchParams.set('schema', env.POSTGRES_SCHEMA);
  return url.toString();
}

export async function discoverStores(limit = 50): Promise<Detected[]> {
  if (!vscode.workspace.workspaceFolders?.length) return [];
  const found = new Map<string, Detected>();
  const exclude = '**/{node_modules,.git,.venv,venv}/**';
  for (const uri of await vscode.workspace.findFiles('**/.env', exclude, 20)) {
    let env: Record<string, string>;
    try {
      env = parseDotEnv(readFileSync(uri.fsPath, 'utf8'));
    } catch {
      continue;
    }
    const postgres = postgresUrlOf(env);
    if (postgres) {
      found.set(postgres, {
        path: postgres,
        source: vscode.workspace.asRelativePath(uri),
        ...(env.CIPHER_KEY ? { cipherKey: env.CIPHER_KEY } : {}),
        ...(env.POSTGRES_PASSWORD ? { password: env.POSTGRES_PASSWORD } : {}),
      });
      continue;
    }
    const db = env.SQLITE_DBNAME;
    if (!db || db === ':memory:' || db.startsWith('file::memory:')) continue;
    const path = isAbsolute(db) ? db : resolve(dirname(uri.fsPath), db);
    if (isEventsourcingSqliteFile(path))
      found.set(path, { path, source: vscode.workspace.asRelativePath(uri), cipherKey: env.CIPHER_KEY || undefined });
  }
  for (const uri of await vscode.workspace.findFiles('**/*.{db,sqlite,sqlite3}', exclude, limit)) {
    if (!found.has(uri.fsPath) && isEventsourcingSqliteFile(uri.fsPath)) found.set(uri.fsPath, { path: uri.fsPath, source: 'SQLite file' });
  }
  return [...found.values()];
}
