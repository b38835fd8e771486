/** The `eventscope` command: the core's stores and decoding, from a terminal and from CI. */

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseCipherKey } from '../core/codecs/eventsourcing';
import { writeDemoStore } from '../core/demo';
import { EventscopeError, isMissingCipherKey, messageOf, withAdvice } from '../core/errors';
import { eventToJSON, eventToTypedJSON, qualifiedName, streamToJSON, type RecordedEvent, type StreamInfo } from '../core/events';
import { printEventsFile } from '../core/eventsFile/eventsFile';
import { stringifyExact } from '../core/json/exact';
import { labelStreams } from '../core/labels';
import { describeBreaks } from '../core/projection/breaks';
import { eventLabel } from '../core/projection/replay';
import { ReplaySession } from '../core/projection/session';
import type { ReplaySourceSpec } from '../core/projection/source';
import type { ProjectionChoice, ReplayScope } from '../core/projection/types';
import { parseDotEnv } from '../core/dotEnv';
import { isEventsFilePath } from '../core/stores/eventsFileStore';
import { openStore } from '../core/stores/open';
import { pagesOf, resolveStreamId, STORE_KIND_LABELS, type EventStore, type Page } from '../core/stores/types';
import { guardSealedRejections } from '../core/sealed';
import { compileWhere } from '../core/where';
import { checkCategory, unknownTypes } from '../core/known';
import { parseCommandLine, UsageError } from './args';
import { completionScript, type Shell } from './completion';
import { CursorError, encodeStreamCursor, resumeFrom } from '../core/query/cursor';
import { commandHelp, generalHelp } from './help';
import { firstOf, parallelLogPages, parallelWorthIt, renderJSON, type RenderedPage } from './eventPages';
import { dataSummary, renderEvent, shortTime } from './eventText';
import { firstItems, logPages, parseBound, type LogQuery } from '../core/query/log';
import { Output } from './output';
import { progressFor } from './progress';
import { breaksJSON, failureContext, failureContextJSON, type FailureContext } from '../core/query/replayReport';
import { DEFAULT_CONTEXT, InvariantFails, renderFailureContext } from './replayReport';
import { DEFAULT_STREAMS, takesOption, type CommandName, type Values } from './spec';
import { dim, renderFields, renderTable, truncate, useColor, type TableStyle } from './table';
import type { TranscodingMapping } from '../core/codecs/transcodings';
import { checkTyped, notingReads, transcodingMapping, TranscodingNotes } from './transcodings';

declare const EVENTSCOPE_VERSION: string;

/** Items asked of the store per page (the store may cap a page lower; the loops go on until done). */
const PAGE = 1000;

interface Context {
  values: Values;
  args: string[];
  /** Writes to stdout; returns a promise when the reader is behind (loops await it). */
  out: (text: string) => Promise<void> | undefined;
  style: TableStyle;
  command: CommandName;
  /** `--transcoding NAME=KIND`, parsed once (undefined: none given). */
  transcodings: TranscodingMapping | undefined;
  /** Says each application transcoding shown as stored once, on stderr. */
  notes: TranscodingNotes;
}

