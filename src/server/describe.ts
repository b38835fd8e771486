/**
 * What the server says about a store's types, fields and streams, the same from `.events` files
 * and projection files: hovers (Markdown), completion details, and "did you mean" for a type no
 * store has.
 */

import { CompletionItemKind, MarkupKind, type CompletionItem } from 'vscode-languageserver';
import type { FieldInfo } from '../core/catalog';
import { closestFirst, editDistance } from '../core/closest';
import type { Catalogs, KnownStream, KnownType } from './catalogs';

const fence = (lang: string, text: string) => `\`\`\`${lang}\n${text.replace(/```/g, '`\u200b``')}\n\`\`\``;
const code = (text: string) => `\`${text.replace(/`/g, 'ˋ')}\``;

/** A time as a short UTC text (`2026-03-02 09:17:14`), or nothing. */
function when(timestamp: string | null): string {
  if (!timestamp) return '';
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? ` (${timestamp})` : ` (${date.toISOString().slice(0, 19).replace('T', ' ')} UTC)`;
}

/** One line per field: name, JSON kinds, in how many of the events looked at, sample values. */
export function fieldLine(field: FieldInfo, looked: number): string {
  const name = field.path.join('.');
  const samples = field.samples.length ? ` e.g. ${field.samples.map(code).join(', ')}` : '';
  return `${code(name)}: ${field.kinds.join(' | ')}, in ${field.count} of ${looked}${samples}`;
}

/** A completion item for a field (label, detail, documentation): where it goes is the caller's. */
export function fieldItem(field: FieldInfo, looked: number): CompletionItem & { label: string } {
  const of = Math.max(1, looked);
  return {
    label: field.path[field.path.length - 1],
    kind: CompletionItemKind.Field,
    detail: `${field.kinds.join(' | ')} · in ${field.count} of ${of}`,
    documentation: { kind: MarkupKind.Markdown, value: fieldLine(field, of) },
  };
}

/** The text of a completion item's detail for a type: count and store. */
export function typeDetail(known: KnownType): string {
  return `${known.info.count.toLocaleString('en-US')} event${known.info.count === 1 ? '' : 's'} in ${known.store}`;
}

/** A hover on a type key: each type it names, per store: counts, first and last seen, fields, a sample. */
export function describeTypes(key: string, known: KnownType[]): string {
  if (!known.length) return '';
  const parts: string[] = [];
  const total = known.reduce((n, k) => n + k.info.count, 0);
  const names = [...new Set(known.map((k) => k.info.name))];
  parts.push(
    `**${names.join(', ')}**: ${total.toLocaleString('en-US')} event${total === 1 ? '' : 's'}` +
      (names.length > 1 ? ` (${code(key)} names ${names.length} types)` : ''),
  );
  for (const { store, info } of known.slice(0, 4)) {
    const lines = [
      `${store}: ${code(info.type)}, ${info.count.toLocaleString('en-US')} events, first at position ${info.first.position}${when(info.first.timestamp)}, last at position ${info.last.position}${when(info.last.timestamp)}`,
    ];
    const top = info.fields.filter((f) => f.path.length === 1).slice(0, 12);
    if (top.length) lines.push('', ...top.map((f) => `- ${fieldLine(f, info.looked)}`));
    lines.push('', `Sample (the first, stream ${code(info.first.streamId)}):`, fence('json', info.sample));
    parts.push(lines.join('\n'));
  }
  if (known.length > 4) parts.push(`… and ${known.length - 4} more`);
  const partial = known.find((k) => k.partial);
  if (partial)
    parts.push(
      `Counted over the first ${partial.partial!.events.toLocaleString('en-US')} events of ${partial.store}: the catalog reads no further.`,
    );
  return parts.join('\n\n---\n\n');
}

export function describeField(key: string, field: FieldInfo, looked: number): string {
  return `**${field.path.join('.')}** in ${code(key)}\n\n${fieldLine(field, looked)}`;
}

export function describeStreams(streams: KnownStream[]): string {
  return streams
    .map(
      ({ store, stream }) =>
        `**${stream.label ?? stream.streamId}**: ${stream.category}, ${stream.count.toLocaleString('en-US')} event${stream.count === 1 ? '' : 's'} in ${store}` +
        (stream.label ? `\n\n${code(stream.streamId)}` : ''),
    )
    .join('\n\n---\n\n');
}

/**
 * A warning's sentence for a type key no store has (undefined when one has it, or no catalog is
 * ready), with the closest names; `suggestions` are what a quick fix offers. Keys written as topics
 * (`module:Name`) are offered topics, others qualified names.
 */
export function unknownType(key: string, catalogs: Catalogs): { message: string; suggestions: string[] } | undefined {
  const ready = catalogs.ready();
  if (!ready.length || catalogs.typesFor(key).length) return undefined;
  const types = catalogs.types();
  const names = [...new Set(types.map((t) => (key.includes(':') ? t.info.type : t.info.name)))];
  // The closest always; others only when about as close (a typo away).
  const last = (name: string) => name.slice(name.lastIndexOf('.') + 1).toLowerCase();
  const near = (name: string) => editDistance(last(key), last(name)) <= Math.max(2, last(key).length >> 2);
  const suggestions = closestFirst(key, names)
    .filter((name, i) => i === 0 || near(name))
    .slice(0, 3);
  const where = ready.length === 1 ? ready[0].name : `any of ${ready.length} stores`;
  const message = suggestions.length
    ? `No event of type "${key}" in ${where}; did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?`
    : `No event of type "${key}" in ${where}: it has no events.`;
  return { message, suggestions };
}
