/**
 * What a replay reads: a stream, an aggregate type (category) or the whole log of a store (a
 * `.events` or JSON lines file is one too), or events in memory. A source reads pages from a
 * cursor (a position, a revision or an index), so a replay keeps cursors in its keyframes and
 * re-reads instead of holding events.
 */

import type { TranscodingMapping } from '../codecs/transcodings';
import { EventscopeError } from '../errors';
import type { EventKey, RecordedEvent } from '../events';
import { checkCategory } from '../known';
import { categoryOfEvent, labelOf, labelStreamIds, shortStreamId, type LabelRules } from '../labels';
import { openStore } from '../stores/open';
import { type EventStore, pagesOf, resolveStreamId } from '../stores/types';
import type { ReplayScope } from './types';

/** Structured-clone-able description of a source (sent to the replay worker). */
export type ReplaySourceSpec =
  | { kind: 'store'; location: string; cipherKey?: Uint8Array; password?: string; transcodings?: TranscodingMapping; scope: ReplayScope }
  /** A `.events` or JSON lines file, whole (labelled by its name). */
  | { kind: 'eventsFile'; path: string }
  | { kind: 'events'; label: string; events: RecordedEvent[] };

export interface ReplaySource {
  /** "stream 1f0c… of demo.sqlite", "BankAccount in demo.sqlite", … */
  readonly label: string;
  /** Pages of events in replay order, from the event whose cursor is `from` (default: the start). */
  pages(from?: number): AsyncIterable<RecordedEvent[]>;
  /** The cursor to read `event` (the `index`th of the source) again. */
  cursorOf(event: RecordedEvent, index: number): number;
  /** The cursor of an event known by its key, when the source can tell without reading. */
  cursorFor(key: EventKey): number | undefined;
  /** The labels of these streams (see core/labels.ts), those that have one. */
  labels(streamIds: string[], rules?: LabelRules): Promise<Map<string, string>>;
  close(): Promise<void>;
}

const PAGE = 1000;

export function describeScope(scope: ReplayScope): string {
  if ('stream' in scope) return scope.label ? `stream ${scope.label} (${shortStreamId(scope.stream)})` : `stream ${scope.stream}`;
  if ('category' in scope) return `${scope.category} streams`;
  return 'all events';
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** `keepStored`: keep each event's stored form beside it (stores/types.ts `storedForms`), for a Python replay. */
export async function openReplaySource(spec: ReplaySourceSpec, options: { keepStored?: boolean } = {}): Promise<ReplaySource> {
  switch (spec.kind) {
    case 'events':
      return memorySource(spec.label, spec.events);
    case 'eventsFile':
    case 'store': {
      // A `.events` file is a store like any other (openStore opens it), replayed whole and named by its file.
      const store =
        spec.kind === 'eventsFile'
          ? openStore(spec.path)
          : openStore(spec.location, {
              ...(spec.cipherKey ? { cipherKey: Buffer.from(spec.cipherKey) } : {}),
              ...(spec.password !== undefined ? { password: spec.password } : {}),
              ...(spec.transcodings ? { transcodings: spec.transcodings } : {}),
              ...(options.keepStored ? { keepStored: true } : {}),
            });
      const [scope, label] =
        spec.kind === 'eventsFile'
          ? [{ all: true } as const, baseName(spec.path)]
          : [spec.scope, `${describeScope(spec.scope)} of ${baseName(spec.location)}`];
      try {
        return await storeSource(store, scope, label);
      } catch (error) {
        await store.close();
        throw error;
      }
    }
  }
}

function memorySource(label: string, events: RecordedEvent[]): ReplaySource {
  let firsts: Map<string, RecordedEvent> | undefined;
  return {
    label,
    async labels(streamIds, rules) {
      // No snapshots here: each stream's first event (its lowest revision) names it.
      if (!firsts) {
        firsts = new Map();
        for (const event of events) {
          const first = firsts.get(event.streamId);
          if (!first || event.revision < first.revision) firsts.set(event.streamId, event);
        }
      }
      const out = new Map<string, string>();
      for (const id of streamIds) {
        const first = firsts.get(id);
        const text = first && labelOf(first.data, categoryOfEvent(first), rules);
        if (text !== undefined) out.set(id, text);
      }
      return out;
    },
    async *pages(from = 0) {
      for (let i = from; i < events.length; i += PAGE) yield events.slice(i, i + PAGE);
    },
    cursorOf: (_event, index) => index,
    cursorFor: () => undefined,
    close: async () => {},
  };
}

async function storeSource(store: EventStore, scope: ReplayScope, label: string): Promise<ReplaySource> {
  if ('stream' in scope) {
    // The start of a stream's id names it too (as in `streams --prefix`).
    const streamId = await resolveStreamId(store, scope.stream);
    return {
      label: label.replace(scope.stream, streamId),
      async *pages(from) {
        const read = (fromRevision: number | undefined, limit: number | undefined) => store.readStream(streamId, { fromRevision, limit });
        for await (const items of pagesOf(read, { from, pageSize: PAGE })) if (items.length) yield items;
      },
      cursorOf: (event) => event.revision,
      cursorFor: (key) => (key.streamId === streamId ? key.revision : undefined),
      labels: (ids, rules) => labelStreamIds(store, ids, rules),
      close: () => store.close(),
    };
  }
  let members: Set<string> | undefined;
  if ('category' in scope) {
    members = new Set();
    const list = (after: string | undefined, limit: number | undefined) => store.listStreams({ category: scope.category, limit, after });
    for await (const streams of pagesOf(list, { pageSize: 10_000 })) for (const s of streams) members.add(s.streamId);
    if (members.size === 0) {
      await checkCategory(store, scope.category);
      throw new EventscopeError(`${store.location}: no streams of category "${scope.category}".`);
    }
  }
  return {
    label,
    async *pages(from) {
      const read = (fromPosition: number | undefined, limit: number | undefined) => store.readAll({ fromPosition, limit });
      for await (const page of pagesOf(read, { from, pageSize: PAGE })) {
        const items = members ? page.filter((e) => members.has(e.streamId)) : page;
        if (items.length) yield items;
      }
    },
    cursorOf: (event) => event.position,
    cursorFor: (key) => key.position,
    labels: (ids, rules) => labelStreamIds(store, ids, rules),
    close: () => store.close(),
  };
}
