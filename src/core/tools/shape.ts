/**
 * Answers small enough for a model's context: values made plain JSON (bigints and non-finite
 * numbers as strings, which JSON cannot hold exactly) with long strings, long arrays, wide objects
 * and deep nesting cut, each cut noted once with how to get the value whole; and lists cut to a
 * byte budget.
 */

import { stringifyExact } from '../json/exact';

export const ANSWER_BUDGET_BYTES = 20_000;

export interface ShapeLimits {
  /** Longest string kept whole (characters). */
  string: number;
  /** Most items of an array kept. */
  items: number;
  /** Most keys of an object kept. */
  keys: number;
  /** Deepest nesting kept. */
  depth: number;
}

export const DEFAULT_LIMITS: ShapeLimits = { string: 300, items: 20, keys: 40, depth: 6 };
/** For one value asked for whole (show_event): only what would not fit at all is cut. */
export const WHOLE_LIMITS: ShapeLimits = { string: 8000, items: 200, keys: 200, depth: 12 };

/** What was cut while shaping, said once per kind of cut. */
export class Cuts {
  private readonly said = new Set<string>();
  readonly notes: string[] = [];

  note(kind: string, text: string): void {
    if (this.said.has(kind)) return;
    this.said.add(kind);
    this.notes.push(text);
  }
}

/** `value` as plain JSON within `limits`; the cuts go to `cuts` with `whole` (how to get it whole). */
export function shapeValue(value: unknown, cuts: Cuts, whole: string, limits: ShapeLimits = DEFAULT_LIMITS): unknown {
  const walk = (v: unknown, depth: number): unknown => {
    switch (typeof v) {
      case 'bigint':
        return v.toString();
      case 'number':
        return Number.isFinite(v) ? v : String(v);
      case 'string':
        if (v.length <= limits.string) return v;
        cuts.note('string', `Strings longer than ${limits.string} characters are cut ("…(N more characters)"); ${whole}.`);
        return `${v.slice(0, limits.string)}…(${v.length - limits.string} more characters)`;
      case 'undefined':
      case 'function':
      case 'symbol':
        return null;
      case 'boolean':
        return v;
    }
    if (v === null) return null;
    if (depth >= limits.depth) {
      cuts.note('depth', `Values nested deeper than ${limits.depth} levels are shown as "…"; ${whole}.`);
      return '…';
    }
    if (Array.isArray(v)) {
      const kept = v.slice(0, limits.items).map((item) => walk(item, depth + 1));
      if (v.length > limits.items) {
        cuts.note('items', `Arrays longer than ${limits.items} items are cut (the last item says how many more); ${whole}.`);
        kept.push(`…(${v.length - limits.items} more items)`);
      }
      return kept;
    }
    if (v instanceof Map) return walk(Object.fromEntries(v), depth);
    if (v instanceof Set) return walk([...v], depth);
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
    if (v instanceof Uint8Array) return walk(Buffer.from(v).toString('base64'), depth);
    const out: Record<string, unknown> = {};
    const keys = Object.keys(v as object);
    for (const key of keys.slice(0, limits.keys)) out[key] = walk((v as Record<string, unknown>)[key], depth + 1);
    if (keys.length > limits.keys) {
      cuts.note('keys', `Objects with more than ${limits.keys} keys are cut (key "…" says how many more); ${whole}.`);
      out['…'] = `${keys.length - limits.keys} more keys`;
    }
    return out;
  };
  return walk(value, 0);
}

/** The size in bytes of a value as an answer carries it. */
export function answerBytes(value: unknown): number {
  return Buffer.byteLength(stringifyExact(value) ?? '');
}

/**
 * The longest prefix of `items` whose answer (`build(prefix)`) fits `budget` bytes, at least one
 * item when there is one: the answer and how many items it holds.
 */
export function fitItems<T, A>(
  items: readonly T[],
  build: (items: readonly T[]) => A,
  budget = ANSWER_BUDGET_BYTES,
): { answer: A; kept: number } {
  const whole = build(items);
  if (items.length <= 1 || answerBytes(whole) <= budget) return { answer: whole, kept: items.length };
  // The answer grows with its items: a binary search for the longest prefix that fits.
  let [fits, tooBig] = [1, items.length];
  while (tooBig - fits > 1) {
    const mid = (fits + tooBig) >> 1;
    if (answerBytes(build(items.slice(0, mid))) <= budget) fits = mid;
    else tooBig = mid;
  }
  return { answer: build(items.slice(0, fits)), kept: fits };
}
