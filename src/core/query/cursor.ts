/**
 * The cursor of a stream listing: `--after` of `eventscope streams`, `cursor` of the agents'
 * `list_streams` (`CursorNames`: the words its sentences use). The store's own cursor says only
 * "after this stream id", which means something in any store: given to another store, or with
 * other filters, it would quietly list the wrong streams. So the printed cursor carries, beside
 * the store's cursor, a tag of the filters (category, prefix) and the id of the last stream
 * printed, and both are checked before going on: the filters must be the same, and the store must
 * have that stream (a copy of the store, or the same store after more events were written, has
 * it; another store does not).
 *
 * Format: `<filters tag><checksum>.<base64url(last stream id)>.<store cursor>` (opaque to users;
 * the checksum catches a cursor cut short or mistyped).
 */

import { createHash } from 'node:crypto';
import type { EventStore } from '../stores/types';

export interface StreamFilters {
  category?: string;
  prefix?: string;
}

export interface StreamCursor {
  tag: string;
  lastStreamId: string;
  storeCursor: string;
}

/** A cursor that is not one `streams` printed, or that belongs to another store or other filters. */
export class CursorError extends Error {}

/** What the cursor's sentences call the option, the listing and its filters. */
export interface CursorNames {
  option: string;
  lister: string;
  filters: string;
}

/** The CLI's words: `--after`, `eventscope streams`. */
export const CLI_CURSOR: CursorNames = { option: '--after', lister: '"eventscope streams"', filters: '--category and --prefix' };

const hash = (text: string, length: number) => createHash('sha256').update(text).digest('base64url').slice(0, length);

function filterTag(filters: StreamFilters): string {
  return hash(JSON.stringify([filters.category ?? null, filters.prefix ?? null]), 8);
}

const checksum = (tag: string, lastStreamId: string, storeCursor: string) => hash(JSON.stringify([tag, lastStreamId, storeCursor]), 6);

export function encodeStreamCursor(storeCursor: string, lastStreamId: string, filters: StreamFilters): string {
  const tag = filterTag(filters);
  return `${tag}${checksum(tag, lastStreamId, storeCursor)}.${Buffer.from(lastStreamId, 'utf8').toString('base64url')}.${storeCursor}`;
}

/** Reads a cursor's parts; throws `CursorError` for text that is not a cursor `streams` printed. */
export function decodeStreamCursor(text: string, names: CursorNames = CLI_CURSOR): StreamCursor {
  const match = /^([\w-]{8})([\w-]{6})\.([\w-]+)\.(.+)$/.exec(text);
  const lastStreamId = match ? Buffer.from(match[3], 'base64url').toString('utf8') : '';
  if (!match || checksum(match[1], lastStreamId, match[4]) !== match[2]) {
    throw new CursorError(`${names.option} "${text}" is not a cursor that ${names.lister} printed (or not all of one)`);
  }
  return { tag: match[1], lastStreamId, storeCursor: match[4] };
}

/**
 * The store's cursor to go on from, after checking the cursor was printed for this store and
 * these filters.
 */
export async function resumeFrom(
  store: EventStore,
  text: string,
  filters: StreamFilters,
  names: CursorNames = CLI_CURSOR,
): Promise<string> {
  const cursor = decodeStreamCursor(text, names);
  if (cursor.tag !== filterTag(filters)) {
    throw new CursorError(
      `the ${names.option} cursor was printed for other filters: give the same ${names.filters} as the listing that printed it`,
    );
  }
  const found = await store.listStreams({ prefix: cursor.lastStreamId, limit: 1 });
  if (found.items[0]?.streamId !== cursor.lastStreamId) {
    throw new CursorError(
      `the ${names.option} cursor is not from ${store.location} (it has no stream ${cursor.lastStreamId}); list again without ${names.option}`,
    );
  }
  return cursor.storeCursor;
}
