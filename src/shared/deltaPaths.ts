/**
 * A jsondiffpatch delta (https://github.com/benjamine/jsondiffpatch/blob/master/docs/deltas.md)
 * as a flat list of changed paths, for the replay panel's Diff tab and State highlights:
 * added `[new]`, changed `[old, new]`, removed `[old, 0, 0]`, text diffs `[patch, 0, 2]`, array
 * moves `["", to, 3]`, nested objects `{key: delta}` and arrays `{_t: "a", N: delta, _N: delta}`.
 * No imports: bundled for the browser and for Node.
 */

export type PathPart = string | number;

export type ChangeKind = 'added' | 'removed' | 'changed' | 'moved' | 'text';

export interface Change {
  path: PathPart[];
  kind: ChangeKind;
  before?: unknown;
  after?: unknown;
  /** For a move: the new index. */
  to?: number;
  /** For a text diff: the patch text. */
  patch?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every change in a delta, in path order (object keys as they come, array indexes ascending). */
export function flattenDelta(delta: unknown): Change[] {
  const out: Change[] = [];
  walk(delta, [], out);
  return out;
}

function walk(delta: unknown, path: PathPart[], out: Change[]): void {
  if (delta === undefined || delta === null) return;
  if (Array.isArray(delta)) {
    if (delta.length === 1) out.push({ path, kind: 'added', after: delta[0] });
    else if (delta.length === 2) out.push({ path, kind: 'changed', before: delta[0], after: delta[1] });
    else if (delta.length === 3 && delta[2] === 0) out.push({ path, kind: 'removed', before: delta[0] });
    else if (delta.length === 3 && delta[2] === 2) out.push({ path, kind: 'text', patch: String(delta[0]) });
    else if (delta.length === 3 && delta[2] === 3) out.push({ path, kind: 'moved', to: Number(delta[1]) });
    return;
  }
  if (!isRecord(delta)) return;
  if (delta._t === 'a') {
    // `_N` keys index the old array (removals, moves), `N` keys the new one (additions, changes).
    const keys = Object.keys(delta).filter((k) => k !== '_t');
    const index = (k: string) => Number(k.startsWith('_') ? k.slice(1) : k);
    keys.sort((a, b) => index(a) - index(b) || (a.startsWith('_') ? -1 : 1));
    for (const key of keys) walk(delta[key], [...path, index(key)], out);
    return;
  }
  for (const key of Object.keys(delta)) walk(delta[key], [...path, key], out);
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `balances["8b79…"]`, `items[3].name`: a path as JavaScript would reach it from the state. */
export function formatPath(path: readonly PathPart[], root = ''): string {
  let text = root;
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else if (IDENTIFIER.test(part)) text += text ? `.${part}` : part;
    else text += `[${JSON.stringify(part)}]`;
  }
  return text || '(the whole state)';
}

/** A stable key for a path (for sets of expanded or changed nodes). */
export function pathKey(path: readonly PathPart[]): string {
  return JSON.stringify(path);
}

/** The keys of every changed path and of each of their ancestors (to mark "changed inside"). */
export function changedKeys(changes: readonly Change[]): { exact: Set<string>; within: Set<string> } {
  const exact = new Set<string>();
  const within = new Set<string>();
  for (const change of changes) {
    exact.add(pathKey(change.path));
    for (let i = 0; i < change.path.length; i++) within.add(pathKey(change.path.slice(0, i)));
  }
  return { exact, within };
}
