/**
 * What a step changed: a jsondiffpatch delta between the state before and after. jsondiffpatch
 * walks every node of both states through its filter pipeline, which takes seconds on a state of
 * tens of MB (a generic replay of a big store), though one event changes a few paths. So plain
 * objects are descended here first, skipping the values that are the same; jsondiffpatch diffs
 * what differs (arrays, changed values, added and removed keys) and makes every piece of the
 * delta, which is therefore the same delta it would make for the whole states.
 */

import { create, type Delta } from 'jsondiffpatch';

/** The library, configured: array items with an `id` are matched by it (moves, not remove + add), others by position. */
export const differ = create({
  // (jsondiffpatch asks for null items too: typeof null is 'object'.)
  objectHash: (item: object | null, index?: number) => String((item as { id?: unknown } | null)?.id ?? `$$index:${index}`),
});

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Deep equality of JSON-like values (what a replay state holds), without allocating. */
function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (!Object.hasOwn(b, key) || !same(a[key], b[key])) return false;
  return true;
}

export function diffStates(before: unknown, after: unknown): Delta {
  if (!isPlainObject(before) || !isPlainObject(after)) return same(before, after) ? undefined : differ.diff(before, after);
  let delta: Record<string, Delta> | undefined;
  const put = (key: string, piece: Delta) => {
    if (piece !== undefined) (delta ??= {})[key] = piece;
  };
  for (const key of Object.keys(before)) {
    if (Object.hasOwn(after, key)) put(key, diffStates(before[key], after[key]));
    else put(key, (differ.diff({ [key]: before[key] }, {}) as Record<string, Delta>)[key]);
  }
  for (const key of Object.keys(after)) {
    if (!Object.hasOwn(before, key)) put(key, (differ.diff({}, { [key]: after[key] }) as Record<string, Delta>)[key]);
  }
  return delta;
}
