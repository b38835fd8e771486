/**
 * Read-only documents under the `eventscope:` scheme: one event as pretty JSON, a snapshot, a
 * whole stream (or a window of the log) in the `.events` format. Re-opening the same URI shows
 * the same document.
 */

import * as vscode from 'vscode';
import { EventscopeError } from '../core/errors';
import {
  applicationTranscodingNote,
  applicationTranscodingsNote,
  collectApplicationTranscodings,
  mapAdvice,
} from '../core/codecs/transcodings';
import { eventToJSON, shortTypeName, type RecordedEvent, type ValueKinds } from '../core/events';
import { printEventsFile } from '../core/eventsFile/eventsFile';
import { stringifyExact } from '../core/json/exact';
import { pagesOf, type EventStore } from '../core/stores/types';
import type { Connections } from './connections';

export const SCHEME = 'eventscope';

const part = (text: string) => encodeURIComponent(text);

/** `…/<streamId>/<revision>-<ShortType>.json`: the tab shows which event it is. */
export function eventUri(connection: string, streamId: string, revision: number, type?: string): vscode.Uri {
  const name = type ? `${revision}-${part(shortTypeName(type))}` : String(revision);
  return vscode.Uri.from({ scheme: SCHEME, path: `/${part(connection)}/${part(streamId)}/${name}.json` });
}

export function snapshotUri(connection: string, streamId: string, revision: number): vscode.Uri {
  return vscode.Uri.from({ scheme: SCHEME, path: `/${part(connection)}/${part(streamId)}/snapshot-${revision}.json` });
}

export function streamUri(connection: string, streamId: string): vscode.Uri {
  return vscode.Uri.from({ scheme: SCHEME, path: `/${part(connection)}/${part(streamId)}.events` });
}

/** The log around a position (events before and after it). */
export function logUri(connection: string, position: number): vscode.Uri {
  return vscode.Uri.from({ scheme: SCHEME, path: `/${part(connection)}/log@${position}.events` });
}

export class EventDocuments implements vscode.TextDocumentContentProvider {
  /** How many events a stream document shows at most (the rest: the CLI, or a later page). */
  maxStreamEvents = 10_000;

  /** Application transcodings noted this session (each once). */
  private readonly noted = new Set<string>();

  constructor(private readonly connections: Connections) {}

  /**
   * The application transcodings these events (or snapshots) hold, shown as stored; the first time
   * one is shown this session, a notice says so and where to map it to a kind.
   */
  private transcodingsOf(items: Iterable<{ kinds: ValueKinds }>): string[] {
    const found = new Set<string>();
    for (const item of items) collectApplicationTranscodings(item.kinds, found);
    const fresh = [...found].filter((name) => !this.noted.has(name));
    for (const name of fresh) this.noted.add(name);
    if (fresh.length) {
      const message = `${applicationTranscodingsNote(fresh)}; ${mapAdvice(fresh.length, 'the eventscope.transcodings setting')}.`;
      void vscode.window.showInformationMessage(message, 'Open Settings').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'eventscope.transcodings');
      });
    }
    return [...found];
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const [connectionName, ...rest] = uri.path.slice(1).split('/').map(decodeURIComponent);
    const connection = this.connections.get(connectionName);
    if (!connection) throw new EventscopeError(`There is no connection named "${connectionName}".`);
    const store = await this.connections.store(connection);
    if (rest.length === 1) {
      const log = /^log@(\d+)\.events$/.exec(rest[0]);
      if (log) return this.logWindow(store, Number(log[1]));
      return this.stream(store, rest[0].replace(/\.events$/, ''));
    }
    const [streamId, file] = rest;
    const snapshot = /^snapshot-(\d+)\.json$/.exec(file);
    if (snapshot) {
      const found = (await store.snapshots(streamId)).find((s) => s.revision === Number(snapshot[1]));
      if (!found) throw new EventscopeError(`Stream ${streamId} has no snapshot at revision ${snapshot[1]}.`);
      this.transcodingsOf([found]);
      return `${stringifyExact({ type: found.type, streamId: found.streamId, revision: found.revision, timestamp: found.timestamp, data: found.data }, 2)}\n`;
    }
    const revision = Number(/^(\d+)/.exec(file)?.[1] ?? NaN);
    const page = await store.readStream(streamId, { fromRevision: revision, limit: 1 });
    const event = page.items[0];
    if (!event || event.revision !== revision) throw new EventscopeError(`Stream ${streamId} has no revision ${revision}.`);
    this.transcodingsOf([event]);
    return `${stringifyExact(eventToJSON(event), 2)}\n`;
  }

  private async stream(store: EventStore, streamId: string): Promise<string> {
    // One event past the most shown says whether more follow.
    const events: RecordedEvent[] = [];
    const read = (fromRevision: number | undefined, limit: number | undefined) => store.readStream(streamId, { fromRevision, limit });
    for await (const page of pagesOf(read, { limit: this.maxStreamEvents + 1, pageSize: 1000 })) events.push(...page);
    const more = events.length > this.maxStreamEvents;
    const shown = events.slice(0, this.maxStreamEvents);
    const title = [
      `Stream ${streamId} in ${store.location}`,
      `${shown.length} events${more ? ` (the first ${shown.length}; more follow)` : ''}`,
      ...this.transcodingsOf(shown).map(applicationTranscodingNote),
    ];
    return printEventsFile(shown, title.join('\n'));
  }

  private async logWindow(store: EventStore, position: number): Promise<string> {
    const from = Math.max(0, position - 25);
    const page = await store.readAll({ fromPosition: from, limit: 51 });
    const title = [
      `The log of ${store.location} around position ${position} (positions ${from}..)`,
      ...this.transcodingsOf(page.items).map(applicationTranscodingNote),
    ];
    return printEventsFile(page.items, title.join('\n'));
  }
}
