/**
 * The agent tools: what an AI agent may ask of Eventscope — a store's summary, its streams, events,
 * the global log, a search, a replay, and the first event after which an invariant fails — as one
 * table of definitions (name, JSON Schemas, what a call runs) that both the MCP server
 * (src/mcp/server.ts) and VS Code's language-model tools (src/extension/lmTools.ts) serve. Each
 * answer is structured (for clients that read it) and a short text (for those that do not), and
 * stays under ANSWER_BUDGET_BYTES by default: limits, cursors for more, long values cut with a note.
 *
 * Safety, whoever calls: every read is read-only; `where` and invariant expressions run sealed
 * (core/sealed.ts: no `require`, `process`, files or network), a search in a worker with a memory
 * limit, a replay in the replay worker with its time and memory limits; projection files run only
 * where the host allows code (`--allow-code`; a trusted workspace after a confirmation).
 */

import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { EventscopeError, isMissingCipherKey, messageOf, withAdvice } from '../errors';
import { eventToJSON, type RecordedEvent, type StreamInfo } from '../events';
import { stringifyExact } from '../json/exact';
import { labelStreams } from '../labels';
import { checkCategory, eventTypes, unknownTypes } from '../known';
import { ReplayCancelled, ReplaySession } from '../projection/session';
import type { ReplaySourceSpec } from '../projection/source';
import type { Break, ProjectionChoice, ReplayScope } from '../projection/types';
import { CursorError, encodeStreamCursor, resumeFrom, type CursorNames } from '../query/cursor';
import { flattenDelta } from '../../shared/deltaPaths';
import { isEventsFilePath } from '../stores/eventsFileStore';
import { openStore } from '../stores/open';
import { resolveStreamId, STORE_KIND_LABELS, type EventStore } from '../stores/types';
import { compileWhere } from '../where';
import { anyValue, bool, checkArguments, int, obj, str, strings, type JsonSchema } from './schema';
import { searchInWorker, type StoreAccess } from './search';
import { answerBytes, ANSWER_BUDGET_BYTES, Cuts, fitItems, shapeValue, WHOLE_LIMITS, type ShapeLimits } from './shape';

/** A store a tool call names, resolved by the host: where it is and how to open it (secrets never shown). */
export interface StoreRef extends StoreAccess {
  /** What answers call it: the path or URL as given (without a password), or a connection's name. */
  label: string;
  cipherKey?: Buffer;
}

export interface ToolHost {
  /** The store a `store` argument names; undefined: the default one (a sentence when there is none). */
  store(name: string | undefined): Promise<StoreRef>;
  /** Undefined when projection files may run here; else the sentence why not. */
  codeRefusal(): string | undefined;
  /** The folder relative projection paths start from. */
  baseDir: string;
  /** The folder the bundled workers are in (dist/); default: this bundle's. */
  workerDir?: string;
  /** A link that opens the replay at a step where the host can show one (VS Code's replay panel). */
  replayLink?(
    target: { store: StoreRef; scope: ReplayScope; projection: ProjectionChoice; invariant?: string },
    step: number,
  ): string | undefined;
  /** Longest a projection handler may run on one event (ms). */
  timeBudgetMs?: number;
  /** Opens a store the host keeps open itself (VS Code's connections); else the runner opens and keeps it. */
  open?(ref: StoreRef): Promise<EventStore>;
}

export interface ToolAnswer {
  structured: Record<string, unknown>;
  text: string;
}

export interface ToolDefinition {
  name: string;
  title: string;
  description: string;
  inputSchema: JsonSchema;
  outputSchema: JsonSchema;
  /** Whether a call with these arguments runs code from files (a projection). */
  runsCode(args: Record<string, unknown>): boolean;
  /** The answer's parts that are cut harder (each item of a list), then left out, when it is over budget. */
  shrinkable: string[];
  /** `signal`: the caller gave up (a cancelled request); a replay or search under way ends. */
  run(args: Record<string, unknown>, tools: ToolRunner, signal?: AbortSignal): Promise<ToolAnswer>;
}

const STORE_ARG = str(
  'The store: a path (eventsourcing SQLite, .events, .jsonl) or URL (postgres://, kurrentdb://, redis://) — or, in VS Code, a connection name. Omitted: the default store.',
);
const STREAM_ID_ARG = str('The stream id (or a unique prefix of one).', { minLength: 1 });
const SCOPE_ARGS = {
  stream: str('Replay one stream (an id, or a unique prefix of one).'),
  category: str('Replay one category (aggregate type) of streams.'),
  all: bool('Replay the whole store in global order (the default).'),
};
const PROJECTION_ARG = str(
  "A projection file to replay with (JavaScript/TypeScript, a KurrentDB script, or a Python projection module .py). Omitted: the generic projection (each stream's latest fields). Runs code: allowed only where the server allows code.",
);
const INVARIANT_ARG = str(
  'A JavaScript expression over `state` (after the event), `event` and `before` (the state before it) that must hold after every event, e.g. `state.balance >= 0`; a Python expression for a .py projection. Runs sealed: no require, process, files or network.',
);

const eventSchema = obj(
  {
    streamId: str('The stream (aggregate) id.'),
    revision: int('Its position in the stream.'),
    position: int('Its position in the store.'),
    type: str('The event type (eventsourcing: the topic).'),
    timestamp: { type: ['string', 'null'] },
    data: anyValue('The decoded event data.'),
    metadata: anyValue('The metadata, when there is any.'),
  },
  ['streamId', 'revision', 'position', 'type'],
);
const eventsSchema = { type: 'array' as const, items: eventSchema };
const notesSchema = strings('What was cut or left out, and how to get it.');
const failureSchema = obj({
  step: int('The step (1-based) after which it fails.'),
  event: eventSchema,
  error: str('Why it fails.'),
  partition: str('The stream or partition that broke, when the state is kept per partition.'),
});

