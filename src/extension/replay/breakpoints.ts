/**
 * The breakpoints of a replay panel: what the page set (event types, conditions), where they hit
 * (the worker scans the replay and lists the first MARK_LIMIT hits), and the step "run to the
 * next / previous breakpoint" goes to, scanning on past the listed hits when there are more.
 */

import type { ReplaySession } from '../../core/projection/session';
import type { Breakpoint, HostMessage } from '../../shared/replayProtocol';
import { upperBound } from '../../core/sorted';

export class Breakpoints {
  /** Steps where the breakpoints hit, ascending (the first MARK_LIMIT, as the core lists them). */
  private hits: number[] = [];
  /** There are hits past the last one listed. */
  private truncated = false;
  private problems: string[] = [];

  constructor(public specs: Breakpoint[] = []) {}

  /** Finds where the breakpoints hit; answers the page's `hits` message. */
  async scan(session: ReplaySession): Promise<HostMessage & { type: 'hits' }> {
    if (!this.specs.length) {
      this.hits = [];
      this.problems = [];
      this.truncated = false;
    } else {
      // A condition that does not compile or throws comes back in `problems`; the others still hit.
      const result = await session.scan(this.specs);
      this.hits = result.hits;
      this.problems = result.problems;
      this.truncated = result.truncated;
    }
    return { type: 'hits', hits: this.hits, problems: this.problems, truncated: this.truncated };
  }

  /** The step "run to breakpoint" goes to from the cursor, or why the cursor stays. */
  async runTo(
    session: ReplaySession | undefined,
    direction: 'forward' | 'backward',
    cursor: number,
    steps: number,
  ): Promise<{ index: number } | { notice: string }> {
    if (!this.specs.length) return { notice: 'There are no breakpoints: add an event type or a condition first.' };
    const index = direction === 'forward' ? await this.next(session, cursor, steps) : await this.previous(session, cursor);
    if (index === undefined) return { notice: `No breakpoint hit ${direction === 'forward' ? 'after' : 'before'} step ${cursor + 1}.` };
    return { index };
  }

  /** The first hit after the cursor: from the known hits, or (past the listed ones) a scan from there. */
  private async next(session: ReplaySession | undefined, cursor: number, steps: number): Promise<number | undefined> {
    const known = this.hits[upperBound(this.hits, cursor)];
    if (known !== undefined || !this.truncated || !session) return known;
    if (cursor + 1 >= steps) return undefined;
    return (await session.scan(this.specs, cursor + 1)).hits[0];
  }

  /** The last hit before the cursor: from the known hits, or scans between the last known one and the cursor. */
  private async previous(session: ReplaySession | undefined, cursor: number): Promise<number | undefined> {
    let best = this.hits[upperBound(this.hits, cursor - 1) - 1];
    if (!this.truncated || !session || (best !== undefined && best < this.hits[this.hits.length - 1])) return best;
    for (let from = (best ?? -1) + 1; from < cursor;) {
      const { hits, truncated } = await session.scan(this.specs, from);
      const before = hits.filter((h) => h < cursor);
      if (before.length) best = before[before.length - 1];
      if (!truncated || before.length < hits.length) break;
      from = hits[hits.length - 1] + 1;
    }
    return best;
  }
}
