/** Every command, as a table of name -> handler over the extension's context. */

import { existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { writeDemoStore } from '../core/demo';
import { isMissingCipherKey, messageOf } from '../core/errors';
import { eventToJSON, streamToJSON } from '../core/events';
import { stringifyExact } from '../core/json/exact';
import { compileWhere, whereOf } from '../core/where';
import { openStore } from '../core/stores/open';
import { isPostgresUrl } from '../core/stores/eventsourcingPostgres';
import { isKurrentUrl, splitCredentials } from '../core/stores/kurrentdb';
import { isRedisUrl } from '../core/stores/redisStreams';
import { isEventsFilePath } from '../core/stores/eventsFileStore';
import type { EventStore } from '../core/stores/types';
import { parseCipherKey } from '../core/codecs/eventsourcing';
import { DEMO_NAME, type Connection } from './connections';
import type { Ctx } from './ctx';
import { debugCommands } from './debug';
import { replayCommands } from './replay/commands';
import { saveAsEvents } from './saveAsEvents';
import { eventUri, logUri, streamUri } from './documents';
import type { Node } from './streamsTree';

type Handler = (ctx: Ctx, ...args: never[]) => unknown;

/** Replaced at build time by scripts/build.mjs (package.json's version). */
declare const EVENTSCOPE_VERSION: string;

/** Asks for a base64 cipher key (masked), checking its form as it is typed. */
async function askCipherKey(prompt: string, value?: string): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: 'Cipher key',
    prompt,
    value,
    password: true,
    ignoreFocusOut: true,
    validateInput: (text) => {
      try {
        parseCipherKey(text);
        return undefined;
      } catch (error) {
        return messageOf(error);
      }
    },
  });
}

type Check = { ok: true } | { ok: false; needsKey: boolean; error: unknown };

/** Opens the store once (read-only) to tell whether it needs a key, and whether a key works. */
async function check(path: string, cipherKey?: string): Promise<Check> {
  let store: EventStore | undefined;
  try {
    store = openStore(path, { cipherKey: cipherKey ? parseCipherKey(cipherKey) : undefined });
    await store.readAll({ limit: 1 });
    return { ok: true };
  } catch (error) {
    return { ok: false, needsKey: isMissingCipherKey(error), error };
  } finally {
    await store?.close();
  }
}

/**
 * A file's connection (an eventsourcing SQLite store, a `.events` or JSON lines file): a name, a
 * read (and, when the store is encrypted, its cipher key), then saved.
 */
async function addFileConnection(ctx: Ctx, path: string, suggestedKey?: string, suggestedName?: string): Promise<void> {
  const kind = isEventsFilePath(path) ? 'events-file' : 'eventsourcing-sqlite';
  const name = await vscode.window.showInputBox({
    title: 'Connection name',
    value: suggestedName ?? basename(path).replace(/\.(db|sqlite3?|events|jsonl|ndjson)$/i, ''),
    validateInput: (text) => (!text.trim() ? 'A name is needed.' : ctx.connections.get(text.trim()) ? 'That name is taken.' : undefined),
  });
  if (!name) return;
  let key: string | undefined;
  let result = await check(path);
  if (!result.ok && result.needsKey) {
    key =
      suggestedKey ??
      (await askCipherKey(`${basename(path)} is encrypted: paste its CIPHER_KEY (kept in VS Code's secret storage, never in settings).`));
    if (!key) return;
    result = await check(path, key);
  }
  if (!result.ok) {
    ctx.log.showError(result.error, `Adding ${path}`);
    return;
  }
  await ctx.connections.add({ name: name.trim(), kind, path }, key);
  ctx.tree.refresh();
}

/** The user and the password in a URL (the password only to refuse it), or undefined when it is none. */
function urlCredentials(text: string): { user?: string; password?: string } | undefined {
  try {
    const url = new URL(text);
    return { ...(url.username ? { user: decodeURIComponent(url.username) } : {}), ...(url.password ? { password: url.password } : {}) };
  } catch {
    return undefined;
  }
}

