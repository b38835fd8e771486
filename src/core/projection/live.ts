/**
 * Live steps: steps a debugger watches run (src/debug). Breakpoints in the user's projection code
 * are real V8 breakpoints, set by the debug adapter through Node's inspector on the replay worker;
 * each carries the condition `liveCondition(...)`, which calls the hook this module puts on the
 * worker's global object. So a breakpoint pauses only while a live step runs — never while the
 * replay re-runs earlier events to rebuild a state (seeking, scans, step back) — and the hook
 * counts hits (DAP hit conditions), notes that the live run should end after this event, and lets
 * the adapter read the event being applied while the worker is paused.
 */

import { serialize } from 'node:v8';
import type { RecordedEvent } from '../events';

/** The name of the hook on the worker's global object (a breakpoint condition reaches it by name). */
export const LIVE_HOOK = '__eventscope';

/** Whether the `n`th hit (1-based) passes a DAP hit condition (`3`, `>= 3`, `% 2`…); none or unreadable: every hit. */
export function hitPasses(condition: string | undefined, n: number): boolean {
  const m = condition === undefined ? null : /^\s*(>=|<=|==|=|>|<|%)?\s*(\d+)\s*$/.exec(condition);
  if (!m) return true;
  const k = Number(m[2]);
  switch (m[1]) {
    case '>=':
      return n >= k;
    case '>':
      return n > k;
    case '<=':
      return n <= k;
    case '<':
      return n < k;
    case '%':
      return k > 0 && n % k === 0;
    default:
      return n === k;
  }
}

/**
 * The V8 condition of breakpoint `id`: it pauses only in a live step, when the user's `condition`
 * (evaluated in the paused frame, over its locals) holds and the hit count passes `hitCondition`.
 */
export function liveCondition(id: number, condition?: string, hitCondition?: string): string {
  const hook = `globalThis.${LIVE_HOOK}`;
  const user = condition?.trim() ? ` && (${condition})` : '';
  return `${hook}?.live === true${user} && ${hook}.hit(${id}, ${JSON.stringify(hitCondition ?? '')})`;
}

/** What the adapter reads while the worker is paused: the step being applied (v8-serialized, base64). */
export interface LiveSnapshot {
  index: number;
  event: RecordedEvent;
}

/** The live run in progress (one per worker). */
class LiveRun {
  live = false;
  index = -1;
  event: RecordedEvent | undefined;
  /** End the run after the current event: a breakpoint hit in it, or the debugger asked to. */
  stop = false;
  private readonly counts = new Map<number, number>();

  /** Called by a breakpoint's condition when it is reached in a live step. */
  hit(id: number, hitCondition: string): boolean {
    const n = (this.counts.get(id) ?? 0) + 1;
    this.counts.set(id, n);
    if (!hitPasses(hitCondition || undefined, n)) return false;
    this.stop = true;
    return true;
  }

  /** The step being applied, for the adapter (read through the inspector while paused). */
  snapshot(): string {
    return serialize({ index: this.index, event: this.event } satisfies Partial<LiveSnapshot>).toString('base64');
  }

  /** Forgets hit counts (a new debug session, or the projection re-ran). */
  resetCounts(): void {
    this.counts.clear();
  }
}

export const liveRun = new LiveRun();

/** Puts the hook on the global object user code runs in (the worker's). */
export function installLiveHook(): void {
  Object.defineProperty(globalThis, LIVE_HOOK, { value: liveRun, enumerable: false, configurable: true });
}
