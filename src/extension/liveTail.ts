/**
 * Live tail: watches each open SQLite store's folder for changes to the file and its -wal (a
 * server's store: its feed of new events where it has one, KurrentDB's subscription or PostgreSQL's
 * LISTEN, else a poll of its head position, one index probe, every few seconds), and when the head
 * position moved, refreshes that connection in the tree (debounced). A `.events` or JSON lines
 * file is watched as a SQLite file is, and any change to it refreshes (an edit may keep the head).
 */

import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { isServer, type Connection, type Connections } from './connections';
import type { Log } from './log';

interface Watched {
  watcher: Pick<FSWatcher, 'close'>;
  timer?: NodeJS.Timeout;
  head: number;
  /** Refresh on any change of the file, not only on a new head (a `.events` file edited in place). */
  always?: boolean;
}

export class LiveTail implements vscode.Disposable {
  private readonly watchers = new Map<string, Watched>();
  debounceMs = 300;
  /** How often a server's head position is asked for. */
  pollMs = 3000;

  constructor(
    private readonly connections: Connections,
    private readonly onNewEvents: (connection: Connection) => void,
    private readonly log: Log,
  ) {}

  /** Starts watching a connection (idempotent); `head` is the position last shown. */
  watch(connection: Connection, head: number): void {
    if (this.watchers.has(connection.name)) return;
    if (isServer(connection)) {
      this.watchServer(connection, head);
      return;
    }
    const path = this.connections.resolvePath(connection);
    const name = basename(path);
    try {
      const watcher = watch(dirname(path), (_event, file) => {
        if (file && file !== name && file !== `${name}-wal`) return;
        this.soon(connection);
      });
      watcher.on('error', (error) => this.log.error(`Live tail of ${path} stopped`, error));
      this.watchers.set(connection.name, { watcher, head, always: connection.kind === 'events-file' });
    } catch (error) {
      this.log.error(`Live tail of ${path} is off`, error);
    }
  }

  /**
   * A server's store: its head is polled until its feed of new events (where it has one: KurrentDB's
   * subscription, PostgreSQL's LISTEN) has spoken once; then the feed alone says when to look.
   * (A PostgreSQL store of a library version that does not NOTIFY is polled all along.)
   */
  private watchServer(connection: Connection, head: number): void {
    let feed: { close(): void } | undefined;
    let timer: NodeJS.Timeout | undefined;
    const poll = () => {
      if (timer) return;
      timer = setInterval(() => void this.check(connection), this.pollMs);
      timer.unref();
    };
    const stopPolling = () => {
      clearInterval(timer);
      timer = undefined;
    };
    const entry = {
      watcher: {
        close: () => {
          feed?.close();
          stopPolling();
        },
      },
      head,
    };
    this.watchers.set(connection.name, entry);
    poll();
    void this.connections.store(connection).then(
      (store) => {
        if (this.watchers.get(connection.name) !== entry || !store.watch) return;
        try {
          feed = store.watch(
            () => {
              stopPolling();
              this.soon(connection);
            },
            (error) => {
              this.log.error(`${connection.name}: the feed of new events stopped; polling instead`, error);
              if (this.watchers.get(connection.name) === entry) poll();
            },
          );
        } catch (error) {
          this.log.error(`${connection.name}: no feed of new events; polling`, error);
        }
      },
      () => undefined,
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
      if (head === entry.head && !entry.always) return;
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
