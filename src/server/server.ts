/**
 * The language server: `.events` files and projection files, on the catalogs of the stores it is
 * given (by the extension's `eventscope/setStores`, or the initialization options' `stores`, or
 * `--store` arguments when run standalone). One document model per open document and version.
 */

import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  MarkupContent,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type Definition,
  type Diagnostic,
  type Hover,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { parseEventsDocument, type EventsDocument } from '../core/eventsFile/eventsFile';
import { messageOf } from '../core/errors';
import { Catalog, CatalogState, SetStores, type Message, type SetStoresParams, type StoreRef } from './protocol';
import { Catalogs } from './catalogs';
import {
  eventsCompletion,
  eventsDiagnostics,
  eventsFolding,
  eventsFormatting,
  eventsHover,
  eventsSymbols,
  resolveTypeItem,
  typeKeyAt,
  typeQuickFixes,
} from './eventsFeatures';
import { projectionCompletion, projectionDiagnostics, projectionHover, projectionLenses } from './projectionFeatures';
import { handlerKeyAt, outlineProjection, type ProjectionOutline } from './projectionSource';
import { TopicLocator, topicAt } from './pythonTopics';

declare const EVENTSCOPE_VERSION: string;
const VERSION = typeof EVENTSCOPE_VERSION === 'string' ? EVENTSCOPE_VERSION : 'dev';

/** How long edits settle before a document is checked again (opening one checks it at once). */
const EDIT_SETTLE_MS = 80;
const JS_LANGUAGES = new Set(['javascript', 'typescript', 'javascriptreact', 'typescriptreact']);

export interface ServerOptions {
  /** Stores to read from the start (standalone `--store`). */
  stores?: StoreRef[];
}

type Kind = 'events' | 'projection' | 'other';

interface Model {
  version: number;
  events?: EventsDocument;
  outline?: ProjectionOutline;
}

