/**
 * Invariant breaks: the steps after which the invariant goes from holding to failing. The one
 * place they are decided, from each step's verdict, for the first pass (the projection's own
 * invariant), for a typed expression (the panel's box, `--invariant`, a launch's `invariant`), and
 * so for the CLI, the panel and the debugger alike.
 *
 * A state kept per partition (ProjectionEngine.partitionOf: a stream, a `partitionBy` key) breaks
 * per partition: a failing step is a break when the previous step of the same partition held (or
 * there was none). A state that is one whole breaks when the step before held. A failure that
 * heals and fails again breaks twice; the steps that stay broken in between are not breaks.
 */

import { MARK_LIMIT, type Break, type BreakList } from './types';

/** The partition of a state that is one whole (and of events that belong to no partition). */
const WHOLE = '';

export class BreakTracker {
  /** The partitions whose last verdict failed. */
  private readonly failing = new Set<string>();
  private readonly list: Break[] = [];
  private truncated = false;
  private failingSteps = 0;

  constructor(
    /** Whether the state is partitioned (breaks then name their partition). */
    private readonly partitioned: boolean,
    /** Breaks before this step are tracked but not listed. */
    private readonly from = 0,
    private readonly limit = MARK_LIMIT,
  ) {}

  /** Whether some partition fails now: only then does a holding verdict need its partition. */
  get anyFailing(): boolean {
    return this.failing.size > 0;
  }

  /**
   * Step `index`'s verdict: `failure` (a message) or undefined (it holds), for `partition`
   * (undefined: the whole state, or no partition). Returns the break when the step is one.
   */
  record(index: number, partition: string | undefined, failure: string | undefined): Break | undefined {
    const key = partition ?? WHOLE;
    if (failure === undefined) {
      if (this.failing.size) this.failing.delete(key);
      return undefined;
    }
    if (index >= this.from) this.failingSteps++;
    if (this.failing.has(key)) return undefined;
    this.failing.add(key);
    if (index < this.from) return undefined;
    const found: Break = { index, message: failure, ...(this.partitioned && key !== WHOLE ? { partition: key } : {}) };
    if (this.list.length < this.limit) this.list.push(found);
    else this.truncated = true;
    return found;
  }

  /** Whether `limit` breaks have been listed (a search for the first one may stop). */
  get full(): boolean {
    return this.list.length >= this.limit;
  }

  result(): BreakList {
    return { breaks: this.list, truncated: this.truncated, failingSteps: this.failingSteps };
  }
}

/** "2 breaks (first at step 226)", "1 break (at step 226)", "no breaks": the same words in the CLI, the panel and the debugger. */
export function describeBreaks(breaks: readonly Break[], truncated = false): string {
  const first = breaks[0];
  if (!first) return 'no breaks';
  const n = `${breaks.length.toLocaleString('en-US')}${truncated ? '+' : ''}`;
  return breaks.length === 1 && !truncated ? `1 break (at step ${first.index + 1})` : `${n} breaks (first at step ${first.index + 1})`;
}