/** The projection `replay` runs: --projection, the generic one, or with --python the user's Python code. */
function projectionOf(values: Values): ProjectionChoice {
  const { projection } = values;
  if (!values.python) {
    for (const name of ['app', 'policy', 'mutator', 'python-path', 'interpreter', 'dotenv'] as const) {
      if (values[name] !== undefined) throw new UsageError(`--${name} needs --python`, 'replay');
    }
    return projection ? { kind: 'file', path: projection } : { kind: 'generic' };
  }
  if (values.policy && (values.app === undefined || projection !== undefined)) {
    throw new UsageError('--policy replays the policy of the application --app names, instead of a --projection', 'replay');
  }
  if (projection !== undefined && !/\.py$/i.test(projection)) {
    throw new UsageError('with --python, --projection is a Python module (a .py file)', 'replay');
  }
  const envFile = values.dotenv;
  let env: Record<string, string> | undefined;
  if (envFile !== undefined) {
    try {
      env = parseDotEnv(readFileSync(envFile, 'utf8'));
    } catch (error) {
      throw new EventscopeError(`${resolve(envFile)}: can't read the .env file (${messageOf(error)}).`, { cause: error });
    }
  }
  const roots = values['python-path'] ?? ['.', 'src'].filter((dir) => existsSync(dir));
  return {
    kind: 'python',
    ...(projection !== undefined ? { path: resolve(projection) } : {}),
    ...(values.app !== undefined ? { app: values.app } : {}),
    ...(values.policy ? { policy: true } : {}),
    ...(values.mutator !== undefined ? { mutator: values.mutator } : {}),
    pythonPath: roots.map((dir) => resolve(dir)),
    ...(values.interpreter !== undefined ? { interpreter: values.interpreter } : {}),
    ...(env ? { env } : {}),
    ...(values.invariant !== undefined ? { invariant: values.invariant } : {}),
  };
}

function cipherKey(values: Values): Buffer | undefined {
  const text = values['cipher-key'] ?? (process.env.EVENTSCOPE_CIPHER_KEY || process.env.CIPHER_KEY);
  return text ? parseCipherKey(text) : undefined;
}

async function withStore<T>(ctx: Context, work: (store: EventStore) => Promise<T>): Promise<T> {
  const { transcodings } = ctx;
  const store = openStore(ctx.args[0], { cipherKey: cipherKey(ctx.values), ...(transcodings ? { transcodings } : {}) });
  try {
    // Where --transcoding can map them, an application's transcodings shown as stored are noted.
    return await work(takesOption(ctx.command, 'transcoding') ? notingReads(store, ctx.notes) : store);
  } finally {
    await store.close();
  }
}

/** How a list of items prints in each output format. */
interface ListFormat<T> {
  /** For the progress line and the empty table: "events", "streams". */
  noun: string;
  toJSON: (item: T) => unknown;
  /** With `--typed`: the item's JSON with the kinds of its exact values. */
  typedJSON?: (item: T) => unknown;
  headers: string[];
  row: (item: T) => string[];
  /** The `.events` text of a page (events only). */
  eventsFile?: (items: T[]) => string;
}

/**
 * Prints pages of items as they are read, without holding them: one JSON array (`--json`), one
 * JSON value per line (`--ndjson`), `.events` text, or a table (aligned across pages as far as
 * the widths seen so far allow). Waits for the reader between items, so memory stays flat.
 */
async function printList<T>(ctx: Context, pages: AsyncIterable<T[]>, format: ListFormat<T>, onEmpty?: () => Promise<void>): Promise<void> {
  const { json, ndjson } = ctx.values;
  const toJSON = ctx.values.typed && format.typedJSON ? format.typedJSON : format.toJSON;
  if (json || ndjson) return printJSONPages(ctx, renderPages(pages, toJSON, jsonSeparator(ctx)), format.noun, undefined, onEmpty);
  const eventsFile = ctx.values['events-format'] ? format.eventsFile : undefined;
  const progress = progressFor(format.noun);
  const widths: number[] = [];
  // Nothing is written until the first page has been read, so a store that fails at once
  // leaves stdout empty (a later failure still exits 1).
  let first = true;
  try {
    for await (const items of pages) {
      progress?.add(items.length);
      if (!items.length) continue;
      if (eventsFile) await ctx.out((first ? '' : '\n') + eventsFile(items));
      else {
        const table = renderTable(format.headers, items.map(format.row), ctx.style, widths);
        await ctx.out(first ? table : table.slice(table.indexOf('\n') + 1));
      }
      first = false;
    }
  } finally {
    progress?.done();
  }
  if (first) await onEmpty?.();
  if (!eventsFile && first) await ctx.out(dim(`(no ${format.noun})\n`, ctx.style));
}

