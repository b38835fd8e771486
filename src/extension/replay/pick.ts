/** The questions before a replay opens: which projection, and over which events. */

import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { labelStreams, readLabelRules } from '../../core/labels';
import type { ProjectionChoice, ReplayScope, SourceDescriptor } from '../../shared/replayProtocol';
import type { Connection, Connections } from '../connections';
import { GENERIC_LABEL, PROJECTION_EXTENSIONS } from './target';

const EXCLUDE = '{**/node_modules/**,**/dist/**,**/out/**,**/.git/**,**/.cache/**,**/.vscode-test/**}';

type ProjectionItem = vscode.QuickPickItem & { projection?: ProjectionChoice; browse?: true };

/** A Python module that looks like a projection: it defines `init` or uses `when`. */
async function isPythonProjection(uri: vscode.Uri): Promise<boolean> {
  try {
    const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
    return /^\s*(def init\s*\(|when\s*=\s*\{|@when\s*\(|from eventscope import)/m.test(text);
  } catch {
    return false;
  }
}

/** Folder names that hint a file is a projection (listed first). */
const HINT = /projection|read-?model|view/i;

/** Asks for the projection: the generic one, a JS/TS file of the workspace, or one to browse for. */
export async function pickProjection(trusted: boolean): Promise<ProjectionChoice | undefined> {
  const [files, python] = await Promise.all([
    vscode.workspace.findFiles(`**/*.{${PROJECTION_EXTENSIONS.join(',')}}`, EXCLUDE, 500),
    vscode.workspace.findFiles('**/*.py', `{${EXCLUDE.slice(1, -1)},**/.venv/**,**/venv/**,**/site-packages/**}`, 500),
  ]);
  const app = vscode.workspace.getConfiguration('eventscope.python').get<string>('app')?.trim();
  const pythonProjections = (await Promise.all(python.map(async (uri) => ((await isPythonProjection(uri)) ? [uri] : [])))).flat();
  const active = vscode.window.activeTextEditor?.document.uri;
  const rank = (uri: vscode.Uri) => (active && uri.toString() === active.toString() ? 0 : HINT.test(uri.fsPath) ? 1 : 2);
  files.sort((a, b) => rank(a) - rank(b) || a.fsPath.localeCompare(b.fsPath));
  const restricted = trusted ? '' : ' · needs a trusted workspace';
  const items: ProjectionItem[] = [
    {
      label: `$(symbol-misc) ${GENERIC_LABEL}`,
      description: 'fields merged per stream, events counted by type',
      detail: 'Eventscope’s own projection: useful before you write one, and runs in Restricted Mode too.',
      projection: { kind: 'generic' },
    },
    {
      label: '$(symbol-class) Your Python aggregates',
      description: `each stream through its own eventsourcing class${trusted ? '' : ' · needs a trusted workspace'}`,
      detail: 'Decodes with your application (eventscope.python.app) and applies each event with the library’s mutate, in your Python.',
      projection: { kind: 'python' },
    },
    // A process application's policy, when the settings name the application.
    ...(app
      ? [
          {
            label: '$(symbol-event) Your application’s policy',
            description: `${app}: the events its policy collects${trusted ? '' : ' · needs a trusted workspace'}`,
            detail: 'Replays the ProcessApplication’s policy over these events; the new events it collects are each step’s output.',
            projection: { kind: 'python', policy: true } as ProjectionChoice,
          },
        ]
      : []),
    ...pythonProjections.map((uri): ProjectionItem => ({
      label: `$(file-code) ${basename(uri.fsPath)}`,
      description: `Python projection · ${vscode.workspace.asRelativePath(dirname(uri.fsPath))}${restricted}`,
      projection: { kind: 'python', path: uri.fsPath },
    })),
    { label: 'Workspace files', kind: vscode.QuickPickItemKind.Separator },
    ...files.map((uri): ProjectionItem => ({
      label: `$(file-code) ${basename(uri.fsPath)}`,
      description: `${vscode.workspace.asRelativePath(dirname(uri.fsPath))}${restricted}`,
      projection: { kind: 'file', path: uri.fsPath },
    })),
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(folder-opened) Browse…', description: 'a projection file anywhere', browse: true },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Replay with which projection?',
    placeHolder: 'A JS/TS module (export default { init, when, invariant }) or a KurrentDB script',
    matchOnDescription: true,
  });
  if (!picked) return undefined;
  if (picked.projection) return picked.projection;
  const chosen = await vscode.window.showOpenDialog({
    title: 'Projection file',
    canSelectMany: false,
    openLabel: 'Replay with this projection',
    filters: { 'JavaScript / TypeScript': PROJECTION_EXTENSIONS, Python: ['py'] },
  });
  const file = chosen?.[0]?.fsPath;
  if (!file) return undefined;
  return file.endsWith('.py') ? { kind: 'python', path: file } : { kind: 'file', path: file };
}

type SourceItem = vscode.QuickPickItem & { connection?: Connection; eventsFile?: string; browse?: true };

/** Asks for the events: a connection (then which of its events), or a `.events` file. */
export async function pickSource(connections: Connections): Promise<SourceDescriptor | undefined> {
  const files = await vscode.workspace.findFiles('**/*.events', EXCLUDE, 50);
  const items: SourceItem[] = [
    ...connections.list().map((connection): SourceItem => ({
      label: `$(${connection.scope === 'demo' ? 'beaker' : 'database'}) ${connection.name}`,
      description: connection.scope === 'demo' ? 'demo' : connections.resolvePath(connection),
      connection,
    })),
    ...(files.length ? [{ label: '.events files', kind: vscode.QuickPickItemKind.Separator } as SourceItem] : []),
    ...files.map((uri): SourceItem => ({
      label: `$(file) ${basename(uri.fsPath)}`,
      description: vscode.workspace.asRelativePath(uri),
      eventsFile: uri.fsPath,
    })),
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(folder-opened) An .events file…', browse: true },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Replay which events?',
    placeHolder: 'A connection of the Streams view, or an .events file',
  });
  if (!picked) return undefined;
  if (picked.connection) {
    const scope = await pickScope(connections, picked.connection);
    return scope ? { kind: 'connection', connection: picked.connection.name, scope } : undefined;
  }
  if (picked.eventsFile) return { kind: 'eventsFile', path: picked.eventsFile };
  const chosen = await vscode.window.showOpenDialog({
    title: 'Events file',
    canSelectMany: false,
    openLabel: 'Replay these events',
    filters: { 'Events files': ['events', 'jsonl', 'ndjson'], 'All files': ['*'] },
  });
  return chosen?.[0] ? { kind: 'eventsFile', path: chosen[0].fsPath } : undefined;
}

type ScopeItem = vscode.QuickPickItem & { scope?: ReplayScope; typeId?: true };

/** Which events of a connection: all of them, an aggregate type, or one stream. */
export async function pickScope(connections: Connections, connection: Connection): Promise<ReplayScope | undefined> {
  const store = await connections.store(connection);
  const [categories, page] = await Promise.all([store.categories(), store.listStreams({ limit: 200 })]);
  const rules = readLabelRules(vscode.workspace.getConfiguration('eventscope').get('streamLabels'));
  const streams = { ...page, items: await labelStreams(store, page.items, rules) };
  const items: ScopeItem[] = [
    { label: '$(list-flat) All events', description: 'the whole log, in order', scope: { all: true } },
    { label: 'Aggregate types', kind: vscode.QuickPickItemKind.Separator },
    ...categories.map((c): ScopeItem => ({
      label: `$(symbol-class) ${c.name}`,
      description: `${c.streams} streams`,
      scope: { category: c.name },
    })),
    { label: 'Streams', kind: vscode.QuickPickItemKind.Separator },
    ...streams.items.map((s): ScopeItem => ({
      label: `$(list-ordered) ${s.label ?? s.streamId}`,
      description: `${s.label ? `${s.streamId} · ` : ''}${s.category} · ${s.count} events`,
      scope: { stream: s.streamId, ...(s.label ? { label: s.label } : {}) },
    })),
    ...(streams.next ? [{ label: '$(edit) Another stream…', description: 'type its id', typeId: true } as ScopeItem] : []),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: `Replay which events of ${connection.name}?`,
    matchOnDescription: true,
  });
  if (!picked) return undefined;
  if (picked.scope) return picked.scope;
  const id = await vscode.window.showInputBox({ title: 'Stream id', prompt: `A stream (aggregate) id of ${connection.name}` });
  return id?.trim() ? { stream: id.trim() } : undefined;
}