/** The event as answers show it: its fields, data shaped, metadata only when there is some. */
function eventAnswer(event: RecordedEvent, cuts: Cuts, whole: string, limits?: ShapeLimits): Record<string, unknown> {
  const { data, metadata, ...key } = eventToJSON(event);
  return {
    ...key,
    data: shapeValue(data, cuts, whole, limits),
    ...(Object.keys(metadata).length ? { metadata: shapeValue(metadata, cuts, whole, limits) } : {}),
  };
}

/** What the structured part of a list's answer may take: the rest of the budget is the text's. */
const LIST_BUDGET_BYTES = 14_000;
/** The longest text beside a structured answer (characters). */
const TEXT_BUDGET = 4_000;
/** Harder cuts, in turn, for an answer still over budget (ToolRunner.call). */
const SHRINK_STEPS: ShapeLimits[] = [
  { string: 120, items: 8, keys: 15, depth: 4 },
  { string: 60, items: 4, keys: 8, depth: 3 },
  { string: 30, items: 2, keys: 4, depth: 2 },
];

/** The biggest state (serialized) a replay answer asks the worker for; a bigger one is left out. */
const MAX_STATE_BYTES = 8_000_000;

const TOOL_CURSOR: CursorNames = { option: 'cursor', lister: 'list_streams', filters: 'category and prefix' };

const GET_EVENT_WHOLE = 'show_event gives one event whole';

/** The short text of an event: `#position stream rev N Type {data…}`. */
function eventLine(e: Record<string, unknown>): string {
  return `#${e.position} ${e.streamId} rev ${e.revision} ${e.type} ${truncateText(stringifyExact(e.data) ?? '', 160)}`;
}

function withNotes(text: string, notes: string[]): string {
  return notes.length ? `${text}\n${notes.map((n) => `Note: ${n}`).join('\n')}` : text;
}

/** The events a call's `stream`, `category` or `all` names (all, by default). */
export function scopeOf(args: Record<string, unknown>): ReplayScope {
  const chosen = ['stream', 'category', 'all'].filter((k) => args[k] !== undefined && args[k] !== false);
  if (chosen.length > 1) throw new EventscopeError(`Give one of stream, category or all (got ${chosen.join(' and ')}).`);
  if (typeof args.stream === 'string') return { stream: args.stream };
  if (typeof args.category === 'string') return { category: args.category };
  return { all: true };
}

/** Runs the tools for one host: checks arguments, opens stores (kept open between calls), shapes answers. */
export class ToolRunner {
  private readonly stores = new Map<string, Promise<EventStore>>();

  constructor(readonly host: ToolHost) {}

  /** Calls a tool: its answer, or an EventscopeError (one sentence) for a wrong call, store or expression. */
  async call(name: string, args: unknown, signal?: AbortSignal): Promise<ToolAnswer> {
    const tool = TOOLS.find((t) => t.name === name);
    if (!tool) throw new EventscopeError(`There is no tool "${name}"; the tools are ${TOOLS.map((t) => t.name).join(', ')}.`);
    const checked = checkArguments(name, tool.inputSchema, args);
    if (tool.runsCode(checked)) {
      const refusal = this.host.codeRefusal();
      if (refusal) throw new EventscopeError(refusal);
    }
    return fitAnswer(await tool.run(checked, this, signal), tool.shrinkable);
  }

  /** The store an argument names, opened once and kept for later calls. */
  async open(name: unknown): Promise<{ ref: StoreRef; store: EventStore }> {
    const ref = await this.host.store(typeof name === 'string' ? name : undefined);
    if (this.host.open) return { ref, store: await this.host.open(ref) };
    const key = JSON.stringify([ref.location, ref.label]);
    let opened = this.stores.get(key);
    if (!opened) {
      opened = Promise.resolve().then(() => openStore(ref.location, ref));
      this.stores.set(key, opened);
      opened.catch(() => this.stores.delete(key));
    }
    return { ref, store: await opened };
  }

  /** The projection a `projection` argument names (a `.py` file runs through Python), with its invariant. */
  projection(path: unknown, invariant: string | undefined): ProjectionChoice {
    if (typeof path !== 'string') return { kind: 'generic' };
    const full = isAbsolute(path) ? path : resolve(this.host.baseDir, path);
    if (extname(full).toLowerCase() === '.py') {
      return {
        kind: 'python',
        path: full,
        pythonPath: [...new Set([this.host.baseDir, dirname(full)])],
        ...(invariant !== undefined ? { invariant } : {}),
      };
    }
    return { kind: 'file', path: full };
  }