function eventFormat(withStream: boolean): ListFormat<RecordedEvent> {
  // On a terminal the data column fits the window; piped output keeps it whole.
  const cols = process.stdout.isTTY ? Math.max(40, process.stdout.columns - (withStream ? 110 : 70)) : Infinity;
  return {
    noun: 'events',
    toJSON: eventToJSON,
    typedJSON: eventToTypedJSON,
    headers: withStream ? ['POS', 'STREAM', 'REV', 'TYPE', 'TIME', 'DATA'] : ['REV', 'POS', 'TYPE', 'TIME', 'DATA'],
    row: (e) => {
      const common = [qualifiedName(e.type), shortTime(e.timestamp), truncate(dataSummary(e), cols)];
      return withStream
        ? [String(e.position), e.streamId, String(e.revision), ...common]
        : [String(e.revision), String(e.position), ...common];
    },
    eventsFile: (items) => printEventsFile(items),
  };
}

/** `--ndjson` puts one JSON value a line; `--json` one array, a value a line. */
const jsonSeparator = (ctx: Context) => (ctx.values.ndjson ? '\n' : ',\n');

/** Pages of items rendered as JSON text. */
async function* renderPages<T>(pages: AsyncIterable<T[]>, toJSON: (item: T) => unknown, separator: string): AsyncGenerator<RenderedPage> {
  for await (const items of pages) yield renderJSON(items, toJSON, separator);
}

/**
 * Prints pages rendered as JSON (`renderJSON`) as one `--json` array or `--ndjson` lines, cut at
 * `limit`: the pages of `printList`'s reads and of `parallelLogPages` alike.
 */
async function printJSONPages(
  ctx: Context,
  pages: AsyncIterable<RenderedPage>,
  noun: string,
  limit?: number,
  onEmpty?: () => Promise<void>,
): Promise<void> {
  const ndjson = ctx.values.ndjson;
  const progress = progressFor(noun);
  let first = true;
  let remaining = limit ?? Infinity;
  try {
    for await (const whole of pages) {
      if (whole.transcodings) ctx.notes.names(whole.transcodings); // found by a reader thread
      const page = firstOf(whole, remaining);
      remaining -= page.ends.length;
      if (page.ends.length) {
        progress?.add(page.ends.length);
        await ctx.out(ndjson ? `${page.text}\n` : `${first ? '[\n' : ',\n'}${page.text}`);
        first = false;
      }
      if (remaining <= 0) break;
    }
  } finally {
    progress?.done();
  }
  if (first) await onEmpty?.();
  if (!ndjson) await ctx.out(first ? '[]\n' : '\n]\n');
}

