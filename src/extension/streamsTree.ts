/**
 * The streams tree (view `eventscope.streams`): connection -> categories -> streams -> events,
 * plus a stream's snapshots and a connection's checkpoints. Streams and events load a page at a
 * time with a "Load more…" item; nothing asks a store for everything. Streams show their label
 * (core/labels.ts) with the short id beside it.
 *
 * The streams filter matches ids and labels. Ids match in the store (SQL), page by page; labels
 * are not in the store's tables, so a category gets a label index (every stream's label, built
 * once a page at a time, then caught up with new events): small categories build it at once, big
 * ones in the background (status-bar progress) while the filter matches ids only, with a note
 * saying so.
 */

import * as vscode from 'vscode';
import { messageOf } from '../core/errors';
import { compileWhere, type WhereFilter } from '../core/where';
import { qualifiedName, shortTypeName, type RecordedEvent, type StreamInfo } from '../core/events';
import { LabelIndex, labelStreams, shortStreamId, type LabelRules } from '../core/labels';
import { STORE_KIND_LABELS, type CategoryInfo, type Checkpoint, type EventStore, type Snapshot } from '../core/stores/types';
import { isPostgresUrl } from '../core/stores/eventsourcingPostgres';
import type { Connection, Connections } from './connections';
import type { Detected } from './discovery';
import { snapshotUri } from './documents';
import { userMessage } from './errors';
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
  | { kind: 'more'; parent: Node; next: TreeCursor }
  /** Under a filtered category: why labels don't match yet (or at all). */
  | { kind: 'note'; connection: Connection; category: CategoryInfo; message: string; tooltip: string }
  | { kind: 'error'; connection: Connection; message: string }
  | { kind: 'detected'; items: Detected[] }
  | { kind: 'detectedStore'; detected: Detected };

/**
 * Where a "Load more…" item goes on: the store's cursor in a list of streams, the offset in the
 * label index's matches (a filtered category), or the next revision of a stream's events.
 */
type TreeCursor = { after: string } | { match: number } | { revision: number };

const cursorKey = (c: TreeCursor) => ('after' in c ? `after:${c.after}` : 'match' in c ? `match:${c.match}` : `revision:${c.revision}`);

interface Paged {
  items: Node[];
  next?: TreeCursor;
  /** The cursor belongs to a listing that changed mode (ids in SQL <-> the label index): load again from the start. */
  restart?: boolean;
}

export interface Filters {
  /** Streams whose id or label contains this text. */
  streams?: string;
  /** Event types (keys as in `typeMatches`). */
  types?: string[];
  /** A `where` expression over `event` (core/where.ts) the events shown must hold for. */
  where?: string;
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
      return `${nodeId(node.parent)}/more/${cursorKey(node.next)}`;
    case 'note':
      return `c/${node.connection.name}/k/${node.category.name}/note`;
    case 'error':
      return `c/${node.connection.name}/error`;
    case 'detected':
      return 'detected';
    case 'detectedStore':
      return `detected/${node.detected.path}`;
  }
}

