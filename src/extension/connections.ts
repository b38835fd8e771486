/**
 * Connections: what the user connected to. Settings (`eventscope.connections`, user or workspace,
 * shareable) hold names, kinds and paths only; cipher keys live in SecretStorage. The demo store's
 * connection lives in the extension's global state, since its path is the extension's own.
 */

import { isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import { parseCipherKey } from '../core/codecs/eventsourcing';
import { hasMappings, readTranscodingSetting, type TranscodingMapping } from '../core/codecs/transcodings';
import { EventscopeError } from '../core/errors';
import { openStore } from '../core/stores/open';
import { isPostgresUrl } from '../core/stores/eventsourcingPostgres';
import type { EventStore, StoreKind } from '../core/stores/types';

export type ConnectionKind = StoreKind;

export interface ConnectionConfig {
  name: string;
  kind: ConnectionKind;
  /**
   * A file path (a SQLite store, a `.events` or JSON lines file; relative paths resolve against the
   * first workspace folder), or a server's URL without its password (`postgres://user@host:port/db?app=…`).
   */
  path: string;
  /** Whether the store needs a cipher key (kept in SecretStorage). */
  encrypted?: boolean;
}

export interface Connection extends ConnectionConfig {
  /** Where the connection is kept. */
  scope: 'user' | 'workspace' | 'demo';
}

const SETTING = 'connections';
const DEMO_STATE = 'eventscope.demoConnection';
/** The name of the demo store's connection ("Open Demo Store"). */
export const DEMO_NAME = 'Demo bank';

export function secretKeyName(name: string): string {
  return `eventscope.cipherKey/${name}`;
}

/** Where a connection's server password is kept in SecretStorage. */
export function secretPasswordName(name: string): string {
  return `eventscope.password/${name}`;
}

/** The kinds of store that are a file (a path, relative ones resolving against the workspace; watched for changes). */
const FILE_KINDS: readonly ConnectionKind[] = ['eventsourcing-sqlite', 'events-file'];

/** Whether a connection is a server's (reached by URL) rather than a file. */
export function isServer(connection: ConnectionConfig): boolean {
  return !FILE_KINDS.includes(connection.kind) || isPostgresUrl(connection.path);
}

export class Connections implements vscode.Disposable {
  private readonly stores = new Map<string, EventStore>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly context: vscode.ExtensionContext) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        // A store decodes with the transcodings setting: a change reopens the stores.
        if (e.affectsConfiguration(`eventscope.${SETTING}`) || e.affectsConfiguration('eventscope.transcodings')) {
          this.closeAll();
          this.changed.fire();
        }
      }),
      this.changed,
    );
  }

  /** Every connection: workspace, then user settings (a workspace entry wins by name), then the demo. */
  list(): Connection[] {
    const inspected = vscode.workspace.getConfiguration('eventscope').inspect<ConnectionConfig[]>(SETTING);
    const out: Connection[] = [];
    const seen = new Set<string>();
    const add = (items: ConnectionConfig[] | undefined, scope: Connection['scope']) => {
      for (const c of items ?? []) {
        if (!c || typeof c.name !== 'string' || typeof c.path !== 'string' || seen.has(c.name)) continue;
        seen.add(c.name);
        out.push({ ...c, kind: c.kind ?? 'eventsourcing-sqlite', scope });
      }
    };
    add(inspected?.workspaceValue, 'workspace');
    add(inspected?.globalValue, 'user');
    const demo = this.context.globalState.get<ConnectionConfig>(DEMO_STATE);
    if (demo && !seen.has(demo.name)) out.push({ ...demo, scope: 'demo' });
    return out;
  }

  get(name: string): Connection | undefined {
    return this.list().find((c) => c.name === name);
  }

  resolvePath(connection: ConnectionConfig): string {
    if (isAbsolute(connection.path) || isServer(connection)) return connection.path;
    const folder = vscode.workspace.workspaceFolders?.[0];
    return folder ? resolve(folder.uri.fsPath, connection.path) : resolve(connection.path);
  }

  /** Adds (or replaces, by name) a connection; the key and the password, if any, go to SecretStorage only. */
  async add(
    connection: ConnectionConfig,
    cipherKey?: string,
    scope: 'user' | 'workspace' = defaultScope(),
    password?: string,
  ): Promise<void> {
    if (cipherKey !== undefined) {
      parseCipherKey(cipherKey); // refuse a malformed key before storing anything
      await this.context.secrets.store(secretKeyName(connection.name), cipherKey.trim());
    }
    if (password !== undefined) await this.context.secrets.store(secretPasswordName(connection.name), password);
    const entry: ConnectionConfig = { name: connection.name, kind: connection.kind, path: connection.path };
    if (connection.encrypted || cipherKey !== undefined) entry.encrypted = true;
    await this.update(scope, (items) => [...items.filter((c) => c.name !== connection.name), entry]);
  }

  async setDemo(connection: ConnectionConfig): Promise<void> {
    await this.context.globalState.update(DEMO_STATE, connection);
    this.close(connection.name);
    this.changed.fire();
  }

  async remove(connection: Connection): Promise<void> {
    this.close(connection.name);
    await this.context.secrets.delete(secretKeyName(connection.name));
    await this.context.secrets.delete(secretPasswordName(connection.name));
    if (connection.scope === 'demo') {
      await this.context.globalState.update(DEMO_STATE, undefined);
      this.changed.fire();
    } else await this.update(connection.scope, (items) => items.filter((c) => c.name !== connection.name));
  }

  async rename(connection: Connection, name: string): Promise<void> {
    if (this.get(name)) throw new EventscopeError(`There is already a connection named "${name}".`);
    this.close(connection.name);
    for (const secret of [secretKeyName, secretPasswordName]) {
      const value = await this.context.secrets.get(secret(connection.name));
      if (value === undefined) continue;
      await this.context.secrets.store(secret(name), value);
      await this.context.secrets.delete(secret(connection.name));
    }
    if (connection.scope === 'demo') await this.setDemo({ ...stripScope(connection), name });
    else await this.update(connection.scope, (items) => items.map((c) => (c.name === connection.name ? { ...c, name } : c)));
  }

  async setCipherKey(connection: Connection, cipherKey: string | undefined): Promise<void> {
    this.close(connection.name);
    if (cipherKey === undefined) await this.context.secrets.delete(secretKeyName(connection.name));
    else {
      parseCipherKey(cipherKey);
      await this.context.secrets.store(secretKeyName(connection.name), cipherKey.trim());
      if (!connection.encrypted && connection.scope !== 'demo') {
        await this.update(connection.scope, (items) => items.map((c) => (c.name === connection.name ? { ...c, encrypted: true } : c)));
        return;
      }
    }
    this.changed.fire();
  }

  /** The open store of a connection (opened on first use, kept until the connection changes). */
  async store(connection: Connection): Promise<EventStore> {
    const open = this.stores.get(connection.name);
    if (open) return open;
    const transcodings = this.transcodings();
    const store = openStore(this.resolvePath(connection), {
      ...(await this.secrets(connection)),
      ...(transcodings ? { transcodings } : {}),
    });
    this.stores.set(connection.name, store);
    return store;
  }

  /**
   * The `eventscope.transcodings` setting: application transcodings to decode as a known kind
   * (undefined when it maps none). Entries that are not NAME: KIND are left out (the settings
   * editor marks them).
   */
  transcodings(): TranscodingMapping | undefined {
    const { mapping } = readTranscodingSetting(vscode.workspace.getConfiguration('eventscope').get('transcodings'));
    return hasMappings(mapping) ? mapping : undefined;
  }

  /** What a connection's store is opened with from SecretStorage: its cipher key, its server password. */
  async secrets(connection: ConnectionConfig): Promise<{ cipherKey?: Buffer; password?: string }> {
    const key = await this.context.secrets.get(secretKeyName(connection.name));
    const password = await this.context.secrets.get(secretPasswordName(connection.name));
    return { ...(key ? { cipherKey: parseCipherKey(key) } : {}), ...(password !== undefined ? { password } : {}) };
  }

  close(name: string): void {
    const store = this.stores.get(name);
    this.stores.delete(name);
    void store?.close();
  }

  closeAll(): void {
    for (const name of [...this.stores.keys()]) this.close(name);
  }

  private async update(scope: 'user' | 'workspace', edit: (items: ConnectionConfig[]) => ConnectionConfig[]): Promise<void> {
    const config = vscode.workspace.getConfiguration('eventscope');
    const inspected = config.inspect<ConnectionConfig[]>(SETTING);
    const current = (scope === 'workspace' ? inspected?.workspaceValue : inspected?.globalValue) ?? [];
    await config.update(
      SETTING,
      edit(current),
      scope === 'workspace' ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global,
    );
  }

  dispose(): void {
    this.closeAll();
    for (const d of this.subscriptions) d.dispose();
  }
}

function defaultScope(): 'user' | 'workspace' {
  return vscode.workspace.workspaceFolders?.length ? 'workspace' : 'user';
}

function stripScope(connection: Connection): ConnectionConfig {
  const { scope: _scope, ...config } = connection;
  return config;
}