/** The server kinds Add Connection offers: how each is named, its URL's form, how to tell one. */
const SERVERS = {
  'eventsourcing-postgres': {
    title: 'PostgreSQL URL',
    prompt: 'postgres://user@host:port/database?app=NAME (the application’s <name>_events table; also &schema=…). No password here.',
    placeHolder: 'postgres://eventsourcing@localhost:5432/eventsourcing?app=bankaccounts',
    is: isPostgresUrl,
    scheme: 'a postgres:// (or postgresql://) URL',
    credentials: urlCredentials,
    name: (text: string) => {
      const url = new URL(text);
      return url.searchParams.get('app') ?? (url.pathname.slice(1) || 'postgres');
    },
  },
  kurrentdb: {
    title: 'KurrentDB connection string',
    prompt:
      'kurrentdb://[user@]host:2113[,host…][?tls=false] (also esdb://, +discover for a cluster). No password here. Reading $all needs a user allowed to read it (e.g. admin).',
    placeHolder: 'kurrentdb://admin@localhost:2113?tls=false',
    is: isKurrentUrl,
    scheme: 'a kurrentdb:// (or kurrent://, kdb://, esdb://) connection string',
    credentials: (text: string) => {
      const { user, password } = splitCredentials(text);
      return { ...(user ? { user } : {}), ...(password ? { password } : {}) };
    },
    name: (text: string) => `kurrentdb ${splitCredentials(text).after.split(/[/?]/)[0]}`,
  },
  'redis-streams': {
    title: 'Redis or Valkey URL',
    prompt: 'redis://[user@]host:port[/db] (rediss:// for TLS): its streams are read as event streams. No password here.',
    placeHolder: 'redis://localhost:6379/0',
    is: isRedisUrl,
    scheme: 'a redis:// (or rediss://) URL',
    credentials: urlCredentials,
    name: (text: string) => `redis ${new URL(text).host}`,
  },
} as const;

/**
 * A server's connection: its URL (no password in it), the password (to secret storage), then a
 * test: the connection is saved only once the store answers.
 */
