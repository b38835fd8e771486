/**
 * Queries of the log, for `eventscope log` and the agents' `search_events`: the store's events in
 * global order (or one stream's), narrowed by type, position or time (`--since`/`--until`), a
 * `where` expression, newest first (`--backwards`), and with `--follow` the events written
 * afterwards as they come, like `tail -f`. Pages go to the printer as they are read; nothing
 * holds the log.
 */

import { EventscopeError } from '../errors';
import type { RecordedEvent } from '../events';
import { pagesOf, type EventStore } from '../stores/types';
import type { WhereError, WhereFilter } from '../where';

/** A bound of `--since`/`--until`: a position (an integer) or a time. */
export type Bound = { position: number } | { time: number; text: string };

/** `--since`/`--until`: a position (digits) or an ISO 8601 time (a date alone is its midnight UTC). */
export function parseBound(option: string, text: string): Bound {
  if (/^\d+$/.test(text)) return { position: Number(text) };
  const time = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (!/^\d{4}-\d{2}/.test(text) || Number.isNaN(time))
    throw new EventscopeError(`--${option} takes a position or an ISO time such as 2026-11-28T06:00:00Z (got "${text}").`);
  return { time, text };
}

export interface LogQuery {
  /** One stream only (its events in revision order, which is their order in the log). */
  streamId?: string;
  types?: string[];
  from?: number;
  since?: Bound;
  until?: Bound;
  /** A compiled `where` expression (core/where.ts). */
  where?: WhereFilter;
  backwards?: boolean;
  /** Keep reading new events after the end, until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
  /** How often to look for new events when the store pushes none (ms). */
  pollMs?: number;
  /** Told once per run of an event the where expression threw on (it counts as no match). */
  onWhereError?: (error: WhereError, count: number) => void;
}

const PAGE = 1000;

function timeOf(event: RecordedEvent): number | undefined {
  if (!event.timestamp) return undefined;
  const t = Date.parse(event.timestamp);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * The events the query picks, page by page. Position bounds go to the store as the read's start
 * and end; time bounds are checked on each event, and the read ends at the first event past the
 * far bound (the log is written in time order).
 */
export async function* logPages(store: EventStore, query: LogQuery): AsyncGenerator<RecordedEvent[]> {
  const { where } = query;
  let whereErrors = 0;
  const backwards = !!query.backwards;
  const position = (b: Bound | undefined) => (b && 'position' in b ? b.position : undefined);
  const time = (b: Bound | undefined) => (b && 'time' in b ? b.time : undefined);
  const [lowPosition, highPosition] = [Math.max(query.from ?? 0, position(query.since) ?? 0), position(query.until)];
  const [lowTime, highTime] = [time(query.since), time(query.until)];
  const streamId = query.streamId;

  // An event's time is parsed only when a bound is a time.
  const timed = lowTime !== undefined || highTime !== undefined;
  /** Whether an event is past the far end of the bounds (the read stops there). */
  const beyond = (e: RecordedEvent) => {
    const t = timed ? timeOf(e) : undefined;
    return backwards
      ? e.position < lowPosition || (lowTime !== undefined && t !== undefined && t < lowTime)
      : (highPosition !== undefined && e.position > highPosition) || (highTime !== undefined && t !== undefined && t > highTime);
  };
  const within = (e: RecordedEvent) => {
    if (e.position < lowPosition || (highPosition !== undefined && e.position > highPosition)) return false;
    if (!timed) return true;
    const t = timeOf(e);
    if (t === undefined) return lowTime === undefined && highTime === undefined;
    return (lowTime === undefined || t >= lowTime) && (highTime === undefined || t <= highTime);
  };
  const pick = (items: RecordedEvent[]): { picked: RecordedEvent[]; done: boolean } => {
    const cut = items.findIndex(beyond);
    const kept = (cut < 0 ? items : items.slice(0, cut)).filter(within);
    let picked = kept;
    if (where && kept.length) {
      const { matches, errors } = where.select(kept);
      for (const error of errors) query.onWhereError?.(error, ++whereErrors);
      picked = kept.filter((_, i) => matches[i]);
    }
    return { picked, done: cut >= 0 };
  };

  const read = (start: number | undefined, size: number | undefined) =>
    streamId !== undefined
      ? store.readStream(streamId, {
          fromRevision: start,
          limit: size,
          types: query.types,
          direction: backwards ? 'backwards' : 'forwards',
        })
      : store.readAll({ fromPosition: start, limit: size, types: query.types, direction: backwards ? 'backwards' : 'forwards' });
  const start = streamId !== undefined ? undefined : backwards ? highPosition : lowPosition || undefined;
  let last: RecordedEvent | undefined;
  for await (const items of pagesOf(read, { from: start, pageSize: PAGE })) {
    if (items.length) last = items[items.length - 1];
    const { picked, done } = pick(items);
    if (picked.length) yield picked;
    if (done) return;
  }
  if (!query.follow || backwards) return;

  // Following: the events written from now on, as the store says there are some (its push where
  // it has one, else a poll of its head).
  let head = last?.position ?? (await store.headPosition());
  let revision = last?.revision;
  let wake: (() => void) | undefined;
  let feed: { close(): void } | undefined;
  try {
    feed = store.watch?.(
      () => wake?.(),
      () => undefined,
    );
  } catch {
    // no push: polling does
  }
  const signal = query.signal;
  try {
    while (!signal?.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, query.pollMs ?? 500);
        function done() {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          wake = undefined;
          resolve();
        }
        wake = done;
        signal?.addEventListener('abort', done);
      });
      if (signal?.aborted) return;
      const newHead = await store.headPosition();
      if (newHead <= head) continue;
      const from = streamId !== undefined ? (revision ?? 0) + 1 : head + 1;
      for await (const items of pagesOf(read, { from, pageSize: PAGE })) {
        const fresh = items.filter((e) => e.position > head);
        if (!fresh.length) continue;
        revision = fresh[fresh.length - 1].revision;
        const { picked, done } = pick(fresh);
        if (picked.length) yield picked;
        if (done) return;
      }
      head = newHead;
    }
  } finally {
    feed?.close();
  }
}

/** The first `limit` items of a run of pages (the pages after are not read). */
export async function* firstItems<T>(pages: AsyncGenerator<T[]>, limit: number): AsyncGenerator<T[]> {
  let remaining = limit;
  try {
    for await (const items of pages) {
      const taken = items.length > remaining ? items.slice(0, remaining) : items;
      remaining -= taken.length;
      if (taken.length) yield taken;
      if (remaining <= 0) return;
    }
  } finally {
    await pages.return(undefined);
  }
}
