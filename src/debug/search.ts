/**
 * Where a debug run stops, found by scans in the replay worker (no stepping event by event): the
 * next or previous hit of the armed breakpoints (event types, conditions, data breakpoints; hit
 * counts from the first event), the first invariant failure, a partition's next or previous event.
 */

import { hitPasses } from '../core/projection/live';
import type { ReplaySession } from '../core/projection/session';
import type { Breakpoint, Mark } from '../core/projection/types';

/** A breakpoint of the session, in the core's terms, and what the client asked for. */
export interface Armed {
  spec: Breakpoint;
  /** A DAP hit condition: `3`, `>= 3`, `> 2`, `== 3`, `% 2`. */
  hitCondition?: string;
  /** Why it stops: 'function breakpoint', 'data breakpoint'. */
  reason: string;
  verified: boolean;
  description: string;
  /** The id the client knows it by (to update it). */
  id: number;
}

/** Where and why a run stops. */
export type Stop = Mark & { reason: string; description: string };

/** The stop at step `index` that breakpoint `armed` makes. */
function stopOf(index: number, armed: Armed): Stop {
  return { index, message: armed.description, reason: armed.reason, description: armed.description };
}

/** The expression a data breakpoint on `path` of the state stands for: the value there changed. */
export function changedExpression(path: readonly (string | number)[]): string {
  const at = (root: string) => `${root}${path.map((p) => `?.[${JSON.stringify(p)}]`).join('')}`;
  const text = `((v) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() + 'n' : x)))`;
  return `${text}(${at('before')}) !== ${text}(${at('state')})`;
}

/** The last match before `end`, searching windows backwards, each twice as long as the last. */
async function lastBefore<T extends { index: number }>(
  end: number,
  lastIn: (start: number, end: number) => Promise<T | undefined>,
): Promise<T | undefined> {
  for (let size = 256; end > 0; size *= 2) {
    const start = Math.max(0, end - size);
    const found = await lastIn(start, end);
    if (found) return found;
    end = start;
  }
  return undefined;
}

export class StopSearch {
  constructor(
    private readonly session: ReplaySession,
    /** The launch's invariant expression (else the projection's own). */
    private readonly invariant: string | undefined,
  ) {}

  /** The hits of one breakpoint in [start, end): with a hit condition, only those that pass it (counted from step 0). */
  private async hits(armed: Armed, start: number, end: number, limit?: number): Promise<number[]> {
    if (armed.hitCondition === undefined)
      return (await this.session.scan([armed.spec], start, { to: end, ...(limit ? { limit } : {}) })).hits;
    const all = (await this.session.scan([armed.spec], 0, { to: end })).hits;
    return all.filter((h, i) => h >= start && hitPasses(armed.hitCondition, i + 1));
  }

  /** The first step in [from, to) where one of `armed` hits. */
  async next(armed: Armed[], from: number, to: number): Promise<Stop | undefined> {
    let best: { index: number; armed: Armed } | undefined;
    for (const a of armed) {
      const bound = best ? best.index : to;
      if (bound <= from) break;
      const [index] = await this.hits(a, from, bound, 1);
      if (index !== undefined && (!best || index < best.index)) best = { index, armed: a };
    }
    return best && stopOf(best.index, best.armed);
  }

  /** The last step at or before `from` where one of `armed` hits. */
  async previous(armed: Armed[], from: number): Promise<Stop | undefined> {
    return lastBefore(from + 1, async (start, end) => {
      let best: { index: number; armed: Armed } | undefined;
      for (const a of armed) {
        const last = (await this.hits(a, start, end)).at(-1);
        if (last !== undefined && (!best || last > best.index)) best = { index: last, armed: a };
      }
      return best && stopOf(best.index, best.armed);
    });
  }

  /**
   * The first step in [from, to) after which the invariant (the launch's, or the projection's own)
   * breaks (goes from holding to failing: core/projection/breaks.ts), or a handler threw.
   */
  async failure(from: number, to: number): Promise<Stop | undefined> {
    const { summary } = this.session;
    if (this.invariant === undefined && !summary.hasInvariant && !summary.errors.length) return undefined;
    const mark = await this.session.firstFailure(from, this.invariant);
    if (!mark || mark.index >= to) return undefined;
    return { ...mark, reason: 'exception', description: mark.message };
  }

  /** The next (after `from`) or previous (before it) step that changes a partition's state (a partitioned KurrentDB projection). */
  async partition(partition: string, from: number, direction: 1 | -1): Promise<number | undefined> {
    const spec: Breakpoint = { kind: 'condition', expression: changedExpression(['partitions', partition]) };
    if (direction === 1) return (await this.session.scan([spec], from + 1, { limit: 1 })).hits[0];
    const last = await lastBefore(from, async (start, end) => {
      const index = (await this.session.scan([spec], start, { to: end })).hits.at(-1);
      return index === undefined ? undefined : { index };
    });
    return last?.index;
  }
}
