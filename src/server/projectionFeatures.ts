/**
 * Projection files' features (`*.projection.js|ts`, and any module whose default export has
 * `when`, or a KurrentDB script): handler keys completed with the stores' event types, `event.data.`
 * with the fields of the handler's type, hovers on handler keys, a warning for a handler no store's
 * events reach (with "did you mean"), and CodeLenses that replay, debug or bisect the projection.
 */

import {
  CompletionItemKind,
  MarkupKind,
  type CodeLens,
  type CompletionItem,
  type CompletionList,
  type Diagnostic,
  type Hover,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { PROJECTION_LENS_COMMAND, type ProjectionLensAction, type ProjectionLensArgs } from './protocol';
import type { Catalogs, KnownType } from './catalogs';
import { describeTypes, fieldItem, typeDetail, unknownType } from './describe';
import { unknownTypeWarning, type TypeItemData } from './eventsFeatures';
import { completionAt, handlerKeyAt, type ProjectionOutline, type Span } from './projectionSource';

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

const rangeOf = (doc: TextDocument, span: Span) => ({ start: doc.positionAt(span.start), end: doc.positionAt(span.end) });

export function projectionDiagnostics(doc: TextDocument, outline: ProjectionOutline, catalogs: Catalogs): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const handler of outline.handlers) {
    const found = unknownType(handler.key, catalogs);
    if (!found) continue;
    const quoteAs = doc.getText()[handler.keySpan.start];
    out.push(
      unknownTypeWarning(
        rangeOf(doc, handler.keySpan),
        found.message.replace(/^No event/, 'This handler never runs: no event'),
        found.suggestions.map((s) => (handler.quoted || !IDENTIFIER.test(s) ? quote(s, quoteAs) : s)),
      ),
    );
  }
  return out;
}

/** A key as a JS string literal in the quote the file uses. */
function quote(key: string, used: string | undefined): string {
  const q = used === '"' ? '"' : "'";
  return q + key.replace(/\\/g, '\\\\').replace(new RegExp(q, 'g'), `\\${q}`) + q;
}

export function projectionCompletion(
  doc: TextDocument,
  outline: ProjectionOutline,
  offset: number,
  catalogs: Catalogs,
): CompletionList | undefined {
  const text = doc.getText();
  const at = completionAt(text, offset, outline);
  if (!at) return undefined;
  if (at.kind === 'handlerKey') {
    const handled = new Set(outline.handlers.map((h) => h.key));
    // One item per qualified name (several stores may have it), most events first.
    const byName = new Map<string, { name: string; known: KnownType[] }>();
    for (const t of catalogs.types()) {
      const known = byName.get(t.info.name);
      if (known) known.known.push(t);
      else byName.set(t.info.name, { name: t.info.name, known: [t] });
    }
    const range = rangeOf(doc, at.replace);
    const lineEnd = text.indexOf('\n', at.replace.end);
    const rest = text.slice(at.replace.end, lineEnd < 0 ? undefined : lineEnd);
    const items = [...byName.values()].map((t, i): CompletionItem => {
      const key = at.quote ? quote(t.name, at.quote) : IDENTIFIER.test(t.name) ? t.name : quote(t.name, "'");
      const whole = !/^\s*[:(]/.test(rest);
      const detail = t.known.map(typeDetail).join('; ');
      return {
        label: t.name,
        kind: CompletionItemKind.Class,
        detail: handled.has(t.name) ? `${detail} (handled)` : detail,
        data: { eventscopeKey: t.name } satisfies TypeItemData,
        sortText: `${handled.has(t.name) ? 1 : 0}${String(i).padStart(5, '0')}`,
        filterText: at.quote ? quote(t.name, at.quote) : t.name,
        textEdit: { range, newText: whole && !at.quote ? `${key}: (state, event) => {},` : key },
      };
    });
    return { isIncomplete: false, items };
  }
  const { fields, looked } = catalogs.fieldsFor(at.handlerKey, at.path);
  // The range takes in the `.` (or `?.`) before the name, as TypeScript's own items do: editors
  // rank items by how their filter text matches what the range covers, and ours then come first.
  const dot = text.startsWith('?.', at.replace.start - 2) ? '?.' : text[at.replace.start - 1] === '.' ? '.' : '';
  const range = rangeOf(doc, { start: at.replace.start - dot.length, end: at.replace.end });
  const items = fields
    .filter((f) => IDENTIFIER.test(f.path[f.path.length - 1]))
    .map((f, i): CompletionItem => {
      const item = fieldItem(f, looked);
      return {
        ...item,
        sortText: ` ${String(i).padStart(4, '0')}`,
        filterText: dot + item.label,
        textEdit: { range, newText: dot + item.label },
      };
    });
  return { isIncomplete: false, items };
}

export function projectionHover(doc: TextDocument, outline: ProjectionOutline, offset: number, catalogs: Catalogs): Hover | undefined {
  const handler = handlerKeyAt(outline, offset);
  if (!handler) return undefined;
  const value = describeTypes(handler.key, catalogs.typesFor(handler.key));
  return value ? { contents: { kind: MarkupKind.Markdown, value }, range: rangeOf(doc, handler.keySpan) } : undefined;
}

const LENSES: { action: ProjectionLensAction; title: string; needsInvariant?: boolean }[] = [
  { action: 'replay', title: '$(play) Replay' },
  { action: 'debug', title: '$(debug-alt) Debug' },
  { action: 'findFirstFailure', title: '$(search) Find first broken invariant', needsInvariant: true },
];

/** CodeLenses above the projection (files on disk only: the commands open them by path). */
export function projectionLenses(doc: TextDocument, outline: ProjectionOutline, path: string | undefined): CodeLens[] {
  if (!path) return [];
  const range = rangeOf(doc, { start: outline.anchor.start, end: outline.anchor.start });
  return LENSES.filter((l) => !l.needsInvariant || outline.hasInvariant).map((l) => ({
    range,
    command: { title: l.title, command: PROJECTION_LENS_COMMAND, arguments: [{ action: l.action, path } satisfies ProjectionLensArgs] },
  }));
}
