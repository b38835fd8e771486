/**
 * Finds event stores in the workspace: SQLite files that hold eventsourcing tables, `.env`
 * files with the library's settings (`SQLITE_DBNAME`, `POSTGRES_*`, `PERSISTENCE_MODULE`, with
 * `CIPHER_KEY` and `POSTGRES_PASSWORD`, which only ever go to SecretStorage): one store per
 * application with settings of its own (`BANKACCOUNTS_SQLITE_DBNAME`, see `dotEnvStores`), plus the
 * plain settings' one; and `.events` files, and JSON lines files whose first line is an event.
 */

import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import { applicationClassNames, dotEnvApplications, dotEnvStores, parseDotEnv } from '../core/dotEnv';
import { isEventsourcingSqliteFile } from '../core/stores/eventsourcingSqlite';
import { isEventsFilePath } from '../core/stores/eventsFileStore';

export interface Detected {
  path: string;
  source: string;
  /** The application a `.env` configures it for ("BankAccounts"), when its settings name one. */
  app?: string;
  /** What the tree calls it: "BankAccounts (.env)" (else its path or URL). */
  name?: string;
  /** From a `.env` next to it: offered when the user adds the connection, then kept as a secret. */
  cipherKey?: string;
  /** A PostgreSQL store's password (`POSTGRES_PASSWORD`), kept as a secret once added. */
  password?: string;
}

/**
 * The eventsourcing application classes of the workspace's Python code (`class BankAccounts(Application)`):
 * their names spell the upper-case prefixes of `.env` settings. Read only when a `.env` has some.
 */
async function workspaceApplicationNames(exclude: string): Promise<string[]> {
  const files = await vscode.workspace.findFiles('**/*.py', exclude, 500);
  // Read without blocking the extension host (up to 500 files).
  const names = await Promise.all(
    files.map(async (uri) => {
      try {
        const text = await readFile(uri.fsPath, 'utf8');
        return text.length < 1_000_000 && text.includes('Application') ? applicationClassNames(text) : [];
      } catch {
        return []; // unreadable: no names from it
      }
    }),
  );
  return names.flat();
}

export async function discoverStores(limit = 50): Promise<Detected[]> {
  if (!vscode.workspace.workspaceFolders?.length) return [];
  const found = new Map<string, Detected>();
  const exclude = '**/{node_modules,.git,.venv,venv}/**';
  const envs: { uri: vscode.Uri; env: Record<string, string> }[] = [];
  for (const uri of await vscode.workspace.findFiles('**/.env', exclude, 20)) {
    try {
      envs.push({ uri, env: parseDotEnv(readFileSync(uri.fsPath, 'utf8')) });
    } catch {
      continue;
    }
  }
  const appNames = envs.some(({ env }) => dotEnvApplications(env).length) ? await workspaceApplicationNames(exclude) : [];
  for (const { uri, env } of envs) {
    const source = vscode.workspace.asRelativePath(uri);
    for (const store of dotEnvStores(env, appNames)) {
      const named = {
        ...(store.app !== undefined ? { app: store.app, name: `${store.app} (.env)` } : {}),
        ...(store.cipherKey ? { cipherKey: store.cipherKey } : {}),
      };
      if (store.kind === 'eventsourcing-postgres') {
        found.set(store.location, {
          path: store.location,
          source,
          ...named,
          ...(store.password ? { password: store.password } : {}),
        });
        continue;
      }
      const path = isAbsolute(store.location) ? store.location : resolve(dirname(uri.fsPath), store.location);
      if (isEventsourcingSqliteFile(path)) found.set(path, { path, source, ...named });
    }
  }
  for (const uri of await vscode.workspace.findFiles('**/*.{db,sqlite,sqlite3}', exclude, limit)) {
    if (!found.has(uri.fsPath) && isEventsourcingSqliteFile(uri.fsPath)) found.set(uri.fsPath, { path: uri.fsPath, source: 'SQLite file' });
  }
  for (const uri of await vscode.workspace.findFiles('**/*.{events,jsonl,ndjson}', exclude, limit)) {
    if (!isEventsFilePath(uri.fsPath)) continue; // a file system that ignores case
    if (/\.events$/i.test(uri.fsPath)) found.set(uri.fsPath, { path: uri.fsPath, source: '.events file' });
    else if (startsWithEvent(uri.fsPath)) found.set(uri.fsPath, { path: uri.fsPath, source: 'JSON lines of events' });
  }
  return [...found.values()];
}

/** Whether a JSON lines file's first line is an event (`{"streamId": …, "type": …}`): other JSON lines are no store. */
function startsWithEvent(path: string): boolean {
  const head = Buffer.alloc(64 * 1024);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const text = head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString('utf8');
    const first = text.split('\n').find((line) => line.trim());
    const value = first === undefined ? undefined : (JSON.parse(first) as unknown);
    if (typeof value !== 'object' || value === null) return false;
    const { streamId, type } = value as Record<string, unknown>;
    return typeof streamId === 'string' && typeof type === 'string';
  } catch {
    return false; // unreadable, or no JSON (a first line longer than what was read too)
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
