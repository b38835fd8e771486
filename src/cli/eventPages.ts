/**
 * Event pages rendered as JSON text, and `log`'s parallel read: two worker threads (dist/log-worker.js)
 * read and render ranges of positions while this thread writes the pages in order.
 * Decoding and printing are CPU-bound and per event, so a long `log --json` uses both cores; the
 * output is byte for byte that of the sequential read.
 */

import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { EventscopeError, fromWire, type WireError } from '../core/errors';
import { collectApplicationTranscodings, type TranscodingMapping } from '../core/codecs/transcodings';
import { eventToJSON, eventToTypedJSON } from '../core/events';
import { stringifyExact } from '../core/json/exact';
import type { EventStore } from '../core/stores/types';

/** Events as JSON text, one per event, joined by `separator`; `ends[i]` is where event i's text ends. */
export interface RenderedPage {
  text: string;
  ends: number[];
  /** The application transcodings its events hold, shown as stored (`custom:NAME` kinds), when any. */
  transcodings?: string[];
}

/** Items as JSON text (exact numbers), one per item, joined by `separator`. */
export function renderJSON<T>(items: T[], toJSON: (item: T) => unknown, separator: string): RenderedPage {
  const parts: string[] = new Array(items.length);
  const ends: number[] = new Array(items.length);
  let length = 0;
  for (let i = 0; i < items.length; i++) {
    const text = stringifyExact(toJSON(items[i]));
    parts[i] = text;
    length += (i ? separator.length : 0) + text.length;
    ends[i] = length;
  }
  return { text: parts.join(separator), ends };
}

/** The first `n` events of a rendered page. */
export function firstOf(page: RenderedPage, n: number): RenderedPage {
  if (n >= page.ends.length) return page;
  return { text: page.text.slice(0, n ? page.ends[n - 1] : 0), ends: page.ends.slice(0, n) };
}

/** The range of positions each read covers (a range is read whole, then cut at the range's end). */
export const RANGE = 2000;

/**
 * The events with positions in [from, from + RANGE), rendered: positions are distinct integers, so
 * one page of RANGE events from `from` holds them all. (No type filter here: a sparse one would make
 * every range scan on to the end of the store.)
 */
export async function renderRange(store: EventStore, from: number, separator: string, typed = false): Promise<RenderedPage> {
  const end = from + RANGE;
  const page = await store.readAll({ fromPosition: from, limit: RANGE });
  const last = page.items.at(-1);
  const items = !last || last.position < end ? page.items : page.items.filter((e) => e.position < end);
  const rendered = renderJSON(items, typed ? eventToTypedJSON : eventToJSON, separator);
  const transcodings = new Set<string>();
  for (const event of items) collectApplicationTranscodings(event.kinds, transcodings);
  return transcodings.size ? { ...rendered, transcodings: [...transcodings] } : rendered;
}

/** Messages of the log worker. */
export interface RangeRequest {
  id: number;
  from: number;
}
/** A rendered range, or why it failed; `ready` once the worker has opened the store. */
export type RangeReply = { id: number; page: RenderedPage } | { id: number; error: WireError } | { ready: true };
export interface LogWorkerData {
  location: string;
  cipherKey?: Uint8Array;
  /** `--transcoding`: application transcodings to decode as a known kind. */
  transcodings?: TranscodingMapping;
  separator: string;
  /** `--typed`: each event with its `kinds`. */
  typed?: boolean;
}

/** Whether `log` should read in two threads: a long read on a machine with a second core. */
export function parallelWorthIt(from: number, head: number, limit: number | undefined): boolean {
  // EVENTSCOPE_CLI_THREADS=1 reads in this thread only, =2 in two worker threads whatever the size.
  if (process.env.EVENTSCOPE_CLI_THREADS === '1') return false;
  if (process.env.EVENTSCOPE_CLI_THREADS === '2') return true;
  if (availableParallelism() < 2) return false;
  const span = head - from;
  return span >= 8 * RANGE && (limit === undefined || limit >= 8 * RANGE);
}

/** Ranges read at most at once by one worker (one being read, one queued behind it). */
const PER_READER = 2;
/** Ranges rendered at most ahead of the one being written: bounds the memory of a read. */
const MAX_AHEAD = 6;

/**
 * Rendered pages of the log from `from` up to the head as it was when the read began, in order.
 * Two worker threads read and render ranges, each with the next one already asked for, so this
 * thread mostly writes. Ranges are handed out in order as workers are free; a range nobody has
 * taken when its turn to be written comes (the workers are still starting) is read here, on
 * `store`, so the first pages do not wait for the workers to start.
 */
export async function* parallelLogPages(data: LogWorkerData, from: number, head: number, store: EventStore): AsyncGenerator<RenderedPage> {
  const starts: number[] = [];
  for (let start = from; start <= head; start += RANGE) starts.push(start);
  const pending: Promise<RenderedPage>[] = [];
  let assigned = 0; // ranges handed out so far (0 .. assigned-1), to a worker or to this thread
  let written = 0;
  const fill = () => {
    for (const reader of readers) {
      while (reader.free(PER_READER) && assigned < starts.length && assigned - written < MAX_AHEAD) {
        const i = assigned++;
        const reply = reader.read(starts[i]);
        reply.catch(() => {}); // awaited in order below; a failure meanwhile is not unhandled
        pending[i] = reply;
      }
    }
  };
  const readers = [0, 1].map(() => new RangeReader(data, fill));
  try {
    for (let i = 0; i < starts.length; i++) {
      if (pending[i] === undefined) await setImmediate(); // let a worker that has started say so (and take it)
      if (pending[i] === undefined) {
        assigned = i + 1; // ranges are handed out in order: nobody has this one or any after it
        pending[i] = renderRange(store, starts[i], data.separator, data.typed);
      }
      const page = await pending[i];
      delete pending[i];
      written = i + 1;
      fill();
      yield page;
    }
  } finally {
    await Promise.all(readers.map((r) => r.close()));
  }
}

/** One worker thread that renders ranges of the log (dist/log-worker.js). */
class RangeReader {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (page: RenderedPage) => void; reject: (error: Error) => void }>();
  private failure: Error | undefined;
  private ready = false;
  private id = 0;

  /** `onFree` is called when the worker has started, and each time it answers. */
  constructor(data: LogWorkerData, onFree: () => void) {
    this.worker = new Worker(join(__dirname, 'log-worker.js'), { workerData: data });
    this.worker.on('message', (reply: RangeReply) => {
      if ('ready' in reply) this.ready = true;
      else {
        const w = this.waiting.get(reply.id);
        this.waiting.delete(reply.id);
        if ('error' in reply) w?.reject(fromWire(reply.error));
        else w?.resolve(reply.page);
      }
      onFree();
    });
    this.worker.on('error', (error) => this.fail(new EventscopeError(`the log reader thread failed: ${error.message}`, { cause: error })));
    this.worker.on('exit', (code) => this.fail(new EventscopeError(`the log reader thread stopped (exit ${code}).`)));
  }

  /** Whether it has started and has fewer than `most` ranges to read. */
  free(most: number): boolean {
    return this.ready && !this.failure && this.waiting.size < most;
  }

  read(from: number): Promise<RenderedPage> {
    if (this.failure) return Promise.reject(this.failure);
    const request: RangeRequest = { id: ++this.id, from };
    const reply = new Promise<RenderedPage>((resolve, reject) => this.waiting.set(request.id, { resolve, reject }));
    this.worker.postMessage(request);
    return reply;
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const w of this.waiting.values()) w.reject(error);
    this.waiting.clear();
  }
}
