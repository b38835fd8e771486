/**
 * The marks of a replay panel's timeline and slider: which steps carry one and of what kind. The
 * page draws them (webview/src/state.ts builds them whenever a kind changes); the extension-host
 * tests build them from the host's messages the same way. The invariant's marks are its breaks
 * (core/projection/breaks.ts), not every step after which it fails. No imports: bundled for the
 * browser and for Node.
 */

/** `failure`: the invariant breaks there; `found`: Find first failure / Next stopped there. */
export type MarkKind = 'error' | 'failure' | 'found' | 'hit';

/** The mark of a step (its most important kind), and what it says. */
export interface StepMark {
  kind: MarkKind;
  title: string;
}

/** The steps that need attention. */
export interface Marks {
  /** What the timeline shows at a step: the most important kind, and every message in the title. */
  byIndex: ReadonlyMap<number, StepMark>;
  /** Every marked step with its kind (errors, breaks, found, hits, in that order): the slider's ticks. */
  steps: readonly (readonly [number, MarkKind])[];
}

/** What the marks are made of: messages by step, and the breakpoint hits. */
export interface MarkSources {
  errors: ReadonlyMap<number, string>;
  /** The steps where the invariant breaks (the summary's `breaks`). */
  breaks: ReadonlyMap<number, string>;
  found: ReadonlyMap<number, string>;
  hits: readonly number[];
  hitSet: ReadonlySet<number>;
}

export function buildMarks({ errors, breaks, found, hits, hitSet }: MarkSources): Marks {
  const steps: [number, MarkKind][] = [
    ...[...errors.keys()].map((i): [number, MarkKind] => [i, 'error']),
    ...[...breaks.keys()].map((i): [number, MarkKind] => [i, 'failure']),
    ...[...found.keys()].map((i): [number, MarkKind] => [i, 'found']),
    ...hits.map((i): [number, MarkKind] => [i, 'hit']),
  ];
  const byIndex = new Map<number, StepMark>();
  for (const [index] of steps) {
    if (byIndex.has(index)) continue;
    const error = errors.get(index);
    const broke = breaks.get(index);
    const foundMessage = found.get(index);
    const hit = hitSet.has(index);
    const titles = [
      error && `Handler error: ${error}`,
      broke && `The invariant breaks here: ${broke}`,
      foundMessage && `Found: ${foundMessage}`,
      hit && 'Breakpoint hit',
    ].filter(Boolean);
    const kind: MarkKind | undefined = error ? 'error' : broke ? 'failure' : foundMessage ? 'found' : hit ? 'hit' : undefined;
    if (kind) byIndex.set(index, { kind, title: titles.join('\n') });
  }
  return { byIndex, steps };
}