  /**
   * Runs `work` on a replay of the events a call's arguments name (store; stream, category or
   * all; projection; invariant), its expressions sealed, and closes the replay after.
   */
  async withReplay<T>(args: Record<string, unknown>, work: (replay: OpenReplay) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const { ref } = await this.open(args.store);
    const invariant = args.invariant as string | undefined;
    const projection = this.projection(args.projection, invariant);
    const scope = scopeOf(args);
    const source: ReplaySourceSpec =
      isEventsFilePath(ref.location) && 'all' in scope
        ? { kind: 'eventsFile', path: resolve(this.host.baseDir, ref.location) }
        : { kind: 'store', scope, ...ref };
    const session = await ReplaySession.open({
      source,
      projection,
      sealExpressions: true,
      ...(signal ? { signal } : {}),
      ...(this.host.timeBudgetMs ? { timeBudgetMs: this.host.timeBudgetMs } : {}),
      ...(this.host.workerDir ? { workerScript: resolve(this.host.workerDir, 'projection-worker.js') } : {}),
    });
    // Cancelled after the first pass: the session ends, so what waits on it fails at once.
    const cancel = () => void session.dispose();
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      // A Python projection checks its (Python) invariant in its first pass; a JavaScript one is a pass of its own.
      const ownPass = invariant !== undefined && projection.kind !== 'python' ? invariant : undefined;
      const firstFailure = async (): Promise<Break | undefined> =>
        ownPass !== undefined ? session.firstFailure(0, ownPass) : session.summary.firstFailure;
      const link = (step: number) =>
        this.host.replayLink?.({ store: ref, scope, projection, ...(invariant !== undefined ? { invariant } : {}) }, step);
      return await work({ ref, session, projection, invariant, ownPass, firstFailure, link });
    } catch (error) {
      if (signal?.aborted) throw new ReplayCancelled();
      throw error;
    } finally {
      signal?.removeEventListener('abort', cancel);
      await session.dispose();
    }
  }

  async dispose(): Promise<void> {
    const stores = [...this.stores.values()];
    this.stores.clear();
    await Promise.all(stores.map((s) => s.then((store) => store.close()).catch(() => undefined)));
  }
}

/** A replay a tool call opened (ToolRunner.withReplay). */
interface OpenReplay {
  ref: StoreRef;
  session: ReplaySession;
  projection: ProjectionChoice;
  invariant: string | undefined;
  /** The invariant the replay checks in a pass of its own (a JavaScript one, given), else undefined. */
  ownPass: string | undefined;
  /** The first failure: of the invariant given, else of the projection's own (or a handler error). */
  firstFailure(): Promise<Break | undefined>;
  /** The host's link to this replay at a step, if it has one. */
  link(step: number): string | undefined;
}

/** Whether a call runs a projection file. */
const runsProjection = (args: Record<string, unknown>) => typeof args.projection === 'string';

/** Lists of items cut to the answer budget: the answer, and a note when items were left out. */
function fitted<T>(
  items: readonly T[],
  build: (items: readonly T[]) => Record<string, unknown>,
  more: string,
): { answer: Record<string, unknown>; kept: number } {
  const { answer, kept } = fitItems(items, build, LIST_BUDGET_BYTES);
  if (kept < items.length) {
    const notes = (answer.notes as string[] | undefined) ?? [];
    answer.notes = [...notes, `Only ${kept} of ${items.length} items fit in this answer; ${more}.`];
  }
  return { answer, kept };
}

/** The one sentence a failed call answers: the error's (with `keyAdvice` when a cipher key is missing), else an unexpected one. */
export function failureSentence(error: unknown, tool: string, keyAdvice: string): string {
  if (!(error instanceof EventscopeError)) return `Unexpected error in ${tool}: ${messageOf(error)}.`;
  return isMissingCipherKey(error) ? withAdvice(error.message, keyAdvice) : error.message;
}

/** The name VS Code knows a tool by (package.json's languageModelTools): `eventscope_<tool>`. */
export function lmToolName(tool: string): string {
  return `eventscope_${tool}`;
}