const commands: Record<Exclude<CommandName, 'help'>, (ctx: Context) => Promise<void>> = {
  async info(ctx) {
    const upstreamHead = ctx.values.upstream
      ? await (async () => {
          const upstream = openStore(ctx.values.upstream!, { cipherKey: cipherKey(ctx.values) });
          try {
            return (await upstream.info()).headPosition;
          } finally {
            await upstream.close();
          }
        })()
      : undefined;
    await withStore(ctx, async (store) => {
      const info = await store.info();
      if (upstreamHead !== undefined) info.checkpoints = await store.checkpoints(upstreamHead);
      if (ctx.values.json) return ctx.out(`${stringifyExact(info, 2)}\n`);
      const enc = info.encoding;
      const encoding = [
        enc.encrypted === true ? 'AES-GCM' : enc.encrypted === 'unknown' ? 'encrypted? (no key given)' : '',
        enc.compression === 'none' ? '' : enc.compression,
      ]
        .filter(Boolean)
        .join(' + ');
      ctx.out(
        renderFields(
          [
            ['Store', info.location],
            ['Kind', `${STORE_KIND_LABELS[info.kind]}, opened ${info.openMode} with ${info.engine}`],
            ['Encoding', encoding || 'plain JSON'],
            ['Events', `${info.events < 0 ? 'not counted' : info.events} (head position ${info.headPosition})`],
            ['Streams', String(info.streams)],
            ['Snapshots', String(info.snapshots)],
            ...(info.tables.length
              ? [['Tables', info.tables.map((t) => `${t.name} (${t.rows} rows)`).join(', ')] as [string, string]]
              : []),
          ],
          ctx.style,
        ),
      );
      for (const w of info.warnings) ctx.out(`\nNote: ${w}\n`);
      ctx.out('\nCategories\n');
      ctx.out(
        info.categories.length
          ? renderTable(
              ['NAME', 'STREAMS', 'TOPIC'],
              info.categories.map((c) => [c.name, String(c.streams), c.topic ?? '']),
              ctx.style,
            )
          : dim('(none)\n', ctx.style),
      );
      ctx.out('\nCheckpoints\n');
      if (!info.checkpoints.length)
        ctx.out(dim(`(${info.tables.length ? 'no tracking table: ' : ''}this store records no projection positions)\n`, ctx.style));
      else {
        ctx.out(
          renderTable(
            ['APPLICATION', 'POSITION', 'LAG'],
            info.checkpoints.map((c) => [c.name, String(c.position), c.lag === null ? 'unknown (pass --upstream STORE)' : String(c.lag)]),
            ctx.style,
          ),
        );
      }
    });
  },

  async streams(ctx) {
    const { category, prefix, limit } = ctx.values;
    const filters = { category, prefix };
    await withStore(ctx, async (store) => {
      if (category !== undefined) await checkCategory(store, category);
      let after: string | undefined;
      try {
        after = ctx.values.after === undefined ? undefined : await resumeFrom(store, ctx.values.after, filters);
      } catch (error) {
        throw error instanceof CursorError ? new UsageError(error.message, 'streams') : error;
      }
      // Without --limit one page, and the cursor of the next; with it, exactly N (or all there are).
      let next: string | undefined;
      let last: string | undefined;
      const read = async (from: string | undefined, n: number | undefined): Promise<Page<StreamInfo>> => {
        const page = await store.listStreams({ category, prefix, limit: n, after: from });
        next = page.next;
        last = page.items.at(-1)?.streamId ?? last;
        return { items: await labelStreams(store, page.items), next: page.next };
      };
      await printList(ctx, pagesOf(read, { from: after, limit: limit ?? DEFAULT_STREAMS, pageSize: PAGE }), {
        noun: 'streams',
        toJSON: streamToJSON,
        headers: ['STREAM', 'LABEL', 'CATEGORY', 'EVENTS', 'LAST REV', 'FIRST TYPE'],
        row: (s) => [s.streamId, s.label ?? '', s.category, String(s.count), String(s.lastRevision), qualifiedName(s.firstType)],
      });
      if (next === undefined || last === undefined) return;
      const cursor = encodeStreamCursor(next, last, filters);
      if (ctx.values.json || ctx.values.ndjson) process.stderr.write(`more streams: --after ${cursor}\n`);
      else await ctx.out(dim(`\nMore streams: add --after ${cursor}\n`, ctx.style));
    });
  },

  async events(ctx) {
    const { from, limit } = ctx.values;
    const direction = ctx.values.backwards ? 'backwards' : 'forwards';
    await withStore(ctx, async (store) => {
      const streamId = await resolveStreamId(store, ctx.args[1]);
      const read = (fromRevision: number | undefined, n: number | undefined) =>
        store.readStream(streamId, { fromRevision, direction, limit: n });
      await printList(ctx, pagesOf(read, { from, limit, pageSize: PAGE }), eventFormat(false));
    });
  },

  async log(ctx) {
    const { from, limit, json, ndjson, since, until, where, backwards, follow } = ctx.values;
    if (follow && json)
      throw new UsageError('--follow prints as it goes: use it with --ndjson, --events-format or the table (not --json)', 'log');
    const query: LogQuery = {
      ...(ctx.values.type ? { types: ctx.values.type } : {}),
      ...(from !== undefined ? { from } : {}),
      ...(since !== undefined ? { since: parseBound('since', since) } : {}),
      ...(until !== undefined ? { until: parseBound('until', until) } : {}),
      // Compiled before the store opens: a bad expression fails first.
      ...(where !== undefined ? { where: compileWhere(where) } : {}),
      ...(backwards ? { backwards } : {}),
    };
    const filtered = ctx.values.stream !== undefined || Object.keys(query).some((k) => k !== 'from');
    await withStore(ctx, async (store) => {
      if (filtered || follow) {
        const abort = new AbortController();
        const stop = () => abort.abort();
        if (follow) {
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        }
        try {
          const pages = logPages(store, {
            ...query,
            ...(ctx.values.stream !== undefined ? { streamId: await resolveStreamId(store, ctx.values.stream) } : {}),
            ...(follow ? { follow, signal: abort.signal } : {}),
            onWhereError: (error, count) => {
              if (count === 1) process.stderr.write(`eventscope: ${error.message} Such events count as no match.\n`);
            },
          });
          // Nothing of a type the store has never seen: say so, with the types it has.
          const onEmpty = async () => {
            const error = ctx.values.type ? await unknownTypes(store, ctx.values.type) : undefined;
            if (error) throw error;
          };
          await printList(ctx, limit === undefined ? pages : firstItems(pages, limit), eventFormat(true), onEmpty);
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
        return;
      }
      if (json || ndjson) {
        // A long read in JSON: two threads (see eventPages.ts); the same bytes as the loop below.
        const head = await store.headPosition();
        const start = Math.max(from ?? 0, 0);
        if (parallelWorthIt(start, head, limit)) {
          const key = cipherKey(ctx.values);
          const { transcodings } = ctx;
          const data = {
            location: store.location,
            separator: jsonSeparator(ctx),
            ...(key ? { cipherKey: key } : {}),
            ...(transcodings ? { transcodings } : {}),
            ...(ctx.values.typed ? { typed: true } : {}),
          };
          return printJSONPages(ctx, parallelLogPages(data, start, head, store), 'events', limit);
        }
      }
      const read = (fromPosition: number | undefined, n: number | undefined) =>
        store.readAll({ fromPosition, limit: n, types: ctx.values.type });
      await printList(ctx, pagesOf(read, { from, limit, pageSize: PAGE }), eventFormat(true));
    });
  },

  async show(ctx) {
    const revision = Number(ctx.args[2]); // checked by the parser: an integer >= 0
    await withStore(ctx, async (store) => {
      const streamId = await resolveStreamId(store, ctx.args[1]);
      const page = await store.readStream(streamId, { fromRevision: revision, limit: 1 });
      const event = page.items[0];
      if (!event || event.revision !== revision) {
        throw new EventscopeError(`Stream ${streamId} in ${store.location} has no revision ${revision}.`);
      }
      if (ctx.values.json) return ctx.out(`${stringifyExact(ctx.values.typed ? eventToTypedJSON(event) : eventToJSON(event), 2)}\n`);
      ctx.out(renderEvent(event, ctx.style));
    });
  },

  async replay(ctx) {
    const { stream, category } = ctx.values;
    const scope: ReplayScope = stream !== undefined ? { stream } : category !== undefined ? { category } : { all: true };
    const location = ctx.args[0];
    const key = cipherKey(ctx.values);
    let source: ReplaySourceSpec;
    if (isEventsFilePath(location) && 'all' in scope) {
      source = { kind: 'eventsFile', path: resolve(location) };
    } else {
      const { transcodings } = ctx;
      source = { kind: 'store', location, scope, ...(key ? { cipherKey: key } : {}), ...(transcodings ? { transcodings } : {}) };
    }
    const projection = projectionOf(ctx.values);
    const untilFails = ctx.values['until-invariant-fails'] === true;
    if (ctx.values.context !== undefined && !untilFails) throw new UsageError('--context needs --until-invariant-fails', 'replay');
    const session = await ReplaySession.open({ source, projection, timeBudgetMs: ctx.values['time-budget'] });
    try {
      const summary = session.summary;
      if (summary.transcodings) ctx.notes.names(summary.transcodings);
      const expression = ctx.values.invariant;
      // Every break of the invariant (core/projection/breaks.ts): one pass, kept, so the first
      // failure below is read from it.
      const breakList = await session.breaks(projection.kind !== 'python' ? expression : undefined);
      // --invariant replaces the projection's own (handler errors still count as failures); a
      // Python replay checks it in its first pass already. Where --until-invariant-fails stopped.
      const failure =
        expression !== undefined && projection.kind !== 'python' ? await session.firstFailure(0, expression) : summary.firstFailure;
      const until = untilFails && failure ? failure.index + 1 : summary.steps;
      const contextCount = ctx.values.context ?? DEFAULT_CONTEXT;
      const context: FailureContext | undefined =
        untilFails && failure ? await failureContext(session, failure.index, contextCount) : undefined;
      // --typed: the state with the kinds of its exact values.
      const typed = ctx.values.typed ? await session.typedStateAfter(until) : undefined;
      const state = typed ? typed.state : await session.stateAfter(until);
      const describe = async (mark: { index: number; message: string }) => {
        const [e] = await session.events(mark.index, 1);
        return { index: mark.index, position: e.position, streamId: e.streamId, revision: e.revision, type: e.type, error: mark.message };
      };
      const firstFailure = failure ? await describe(failure) : null;
      const errors = await Promise.all(summary.errors.slice(0, 100).map((m) => describe(m)));
      if (ctx.values.json) {
        ctx.out(
          `${stringifyExact({ steps: until, state, ...(typed ? { kinds: typed.kinds } : {}), firstFailure, breaks: await breaksJSON(session, breakList.breaks), ...(breakList.truncated ? { breaksTruncated: true } : {}), errors, ...(context ? { context: failureContextJSON(context, ctx.values.typed) } : {}), ...(summary.stopped ? { stopped: summary.stopped } : {}) }, 2)}\n`,
        );
      } else {
        ctx.out(
          renderFields(
            [
              ['Projection', `${summary.projection.name}${summary.projection.kind === 'kurrentdb' ? ' (KurrentDB script)' : ''}`],
              ...(summary.runtime ? [['Runtime', summary.runtime] as [string, string]] : []),
              ['Source', summary.source],
              [
                'Steps',
                `${until}${until < summary.steps ? ` of ${summary.steps} (stopped at the first failure)` : ''} in ${Math.round(summary.elapsedMs)} ms`,
              ],
              ['Errors', String(summary.errors.length)],
              [
                'First failure',
                firstFailure
                  ? `step ${firstFailure.index + 1}: ${qualifiedName(firstFailure.type)} in ${firstFailure.streamId} rev ${firstFailure.revision} (position ${firstFailure.position}): ${firstFailure.error}`
                  : summary.hasInvariant || expression !== undefined
                    ? 'none: the invariant held throughout'
                    : 'none (the projection has no invariant)',
              ],
              ...(breakList.breaks.length
                ? [
                    [
                      'Breaks',
                      `${describeBreaks(breakList.breaks, breakList.truncated)}${summary.partitioning ? `, ${summary.partitioning === 'stream' ? 'per stream' : 'per partition'}` : ''}; ${breakList.failingSteps} failing steps`,
                    ] as [string, string],
                  ]
                : []),
            ],
            ctx.style,
          ),
        );
        if (context) ctx.out(renderFailureContext(context, contextCount, ctx.style));
        ctx.out(`\nState after step ${until}\n${stringifyExact(state, 2)}\n`);
      }
      if (summary.stopped) throw new EventscopeError(summary.stopped);
      const thrown = summary.errors[0];
      if (thrown && (!untilFails || thrown.index < until)) {
        const [e] = await session.events(thrown.index, 1);
        throw new EventscopeError(
          `the projection threw on ${eventLabel(e, thrown.index)}: ${thrown.message}${summary.errors.length > 1 ? ` (and on ${summary.errors.length - 1} more events)` : ''}.`,
        );
      }
      if (untilFails && context) {
        throw new InvariantFails(`the invariant fails after ${eventLabel(context.event, context.index)}: ${firstFailure!.error}`);
      }
    } finally {
      await session.dispose();
    }
  },

  async demo(ctx) {
    const path = resolve(ctx.args[0] ?? join(tmpdir(), 'eventscope-demo.sqlite'));
    if (existsSync(path)) {
      if (!ctx.values.force) throw new EventscopeError(`${path} already exists; pass --force to replace it with a new demo store.`);
      if (!statSync(path).isFile()) throw new EventscopeError(`${path} is not a file; not replacing it.`);
    }
    mkdirSync(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    try {
      const written = writeDemoStore(temp);
      for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
      renameSync(temp, path);
      if (ctx.values.json) ctx.out(`${stringifyExact({ path, ...written })}\n`);
      else ctx.out(`${path}\n`);
    } finally {
      for (const suffix of ['', '-wal', '-shm']) rmSync(temp + suffix, { force: true });
    }
  },

  async mcp(ctx) {
    // The SDK and the tools load only for this command (dist/mcp.js).
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, outside the bundle
    const { runMcpServer } = require(join(__dirname, 'mcp.js')) as typeof import('../mcp/main');
    await runMcpServer({ stores: ctx.values.store ?? [], allowCode: ctx.values['allow-code'] === true });
  },

  async completion(ctx) {
    await ctx.out(completionScript(ctx.args[0] as Shell));
  },
};

function usageLine(error: UsageError): string {
  const help = error.command ? `eventscope ${error.command} --help` : 'eventscope --help';
  return `eventscope: ${error.message} (see "${help}")\n`;
}

/** How a terminal gives the cipher key the core says is missing. */
const CIPHER_KEY_ADVICE = 'give it with --cipher-key or EVENTSCOPE_CIPHER_KEY (the library’s CIPHER_KEY)';

/** The one line an EventscopeError prints, with the advice only the terminal can give. */
function errorLine(error: EventscopeError): string {
  return `eventscope: ${isMissingCipherKey(error) ? withAdvice(error.message, CIPHER_KEY_ADVICE) : error.message}\n`;
}

export async function main(argv: string[]): Promise<number> {
  let output = new Output(process.stdout);
  const out = (text: string) => {
    const waiting = output.write(text);
    // One-off writes need not wait; a failed write (the reader went away) must not go unhandled.
    waiting?.catch(() => undefined);
    return waiting;
  };
  try {
    const line = parseCommandLine(argv);
    switch (line.kind) {
      case 'version':
        out(`${EVENTSCOPE_VERSION}\n`);
        return 0;
      case 'usage':
        process.stderr.write(generalHelp());
        return 2;
      case 'help':
        out(line.command ? commandHelp(line.command) : generalHelp());
        return 0;
      case 'run': {
        if (line.command === 'help') return 0; // parsed as 'help'
        checkTyped(line.values, line.command);
        // `log --follow` prints each event as it comes: no gathering into chunks.
        if (line.values.follow) output = new Output(process.stdout, 0);
        const transcodings = transcodingMapping(line.values, line.command);
        await commands[line.command]({
          values: line.values,
          args: line.args,
          out,
          style: { color: useColor(process.stdout) },
          command: line.command,
          transcodings,
          notes: new TranscodingNotes(transcodings),
        });
        return 0;
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(usageLine(error));
      return 2;
    }
    if (error instanceof InvariantFails) {
      process.stderr.write(`eventscope: ${error.message}\n`);
      return error.status;
    }
    if (error instanceof EventscopeError) {
      process.stderr.write(errorLine(error));
      if (process.env.EVENTSCOPE_DEBUG) process.stderr.write(`${String((error.cause as Error | undefined)?.stack ?? error.stack)}\n`);
      return 1;
    }
    process.stderr.write(`eventscope: unexpected error: ${messageOf(error)} (set EVENTSCOPE_DEBUG=1 for details)\n`);
    if (process.env.EVENTSCOPE_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return 1;
  } finally {
    // What was printed before a failure still goes out (streamed output is partly out already).
    await output.end().catch(() => undefined);
  }
}

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// `log --where` and the MCP server run sealed expressions in this process.
guardSealedRejections();

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