/** The name of the connection a node belongs to (none for the detected stores). */
function connectionOf(node: Node): string | undefined {
  if (node.kind === 'more') return connectionOf(node.parent);
  return 'connection' in node ? node.connection.name : undefined;
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

/** Categories with at most this many streams build their label index before showing a filtered page. */
export const INLINE_INDEX_STREAMS = 2_000;
/** Categories with more streams than this get no label index (memory): the filter matches their ids only. */
export const MAX_INDEXED_STREAMS = 250_000;

export class StreamsTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** The loaded pages of categories and streams by node id, with their connection's name. */
  private readonly pages = new Map<string, Paged & { connection: string }>();
  private readonly parents = new Map<string, Node>();
  private readonly reported = new Set<string>();
  filters: Filters = {};
  private compiledWhere: WhereFilter | undefined;
  detected: Detected[] = [];
  pageSize = 100;
  private rules: LabelRules = {};
  /** Label indexes by store (a store closed and opened again starts afresh) and category. */
  private indexes = new WeakMap<EventStore, Map<string, LabelIndex>>();
  /** Label indexes being built in the background, with what stops them (a refresh of their connection). */
  private readonly building = new Map<LabelIndex, { connection: string; controller: AbortController }>();
  /** The last filtered index's matches, reused while paging through them. */
  private matched: { index: LabelIndex; version: number; filter: string; ids: string[] } | undefined;
  /** Called when a connection's children load, with the head position they show (live tail). */
  onConnectionLoaded: (connection: Connection, head: number) => void = () => undefined;

  constructor(
    private readonly connections: Connections,
    private readonly log: Log,
  ) {}

  get labelRules(): LabelRules {
    return this.rules;
  }

  /** The `eventscope.streamLabels` rules; a change drops the label indexes and redraws. */
  set labelRules(rules: LabelRules) {
    if (JSON.stringify(rules) === JSON.stringify(this.rules)) return;
    this.rules = rules;
    this.indexes = new WeakMap();
    this.refresh();
  }

  /**
   * Forgets loaded pages (all, or one connection's) and redraws. Background label indexing of
   * those connections stops (its store may be closing); a filtered category shown again goes on
   * where it stopped.
   */
  refresh(connection?: Connection): void {
    // By the connection's name itself: "Demo" is not "Demo bank" (ids share their prefix).
    const mine = (name: string | undefined) => !connection || name === connection.name;
    for (const { connection: name, controller } of this.building.values()) if (mine(name)) controller.abort();
    for (const [key, paged] of [...this.pages]) if (mine(paged.connection)) this.pages.delete(key);
    // Parents are re-learnt as children load again; forgetting them keeps the map to what is shown
    // (a connection's own entry, under the root, stays when only that connection is refreshed).
    for (const [key, parent] of [...this.parents]) if (!connection || (parent && mine(connectionOf(parent)))) this.parents.delete(key);
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
        item.tooltip = `${this.connections.resolvePath(node.connection)}\n${STORE_KIND_LABELS[node.connection.kind]} (${node.connection.scope} connection)${node.connection.encrypted ? ', encrypted' : ''}`;
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
        const events = `${s.count} event${s.count === 1 ? '' : 's'}`;
        const item = new vscode.TreeItem(s.label ?? s.streamId, C.Collapsed);
        item.iconPath = new vscode.ThemeIcon('list-ordered');
        item.description = s.label === undefined ? events : `${shortStreamId(s.streamId)} · ${events}`;
        const tooltip = new vscode.MarkdownString();
        if (s.label !== undefined) tooltip.appendMarkdown('**').appendText(s.label).appendMarkdown('**\n\n');
        tooltip.appendMarkdown(s.label === undefined ? `**${s.streamId}**` : `\`${s.streamId}\``);
        tooltip.appendMarkdown(`\n\n${s.category} · ${s.count} events · last revision ${s.lastRevision}\n\nfirst: \`${s.firstType}\``);
        item.tooltip = tooltip;
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
      case 'note': {
        const item = new vscode.TreeItem(node.message, C.None);
        item.iconPath = new vscode.ThemeIcon('info');
        item.tooltip = node.tooltip;
        item.contextValue = 'note';
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
        const where = isPostgresUrl(node.detected.path) ? node.detected.path : vscode.workspace.asRelativePath(node.detected.path);
        // A `.env`'s application ("BankAccounts (.env)") is named, with its file or URL beside it.
        const item = new vscode.TreeItem(node.detected.name ?? where, C.None);
        item.iconPath = new vscode.ThemeIcon('database');
        item.description = node.detected.name
          ? `${where}${node.detected.cipherKey ? ', encrypted' : ''}`
          : node.detected.cipherKey
            ? 'from .env, encrypted'
            : node.detected.source;
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
          if (node.kind === 'stream' && !this.filters.types?.length && !this.filters.where) {
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
      paged = { ...(await this.loadPage(node, undefined)), connection: node.connection.name };
      this.pages.set(key, paged);
    }
    return paged;
  }

  private async loadPage(node: Node & { kind: 'category' | 'stream' }, cursor: TreeCursor | undefined): Promise<Paged> {
    const store = await this.connections.store(node.connection);
    const started = Date.now();
    if (node.kind === 'category') {
      const filter = this.filters.streams;
      const index = filter ? await this.readyIndex(node, store) : undefined;
      if (cursor !== undefined && 'match' in cursor !== Boolean(index)) return { items: [], restart: true };
      if (filter && index) return this.indexPage(node, store, index, filter, cursor && 'match' in cursor ? cursor.match : 0, started);
      const after = cursor && 'after' in cursor ? cursor.after : undefined;
      const page = await store.listStreams({ category: node.category.name, contains: filter, limit: this.pageSize, after });
      const listed = Date.now() - started;
      const streams = await labelStreams(store, page.items, this.rules);
      this.log.info(
        `${node.connection.name}/${node.category.name}: ${page.items.length} streams in ${listed} ms, labelled in ${Date.now() - started - listed} ms`,
      );
      const items: Node[] = streams.map((stream) => ({ kind: 'stream', connection: node.connection, stream }));
      if (filter && after === undefined) items.unshift(this.labelNote(node, store));
      return { items, ...(page.next !== undefined ? { next: { after: page.next } } : {}) };
    }
    const page = await store.readStream(node.stream.streamId, {
      fromRevision: cursor && 'revision' in cursor ? cursor.revision : undefined,
      limit: this.pageSize,
      types: this.filters.types,
    });
    this.log.info(`${node.connection.name}/${node.stream.streamId}: ${page.items.length} events in ${Date.now() - started} ms`);
    const where = this.filters.where;
    // A page may show fewer events than it read (or none, with "more" to read on).
    const matches = where ? this.whereFilter(where).select(page.items).matches : undefined;
    const shown = matches ? page.items.filter((_, i) => matches[i]) : page.items;
    const items: Node[] = shown.map((event) => ({ kind: 'event', connection: node.connection, event }));
    return { items, ...(page.next !== undefined ? { next: { revision: page.next } } : {}) };
  }

  /** The compiled `where` filter (compiled again only when the expression changes). */
  private whereFilter(expression: string): WhereFilter {
    if (this.compiledWhere?.expression !== expression) this.compiledWhere = compileWhere(expression);
    return this.compiledWhere;
  }

  /** The label index of a category (made on first use; not built yet). */
  private indexOf(store: EventStore, category: string): LabelIndex {
    let byCategory = this.indexes.get(store);
    if (!byCategory) this.indexes.set(store, (byCategory = new Map()));
    let index = byCategory.get(category);
    if (!index) byCategory.set(category, (index = new LabelIndex(store, category, this.rules, { maxStreams: MAX_INDEXED_STREAMS })));
    return index;
  }

  /**
   * The category's label index when it is complete and caught up with new events. A small
   * category builds it now; a big one starts it in the background (and refreshes when it is
   * done): until then, undefined (the filter matches ids only).
   */
  private async readyIndex(node: Node & { kind: 'category' }, store: EventStore): Promise<LabelIndex | undefined> {
    if (node.category.streams > MAX_INDEXED_STREAMS) return undefined;
    const index = this.indexOf(store, node.category.name);
    if (index.done) await index.update();
    if (!index.done && node.category.streams <= INLINE_INDEX_STREAMS) await index.build();
    if (index.done && !index.truncated) return index;
    if (!index.done) this.buildInBackground(node, index);
    return undefined;
  }

  private buildInBackground(node: Node & { kind: 'category' }, index: LabelIndex): void {
    const running = this.building.get(index);
    if (running && !running.controller.signal.aborted) return;
    const controller = new AbortController();
    const { signal } = controller;
    this.building.set(index, { connection: node.connection.name, controller });
    const total = node.category.streams;
    const started = Date.now();
    void vscode.window
      .withProgress(
        { location: vscode.ProgressLocation.Window, title: `Indexing the labels of ${node.category.name} streams` },
        (progress) =>
          index.build(
            (indexed) => progress.report({ message: `${indexed.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}` }),
            signal,
          ),
      )
      .then(
        () => {
          if (!index.done) return;
          this.log.info(
            `${node.connection.name}/${node.category.name}: labels of ${index.size} streams indexed in ${Date.now() - started} ms`,
          );
          if (!this.filters.streams) return;
          this.pages.delete(nodeId(node));
          this.changed.fire(node);
        },
        (error: unknown) => {
          // Stopped by a refresh, the store may have been closed under it: not a failure.
          if (!signal.aborted)
            this.log.error(`${node.connection.name}/${node.category.name}: indexing labels failed: ${messageOf(error)}`, error);
        },
      )
      .then(() => {
        if (this.building.get(index)?.controller === controller) this.building.delete(index);
      });
  }

  /** What a filtered category says while (or when) its labels can't be matched. */
  private labelNote(node: Node & { kind: 'category' }, store: EventStore): Node {
    const { category, connection } = node;
    const count = category.streams.toLocaleString('en-US');
    const tooMany = category.streams > MAX_INDEXED_STREAMS || this.indexes.get(store)?.get(category.name)?.truncated === true;
    const tooltip = tooMany
      ? `${category.name} has ${count} streams, more than the ${MAX_INDEXED_STREAMS.toLocaleString('en-US')} whose labels Eventscope keeps in memory: the filter matches stream ids only.`
      : `Labels are not in the store's tables: matching them needs each stream's first event or latest snapshot, read once for the ${count} streams of ${category.name} (in the background; progress in the status bar). Until then the filter matches stream ids.`;
    const message = tooMany ? 'Matching stream ids only (too many streams to index labels)' : 'Matching stream ids; labels once indexed…';
    return { kind: 'note', connection, category, message, tooltip };
  }

  /** A page of the streams whose id or label matches, from the label index, from match `start` on. */
  private async indexPage(
    node: Node & { kind: 'category' },
    store: EventStore,
    index: LabelIndex,
    filter: string,
    start: number,
    started: number,
  ): Promise<Paged> {
    const cached = this.matched;
    const ids =
      cached && cached.index === index && cached.version === index.version && cached.filter === filter
        ? cached.ids
        : index.matching(filter);
    this.matched = { index, version: index.version, filter, ids };
    const items: Node[] = [];
    for (const id of ids.slice(start, start + this.pageSize)) {
      // The counts come fresh from the store; the label from the index (caught up just now).
      const stream = (await store.listStreams({ category: node.category.name, prefix: id, limit: 1 })).items[0];
      if (stream?.streamId !== id) continue;
      const label = index.labelOf(id);
      items.push({ kind: 'stream', connection: node.connection, stream: label ? { ...stream, label } : stream });
    }
    this.log.info(
      `${node.connection.name}/${node.category.name}: ${ids.length} of ${index.size} streams match "${filter}", ${items.length} shown in ${Date.now() - started} ms`,
    );
    const end = start + this.pageSize;
    return end < ids.length ? { items, next: { match: end } } : { items };
  }

  /** Loads the next page under a "Load more…" item. */
  async loadMore(more: Node & { kind: 'more' }): Promise<void> {
    const parent = more.parent;
    if (parent.kind !== 'category' && parent.kind !== 'stream') return;
    const key = nodeId(parent);
    const loaded = this.pages.get(key);
    if (!loaded?.next || cursorKey(loaded.next) !== cursorKey(more.next)) return;
    try {
      const page = await this.loadPage(parent, more.next);
      if (page.restart) this.pages.delete(key);
      else this.pages.set(key, { items: [...loaded.items, ...page.items], next: page.next, connection: parent.connection.name });
    } catch (error) {
      this.report(parent.connection, error);
    }
    this.changed.fire(parent);
  }

  private async guarded(connection: Connection, work: () => Promise<Node[]>): Promise<Node[]> {
    try {
      return await work();
    } catch (error) {
      return [{ kind: 'error', connection, message: this.report(connection, error) }];
    }
  }

  /** One sentence to the user (shown once per connection until it is refreshed; returned), details in the log. */
  private report(connection: Connection, error: unknown): string {
    const doing = `Reading ${connection.name}`;
    if (this.reported.has(connection.name)) {
      this.log.failed(doing, error);
      return userMessage(error, doing);
    }
    this.reported.add(connection.name);
    return this.log.showError(error, doing);
  }

  dispose(): void {
    for (const { controller } of this.building.values()) controller.abort();
    this.changed.dispose();
  }
}
