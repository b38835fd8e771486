/**
 * `search_events` runs in a worker of its own (dist/search-worker.js): the `where` expression is
 * sealed (core/where.ts) and cut off after its time, and the worker's heap is limited, so an
 * expression that allocates without end ends the worker, not the server. The search reads up to
 * SCAN_LIMIT events or for up to SEARCH_TIME_MS, then answers where to go on from.
 */

import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RecordedEvent } from '../events';
import { EventscopeError, fromWire, type WireError } from '../errors';
import { DEFAULT_MEMORY_LIMIT_MB } from '../projection/session';
import type { TranscodingMapping } from '../codecs/transcodings';

/** How to open the store (its secrets cross to the worker only). */
export interface StoreAccess {
  location: string;
  cipherKey?: Uint8Array;
  password?: string;
  transcodings?: TranscodingMapping;
}

export interface SearchRequest {
  store: StoreAccess;
  where: string;
  types?: string[];
  streamId?: string;
  fromPosition?: number;
  limit: number;
}

export interface SearchResult {
  events: RecordedEvent[];
  /** How many events the expression was asked about. */
  scanned: number;
  /** Where to go on from (more events may match after it). */
  next?: number;
  /** Why the search ended before the store did. */
  note?: string;
  errors?: { count: number; first: string };
}

export type SearchReply = { result: SearchResult } | { error: WireError };

/** Events a search looks at, at most, per call. */
export const SCAN_LIMIT = 2_000_000;
/** How long a search reads, at most, per call (ms). */
export const SEARCH_TIME_MS = 20_000;
/** The search worker's heap: the replay worker's (a store read whole, such as a `.jsonl` file, is in it). */
const WORKER_HEAP_MB = DEFAULT_MEMORY_LIMIT_MB;

/** Runs one search in a new worker; a sentence when the worker fails or runs out of memory. */
export function searchInWorker(request: SearchRequest, workerDir = __dirname, signal?: AbortSignal): Promise<SearchResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new EventscopeError('The search was cancelled.'));
    const worker = new Worker(join(workerDir, 'search-worker.js'), {
      workerData: request,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      // Its output is not the process's: the MCP server speaks on stdout.
      stdout: true,
      stderr: true,
    });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', cancel);
      fn();
      void worker.terminate();
    };
    // The worker stops itself after SEARCH_TIME_MS; this is for one stuck in a single call.
    const timer = setTimeout(
      () =>
        settle(() => reject(new EventscopeError(`The search where ${request.where} did not finish in ${(SEARCH_TIME_MS * 2) / 1000} s.`))),
      SEARCH_TIME_MS * 2,
    );
    // The caller gave up: the worker ends where it is.
    const cancel = () => settle(() => reject(new EventscopeError('The search was cancelled.')));
    signal?.addEventListener('abort', cancel, { once: true });
    worker.on('message', (reply: SearchReply) => settle(() => ('result' in reply ? resolve(reply.result) : reject(fromWire(reply.error)))));
    worker.on('error', (error: Error & { code?: string }) =>
      settle(() =>
        reject(
          new EventscopeError(
            error.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? `The search where ${request.where} ran out of memory (its limit is ${WORKER_HEAP_MB} MB).`
              : `The search where ${request.where} failed: ${error.message}.`,
            { cause: error },
          ),
        ),
      ),
    );
    worker.on('exit', (code) =>
      settle(() => reject(new EventscopeError(`The search where ${request.where} ended without an answer (exit code ${code}).`))),
    );
  });
}