async function addServerConnection(
  ctx: Ctx,
  kind: keyof typeof SERVERS,
  detected: { url: string; password?: string; cipherKey?: string; name?: string } | undefined = undefined,
): Promise<void> {
  const server = SERVERS[kind];
  const url = await vscode.window.showInputBox({
    ...(detected ? { value: detected.url } : {}),
    title: server.title,
    prompt: server.prompt,
    placeHolder: server.placeHolder,
    validateInput: (text) => {
      if (!server.is(text.trim())) return `${server.scheme[0].toUpperCase()}${server.scheme.slice(1)}.`;
      const credentials = server.credentials(text.trim());
      if (!credentials) return 'Not a URL.';
      return credentials.password ? 'Leave the password out: it is asked next, and kept in secret storage.' : undefined;
    },
  });
  if (!url) return;
  const location = url.trim();
  const user = server.credentials(location)?.user;
  const password =
    detected?.password ??
    (await vscode.window.showInputBox({
      title: 'Password',
      prompt: `The password${user ? ` of ${user}` : ''} (kept in VS Code's secret storage, never in settings). Empty: none.`,
      password: true,
    }));
  if (password === undefined) return;
  const name = await vscode.window.showInputBox({
    title: 'Connection name',
    value: detected?.name ?? server.name(location),
    validateInput: (text) => (!text.trim() ? 'A name is needed.' : ctx.connections.get(text.trim()) ? 'That name is taken.' : undefined),
  });
  if (!name) return;
  const cipherKey = detected?.cipherKey;
  const store = openStore(location, {
    ...(password ? { password } : {}),
    ...(cipherKey ? { cipherKey: parseCipherKey(cipherKey) } : {}),
  });
  try {
    const head = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Connecting to ${store.location}…` },
      () => store.headPosition(),
    );
    ctx.log.info(`${store.location}: connected, head position ${head}`);
  } catch (error) {
    ctx.log.showError(error, `Adding ${store.location}`);
    return;
  } finally {
    await store.close();
  }
  await ctx.connections.add({ name: name.trim(), kind, path: location }, cipherKey, undefined, password || undefined);
  ctx.tree.refresh();
}

async function pickConnection(ctx: Ctx, node?: Node): Promise<Connection | undefined> {
  if (node && 'connection' in node) return node.connection;
  const all = ctx.connections.list();
  if (all.length <= 1) return all[0];
  const picked = await vscode.window.showQuickPick(
    all.map((c) => ({ label: c.name, description: c.path, connection: c })),
    { title: 'Connection' },
  );
  return picked?.connection;
}

/** What the copy actions put on the clipboard for a node (undefined: nothing to copy). */
function clipboardText(node: Node | undefined, what: 'id' | 'type' | 'json'): string | undefined {
  switch (node?.kind) {
    case 'event':
      return what === 'id' ? node.event.streamId : what === 'type' ? node.event.type : stringifyExact(eventToJSON(node.event), 2);
    case 'stream':
      return what === 'id' ? node.stream.streamId : what === 'type' ? node.stream.firstType : stringifyExact(streamToJSON(node.stream), 2);
    case 'category':
      return what === 'type' ? (node.category.topic ?? node.category.name) : undefined;
    case 'connection':
      return what === 'id' ? node.connection.path : undefined;
    default:
      return undefined;
  }
}

function copy(what: 'id' | 'type' | 'json'): Handler {
  return async (_ctx: Ctx, node: Node) => {
    const text = clipboardText(node, what);
    if (text !== undefined) await vscode.env.clipboard.writeText(text);
  };
}

export const commands: Record<string, Handler> = {
  'eventscope.addConnection': async (ctx: Ctx) => {
    const kind = await vscode.window.showQuickPick(
      [
        {
          label: '$(database) eventsourcing SQLite file',
          detail: 'A store written by the Python eventsourcing library (SQLITE_DBNAME)',
          server: undefined,
        },
        {
          label: '$(server) eventsourcing on PostgreSQL',
          detail: 'The library’s PostgreSQL store: postgres://user@host:port/db?app=NAME (the <name>_events table)',
          server: 'eventsourcing-postgres' as const,
        },
        {
          label: '$(server) KurrentDB (EventStoreDB)',
          detail: 'A KurrentDB node or cluster: kurrentdb://user@host:2113?tls=false (streams, $all, the library’s events decoded)',
          server: 'kurrentdb' as const,
        },
        {
          label: '$(server) Redis / Valkey streams',
          detail: 'Each stream an event stream: redis://host:port[/db] (the type from each entry’s `type` field)',
          server: 'redis-streams' as const,
        },
        {
          label: '$(file) Events file (.events / .jsonl)',
          detail: 'Events written as text: a .events file, or JSON lines as `eventscope log --ndjson` prints them (read whole)',
          server: undefined,
          file: 'events' as const,
        },
      ],
      { title: 'Add Connection: kind of store' },
    );
    if (!kind) return;
    if (kind.server) return addServerConnection(ctx, kind.server);
    const events = 'file' in kind;
    const picked = await vscode.window.showOpenDialog({
      title: events ? 'Events file' : 'Event store file',
      canSelectMany: false,
      openLabel: 'Connect',
      filters: events
        ? { 'Events files': ['events', 'jsonl', 'ndjson'] }
        : { 'SQLite databases': ['db', 'sqlite', 'sqlite3'], 'All files': ['*'] },
    });
    if (!picked?.[0]) return;
    if (events && !isEventsFilePath(picked[0].fsPath))
      return void vscode.window.showErrorMessage(`${basename(picked[0].fsPath)} is not a .events, .jsonl or .ndjson file.`);
    await addFileConnection(ctx, picked[0].fsPath);
  },

  'eventscope.addDetected': async (ctx: Ctx, node: Node) => {
    if (node?.kind !== 'detectedStore') return;
    const { path, cipherKey, password, app } = node.detected;
    if (isPostgresUrl(path))
      await addServerConnection(ctx, 'eventsourcing-postgres', {
        url: path,
        ...(password !== undefined ? { password } : {}),
        ...(cipherKey ? { cipherKey } : {}),
        ...(app ? { name: app } : {}),
      });
    else await addFileConnection(ctx, path, cipherKey, app);
  },

  'eventscope.editConnection': async (ctx: Ctx, node?: Node) => {
    const connection = await pickConnection(ctx, node);
    if (!connection) return;
    // A `.events` or JSON lines file holds its events decoded: no key to give.
    const keys = connection.kind === 'events-file' ? [] : ['Set Cipher Key…', 'Remove Cipher Key'];
    const choice = await vscode.window.showQuickPick([...keys, 'Rename…'], { title: `Edit ${connection.name}` });
    if (choice === 'Rename…')
      return vscode.commands.executeCommand('eventscope.renameConnection', node ?? { kind: 'connection', connection });
    if (choice === 'Remove Cipher Key') await ctx.connections.setCipherKey(connection, undefined);
    if (choice === 'Set Cipher Key…') {
      const key = await askCipherKey(`The CIPHER_KEY of ${connection.name} (kept in VS Code's secret storage).`);
      if (!key) return;
      await ctx.connections.setCipherKey(connection, key);
    }
    ctx.tree.refresh(connection);
  },

  'eventscope.renameConnection': async (ctx: Ctx, node?: Node) => {
    const connection = await pickConnection(ctx, node);
    if (!connection) return;
    const name = await vscode.window.showInputBox({ title: `Rename ${connection.name}`, value: connection.name });
    if (!name || name.trim() === connection.name) return;
    try {
      await ctx.connections.rename(connection, name.trim());
    } catch (error) {
      ctx.log.showError(error, `Renaming ${connection.name}`);
    }
    ctx.tree.refresh();
  },

  'eventscope.removeConnection': async (ctx: Ctx, node?: Node) => {
    const connection = await pickConnection(ctx, node);
    if (!connection) return;
    const ok = await vscode.window.showWarningMessage(
      `Remove the connection "${connection.name}"? The store itself is not touched.`,
      { modal: true },
      'Remove',
    );
    if (ok !== 'Remove') return;
    ctx.liveTail.unwatch(connection.name);
    await ctx.connections.remove(connection);
    ctx.tree.refresh();
  },

  'eventscope.testConnection': async (ctx: Ctx, node?: Node) => {
    const connection = await pickConnection(ctx, node);
    if (!connection) return;
    try {
      ctx.connections.close(connection.name);
      const store = await ctx.connections.store(connection);
      const first = await store.readAll({ limit: 1 });
      const head = await store.headPosition();
      void vscode.window.showInformationMessage(
        `${connection.name}: connected, head position ${head}${first.items.length ? ', events decode' : ', no events yet'}.`,
      );
    } catch (error) {
      ctx.log.showError(error, `Testing ${connection.name}`);
    }
  },

  'eventscope.openDemo': async (ctx: Ctx) => {
    const dir = ctx.context.globalStorageUri.fsPath;
    const path = join(dir, 'demo.sqlite');
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Writing the demo store…' }, async () => {
      mkdirSync(dir, { recursive: true });
      if (!existsSync(path)) writeDemoStore(path);
    });
    await ctx.connections.setDemo({ name: DEMO_NAME, kind: 'eventsourcing-sqlite', path });
    ctx.tree.refresh();
    const connection = ctx.connections.get(DEMO_NAME);
    if (connection) await ctx.view.reveal({ kind: 'connection', connection }, { expand: true, focus: true, select: true });
  },

  'eventscope.refresh': (ctx: Ctx, node?: Node) => {
    const connection = node && 'connection' in node ? node.connection : undefined;
    if (connection) ctx.connections.close(connection.name);
    else ctx.connections.closeAll();
    ctx.tree.refresh(connection);
  },

  'eventscope.filterStreams': async (ctx: Ctx) => {
    const text = await vscode.window.showInputBox({
      title: 'Filter streams',
      prompt: 'Show streams whose id or label contains this text ("Dana", "8b79390a"; UUID dashes optional). Empty shows all.',
      value: ctx.tree.filters.streams ?? '',
    });
    if (text === undefined) return;
    ctx.tree.filters.streams = text.trim() || undefined;
    ctx.applyFilters();
  },

  'eventscope.filterEventTypes': async (ctx: Ctx) => {
    const { types: current, where: currentWhere } = ctx.tree.filters;
    const text = await vscode.window.showInputBox({
      title: 'Filter events',
      prompt:
        'Event types, comma-separated (a topic, BankAccount.Credited, or Credited), or an expression over event: where Number(event.data.amount) > 1000. Empty shows all.',
      value: currentWhere !== undefined ? `where ${currentWhere}` : (current?.join(', ') ?? ''),
      // An expression that does not compile is refused here, with the reason.
      validateInput: (value) => {
        const expression = whereOf(value);
        if (expression === undefined) return undefined;
        try {
          compileWhere(expression);
          return undefined;
        } catch (error) {
          return messageOf(error);
        }
      },
    });
    if (text === undefined) return;
    const where = whereOf(text);
    const types =
      where !== undefined
        ? []
        : text
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean);
    ctx.tree.filters.types = types.length ? types : undefined;
    ctx.tree.filters.where = where;
    ctx.applyFilters();
  },

  'eventscope.clearFilters': (ctx: Ctx) => {
    ctx.tree.filters = {};
    ctx.applyFilters();
  },

  'eventscope.loadMore': (ctx: Ctx, node: Node) => (node?.kind === 'more' ? ctx.tree.loadMore(node) : undefined),

  'eventscope.openEvent': async (_ctx: Ctx, node: Node) => {
    if (node?.kind !== 'event') return;
    const doc = await vscode.workspace.openTextDocument(
      eventUri(node.connection.name, node.event.streamId, node.event.revision, node.event.type),
    );
    await vscode.window.showTextDocument(doc, { preview: true, preserveFocus: true });
  },

  'eventscope.openStreamAsDocument': async (ctx: Ctx, node: Node) => {
    if (node?.kind !== 'stream') return;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Reading stream ${node.stream.streamId}…` },
      async () => {
        try {
          const doc = await vscode.workspace.openTextDocument(streamUri(node.connection.name, node.stream.streamId));
          await vscode.window.showTextDocument(doc, { preview: false });
        } catch (error) {
          ctx.log.showError(error, `Opening the stream ${node.stream.streamId}`);
        }
      },
    );
  },

  'eventscope.revealInLog': async (_ctx: Ctx, node: Node) => {
    if (node?.kind !== 'event') return;
    const doc = await vscode.workspace.openTextDocument(logUri(node.connection.name, node.event.position));
    await vscode.window.showTextDocument(doc, { preview: true });
  },

  'eventscope.saveAsEvents': saveAsEvents,

  'eventscope.copyId': copy('id'),
  'eventscope.copyType': copy('type'),
  'eventscope.copyJson': copy('json'),

  'eventscope.showLog': (ctx: Ctx) => ctx.log.show(),

  /** Shows the version and answers it (tests and bug reports use it). */
  'eventscope.showVersion': () => {
    // Not awaited: the message's promise settles only when the notification is dismissed.
    void vscode.window.showInformationMessage(`Eventscope ${EVENTSCOPE_VERSION}`);
    return EVENTSCOPE_VERSION;
  },

  ...replayCommands,
  ...debugCommands,
};
