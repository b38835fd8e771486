/**
 * Live tail: follows each open connection's store by its feed of new events where it has one
 * (`EventStore.watch`: a file's folder watched for the file and its -wal; KurrentDB's subscription;
 * PostgreSQL's LISTEN), else by polling its head position every few seconds (Redis; a feed that
 * failed), and when the head position moved, refreshes that connection in the tree (debounced). A
 * `.events` or JSON lines file refreshes on any change (an edit may keep the head).
 */

import type { FSWatcher } from 'node:fs';
import * as vscode from 'vscode';
import type { Connection, Connections } from './connections';
import type { Log } from './log';

interface Watched {
  watcher: Pick<FSWatcher, 'close'>;
  timer?: NodeJS.Timeout;
  head: number;
  /** A `.events` file's feed said it changed: refresh even with the same head (an edit in place). */
  changed?: boolean;
}

export class LiveTail implements vscode.Disposable {
  private readonly watchers = new Map<string, Watched>();
  debounceMs = 300;
  /** How often the head position of a store without a feed is asked for. */
  pollMs = 3000;

  constructor(
    private readonly connections: Connections,
    private readonly onNewEvents: (connection: Connection) => void,
    private readonly log: Log,
  ) {}

  /** Starts watching a connection (idempotent); `head` is the position last shown. */
  watch(connection: Connection, head: number): void {
    if (this.watchers.has(connection.name)) return;
    let feed: { close(): void } | undefined;
    let polling: NodeJS.Timeout | undefined;
    const poll = () => {
      if (polling) return;
      polling = setInterval(() => void this.check(connection), this.pollMs);
      polling.unref();
    };
    const close = () => {
      feed?.close();
      clearInterval(polling);
    };
    const entry: Watched = { watcher: { close }, head };
    this.watchers.set(connection.name, entry);
    void this.connections.store(connection).then(
      (store) => {
        if (this.watchers.get(connection.name) !== entry) return;
        if (!store.watch) return poll();
        try {
          feed = store.watch(
            () => {
              if (connection.kind === 'events-file') entry.changed = true;
              this.soon(connection);
            },
            (error) => {
              this.log.error(`${connection.name}: the feed of new events stopped; polling instead`, error);
              if (this.watchers.get(connection.name) === entry) poll();
            },
          );
        } catch (error) {
          this.log.error(`${connection.name}: no feed of new events; polling`, error);
          poll();
        }
      },
      (error: unknown) => this.log.error(`${connection.name}: live tail is off`, error),
    );
  }

  /** A check of the head position a moment from now (changes come in bursts). */
  private soon(connection: Connection): void {
    const entry = this.watchers.get(connection.name);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => void this.check(connection), this.debounceMs);
  }

  private async check(connection: Connection): Promise<void> {
    const entry = this.watchers.get(connection.name);
    if (!entry) return;
    try {
      const head = await (await this.connections.store(connection)).headPosition();
      const changed = entry.changed;
      entry.changed = false;
      if (head === entry.head && !changed) return;
      this.log.info(`${connection.name}: ${head === entry.head ? 'changed' : `new events (head ${entry.head} -> ${head})`}`);
      entry.head = head;
      this.onNewEvents(connection);
    } catch (error) {
      this.log.error(`${connection.name}: live tail check failed`, error);
    }
  }

  unwatch(name: string): void {
    const entry = this.watchers.get(name);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.watcher.close();
    this.watchers.delete(name);
  }

  unwatchAll(): void {
    for (const name of [...this.watchers.keys()]) this.unwatch(name);
  }

  dispose(): void {
    this.unwatchAll();
  }
}
