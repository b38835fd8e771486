/**
 * The streams tree (view `eventscope.streams`): connection -> categories -> streams -> events,
 * plus a stream's snapshots and a connection's checkpoints. Streams and events load a page at a
 * time with a "Load more…" item; nothing asks a store for everything.
 */

import * as vscode from 'vscode';
import { messageOf } from '../core/errors';
import { qualifiedName, shortTypeName, type RecordedEvent, type StreamInfo } from '../core/events';
import type { CategoryInfo, Checkpoint, Snapshot } from '../core/stores/types';
import type { Connection, Connections } from './connections';
import type { Detected } from './discovery';
import { snapshotUri } from './documents';
import type { Log } from './log';

export type Node =
  | { kind: 'connection'; connection: Connection }
  | { kind: 'category'; connection: Connection; category: CategoryInfo }
  | { kind: 'stream'; connection: Connection; stream: StreamInfo }
  | { kind: 'event'; connection: Connection; event: RecordedEvent }
  | { kind: 'snapshots'; connection: Connection; streamId: string; snapshots: Snapshot[] }
  | { kind: 'snapshot'; connection: Connection; snapshot: Snapshot }
  | { kind: 'checkpoints'; connection: Connection; checkpoints: Checkpoint[] }
  | { kind: 'checkpoint'; connection: Connection; checkpoint: Checkpoint }
  | { kind: 'more'; parent: Node; next: string }
  | { kind: 'error'; connection: Connection; message: string }
  | { kind: 'detected'; items: Detected[] }
  | { kind: 'detectedStore'; detected: Detected };

interface Paged {
  items: Node[];
  next?: string;
}

export interface Filters {
  /** Streams whose id contains this text. */
  streams?: string;
  /** Event types (keys as in `typeMatches`). */
  types?: string[];
}

export function nodeId(node: Node): string {
  switch (node.kind) {
    case 'connection':
      return `c/${node.connection.name}`;
    case 'category':
      return `c/${node.connection.name}/k/${node.category.name}`;
    case 'stream':
      return `c/${node.connection.name}/s/${node.stream.streamId}`;
    case 'event':
      return `c/${node.connection.name}/s/${node.event.streamId}/e/${node.event.revision}`;
    case 'snapshots':
      return `c/${node.connection.name}/s/${node.streamId}/snapshots`;
    case 'snapshot':
      return `c/${node.connection.name}/s/${node.snapshot.streamId}/snapshot/${node.snapshot.revision}`;
    case 'checkpoints':
      return `c/${node.connection.name}/checkpoints`;
    case 'checkpoint':
      return `c/${node.connection.name}/checkpoints/${node.checkpoint.name}`;
    case 'more':
      return `${nodeId(node.parent)}/more/${node.next}`;
    case 'error':
      return `c/${node.connection.name}/error`;
    case 'detected':
      return 'detected';
    case 'detectedStore':
      return `detected/${node.detected.path}`;
  }
}

/** "3 min ago", "yesterday", or the date. */
export function relativeTime(iso: string | null, now = Date.now()): string {
  if (!iso) return '';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const s = Math.round((now - then) / 1000);
  if (s < 0) return new Date(then).toISOString().slice(0, 16).replace('T', ' ');
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 86400 * 30) return `${Math.floor(s / 86400)} d ago`;
  return new Date(then).toISOString().slice(0, 10);
}