/** The tools, in the order they are listed. */
export const TOOLS: readonly ToolDefinition[] = [
  {
    name: 'store_info',
    title: 'Event store summary',
    description:
      'What an event store holds: its kind, how many events and streams, its categories (aggregate types) with stream counts, event types, snapshots, encoding, and the checkpoints of projections or downstream applications with their lag. Start here.',
    inputSchema: obj({
      store: STORE_ARG,
      upstream: str("The store the checkpoints' applications follow (a path, URL or connection name), for their lag."),
    }),
    outputSchema: obj(
      {
        store: str('The store.'),
        kind: str('The kind of store.'),
        events: int('How many events (-1: not counted).'),
        headPosition: int('The last position.'),
        streams: int('How many streams.'),
        snapshots: int('How many snapshots.'),
        encoding: obj({ compression: str(''), encrypted: { type: ['boolean', 'string'] } }),
        categories: { type: 'array', items: obj({ name: str(''), streams: int(''), topic: str('') }) },
        eventTypes: strings('The event types (from the first 200,000 events).'),
        checkpoints: { type: 'array', items: obj({ name: str(''), position: int(''), lag: { type: ['integer', 'null'] } }) },
        warnings: strings('How the store is opened, when it matters.'),
        notes: notesSchema,
      },
      ['store', 'kind', 'events', 'streams'],
    ),
    runsCode: () => false,
    shrinkable: ['categories', 'eventTypes', 'checkpoints'],
    async run(args, tools) {
      const { ref, store } = await tools.open(args.store);
      const info = await store.info();
      if (typeof args.upstream === 'string') {
        const upstream = await tools.open(args.upstream);
        info.checkpoints = await store.checkpoints(await upstream.store.headPosition());
      }
      const types = await eventTypes(store);
      const cuts = new Cuts();
      const structured: Record<string, unknown> = {
        store: ref.label,
        kind: STORE_KIND_LABELS[info.kind],
        events: info.events,
        headPosition: info.headPosition,
        streams: info.streams,
        snapshots: info.snapshots,
        encoding: info.encoding,
        categories: info.categories
          .slice(0, 100)
          .map((c) => ({ name: c.name, streams: c.streams, ...(c.topic ? { topic: c.topic } : {}) })),
        eventTypes: types.slice(0, 200),
        checkpoints: info.checkpoints.map((c) => ({ name: c.name, position: c.position, lag: c.lag })),
        warnings: info.warnings,
      };
      if (info.categories.length > 100)
        cuts.note('categories', `The first 100 of ${info.categories.length} categories; list_streams with a category reads one.`);
      if (types.length > 200) cuts.note('types', `The first 200 of ${types.length} event types.`);
      if (info.headPosition > 200_000) cuts.note('scan', 'Event types are those of the first 200,000 events.');
      if (cuts.notes.length) structured.notes = cuts.notes;
      const text = [
        `${ref.label}: ${STORE_KIND_LABELS[info.kind]}, ${info.events < 0 ? 'events not counted' : `${info.events} events`} in ${info.streams} streams (head position ${info.headPosition}), ${info.snapshots} snapshots.`,
        `Categories: ${listText(
          info.categories.map((c) => `${c.name} (${c.streams})`),
          50,
        )}.`,
        `Event types: ${listText(types, 50)}.`,
        info.checkpoints.length
          ? `Checkpoints: ${info.checkpoints.map((c) => `${c.name} at ${c.position}${c.lag === null ? '' : `, lag ${c.lag}`}`).join('; ')}.`
          : 'No checkpoints.',
        ...info.warnings,
      ].join('\n');
      return { structured, text: withNotes(text, cuts.notes) };
    },
  },
  {
    name: 'list_streams',
    title: 'List streams',
    description:
      'The streams (aggregates) of a store with their category, event count, last revision, first event type and label (a name people know them by), a page at a time; `cursor` from an answer goes on.',
    inputSchema: obj({
      store: STORE_ARG,
      category: str('Only streams of this category (aggregate type).'),
      prefix: str('Only stream ids that start with this.'),
      limit: int('How many streams (default 50).', { minimum: 1, maximum: 500 }),
      cursor: str('The `next` of a previous answer, to go on.'),
    }),
    outputSchema: obj(
      {
        store: str(''),
        streams: {
          type: 'array',
          items: obj({ streamId: str(''), label: str(''), category: str(''), count: int(''), lastRevision: int(''), firstType: str('') }, [
            'streamId',
            'count',
          ]),
        },
        next: str('Give as `cursor` for more.'),
        notes: notesSchema,
      },
      ['store', 'streams'],
    ),
    runsCode: () => false,
    shrinkable: ['streams'],
    async run(args, tools) {
      const { ref, store } = await tools.open(args.store);
      const category = args.category as string | undefined;
      const prefix = args.prefix as string | undefined;
      const filters = { category, prefix };
      if (category !== undefined) await checkCategory(store, category);
      let after: string | undefined;
      try {
        after = typeof args.cursor === 'string' ? await resumeFrom(store, args.cursor, filters, TOOL_CURSOR) : undefined;
      } catch (error) {
        if (!(error instanceof CursorError)) throw error;
        throw new EventscopeError(`${error.message[0].toUpperCase()}${error.message.slice(1)}.`, { cause: error });
      }
      // `count` streams from the cursor on, and the store's cursor after the last of them.
      const list = async (count: number): Promise<{ streams: StreamInfo[]; next: string | undefined }> => {
        const streams: StreamInfo[] = [];
        let next: string | undefined = after;
        do {
          const page = await store.listStreams({
            category,
            prefix,
            limit: count - streams.length,
            ...(next !== undefined ? { after: next } : {}),
          });
          streams.push(...(await labelStreams(store, page.items)));
          next = page.next;
        } while (next !== undefined && streams.length < count);
        return { streams, next };
      };
      const build = (items: readonly StreamInfo[], next?: string) => ({
        store: ref.label,
        streams: items.map((s) => ({
          streamId: s.streamId,
          ...(s.label !== undefined ? { label: s.label } : {}),
          category: s.category,
          count: s.count,
          lastRevision: s.lastRevision,
          firstType: s.firstType,
        })),
        ...(next !== undefined && items.length ? { next: encodeStreamCursor(next, items[items.length - 1].streamId, filters) } : {}),
      });
      const limit = (args.limit as number | undefined) ?? 50;
      let { streams, next } = await list(limit);
      let { kept } = fitItems(streams, (items) => build(items, next), LIST_BUDGET_BYTES);
      let answer: Record<string, unknown> = build(streams, next);
      // Cut by the budget: listed again up to the last stream that fits, for the store's own cursor after it.
      while (kept < streams.length) {
        ({ streams, next } = await list(kept));
        answer = build(streams, next);
        if (answerBytes(answer) <= LIST_BUDGET_BYTES || kept === 1) {
          answer.notes = [`Only ${kept} of the ${limit} streams asked for fit in this answer; give the \`next\` cursor for the rest.`];
          break;
        }
        kept--;
      }
      const lines = (answer.streams as Record<string, unknown>[]).map(
        (s) => `${s.streamId}${s.label ? ` (${s.label})` : ''} ${s.category}: ${s.count} events, first ${s.firstType}`,
      );
      const text = `${lines.length} streams in ${ref.label}${category ? ` of category ${category}` : ''}:\n${lines.join('\n')}${answer.next ? `\nMore: cursor "${answer.next}".` : ''}`;
      return { structured: answer, text: withNotes(text, (answer.notes as string[]) ?? []) };
    },
  },
  {
    name: 'read_stream',
    title: 'Read a stream',
    description: 'The decoded events of one stream (aggregate) in revision order (or newest first), a page at a time.',
    inputSchema: obj(
      {
        store: STORE_ARG,
        streamId: STREAM_ID_ARG,
        fromRevision: int('The first revision to read (default: the first; backwards: the last).', { minimum: 0 }),
        limit: int('How many events (default 20).', { minimum: 1, maximum: 200 }),
        backwards: bool('Newest first.'),
      },
      ['streamId'],
    ),
    outputSchema: obj(
      { store: str(''), streamId: str(''), events: eventsSchema, next: obj({ fromRevision: int('') }), notes: notesSchema },
      ['streamId', 'events'],
    ),
    runsCode: () => false,
    shrinkable: ['events'],
    async run(args, tools) {
      const { ref, store } = await tools.open(args.store);
      const streamId = await resolveStreamId(store, args.streamId as string);
      const backwards = args.backwards === true;
      const page = await store.readStream(streamId, {
        ...(args.fromRevision !== undefined ? { fromRevision: args.fromRevision as number } : {}),
        limit: (args.limit as number | undefined) ?? 20,
        direction: backwards ? 'backwards' : 'forwards',
      });
      return eventList(
        page.items,
        page.next,
        'fromRevision',
        (e) => e.revision,
        { store: ref.label, streamId },
        `${streamId} in ${ref.label}`,
        backwards,
      );
    },
  },
  {
    name: 'read_log',
    title: 'Read the global log',
    description:
      "The store's events in global order (all streams), from a position, optionally of some event types only, a page at a time.",
    inputSchema: obj({
      store: STORE_ARG,
      fromPosition: int('The first position to read (default: the first).', { minimum: 0 }),
      limit: int('How many events (default 20).', { minimum: 1, maximum: 200 }),
      types: strings('Only events of these types (a topic, or its last part such as "Deposited").'),
    }),
    outputSchema: obj({ store: str(''), events: eventsSchema, next: obj({ fromPosition: int('') }), notes: notesSchema }, ['events']),
    runsCode: () => false,
    shrinkable: ['events'],
    async run(args, tools) {
      const { ref, store } = await tools.open(args.store);
      const types = args.types as string[] | undefined;
      const page = await store.readAll({
        ...(args.fromPosition !== undefined ? { fromPosition: args.fromPosition as number } : {}),
        limit: (args.limit as number | undefined) ?? 20,
        ...(types?.length ? { types } : {}),
      });
      if (!page.items.length && types?.length) {
        const unknown = await unknownTypes(store, types);
        if (unknown) throw unknown;
      }
      return eventList(page.items, page.next, 'fromPosition', (e) => e.position, { store: ref.label }, ref.label);
    },
  },
  {
    name: 'show_event',
    title: 'Show one event',
    description: 'One event whole: its decoded data and metadata, and the kinds of exact values in it (decimal, UUID, datetime…).',
    inputSchema: obj(
      {
        store: STORE_ARG,
        streamId: STREAM_ID_ARG,
        revision: int('The revision in the stream.', { minimum: 0 }),
      },
      ['streamId', 'revision'],
    ),
    outputSchema: obj(
      { store: str(''), event: eventSchema, kinds: anyValue('JSON pointer into data -> kind of exact value.'), notes: notesSchema },
      ['event'],
    ),
    runsCode: () => false,
    shrinkable: ['event', 'kinds'],
    async run(args, tools) {
      const { ref, store } = await tools.open(args.store);
      const streamId = await resolveStreamId(store, args.streamId as string);
      const revision = args.revision as number;
      const event = (await store.readStream(streamId, { fromRevision: revision, limit: 1 })).items[0];
      if (!event || event.revision !== revision)
        throw new EventscopeError(`Stream ${streamId} in ${ref.label} has no revision ${revision}.`);
      const cuts = new Cuts();
      const shown = eventAnswer(event, cuts, 'read the store with the eventscope CLI for the rest', WHOLE_LIMITS);
      const structured: Record<string, unknown> = { store: ref.label, event: shown, kinds: event.kinds };
      if (cuts.notes.length) structured.notes = cuts.notes;
      return { structured, text: withNotes(`${eventLine(shown)}\n(The event whole is in the structured answer.)`, cuts.notes) };
    },
  },
  {
    name: 'search_events',
    title: 'Search events',
    description:
      'Events for which a JavaScript `where` expression over `event` holds (event.streamId, .revision, .position, .type, .timestamp, .data, .metadata), e.g. `event.data.amount > 1000` or `event.type.endsWith("Withdrawn") && event.data.amount > 500`, in global order (or in one stream), with their positions. The expression runs sealed: no require, process, files or network.',
    inputSchema: obj(
      {
        store: STORE_ARG,
        where: str('A JavaScript expression over `event`.', { minLength: 1 }),
        types: strings('Only events of these types.'),
        streamId: str('Only this stream.'),
        fromPosition: int('Search from this position on (the `next` of an answer).', { minimum: 0 }),
        limit: int('How many matches (default 20).', { minimum: 1, maximum: 100 }),
      },
      ['where'],
    ),
    outputSchema: obj(
      {
        store: str(''),
        where: str(''),
        events: eventsSchema,
        scanned: int('How many events were looked at.'),
        next: obj({ fromPosition: int('') }),
        expressionErrors: obj({ count: int(''), first: str('') }),
        notes: notesSchema,
      },
      ['events', 'scanned'],
    ),
    runsCode: () => false,
    shrinkable: ['events'],
    async run(args, tools, signal) {
      const where = args.where as string;
      compileWhere(where); // a sentence before the store opens
      const { ref, store } = await tools.open(args.store);
      const streamId = typeof args.streamId === 'string' ? await resolveStreamId(store, args.streamId) : undefined;
      const types = args.types as string[] | undefined;
      const found = await searchInWorker(
        {
          store: ref,
          where,
          ...(types?.length ? { types } : {}),
          ...(streamId !== undefined ? { streamId } : {}),
          ...(args.fromPosition !== undefined ? { fromPosition: args.fromPosition as number } : {}),
          limit: (args.limit as number | undefined) ?? 20,
        },
        tools.host.workerDir,
        signal,
      );
      const events = found.events;
      if (!events.length && types?.length && found.next === undefined) {
        const unknown = await unknownTypes(store, types);
        if (unknown) throw unknown;
      }
      const cuts = new Cuts();
      const build = (items: readonly RecordedEvent[]) => ({
        store: ref.label,
        where,
        events: items.map((e) => eventAnswer(e, cuts, GET_EVENT_WHOLE)),
        scanned: found.scanned,
      });
      const { answer, kept } = fitted(events, build, 'search again from the `next` position');
      const nextPosition = kept < events.length ? events[kept].position : found.next;
      if (nextPosition !== undefined) answer.next = { fromPosition: nextPosition };
      if (found.errors) answer.expressionErrors = found.errors;
      const notes = [...cuts.notes, ...((answer.notes as string[]) ?? []), ...(found.note ? [found.note] : [])];
      if (found.errors)
        notes.push(`The expression threw on ${found.errors.count} events (they count as no match); the first: ${found.errors.first}`);
      if (notes.length) answer.notes = notes;
      const shown = answer.events as Record<string, unknown>[];
      const text = `${shown.length} events where ${where} in ${ref.label} (${found.scanned} looked at):\n${shown.map(eventLine).join('\n')}${answer.next ? `\nMore: fromPosition ${(answer.next as { fromPosition: number }).fromPosition}.` : ''}`;
      return { structured: answer, text: withNotes(text, notes) };
    },
  },
  {
    name: 'replay',
    title: 'Replay a projection',
    description:
      "Replays a store's events (all, one stream or one category) through a projection (a file, or the generic one) and answers the replay's summary: steps, handler errors, the first failure of its invariant (or of `invariant`), the state at `atStep` (or at the end) and what that step changed.",
    inputSchema: obj({
      store: STORE_ARG,
      projection: PROJECTION_ARG,
      ...SCOPE_ARGS,
      invariant: INVARIANT_ARG,
      atStep: int('The step (1-based) whose state and changes to show (default: the last).', { minimum: 1 }),
    }),
    outputSchema: obj(
      {
        store: str(''),
        projection: str(''),
        source: str(''),
        steps: int('How many events the replay applied.'),
        elapsedMs: { type: 'number' },
        errors: obj({ count: int(''), first: { type: 'array', items: obj({ step: int(''), error: str('') }) } }),
        firstFailure: failureSchema,
        breaks: obj({ count: int(''), failingSteps: int(''), truncated: bool('') }),
        atStep: int(''),
        state: anyValue('The state after `atStep`.'),
        stepEvent: eventSchema,
        changes: { type: 'array', items: anyValue('One change: path, kind, before, after.') },
        stopped: str('Why the replay ended early.'),
        link: str('Where to see this replay (VS Code).'),
        notes: notesSchema,
      },
      ['steps'],
    ),
    runsCode: runsProjection,
    shrinkable: ['state', 'changes', 'stepEvent', 'firstFailure'],
    async run(args, tools, signal) {
      return tools.withReplay(
        args,
        async ({ ref, session, invariant, ownPass, firstFailure, link: linkAt }) => {
          const summary = session.summary;
          const failure = await firstFailure();
          const breaks = await session.breaks(ownPass);
          const steps = summary.steps;
          const at = Math.min((args.atStep as number | undefined) ?? steps, steps);
          if (args.atStep !== undefined && (args.atStep as number) > steps)
            throw new EventscopeError(`The replay has ${steps} steps; atStep ${args.atStep as number} is past its end.`);
          const cuts = new Cuts();
          const whole = 'ask for a smaller part (a stream) or open the replay in Eventscope';
          const structured: Record<string, unknown> = {
            store: ref.label,
            projection: summary.projection.name,
            source: summary.source,
            steps,
            elapsedMs: Math.round(summary.elapsedMs),
            errors: {
              count: summary.errors.length,
              first: summary.errors.slice(0, 5).map((m) => ({ step: m.index + 1, error: m.message })),
            },
            breaks: { count: breaks.breaks.length, failingSteps: breaks.failingSteps, truncated: breaks.truncated },
          };
          if (failure) structured.firstFailure = await failureAnswer(session, failure, cuts);
          if (at > 0) {
            // A state too big to send is not sent: its size is said instead.
            const record = await session.step(at - 1, { maxStateBytes: MAX_STATE_BYTES });
            structured.atStep = at;
            structured.stepEvent = eventAnswer(record.event, cuts, GET_EVENT_WHOLE);
            structured.changes = shapeValue(flattenDelta(record.changes), cuts, whole);
            if (record.statesOmitted) {
              structured.state = `(left out: ${Math.round((record.stateBytes ?? 0) / 1e6)} MB)`;
              cuts.note('state', 'The state is too big to answer; replay one stream or category (stream, category) to see one.');
            } else structured.state = shapeValue(record.stateAfter, cuts, whole);
          }
          if (summary.stopped) structured.stopped = summary.stopped;
          const link = linkAt(failure ? failure.index + 1 : at);
          if (link) structured.link = link;
          if (cuts.notes.length) structured.notes = cuts.notes;
          const f = structured.firstFailure as { step: number; error: string; event: Record<string, unknown> } | undefined;
          const text = [
            `Replayed ${summary.source} with ${summary.projection.name}: ${steps} steps in ${Math.round(summary.elapsedMs)} ms, ${summary.errors.length} handler errors.`,
            f
              ? `First failure at step ${f.step}: ${f.error} (${eventLine(f.event)}).`
              : invariant !== undefined || summary.hasInvariant
                ? 'The invariant held throughout.'
                : 'No invariant.',
            ...(summary.stopped ? [`Stopped: ${summary.stopped}`] : []),
            ...(at > 0 ? [`State after step ${at}: ${truncateText(stringifyExact(structured.state) ?? '', 2000)}`] : []),
            ...(link ? [link] : []),
          ].join('\n');
          return { structured, text: withNotes(text, cuts.notes) };
        },
        signal,
      );
    },
  },
  {
    name: 'find_first_failure',
    title: 'Find the first bad event',
    description:
      'The first event after which an invariant fails — "which event put the system into a bad state" — in one call: that event whole, the state before and after it (and the broken stream\'s part of it, where the state is kept per stream), what it changed, and the events of its stream just before. The invariant is a JavaScript expression over `state`, `event` and `before`, e.g. `state.balances[event.streamId] >= 0` with a projection that keeps balances. With the generic projection the state is `{events, byType, streams: {<id>: {events, lastType, lastRevision, fields}}}`, `fields` the latest value of each data field of the stream\'s events: e.g. `state.streams[event.streamId].events <= 100`.',
    inputSchema: obj({
      store: STORE_ARG,
      invariant: { ...INVARIANT_ARG, description: `${INVARIANT_ARG.description} Omitted: the projection's own invariant.`, minLength: 1 },
      projection: PROJECTION_ARG,
      ...SCOPE_ARGS,
    }),
    outputSchema: obj(
      {
        store: str(''),
        invariant: str(''),
        found: bool('Whether the invariant fails somewhere.'),
        steps: int('How many steps the replay has.'),
        step: int('The step (1-based) after which it first fails.'),
        error: str('Why it fails.'),
        partition: str(''),
        event: eventSchema,
        stateBefore: anyValue('The whole state before the event.'),
        stateAfter: anyValue('The whole state after it.'),
        partitionStateBefore: anyValue("The broken partition's (stream's) part of the state before, where the state is kept per stream."),
        partitionStateAfter: anyValue('That part after.'),
        changes: { type: 'array', items: anyValue('') },
        preceding: eventsSchema,
        link: str(''),
        notes: notesSchema,
      },
      ['found', 'steps'],
    ),
    runsCode: runsProjection,
    shrinkable: ['stateBefore', 'stateAfter', 'preceding', 'changes', 'partitionStateBefore', 'partitionStateAfter', 'event'],
    async run(args, tools, signal) {
      return tools.withReplay(
        args,
        async ({ ref, session, projection, invariant: given, firstFailure, link: linkAt }) => {
          const summary = session.summary;
          if (given === undefined && !summary.hasInvariant) {
            throw new EventscopeError(
              `Give an invariant: ${projection.kind === 'generic' ? 'the generic projection' : `the projection ${summary.projection.name}`} has none of its own.`,
            );
          }
          const invariant = given ?? `the invariant of ${summary.projection.name}`;
          const failure = await firstFailure();
          const base = { store: ref.label, invariant, steps: summary.steps };
          if (!failure) {
            const structured = { ...base, found: false, ...(summary.stopped ? { stopped: summary.stopped } : {}) };
            return {
              structured,
              text: `The invariant ${invariant} holds after every one of the ${summary.steps} steps of ${summary.source}.${summary.stopped ? ` (The replay stopped early: ${summary.stopped})` : ''}`,
            };
          }
          const cuts = new Cuts();
          const whole = 'replay one stream to see a smaller state';
          const record = await session.step(failure.index, { before: true, maxStateBytes: MAX_STATE_BYTES });
          const preceding = await session.preceding(failure.index, 3);
          const focus = (state: unknown) => partitionState(state, failure.partition);
          const structured: Record<string, unknown> = {
            ...base,
            found: true,
            step: failure.index + 1,
            error: failure.message,
            ...(failure.partition !== undefined ? { partition: failure.partition } : {}),
            event: eventAnswer(record.event, cuts, GET_EVENT_WHOLE),
            ...(record.statesOmitted
              ? { stateBefore: '(left out: too big)', stateAfter: '(left out: too big)' }
              : {
                  stateBefore: shapeValue(record.stateBefore, cuts, whole),
                  stateAfter: shapeValue(record.stateAfter, cuts, whole),
                  ...(focus(record.stateAfter) !== record.stateAfter
                    ? {
                        partitionStateBefore: shapeValue(focus(record.stateBefore), cuts, whole),
                        partitionStateAfter: shapeValue(focus(record.stateAfter), cuts, whole),
                      }
                    : {}),
                }),
            changes: shapeValue(flattenDelta(record.changes), cuts, whole),
            preceding: preceding.map((p) => eventAnswer(p.event, cuts, GET_EVENT_WHOLE)),
          };
          if (record.statesOmitted) {
            cuts.note(
              'state',
              `The states are too big to answer (${Math.round((record.stateBytes ?? 0) / 1e6)} MB); replay the stream that broke (stream: "${record.event.streamId}") to see its state.`,
            );
          }
          const link = linkAt(failure.index + 1);
          if (link) structured.link = link;
          if (cuts.notes.length) structured.notes = cuts.notes;
          const text = [
            `The invariant ${invariant} first fails after step ${failure.index + 1} of ${summary.steps}: ${failure.message}.`,
            `The event: ${eventLine(structured.event as Record<string, unknown>)}`,
            ...('partitionStateAfter' in structured
              ? [
                  `State of ${failure.partition} before: ${truncateText(stringifyExact(structured.partitionStateBefore) ?? '', 1000)}`,
                  `State of ${failure.partition} after: ${truncateText(stringifyExact(structured.partitionStateAfter) ?? '', 1000)}`,
                ]
              : []),
            `State before: ${truncateText(stringifyExact(structured.stateBefore) ?? '', 1000)}`,
            `State after: ${truncateText(stringifyExact(structured.stateAfter) ?? '', 1000)}`,
            `Changes: ${truncateText(stringifyExact(structured.changes) ?? '', 1500)}`,
            ...(link ? [link] : []),
          ].join('\n');
          return { structured, text: withNotes(text, cuts.notes) };
        },
        signal,
      );
    },
  },
];

