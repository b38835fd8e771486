/** The search worker (bundled as dist/search-worker.js): see search.ts. */

import { parentPort, workerData } from 'node:worker_threads';
import { toWire } from '../errors';
import type { RecordedEvent } from '../events';
import { logPages } from '../query/log';
import { guardSealedRejections } from '../sealed';
import { openStore } from '../stores/open';
import { compileWhere, type WhereFilter } from '../where';
import { SCAN_LIMIT, SEARCH_TIME_MS, type SearchReply, type SearchRequest, type SearchResult } from './search';

/** Thrown by the counting filter to end a search that has read enough. */
class Enough extends Error {}

async function search(request: SearchRequest): Promise<SearchResult> {
  const where = compileWhere(request.where);
  // The key crossed the thread as a Uint8Array.
  const { cipherKey, ...access } = request.store;
  const store = openStore(access.location, { ...access, ...(cipherKey ? { cipherKey: Buffer.from(cipherKey) } : {}) });
  const deadline = Date.now() + SEARCH_TIME_MS;
  let scanned = 0;
  let lastSeen: RecordedEvent | undefined;
  let stopped: string | undefined;
  // Counts what the expression is asked about, and ends the read at the scan or time limit.
  const counting: WhereFilter = {
    expression: where.expression,
    select(events) {
      if (scanned >= SCAN_LIMIT) stopped = `The search looked at ${scanned} events, its most per call`;
      else if (Date.now() > deadline) stopped = `The search read for ${SEARCH_TIME_MS / 1000} s, its most per call`;
      if (stopped) throw new Enough();
      scanned += events.length;
      lastSeen = events[events.length - 1];
      return where.select(events);
    },
  };
  const events: RecordedEvent[] = [];
  const errors = { count: 0, first: '' };
  let full = false;
  try {
    const pages = logPages(store, {
      ...(request.streamId !== undefined ? { streamId: request.streamId } : {}),
      ...(request.types ? { types: request.types } : {}),
      ...(request.fromPosition !== undefined ? { from: request.fromPosition } : {}),
      where: counting,
      onWhereError: (error, count) => {
        errors.count = count;
        if (count === 1) errors.first = error.message;
      },
    });
    for await (const picked of pages) {
      for (const e of picked) {
        if (events.length === request.limit) {
          full = true;
          break;
        }
        events.push(e);
      }
      if (full || events.length === request.limit) {
        full = true;
        break;
      }
    }
  } catch (error) {
    if (!(error instanceof Enough)) throw error;
  } finally {
    await store.close();
  }
  const result: SearchResult = { events, scanned };
  // Full: go on after the last match; stopped: after the last event looked at.
  const next = full ? events[events.length - 1].position + 1 : stopped && lastSeen ? lastSeen.position + 1 : undefined;
  if (next !== undefined) result.next = next;
  if (stopped) result.note = `${stopped}; search again from position ${next} for more.`;
  if (errors.count) result.errors = errors;
  return result;
}

guardSealedRejections();

search(workerData as SearchRequest).then(
  (result) => parentPort!.postMessage({ result } satisfies SearchReply),
  (error: unknown) => parentPort!.postMessage({ error: toWire(error) } satisfies SearchReply),
);
