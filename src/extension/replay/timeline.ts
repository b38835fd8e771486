/**
 * The timeline of a replay panel: the rows the page asks for, a window at a time (fast scrolling
 * asks for many: the newest few win), and the filter (the steps whose event type, stream id or
 * stream label matches, found by the worker), with the moves that step between the steps it shows.
 */

import type { RecordedEvent } from '../../core/events';
import type { ReplaySession } from '../../core/projection/session';
import type { HostMessage, StepMove, TimelineRow } from '../../shared/replayProtocol';
import type { Log } from '../log';
import { indexIn, upperBound } from '../../core/sorted';

/** Rows the page may ask for at once. */
const MAX_ROWS = 500;

export function rowOf(event: RecordedEvent, index: number, label?: string): TimelineRow {
  return {
    index,
    type: event.type,
    streamId: event.streamId,
    revision: event.revision,
    position: event.position,
    timestamp: event.timestamp,
    ...(label !== undefined ? { label } : {}),
  };
}

/** What the timeline reads of its panel. */
export interface TimelineHost {
  readonly log: Log;
  /** The replay's session (none before it opened). */
  session(): ReplaySession | undefined;
  /** Whether the replay is open (not opening, failed or closed). */
  isOpen(): boolean;
  /** How many steps the replay has. */
  steps(): number;
  /** The step at the cursor. */
  cursor(): number;
  /** Resolves when the open / re-run in progress is done. */
  settled(): Promise<void>;
  post(message: HostMessage): void;
}

export class Timeline {
  /** The filter's text ('' shows every step). */
  filter: string;
  /** Steps the filter lets through, ascending (undefined: no filter). */
  private matches: number[] | undefined;
  /** Counts filter changes: rows asked for under an older filter are not sent. */
  private version = 0;
  private filtering = false;
  private rowQueue: { from: number; count: number; version: number }[] = [];
  private rowsRunning: Promise<void> | undefined;

  constructor(
    private readonly host: TimelineHost,
    filter = '',
  ) {
    this.filter = filter;
  }

  /** The row of a step in the timeline as shown (-1 when the filter hides it). */
  rowFor(index: number): number {
    return this.matches ? indexIn(this.matches, index) : index;
  }

  /** The page's cursor message for a step. */
  cursorMessage(index: number, atEnd?: true): HostMessage {
    return { type: 'cursor', cursor: { index, row: this.rowFor(index) }, ...(atEnd ? { atEnd } : {}) };
  }

  /**
   * Where first / back / forward / last goes from `cursor`; with a filter, between the steps it
   * shows: a step, 'end' (nowhere further), or 'empty' (the filter matches nothing: the page was told).
   */
  destination(to: StepMove, cursor: number, steps: number): number | 'end' | 'empty' {
    const list = this.matches;
    if (!list) {
      if (to === 'first') return 0;
      if (to === 'last') return steps - 1;
      return to === 'forward' ? Math.min(cursor + 1, steps - 1) : Math.max(cursor - 1, 0);
    }
    if (!list.length) {
      const message = this.filtering ? 'No event matches the filter yet.' : `No event matches the filter "${this.filter}".`;
      this.host.post({ type: 'notice', level: 'info', message });
      return 'empty';
    }
    const target =
      to === 'first'
        ? list[0]
        : to === 'last'
          ? list[list.length - 1]
          : to === 'forward'
            ? list[upperBound(list, cursor)]
            : list[upperBound(list, cursor - 1) - 1];
    return target ?? 'end';
  }

  /** Answers the page's request for rows (requests queue; resolves when this one was answered or dropped). */
  requestRows(from: number, count: number, version: number): Promise<void> {
    this.rowQueue.push({ from, count: Math.min(count, MAX_ROWS), version });
    // Scrolling fast asks for many windows: only the newest few still matter.
    if (this.rowQueue.length > 4) this.rowQueue.splice(0, this.rowQueue.length - 4);
    this.rowsRunning ??= this.rowLoop();
    return this.rowsRunning;
  }

  private async rowLoop(): Promise<void> {
    try {
      await this.host.settled();
      for (let next = this.rowQueue.shift(); next; next = this.rowQueue.shift()) {
        const session = this.host.session();
        if (next.version !== this.version || !session || !this.host.isOpen()) continue;
        try {
          const rows = await this.rows(session, next.from, next.count);
          if (next.version === this.version) this.host.post({ type: 'rows', from: next.from, rows, version: next.version });
        } catch (error) {
          this.host.log.error(`Reading timeline rows ${next.from}… failed`, error);
        }
      }
    } finally {
      this.rowsRunning = undefined;
    }
  }

  /** Timeline rows with their streams' labels (read once per stream by the worker). */
  private async rows(session: ReplaySession, from: number, count: number): Promise<TimelineRow[]> {
    const rows = await this.unlabelledRows(session, from, count);
    const labels = await session.labels([...new Set(rows.map((r) => r.streamId))]);
    return labels.size ? rows.map((r) => (labels.has(r.streamId) ? { ...r, label: labels.get(r.streamId) } : r)) : rows;
  }

  private async unlabelledRows(session: ReplaySession, from: number, count: number): Promise<TimelineRow[]> {
    const steps = this.host.steps();
    if (!this.matches) {
      if (from >= steps) return [];
      const events = await session.events(from, Math.min(count, steps - from));
      return events.map((event, i) => rowOf(event, from + i));
    }
    const wanted = this.matches.slice(from, from + count);
    const events = await session.eventsAt(wanted);
    return wanted.flatMap((index) => {
      const event = events.get(index);
      return event ? [rowOf(event, index)] : [];
    });
  }

  /** Filters the timeline by text in the event type, stream id or stream label (the worker reads every event). */
  async setFilter(text: string): Promise<void> {
    const filter = text.trim();
    this.filter = filter;
    const version = ++this.version;
    const steps = this.host.steps();
    const session = this.host.session();
    if (!filter || !session) {
      this.matches = undefined;
      this.filtering = false;
      this.host.post({ type: 'timeline', total: steps, filter, filtering: false, version });
      if (steps) this.host.post(this.cursorMessage(this.host.cursor()));
      return;
    }
    this.matches = [];
    this.filtering = true;
    this.host.post({ type: 'timeline', total: 0, filter, filtering: true, version });
    const matches = await session.filter(filter);
    if (version !== this.version) return;
    this.matches = matches;
    this.filtering = false;
    this.host.post({ type: 'timeline', total: matches.length, filter, filtering: false, version });
    this.host.post(this.cursorMessage(this.host.cursor()));
  }
}