/** An answer's list of events with the cursor of the page after. */
function eventList(
  events: RecordedEvent[],
  next: number | undefined,
  cursor: 'fromRevision' | 'fromPosition',
  cursorOf: (e: RecordedEvent) => number,
  head: Record<string, unknown>,
  where: string,
  backwards = false,
): ToolAnswer {
  const cuts = new Cuts();
  const build = (items: readonly RecordedEvent[]) => ({ ...head, events: items.map((e) => eventAnswer(e, cuts, GET_EVENT_WHOLE)) });
  const { answer, kept } = fitted(events, build, `read on from the \`next\` ${cursor}`);
  const goOn = kept < events.length ? cursorOf(events[kept]) : next;
  if (goOn !== undefined) answer.next = { [cursor]: goOn };
  const notes = [...cuts.notes, ...((answer.notes as string[]) ?? [])];
  if (notes.length) answer.notes = notes;
  const shown = answer.events as Record<string, unknown>[];
  const text = `${shown.length} events of ${where}${backwards ? ', newest first' : ''}:\n${shown.map(eventLine).join('\n')}${goOn !== undefined ? `\nMore: ${cursor} ${goOn}.` : ''}`;
  return { structured: answer, text: withNotes(text, notes) };
}

/** The failure as `replay` answers it: step, event, error, partition. */
async function failureAnswer(session: ReplaySession, failure: Break, cuts: Cuts): Promise<Record<string, unknown>> {
  const [event] = await session.events(failure.index, 1);
  return {
    step: failure.index + 1,
    event: eventAnswer(event, cuts, GET_EVENT_WHOLE),
    error: failure.message,
    ...(failure.partition !== undefined ? { partition: failure.partition } : {}),
  };
}

