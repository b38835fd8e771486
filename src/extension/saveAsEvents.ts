/**
 * "Save as .events…" in the Streams view: a stream's events, or the events selected in the tree
 * (several at once: the view allows a multi-selection), written in the `.events` format to a file
 * the user picks, which then opens. Such a file is a store again (Add Connection, replays).
 */

import { writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { RecordedEvent } from '../core/events';
import { printEventsFile } from '../core/eventsFile/eventsFile';
import { iterateStream } from '../core/stores/types';
import type { Ctx } from './ctx';
import type { Node } from './streamsTree';

type Chosen = Node & { kind: 'stream' | 'event' };

/** `{ target: path }` as the last argument writes there without asking (tests, links). */
function targetOf(value: unknown): string | undefined {
  const target = (value as { target?: unknown } | undefined)?.target;
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof target === 'string' ? target : undefined;
}

/** The events of the chosen nodes: each stream's whole, the events as shown; once each, in log order. */
async function eventsOf(ctx: Ctx, chosen: Chosen[]): Promise<RecordedEvent[]> {
  const found = new Map<string, RecordedEvent>();
  const add = (connection: string, event: RecordedEvent) => found.set(`${connection}\0${event.streamId}\0${event.revision}`, event);
  for (const node of chosen) {
    if (node.kind === 'event') add(node.connection.name, node.event);
    else {
      const store = await ctx.connections.store(node.connection);
      for await (const event of iterateStream(store, node.stream.streamId, { limit: 1000 })) add(node.connection.name, event);
    }
  }
  return [...found.values()].sort((a, b) => a.position - b.position);
}

/** The file's comment: what it holds, and where from. */
function titleOf(chosen: Chosen[], count: number): string {
  const first = chosen[0];
  if (chosen.length === 1 && first.kind === 'stream') {
    const { streamId, label } = first.stream;
    return `Stream ${streamId}${label ? ` (${label})` : ''} of ${first.connection.name}\n${count} events`;
  }
  return `${count} event${count === 1 ? '' : 's'} of ${[...new Set(chosen.map((n) => n.connection.name))].join(', ')}`;
}

/**
 * `(node, selected?: Node[], options?: { target })`: the tree passes the node clicked and the
 * selection. Answers the path written (undefined when nothing was).
 */
export async function saveAsEvents(ctx: Ctx, node?: Node, selected?: unknown, options?: unknown): Promise<string | undefined> {
  const nodes = Array.isArray(selected) && selected.length ? (selected as Node[]) : node ? [node] : [];
  const chosen = nodes.filter((n): n is Chosen => n.kind === 'stream' || n.kind === 'event');
  if (!chosen.length) return undefined;
  const first = chosen[0];
  const name = (chosen.length === 1 && first.kind === 'stream' ? (first.stream.label ?? first.stream.streamId) : first.connection.name)
    .replace(/[^\w.-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target =
    targetOf(options) ??
    targetOf(selected) ??
    (
      await vscode.window.showSaveDialog({
        title: 'Save as .events',
        saveLabel: 'Save',
        filters: { 'Events files': ['events'] },
        ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `${name || 'events'}.events`) } : {}),
      })
    )?.fsPath;
  if (!target) return undefined;
  // Read once there is somewhere to write them (a cancelled dialog reads nothing).
  const events = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Reading the events to save…' },
    () => eventsOf(ctx, chosen),
  );
  await writeFile(target, printEventsFile(events, titleOf(chosen, events.length)));
  ctx.log.info(`Saved ${events.length} events to ${target}`);
  await vscode.window.showTextDocument(vscode.Uri.file(target), { preview: false });
  return target;
}
