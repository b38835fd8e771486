/**
 * Values as the debugger shows them: one line each (exact: big integers and decimals keep every
 * digit), and the children of objects and arrays. Events carry the kinds of their exact values
 * (`ValueKinds`, "/amount": "decimal"), so a decimal shows as its digits, not as a quoted string.
 */

import type { ValueKinds } from '../core/events';
import { formatPath, type PathPart } from '../shared/deltaPaths';

/** A value the Variables view can expand: where it is (its root and path) and the kinds of its exact values. */
export interface Container {
  value: unknown;
  /** `state`, `previousState`, `event`, `changes`, or an evaluated expression's text. */
  root: string;
  path: PathPart[];
  /** Exact kinds by JSON pointer from `root` (events only). */
  kinds?: ValueKinds;
}

const pointer = (path: readonly PathPart[]) => path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/** Whether a value has children to show. */
export function expandable(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !(value instanceof Date) && !(value instanceof Uint8Array);
}

/** One line for a value, and its type: `"text"`, `12.50` (decimal), `9007199254740993` (bigint), `{…} 3 keys`. */
export function describe(value: unknown, kind?: string): { text: string; type: string } {
  if (kind === 'decimal' && typeof value === 'string') return { text: value, type: 'decimal' };
  if (kind && typeof value === 'string') return { text: JSON.stringify(value), type: kind };
  switch (typeof value) {
    case 'string':
      return { text: JSON.stringify(value), type: 'string' };
    case 'bigint':
      return { text: value.toString(), type: 'bigint' };
    case 'number':
      return { text: Object.is(value, -0) ? '-0' : String(value), type: 'number' };
    case 'boolean':
      return { text: String(value), type: 'boolean' };
    case 'undefined':
      return { text: 'undefined', type: 'undefined' };
    case 'function':
    case 'symbol':
      return { text: String(value), type: typeof value };
  }
  if (value === null) return { text: 'null', type: 'null' };
  if (Array.isArray(value)) return { text: `Array(${value.length})`, type: 'array' };
  if (value instanceof Date) return { text: value.toISOString(), type: 'Date' };
  if (value instanceof Uint8Array) return { text: `bytes(${value.length})`, type: 'bytes' };
  if (value instanceof Map) return { text: `Map(${value.size})`, type: 'Map' };
  if (value instanceof Set) return { text: `Set(${value.size})`, type: 'Set' };
  const keys = Object.keys(value as object);
  const preview = keys.slice(0, 3).join(', ') + (keys.length > 3 ? ', …' : '');
  return { text: `{${preview}}`, type: 'object' };
}

/** The children of an expandable value, each with its own path. */
export function children(container: Container): { name: string; child: Container; kind?: string }[] {
  const { value, path, kinds } = container;
  const entries: [PathPart, unknown][] =
    value instanceof Map
      ? [...value.entries()].map(([k, v]) => [String(k), v])
      : value instanceof Set
        ? [...value.values()].map((v, i) => [i, v])
        : Array.isArray(value)
          ? value.map((v, i) => [i, v])
          : Object.entries(value as object);
  return entries.map(([key, child]) => {
    const childPath = [...path, key];
    const kind = kinds?.[pointer(childPath)];
    return {
      name: typeof key === 'number' ? `[${key}]` : key,
      child: { ...container, value: child, path: childPath },
      ...(kind ? { kind } : {}),
    };
  });
}

/** The JavaScript that reaches a value from its root: `state.balances["8b79…"]`. */
export function expressionOf(container: Container): string {
  return formatPath(container.path, container.root);
}
