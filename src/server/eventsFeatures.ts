/**
 * The `.events` language's features, on the one document model (`parseEventsDocument`) and the
 * stores' catalogs: diagnostics, completion of types, stream ids, header keys and data fields,
 * hovers, symbols, folding and formatting. Pure functions of the text, its model and the catalogs.
 */

import {
  CodeAction,
  CodeActionKind,
  CompletionItemKind,
  DiagnosticSeverity,
  FoldingRangeKind,
  MarkupKind,
  SymbolKind,
  type CompletionItem,
  type CompletionList,
  type Diagnostic,
  type DocumentSymbol,
  type FoldingRange,
  type Hover,
  type Range,
  type TextEdit,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import {
  formatEventsBodies,
  HEADER_KEYS,
  type EventsDocument,
  type EventsDocumentEvent,
  type TextRange,
} from '../core/eventsFile/eventsFile';
import { partitionPoint } from '../core/sorted';
import type { Catalogs, KnownType } from './catalogs';
import { describeField, describeStreams, describeTypes, fieldItem, typeDetail, unknownType } from './describe';
import { jsonKeyAt } from './jsonCursor';

/** The source of the server's diagnostics. */
export const SOURCE = 'eventscope';
/** The code of the unknown-type warning (its quick fixes read `data.suggestions`). */
export const UNKNOWN_TYPE = 'unknown-type';
/** The most items a completion list holds (more: the list says it is incomplete). */
const MAX_ITEMS = 500;
/** The header keys, as completion offers them: `revision` first, as the printer writes it. */
const HEADER_ORDER = ['revision', ...HEADER_KEYS.filter((k) => k !== 'revision')];

const lspRange = (range: TextRange): Range => ({ start: range.start, end: range.end });

export function eventsDiagnostics(doc: EventsDocument, catalogs: Catalogs): Diagnostic[] {
  const out: Diagnostic[] = doc.problems.map((p) => ({
    range: lspRange(p.range),
    severity: p.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: p.code,
    source: SOURCE,
    message: p.message,
  }));
  const unknown = new Map<string, ReturnType<typeof unknownType>>();
  for (const event of doc.events) {
    if (!event.type) continue;
    const key = event.type.text;
    if (!unknown.has(key)) unknown.set(key, unknownType(key, catalogs));
    const found = unknown.get(key);
    if (found) out.push(unknownTypeWarning(lspRange(event.type.range), found.message, found.suggestions));
  }
  return out.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

/** The warning for a type key no store has; its quick fixes (`typeQuickFixes`) offer the suggestions. */
export function unknownTypeWarning(range: Range, message: string, suggestions: string[]): Diagnostic {
  return { range, severity: DiagnosticSeverity.Warning, code: UNKNOWN_TYPE, source: SOURCE, message, data: { suggestions } };
}

/** Quick fixes for unknown-type warnings: replace the type by each suggestion. */
export function typeQuickFixes(uri: string, diagnostics: Diagnostic[]): CodeAction[] {
  const out: CodeAction[] = [];
  for (const d of diagnostics) {
    if (d.code !== UNKNOWN_TYPE || d.source !== SOURCE) continue;
    const suggestions = (d.data as { suggestions?: string[] } | undefined)?.suggestions ?? [];
    suggestions.forEach((s, i) => {
      const action = CodeAction.create(
        `Change to "${s}"`,
        { changes: { [uri]: [{ range: d.range, newText: s }] } },
        CodeActionKind.QuickFix,
      );
      action.diagnostics = [d];
      if (i === 0) action.isPreferred = true;
      out.push(action);
    });
  }
  return out;
}

/** The event whose part of the text holds the offset (from its `###` line to the next), if any. */
function eventAt(doc: EventsDocument, offset: number): EventsDocumentEvent | undefined {
  const i = partitionPoint(doc.events.length, (k) => doc.events[k].headerLine.startOffset <= offset) - 1;
  return i >= 0 ? doc.events[i] : undefined;
}

const within = (range: TextRange | undefined, offset: number) => !!range && range.startOffset <= offset && offset <= range.endOffset;

/** The event type written at the offset (its `###` line's type), if any. */
export function typeKeyAt(doc: EventsDocument, offset: number): string | undefined {
  const type = eventAt(doc, offset)?.type;
  return type && within(type.range, offset) ? type.text : undefined;
}

export function eventsCompletion(text: TextDocument, doc: EventsDocument, offset: number, catalogs: Catalogs): CompletionList | undefined {
  const event = eventAt(doc, offset);
  if (!event) return undefined;
  const source = text.getText();
  const line = text.positionAt(offset).line;
  const lineStart = text.offsetAt({ line, character: 0 });
  const before = source.slice(lineStart, offset);

  if (line === event.headerLine.start.line) {
    if (!before.startsWith('###')) return undefined;
    const words = [...before.slice(3).matchAll(/\S+/g)];
    const typing = /\S$/.test(before) ? words.length - 1 : words.length; // which word the cursor is in
    const wordStart = typing < words.length ? lineStart + 3 + words[typing].index : offset;
    const lineEnd = event.headerLine.endOffset;
    let wordEnd = offset;
    while (wordEnd < lineEnd && !/\s/.test(source[wordEnd])) wordEnd++;
    const range = { start: text.positionAt(wordStart), end: text.positionAt(wordEnd) };
    if (typing === 0) return typeItems(doc, catalogs, range, before.length === 3 ? ' ' : '');
    if (typing === 1) return streamItems(doc, catalogs, event.type?.text, range);
    return undefined;
  }

  // Header keys: at the start of a line above the body.
  // (A word alone on the body's first line is a header key being typed: JSON does not start so.)
  const body = event.body;
  const word = /^[A-Za-z][\w-]*$/.test(before);
  if (!body || line < body.range.start.line || (line === body.range.start.line && word)) {
    if (!word && before !== '') return undefined;
    const used = new Set(event.headers.map((h) => h.key.text));
    const range = { start: text.positionAt(lineStart), end: text.positionAt(offset) };
    const items = HEADER_ORDER.filter((k) => !used.has(k)).map((k, i): CompletionItem => ({
      label: k,
      kind: CompletionItemKind.Property,
      detail: 'header',
      sortText: String(i),
      textEdit: { range, newText: `${k}: ` },
    }));
    return { isIncomplete: false, items };
  }

  // Data fields: where a key goes in the JSON body.
  if (offset < body.range.startOffset) return undefined;
  const from = body.range.startOffset;
  // Comment lines inside the body are not JSON: blank them (same offsets).
  const json = source.slice(from, offset).replace(/^#(?!##).*$/gm, (m) => ' '.repeat(m.length));
  const cursor = jsonKeyAt(json);
  if (!cursor || !event.type) return undefined;
  const known = catalogs.fieldsFor(event.type.text, cursor.path);
  const fields = known.fields.filter((f) => !cursor.keys.includes(f.path[f.path.length - 1]));
  const start = from + cursor.start;
  let end = offset;
  if (cursor.quoted) {
    while (end < source.length && /[^"\r\n]/.test(source[end])) end++;
    if (source[end] === '"') end++;
  }
  const colon = /^\s*:/.test(source.slice(end, end + 20));
  const range = { start: text.positionAt(start), end: text.positionAt(end) };
  const items = fields.map((f, i): CompletionItem => {
    const item = fieldItem(f, known.looked);
    const quoted = JSON.stringify(item.label);
    return {
      ...item,
      sortText: String(i).padStart(4, '0'),
      filterText: cursor.quoted ? quoted : item.label,
      textEdit: { range, newText: colon ? quoted : `${quoted}: ` },
    };
  });
  return { isIncomplete: false, items };
}

/** What a type completion item carries for `completionItem/resolve` (its hover, worked out when shown). */
export interface TypeItemData {
  /** A type key: a stored type, or a projection's handler key. */
  eventscopeKey: string;
}

function typeItems(doc: EventsDocument, catalogs: Catalogs, range: Range, lead: string): CompletionList {
  // One item per stored type (several stores may have it), most events first; then the file's own others.
  const byType = new Map<string, KnownType[]>();
  for (const t of catalogs.types()) byType.set(t.info.type, [...(byType.get(t.info.type) ?? []), t]);
  const items: CompletionItem[] = [];
  for (const [type, known] of byType) {
    if (items.length >= MAX_ITEMS) break;
    const name = known[0].info.name;
    items.push({
      label: name,
      labelDetails: { description: type === name ? known.map((k) => k.store).join(', ') : type },
      kind: CompletionItemKind.Class,
      detail: known.map(typeDetail).join('; '),
      sortText: String(items.length).padStart(5, '0'),
      filterText: `${name} ${type}`,
      textEdit: { range, newText: lead + type },
      data: { eventscopeKey: type } satisfies TypeItemData,
    });
  }
  const own = new Set(doc.events.map((e) => e.type?.text).filter((t): t is string => !!t && !catalogs.typesFor(t).length));
  for (const type of own) {
    items.push({
      label: type,
      kind: CompletionItemKind.Class,
      detail: 'in this file',
      sortText: `z${type}`,
      textEdit: { range, newText: lead + type },
    });
  }
  return { isIncomplete: byType.size > MAX_ITEMS, items };
}

/** A type item's documentation, when the editor shows it. */
export function resolveTypeItem(item: CompletionItem, catalogs: Catalogs): CompletionItem {
  const key = (item.data as Partial<TypeItemData> | undefined)?.eventscopeKey;
  if (key) {
    const known = catalogs.typesFor(key);
    if (known.length) item.documentation = { kind: MarkupKind.Markdown, value: describeTypes(key, known) };
  }
  return item;
}

function streamItems(doc: EventsDocument, catalogs: Catalogs, type: string | undefined, range: Range): CompletionList {
  // The type's aggregate (`BankAccount` of `BankAccount.Opened`): its streams first.
  const aggregate = type ? catalogs.typesFor(type)[0]?.info.name.replace(/\.[^.]*$/, '') : undefined;
  const inFile = new Set(doc.events.map((e) => e.streamId?.text).filter((s): s is string => !!s));
  const items: CompletionItem[] = [];
  const seen = new Set<string>();
  for (const id of inFile) {
    seen.add(id);
    items.push({
      label: id,
      kind: CompletionItemKind.Reference,
      detail: 'in this file',
      sortText: `0${id}`,
      textEdit: { range, newText: id },
    });
  }
  const streams = catalogs.streams();
  for (const s of streams) {
    if (items.length >= MAX_ITEMS) break;
    if (seen.has(s.stream.streamId)) continue;
    seen.add(s.stream.streamId);
    items.push({
      label: s.stream.streamId,
      kind: CompletionItemKind.Reference,
      detail: `${s.stream.label ? `${s.stream.label} · ` : ''}${s.stream.category} · ${s.stream.count} events in ${s.store}`,
      sortText: `${s.stream.category === aggregate ? 1 : 2}${s.stream.streamId}`,
      filterText: `${s.stream.streamId} ${s.stream.label ?? ''}`,
      textEdit: { range, newText: s.stream.streamId },
    });
  }
  return { isIncomplete: streams.length + inFile.size > items.length, items };
}

export function eventsHover(text: TextDocument, doc: EventsDocument, offset: number, catalogs: Catalogs): Hover | undefined {
  const event = eventAt(doc, offset);
  if (!event) return undefined;
  const markdown = (value: string, range: TextRange): Hover | undefined =>
    value ? { contents: { kind: MarkupKind.Markdown, value }, range: lspRange(range) } : undefined;
  if (event.type && within(event.type.range, offset)) {
    return markdown(describeTypes(event.type.text, catalogs.typesFor(event.type.text)), event.type.range);
  }
  if (event.streamId && within(event.streamId.range, offset)) {
    const id = event.streamId.text;
    return markdown(describeStreams(catalogs.streams().filter((s) => s.stream.streamId === id)), event.streamId.range);
  }
  // A key in the body: the field's statistics.
  const body = event.body;
  if (!body || !event.type || !within(body.range, offset)) return undefined;
  const source = text.getText();
  const at = offset - body.range.startOffset;
  const open = body.json.lastIndexOf('"', at - (body.json[at] === '"' ? 1 : 0));
  if (open < 0) return undefined;
  const cursor = jsonKeyAt(body.json.slice(0, open + 1));
  if (!cursor?.quoted) return undefined;
  const close = body.json.indexOf('"', open + 1);
  if (close < at && close >= 0) return undefined;
  const name = source.slice(body.range.startOffset + open + 1, body.range.startOffset + (close < 0 ? at : close));
  const path = [...cursor.path, name];
  const types = catalogs.typesFor(event.type.text);
  for (const { info } of types) {
    const field = info.fields.find((f) => f.path.length === path.length && f.path.every((p, i) => p === path[i]));
    if (field) {
      const start = body.range.startOffset + open;
      const range = { start: text.positionAt(start), end: text.positionAt(start + name.length + 2) };
      return { contents: { kind: MarkupKind.Markdown, value: describeField(event.type.text, field, info.looked) }, range };
    }
  }
  return undefined;
}

export function eventsSymbols(doc: EventsDocument): DocumentSymbol[] {
  return doc.events.map((e) => ({
    name: e.type?.text ?? '(no type)',
    detail: [e.streamId?.text, e.event?.revision !== undefined ? `revision ${e.event.revision}` : undefined].filter(Boolean).join(' · '),
    kind: SymbolKind.Event,
    range: lspRange(e.range),
    selectionRange: lspRange(e.type?.range ?? e.headerLine),
  }));
}

/** One range per event (its `###` line to its last line), and one per run of two or more comment lines. */
export function eventsFolding(doc: EventsDocument): FoldingRange[] {
  const out: FoldingRange[] = [];
  for (const e of doc.events) {
    const start = e.headerLine.start.line;
    const end = e.range.end.line;
    if (end > start) out.push({ startLine: start, endLine: end });
  }
  let run: { start: number; end: number } | undefined;
  const flush = () => {
    if (run && run.end > run.start) out.push({ startLine: run.start, endLine: run.end, kind: FoldingRangeKind.Comment });
  };
  for (const c of doc.comments) {
    const line = c.start.line;
    if (run && line === run.end + 1) run.end = line;
    else {
      flush();
      run = { start: line, end: line };
    }
  }
  flush();
  return out.sort((a, b) => a.startLine - b.startLine);
}

export function eventsFormatting(source: string, doc: EventsDocument): TextEdit[] {
  return formatEventsBodies(source, doc).map((e) => ({ range: lspRange(e.range), newText: e.newText }));
}