export class StreamsTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly pages = new Map<string, Paged>();
  private readonly parents = new Map<string, Node>();
  private readonly reported = new Set<string>();
  filters: Filters = {};
  detected: Detected[] = [];
  pageSize = 100;
  /** Called when a connection's children load, with the head position they show (live tail). */
  onConnectionLoaded: (connection: Connection, head: number) => void = () => undefined;

  constructor(
    private readonly connections: Connections,
    private readonly log: Log,
  ) {}

  /** Forgets loaded pages (all, or one connection's) and redraws. */
  refresh(connection?: Connection): void {
    const prefix = connection ? `c/${connection.name}` : '';
    for (const key of [...this.pages.keys()]) if (key.startsWith(prefix)) this.pages.delete(key);
    // Parents are re-learnt as children load again; forgetting them keeps the map to what is shown.
    for (const key of [...this.parents.keys()]) if (key.startsWith(prefix) && key !== prefix) this.parents.delete(key);
    if (connection) this.reported.delete(connection.name);
    else this.reported.clear();
    this.changed.fire(undefined);
  }

  getParent(node: Node): Node | undefined {
    return this.parents.get(nodeId(node));
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const item = this.treeItem(node);
    item.id = nodeId(node);
    return item;
  }

  private treeItem(node: Node): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    switch (node.kind) {
      case 'connection': {
        const item = new vscode.TreeItem(node.connection.name, C.Collapsed);
        item.iconPath = new vscode.ThemeIcon(node.connection.scope === 'demo' ? 'beaker' : 'database');
        item.description = node.connection.scope === 'demo' ? 'demo' : this.connections.resolvePath(node.connection);
        item.tooltip = `${this.connections.resolvePath(node.connection)}\neventsourcing SQLite (${node.connection.scope} connection)${node.connection.encrypted ? ', encrypted' : ''}`;
        item.contextValue = node.connection.scope === 'demo' ? 'connection demo' : 'connection';
        return item;
      }
      case 'category': {
        const item = new vscode.TreeItem(node.category.name, C.Collapsed);
        item.iconPath = new vscode.ThemeIcon('symbol-class');
        item.description = `${node.category.streams} stream${node.category.streams === 1 ? '' : 's'}`;
        item.tooltip = node.category.topic ?? node.category.name;
        item.contextValue = 'category';
        return item;
      }
      case 'stream': {
        const s = node.stream;
        const item = new vscode.TreeItem(s.streamId, C.Collapsed);
        item.iconPath = new vscode.ThemeIcon('list-ordered');
        item.description = `${s.count} event${s.count === 1 ? '' : 's'}`;
        item.tooltip = new vscode.MarkdownString(
          `**${s.streamId}**\n\n${s.category} · ${s.count} events · last revision ${s.lastRevision}\n\nfirst: \`${s.firstType}\``,
        );
        item.contextValue = 'stream';
        return item;
      }
      case 'event': {
        const e = node.event;
        const item = new vscode.TreeItem(`${e.revision}  ${shortTypeName(e.type)}`, C.None);
        item.iconPath = new vscode.ThemeIcon('symbol-event');
        item.description = relativeTime(e.timestamp);
        item.tooltip = new vscode.MarkdownString(
          `**${qualifiedName(e.type)}**\n\n| | |\n|---|---|\n| type | \`${e.type}\` |\n| stream | \`${e.streamId}\` |\n| revision | ${e.revision} |\n| position | ${e.position} |\n| timestamp | ${e.timestamp ?? '—'} |`,
        );
        item.command = { command: 'eventscope.openEvent', title: 'Open Event', arguments: [node] };
        item.contextValue = 'event';
        return item;
      }
      case 'snapshots': {
        const item = new vscode.TreeItem('Snapshots', C.Collapsed);
        item.iconPath = new vscode.ThemeIcon('device-camera');
        item.description = String(node.snapshots.length);
        item.tooltip = 'Snapshots can be stale relative to the code: they are not history.';
        item.contextValue = 'snapshots';
        return item;
      }
      case 'snapshot': {
        const item = new vscode.TreeItem(`at revision ${node.snapshot.revision}`, C.None);
        item.iconPath = new vscode.ThemeIcon('device-camera');
        item.description = relativeTime(node.snapshot.timestamp);
        item.tooltip = `${node.snapshot.type}\n${node.snapshot.timestamp ?? ''}`;
        item.command = {
          command: 'vscode.open',
          title: 'Open Snapshot',
          arguments: [snapshotUri(node.connection.name, node.snapshot.streamId, node.snapshot.revision)],
        };
        item.contextValue = 'snapshot';
        return item;
      }
      case 'checkpoints': {
        const item = new vscode.TreeItem('Checkpoints', C.Collapsed);
        item.iconPath = new vscode.ThemeIcon('milestone');
        item.description = String(node.checkpoints.length);
        item.tooltip = 'Projection positions recorded in the tracking table';
        return item;
      }
      case 'checkpoint': {
        const c = node.checkpoint;
        const item = new vscode.TreeItem(c.name, C.None);
        item.iconPath = new vscode.ThemeIcon('milestone');
        item.description = `position ${c.position}${c.lag === null ? '' : ` · lag ${c.lag}`}`;
        item.tooltip =
          c.lag === null ? `${c.name} has processed up to position ${c.position} of its upstream application.` : `${c.lag} behind the head`;
        item.contextValue = 'checkpoint';
        return item;
      }
      case 'more': {
        const item = new vscode.TreeItem('Load more…', C.None);
        item.iconPath = new vscode.ThemeIcon('fold-down');
        item.command = { command: 'eventscope.loadMore', title: 'Load More', arguments: [node] };
        item.contextValue = 'more';
        return item;
      }
      case 'error': {
        const item = new vscode.TreeItem(node.message, C.None);
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
        item.tooltip = node.message;
        item.command = { command: 'eventscope.showLog', title: 'Show Log' };
        item.contextValue = 'error';
        return item;
      }
      case 'detected': {
        const item = new vscode.TreeItem('Detected in this workspace', C.Expanded);
        item.iconPath = new vscode.ThemeIcon('search');
        item.description = String(node.items.length);
        return item;
      }
      case 'detectedStore': {
        const item = new vscode.TreeItem(vscode.workspace.asRelativePath(node.detected.path), C.None);
        item.iconPath = new vscode.ThemeIcon('database');
        item.description = node.detected.cipherKey ? 'from .env, encrypted' : node.detected.source;
        item.tooltip = `${node.detected.path}\nClick to add it as a connection.`;
        item.command = { command: 'eventscope.addDetected', title: 'Add Connection', arguments: [node] };
        item.contextValue = 'detected';
        return item;
      }
    }
  }

  async getChildren(node?: Node): Promise<Node[]> {
    const children = await this.children(node);
    for (const child of children) this.parents.set(nodeId(child), node as Node);
    return children;
  }

  private async children(node?: Node): Promise<Node[]> {
    if (!node) {
      const connections: Node[] = this.connections.list().map((connection) => ({ kind: 'connection', connection }));
      const known = new Set(this.connections.list().map((c) => this.connections.resolvePath(c)));
      const detected = this.detected.filter((d) => !known.has(d.path));
      return detected.length ? [...connections, { kind: 'detected', items: detected }] : connections;
    }
    switch (node.kind) {
      case 'connection':
        return this.guarded(node.connection, () => this.connectionChildren(node.connection));
      case 'category':
      case 'stream':
        return this.guarded(node.connection, async () => {
          const paged = await this.paged(node);
          const items = paged.next ? [...paged.items, { kind: 'more', parent: node, next: paged.next } as Node] : paged.items;
          if (node.kind === 'stream' && !this.filters.types?.length) {
            const store = await this.connections.store(node.connection);
            const snapshots = await store.snapshots(node.stream.streamId);
            if (snapshots.length)
              return [{ kind: 'snapshots', connection: node.connection, streamId: node.stream.streamId, snapshots }, ...items];
          }
          return items;
        });
      case 'snapshots':
        return node.snapshots.map((snapshot) => ({ kind: 'snapshot', connection: node.connection, snapshot }));
      case 'checkpoints':
        return node.checkpoints.map((checkpoint) => ({ kind: 'checkpoint', connection: node.connection, checkpoint }));
      case 'detected':
        return node.items.map((detected) => ({ kind: 'detectedStore', detected }));
      default:
        return [];
    }
  }

  private async connectionChildren(connection: Connection): Promise<Node[]> {
    const store = await this.connections.store(connection);
    const started = Date.now();
    const categories = await store.categories();
    const checkpoints = await store.checkpoints();
    this.onConnectionLoaded(connection, await store.headPosition());
    this.log.info(`${connection.name}: ${categories.length} categories in ${Date.now() - started} ms`);
    const nodes: Node[] = categories.map((category) => ({ kind: 'category', connection, category }));
    if (checkpoints.length) nodes.push({ kind: 'checkpoints', connection, checkpoints });
    return nodes;
  }

  /** The loaded pages of a category's streams or a stream's events (the first page on first use). */
  private async paged(node: Node & { kind: 'category' | 'stream' }): Promise<Paged> {
    const key = nodeId(node);
    let paged = this.pages.get(key);
    if (!paged) {
      paged = await this.loadPage(node, undefined);
      this.pages.set(key, paged);
    }
    return paged;
  }

  private async loadPage(node: Node & { kind: 'category' | 'stream' }, after: string | undefined): Promise<Paged> {
    const store = await this.connections.store(node.connection);
    const started = Date.now();
    if (node.kind === 'category') {
      const page = await store.listStreams({ category: node.category.name, contains: this.filters.streams, limit: this.pageSize, after });
      this.log.info(`${node.connection.name}/${node.category.name}: ${page.items.length} streams in ${Date.now() - started} ms`);
      return { items: page.items.map((stream) => ({ kind: 'stream', connection: node.connection, stream })), next: page.next };
    }
    const page = await store.readStream(node.stream.streamId, {
      fromRevision: after === undefined ? undefined : Number(after),
      limit: this.pageSize,
      types: this.filters.types,
    });
    this.log.info(`${node.connection.name}/${node.stream.streamId}: ${page.items.length} events in ${Date.now() - started} ms`);
    return { items: page.items.map((event) => ({ kind: 'event', connection: node.connection, event })), next: page.next };
  }

  /** Loads the next page under a "Load more…" item. */
  async loadMore(more: Node & { kind: 'more' }): Promise<void> {
    const parent = more.parent;
    if (parent.kind !== 'category' && parent.kind !== 'stream') return;
    const key = nodeId(parent);
    const loaded = this.pages.get(key);
    if (!loaded || loaded.next !== more.next) return;
    try {
      const page = await this.loadPage(parent, more.next);
      this.pages.set(key, { items: [...loaded.items, ...page.items], next: page.next });
    } catch (error) {
      this.report(parent.connection, error);
    }
    this.changed.fire(parent);
  }

  private async guarded(connection: Connection, work: () => Promise<Node[]>): Promise<Node[]> {
    try {
      return await work();
    } catch (error) {
      this.report(connection, error);
      return [{ kind: 'error', connection, message: messageOf(error) }];
    }
  }

  /** One sentence to the user (once per connection until it is refreshed), details in the log. */
  private report(connection: Connection, error: unknown): void {
    this.log.error(`${connection.name}: ${messageOf(error)}`, error);
    if (this.reported.has(connection.name)) return;
    this.reported.add(connection.name);
    void vscode.window.showErrorMessage(messageOf(error), 'Show Log').then((choice) => {
      if (choice === 'Show Log') this.log.show();
    });
  }

  dispose(): void {
    this.changed.dispose();
  }
}
