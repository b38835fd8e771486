/**
 * Event pages rendered as JSON text, and `log`'s parallel read: two worker threads (dist/log-worker.js)
 * read and render alternate ranges of positions while this thread writes the pages in order.
 * Decoding and printing are CPU-bound and per event, so a long `log --json` uses both cores; the
 * output is byte for byte that of the sequential read.
 */

import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { EventscopeError, fromWire, type WireError } from '../core/errors';
import { eventToJSON } from '../core/events';
import { stringifyExact } from '../core/json/exact';
import type { EventStore } from '../core/stores/types';

/** Events as JSON text, one per event, joined by `separator`; `ends[i]` is where event i's text ends. */
export interface RenderedPage {
  text: string;
  ends: number[];
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
export async function renderRange(store: EventStore, from: number, separator: string): Promise<RenderedPage> {
  const end = from + RANGE;
  const page = await store.readAll({ fromPosition: from, limit: RANGE });
  const last = page.items.at(-1);
  const items = !last || last.position < end ? page.items : page.items.filter((e) => e.position < end);
  return renderJSON(items, eventToJSON, separator);
}

/** Messages of the log worker. */
export interface RangeRequest {
  id: number;
  from: number;
}
export type RangeReply = { id: number; page: RenderedPage } | { id: number; error: WireError };
export interface LogWorkerData {
  location: string;
  cipherKey?: Uint8Array;
  separator: string;
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

/**
 * Rendered pages of the log from `from` up to the head as it was when the read began, in order.
 * Two worker threads read and render alternate ranges, each with the next range already asked for,
 * so this thread only writes (and up to four ranges are in memory).
 */
export async function* parallelLogPages(data: LogWorkerData, from: number, head: number): AsyncGenerator<RenderedPage> {
  const readers = [0, 1].map(() => new RangeReader(data));
  try {
    const starts: number[] = [];
    for (let start = from; start <= head; start += RANGE) starts.push(start);
    const pending: Promise<RenderedPage>[] = [];
    const ask = (i: number) => {
      if (i >= starts.length) return;
      const reply = readers[i % readers.length].read(starts[i]);
      reply.catch(() => {}); // awaited in order below; a failure meanwhile is not unhandled
      pending[i] = reply;
    };
    const AHEAD = 2 * readers.length;
    for (let i = 0; i < AHEAD; i++) ask(i);
    for (let i = 0; i < starts.length; i++) {
      const page = await pending[i];
      delete pending[i];
      ask(i + AHEAD);
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
  private id = 0;

  constructor(data: LogWorkerData) {
    this.worker = new Worker(join(__dirname, 'log-worker.js'), { workerData: data });
    this.worker.on('message', (reply: RangeReply) => {
      const w = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if ('error' in reply) w?.reject(fromWire(reply.error));
      else w?.resolve(reply.page);
    });
    this.worker.on('error', (error) => this.fail(new EventscopeError(`the log reader thread failed: ${error.message}`, { cause: error })));
    this.worker.on('exit', (code) => this.fail(new EventscopeError(`the log reader thread stopped (exit ${code}).`)));
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
