/** Feeds of new events (`EventStore.watch`): a file store's folder watched for its files, and the feeds a store hands out, closed with it. */

import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { EventscopeError, messageOf } from '../errors';

/**
 * Calls `onChange` when the folder of `path` says that file (or one of its side files, by suffix:
 * `-wal`) changed — written, replaced or removed; a failure of the watch goes to `onError` once,
 * and the watch ends. The folder, not the file: editors and SQLite replace files by renaming.
 */
export function watchFile(
  path: string,
  suffixes: readonly string[],
  onChange: () => void,
  onError: (error: Error) => void,
): { close(): void } {
  const names = new Set([basename(path), ...suffixes.map((s) => `${basename(path)}${s}`)]);
  let watcher: FSWatcher;
  try {
    watcher = watch(dirname(path), (_event, file) => {
      if (!file || names.has(file)) onChange();
    });
  } catch (error) {
    throw new EventscopeError(`${path}: can't watch the file for changes (${messageOf(error)}).`, { cause: error });
  }
  watcher.on('error', (error) => {
    watcher.close();
    onError(error);
  });
  return { close: () => watcher.close() };
}

/** The feeds a store has handed out, closed with the store; a closed store hands out none. */
export class Feeds {
  private readonly open = new Set<{ close(): void }>();
  private closed = false;

  /** `name`: the store as its sentences name it (`PostgreSQL at …`, a path). */
  constructor(private readonly name: string) {}

  /** Opens a feed (`start`) and keeps it to close with the store; throws when the store is closed. */
  add(start: () => { close(): void }): { close(): void } {
    if (this.closed) throw new EventscopeError(`${this.name}: the store was closed.`);
    const feed = start();
    const handed = {
      close: () => {
        this.open.delete(handed);
        feed.close();
      },
    };
    this.open.add(handed);
    return handed;
  }

  closeAll(): void {
    this.closed = true;
    for (const feed of [...this.open]) feed.close();
  }
}