/** The part of a state a partition (a stream) has, where the state is kept per stream (`{streams: {id: …}}`, `{id: …}`). */
function partitionState(state: unknown, partition: string | undefined): unknown {
  if (partition === undefined || typeof state !== 'object' || state === null) return state;
  const record = state as Record<string, unknown>;
  const streams = record.streams;
  if (typeof streams === 'object' && streams !== null && partition in streams) return (streams as Record<string, unknown>)[partition];
  if (partition in record) return record[partition];
  return state;
}

/**
 * An answer within ANSWER_BUDGET_BYTES, text and structured part together: the text cut to
 * TEXT_BUDGET, then the `shrinkable` parts cut harder step by step (each item of a list on its
 * own, so that lists keep their length and their cursors stay true), then left out; each cut noted.
 */
function fitAnswer(answer: ToolAnswer, shrinkable: string[]): ToolAnswer {
  const text =
    answer.text.length > TEXT_BUDGET ? `${answer.text.slice(0, TEXT_BUDGET)}… (cut here: the structured answer has the rest)` : answer.text;
  const { structured } = answer;
  // Room for the notes this may add.
  const budget = ANSWER_BUDGET_BYTES - 600;
  const size = () => answerBytes(structured) + Buffer.byteLength(text);
  const cuts = new Cuts();
  const whole = 'ask for less (one stream, a smaller limit) to see more of it';
  for (const limits of SHRINK_STEPS) {
    if (size() <= budget) break;
    for (const key of shrinkable) {
      const value = structured[key];
      if (value === undefined) continue;
      structured[key] = Array.isArray(value)
        ? value.map((item) => shapeValue(item, cuts, whole, limits))
        : shapeValue(value, cuts, whole, limits);
    }
  }
  for (const key of shrinkable) {
    if (size() <= budget) break;
    if (structured[key] === undefined) continue;
    structured[key] = '(left out: too big for this answer)';
    cuts.note(`left-out-${key}`, `"${key}" was left out: too big for this answer; ${whole}.`);
  }
  if (cuts.notes.length) structured.notes = [...((structured.notes as string[] | undefined) ?? []), ...cuts.notes];
  return { structured, text };
}

/** The first `max` items of a list as text, and how many more. */
function listText(items: string[], max: number): string {
  if (!items.length) return 'none';
  return items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', ');
}

function truncateText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