/** Runs the server on a connection until it closes. */
export function startServer(connection: Connection, options: ServerOptions = {}): void {
  const documents = new TextDocuments(TextDocument);
  const log = (line: string) => connection.console.log(line);
  const catalogs = new Catalogs(log);
  const models = new Map<string, Model>();
  const pending = new Map<string, NodeJS.Timeout>();
  let locator = new TopicLocator([]);
  let workDoneProgress = false;

  const on = <P, R>(message: Message<P, R>, handler: (params: P) => Promise<R>) =>
    connection.onRequest(message.method, (params: P) => handler(params));
  const notify = <P>(message: Message<P>, params: P) => void connection.sendNotification(message.method, params);

  const kindOf = (doc: TextDocument): Kind => {
    if (doc.languageId === 'events' || /\.events$/i.test(doc.uri)) return 'events';
    if (JS_LANGUAGES.has(doc.languageId) || /\.[cm]?[jt]sx?$/i.test(doc.uri)) return 'projection';
    return 'other';
  };

  /** The document's model (parsed once per version). */
  const model = (doc: TextDocument): Model => {
    const known = models.get(doc.uri);
    if (known && known.version === doc.version) return known;
    const kind = kindOf(doc);
    const next: Model = { version: doc.version };
    if (kind === 'events') next.events = parseEventsDocument(doc.getText());
    else if (kind === 'projection') next.outline = outlineProjection(doc.getText());
    models.set(doc.uri, next);
    return next;
  };

  const diagnose = (doc: TextDocument): Diagnostic[] => {
    const m = model(doc);
    if (m.events) return eventsDiagnostics(m.events, catalogs);
    if (m.outline) return projectionDiagnostics(doc, m.outline, catalogs);
    return [];
  };

  const publish = (doc: TextDocument) => {
    clearTimeout(pending.get(doc.uri));
    pending.delete(doc.uri);
    try {
      void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics: diagnose(doc) });
    } catch (error) {
      log(`Cannot check ${doc.uri}: ${messageOf(error)}`);
    }
  };

  const publishSoon = (doc: TextDocument, ms = EDIT_SETTLE_MS) => {
    clearTimeout(pending.get(doc.uri));
    pending.set(
      doc.uri,
      setTimeout(() => {
        const current = documents.get(doc.uri);
        if (current) publish(current);
      }, ms),
    );
  };

  // The catalogs changed: check every open document again, tell the client how far they got.
  let progress: Promise<{ done(): void }> | undefined;
  catalogs.onChange(() => {
    for (const doc of documents.all()) publishSoon(doc, 200);
    const stores = catalogs.states();
    notify(CatalogState, { stores });
    const reading = stores.filter((s) => s.phase === 'reading');
    if (reading.length && workDoneProgress && !progress) {
      progress = connection.window.createWorkDoneProgress().then((p) => {
        p.begin('Eventscope: reading event catalogs', undefined, reading.map((s) => s.name).join(', '));
        return p;
      });
    } else if (!reading.length && progress) {
      void progress.then((p) => p.done());
      progress = undefined;
    }
  });

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const roots = (params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri, name: '' }] : []))
      .filter((f) => f.uri.startsWith('file:'))
      .map((f) => fileURLToPath(f.uri));
    locator = new TopicLocator(roots);
    workDoneProgress = !!params.capabilities.window?.workDoneProgress;
    const given = (params.initializationOptions as Partial<SetStoresParams> | undefined)?.stores;
    const stores = [...(options.stores ?? []), ...(Array.isArray(given) ? given : [])];
    if (stores.length) catalogs.set(stores);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        completionProvider: { triggerCharacters: [' ', '.', '"', "'"], resolveProvider: true },
        hoverProvider: true,
        documentSymbolProvider: true,
        foldingRangeProvider: true,
        documentFormattingProvider: true,
        definitionProvider: true,
        codeLensProvider: { resolveProvider: false },
        codeActionProvider: { codeActionKinds: ['quickfix'] },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'eventscope', version: VERSION },
    };
  });

  connection.onInitialized(() => {
    connection.workspace.onDidChangeWorkspaceFolders?.((e) => {
      const roots = new Set(locator.roots);
      for (const f of e.removed) if (f.uri.startsWith('file:')) roots.delete(fileURLToPath(f.uri));
      for (const f of e.added) if (f.uri.startsWith('file:')) roots.add(fileURLToPath(f.uri));
      locator = new TopicLocator([...roots]);
    });
  });

  connection.onNotification(SetStores.method, (params: SetStoresParams) =>
    catalogs.set(Array.isArray(params?.stores) ? params.stores : []),
  );
  on(Catalog, (params) => catalogs.result(params?.name, params?.wait));

  documents.onDidOpen((e) => publish(e.document));
  documents.onDidChangeContent((e) => publishSoon(e.document));
  documents.onDidClose((e) => {
    clearTimeout(pending.get(e.document.uri));
    pending.delete(e.document.uri);
    models.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });
  // Python files changed on disk: where classes are may have moved.
  connection.onDidChangeWatchedFiles(() => locator.clear());

  /** Runs a feature on an open document; a feature that throws answers nothing (and says why in the log). */
  const feature =
    <P extends { textDocument: { uri: string } }, R>(
      name: string,
      run: (doc: TextDocument, m: Model, params: P) => R | Promise<R>,
      none: R,
    ) =>
    async (params: P): Promise<R> => {
      const doc = documents.get(params.textDocument.uri);
      if (!doc) return none;
      try {
        return await run(doc, model(doc), params);
      } catch (error) {
        log(`${name} failed in ${doc.uri}: ${messageOf(error)}`);
        return none;
      }
    };

  connection.onCompletion(
    feature(
      'Completion',
      (doc, m, params) => {
        const offset = doc.offsetAt(params.position);
        if (m.events) return eventsCompletion(doc, m.events, offset, catalogs) ?? null;
        if (m.outline) return projectionCompletion(doc, m.outline, offset, catalogs) ?? null;
        return null;
      },
      null,
    ),
  );
  connection.onCompletionResolve((item) => resolveTypeItem(item, catalogs));
  connection.onHover(
    feature(
      'Hover',
      async (doc, m, params): Promise<Hover | null> => {
        const offset = doc.offsetAt(params.position);
        const hover = m.events
          ? eventsHover(doc, m.events, offset, catalogs)
          : m.outline
            ? projectionHover(doc, m.outline, offset, catalogs)
            : undefined;
        if (!hover) return null;
        // A type's hover says where its Python class is, when the workspace has it.
        const topic = topicOfKey(m, offset);
        const place = topic ? await locator.locate(topic) : undefined;
        if (place && MarkupContent.is(hover.contents)) {
          const uri = pathToFileURL(place.file).href;
          const name = `${relative(locator.roots.find((r) => place.file.startsWith(r)) ?? '', place.file) || place.file}:${place.line + 1}`;
          hover.contents.value += `\n\n---\n\nDefined in [${name}](${uri}#L${place.line + 1})`;
        }
        return hover;
      },
      null,
    ),
  );
  connection.onDocumentSymbol(feature('Symbols', (_doc, m) => (m.events ? eventsSymbols(m.events) : []), []));
  connection.onFoldingRanges(feature('Folding', (_doc, m) => (m.events ? eventsFolding(m.events) : []), []));
  connection.onDocumentFormatting(feature('Formatting', (doc, m) => (m.events ? eventsFormatting(doc.getText(), m.events) : []), []));
  connection.onCodeLens(
    feature(
      'CodeLens',
      (doc, m) =>
        m.outline && m.outline.handlers.length + m.outline.specialKeys.length > 0
          ? projectionLenses(doc, m.outline, filePath(doc.uri))
          : [],
      [],
    ),
  );
  connection.onCodeAction(feature('Code actions', (doc, _m, params) => typeQuickFixes(doc.uri, params.context.diagnostics), []));
  connection.onDefinition(
    feature(
      'Definition',
      async (doc, m, params): Promise<Definition | null> => {
        const offset = doc.offsetAt(params.position);
        const text = doc.getText();
        // A topic as written, else a type key (a `.events` type, a handler key) whose stored type is a topic.
        const topic = topicAt(text, offset)?.topic ?? topicOfKey(m, offset);
        if (!topic) return null;
        const place = await locator.locate(topic);
        if (!place) return null;
        return {
          uri: pathToFileURL(place.file).href,
          range: { start: { line: place.line, character: place.character }, end: { line: place.line, character: place.endCharacter } },
        };
      },
      null,
    ),
  );

  /** The topic of the stored type a type key at the offset stands for (a `.events` type, a handler key). */
  const topicOfKey = (m: Model, offset: number): string | undefined => {
    const key = m.events ? typeKeyAt(m.events, offset) : m.outline ? handlerKeyAt(m.outline, offset)?.key : undefined;
    return key ? catalogs.typesFor(key).find((t) => t.info.type.includes(':'))?.info.type : undefined;
  };

  connection.onShutdown(() => catalogs.close());
  documents.listen(connection);
  connection.listen();
}

function filePath(uri: string): string | undefined {
  return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
}
