/** Text for values, ids and times in the panel (all rendered as text, never as HTML). */

import { stringifyExact } from '../../src/core/json/exact';

/** JSON text of a parsed exact value: bigints stay exact digits. */
export function jsonText(value: unknown, indent?: number): string {
  return (stringifyExact(value, indent) as string | undefined) ?? 'undefined';
}

/** One line for a value, cut at `max` characters. */
export function shortJson(value: unknown, max = 160): string {
  const text = jsonText(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A leaf value as the JSON tree shows it. */
export function leafText(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === undefined) return 'undefined';
  return String(value);
}

/** The CSS class of a leaf's type (colours come from the theme). */
export function leafClass(value: unknown): string {
  if (value === null) return 'jt-null';
  if (typeof value === 'bigint') return 'jt-number';
  return `jt-${typeof value}`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** "8b79390a…" for a UUID, else the id (cut at 24 characters). */
export function shortId(id: string): string {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(id)) return `${id.slice(0, 8)}…`;
  return id.length > 24 ? `${id.slice(0, 23)}…` : id;
}

/** "2026-03-05 09:57:48" from an ISO timestamp (or the text as it is). */
export function timeText(iso: string | null): string {
  if (!iso) return '';
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return match ? `${match[1]} ${match[2]}` : iso;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
