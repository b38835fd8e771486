/** The `eventscope` command: the core's stores and decoding, from a terminal and from CI. */

import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseCipherKey } from '../core/codecs/eventsourcing';
import { writeDemoStore } from '../core/demo';
import { EventscopeError, messageOf } from '../core/errors';
import { eventToJSON, qualifiedName, streamToJSON, type RecordedEvent } from '../core/events';
import { printEventsFile } from '../core/eventsFile/eventsFile';
import { stringifyExact } from '../core/json/exact';
import { eventLabel } from '../core/projection/replay';
import { ReplaySession } from '../core/projection/session';
import type { ReplayScope, ReplaySourceSpec } from '../core/projection/source';
import { openStore } from '../core/stores/open';
import type { EventStore, Page } from '../core/stores/types';
import { dim, renderFields, renderTable, truncate, useColor, type TableStyle } from './table';

declare const EVENTSCOPE_VERSION: string;

const USAGE = `Usage: eventscope <command> [options]

Commands:
  info    <store> [--upstream STORE]          tables, counts, categories, snapshots, checkpoints and lag
  streams <store> [--category C] [--prefix P] [--limit N] [--after CURSOR]
  events  <store> <streamId> [--from REV] [--limit N] [--backwards] [--events-format]
  log     <store> [--from POSITION] [--limit N] [--type T]... [--events-format]
  show    <store> <streamId> <revision>
  replay  <store> [--projection FILE] [--stream ID | --category C | --all]
          [--until-invariant-fails] [--time-budget MS]
                                              run a projection (JS/TS module or KurrentDB script;
                                              without --projection the generic built-in one) and
                                              print its final state and first failure
  demo    [PATH] [--force]                    write the demo store, print its path

<store> is the path of an eventsourcing SQLite file (replay also reads a .events file).

Exit status: 0 done, 1 an error (for replay: the projection threw or ran over its time budget),
2 bad usage.

Options:
  --json              print one JSON value on stdout
  --events-format     print events in the editable .events text format
  --cipher-key KEY    base64 AES key of an encrypted store (or EVENTSCOPE_CIPHER_KEY, CIPHER_KEY)
  -h, --help          show this help
  --version           print the version
`;

/** Bad usage: exit code 2. */
class UsageError extends Error {}

const options = {
  json: { type: 'boolean' },
  'cipher-key': { type: 'string' },
  category: { type: 'string' },
  prefix: { type: 'string' },
  limit: { type: 'string' },
  after: { type: 'string' },
  from: { type: 'string' },
  backwards: { type: 'boolean' },
  type: { type: 'string', multiple: true },
  upstream: { type: 'string' },
  force: { type: 'boolean' },
  'events-format': { type: 'boolean' },
  projection: { type: 'string' },
  stream: { type: 'string' },
  all: { type: 'boolean' },
  'until-invariant-fails': { type: 'boolean' },
  'time-budget': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} satisfies ParseArgsConfig['options'];

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

interface Context {
  values: Values;
  args: string[];
  out: (text: string) => void;
  style: TableStyle;
}

const ALLOWED: Record<string, { args: [number, number]; options: (keyof typeof options)[] }> = {
  info: { args: [1, 1], options: ['upstream'] },
  streams: { args: [1, 1], options: ['category', 'prefix', 'limit', 'after'] },
  events: { args: [2, 2], options: ['from', 'limit', 'backwards', 'events-format'] },
  log: { args: [1, 1], options: ['from', 'limit', 'type', 'events-format'] },
  show: { args: [3, 3], options: [] },
  demo: { args: [0, 1], options: ['force'] },
  replay: { args: [1, 1], options: ['projection', 'stream', 'category', 'all', 'until-invariant-fails', 'time-budget'] },
};
const COMMON: (keyof typeof options)[] = ['json', 'cipher-key', 'help', 'version'];

function integer(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text) || Number(text) < min) throw new UsageError(`--${name} must be an integer >= ${min} (got "${text}")`);
  return Number(text);
}

function cipherKey(values: Values): Buffer | undefined {
  if (values['cipher-key'] === '') throw new UsageError('--cipher-key is empty');
  const text = values['cipher-key'] ?? (process.env.EVENTSCOPE_CIPHER_KEY || process.env.CIPHER_KEY);
  return text ? parseCipherKey(text) : undefined;
}

async function withStore<T>(ctx: Context, work: (store: EventStore) => Promise<T>): Promise<T> {
  const store = openStore(ctx.args[0], { cipherKey: cipherKey(ctx.values) });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function dataSummary(event: RecordedEvent): string {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event.data)) if (k !== 'timestamp' && k !== 'originator_topic') rest[k] = v;
  return stringifyExact(rest);
}

function shortTime(ts: string | null): string {
  return ts ? ts.replace('T', ' ').slice(0, 19) : '';
}

/** Streams pages of events as one JSON array or as tables, without holding them all. */
async function printEvents(ctx: Context, pages: AsyncIterable<RecordedEvent[]>, withStream: boolean): Promise<void> {
  // Nothing is written until the first page has been read, so a store that fails at once
  // leaves stdout empty (a later failure still exits 1).
  let first = true;
  for await (const items of pages) {
    if (ctx.values['events-format']) {
      ctx.out((first ? '' : '\n') + printEventsFile(items));
      first = false;
      continue;
    }
    if (ctx.values.json) {
      for (const e of items) {
        ctx.out(`${first ? '[\n' : ',\n'}${stringifyExact(eventToJSON(e))}`);
        first = false;
      }
      continue;
    }
    if (items.length === 0) continue;
    // On a terminal the data column fits the window; piped output keeps it whole.
    const cols = process.stdout.isTTY ? Math.max(40, process.stdout.columns - (withStream ? 110 : 70)) : Infinity;
    const headers = withStream ? ['POS', 'STREAM', 'REV', 'TYPE', 'TIME', 'DATA'] : ['REV', 'POS', 'TYPE', 'TIME', 'DATA'];
    const rows = items.map((e) => {
      const common = [qualifiedName(e.type), shortTime(e.timestamp), truncate(dataSummary(e), cols)];
      return withStream
        ? [String(e.position), e.streamId, String(e.revision), ...common]
        : [String(e.revision), String(e.position), ...common];
    });
    const table = renderTable(headers, rows, ctx.style);
    ctx.out(first ? table : table.slice(table.indexOf('\n') + 1));
    first = false;
  }
  if (ctx.values['events-format']) return;
  if (ctx.values.json) ctx.out(first ? '[]\n' : '\n]\n');
  else if (first) ctx.out(dim('(no events)\n', ctx.style));
}

/** Reads pages until `limit` items (or the end), yielding each page. */
async function* pagesOf(read: (from: string | undefined, limit: number) => Promise<Page<RecordedEvent>>, limit: number | undefined) {
  let remaining = limit ?? Infinity;
  let from: string | undefined;
  while (remaining > 0) {
    const page = await read(from, Math.min(remaining, 1000));
    yield page.items;
    remaining -= page.items.length;
    if (page.next === undefined) return;
    from = page.next;
  }
}

const commands: Record<string, (ctx: Context) => Promise<void>> = {
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
            ['Kind', `eventsourcing SQLite, opened ${info.openMode} with ${info.engine}`],
            ['Encoding', encoding || 'plain JSON'],
            ['Events', `${info.events} (head position ${info.headPosition})`],
            ['Streams', String(info.streams)],
            ['Snapshots', String(info.snapshots)],
            ['Tables', info.tables.map((t) => `${t.name} (${t.rows} rows)`).join(', ')],
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
      if (!info.checkpoints.length) ctx.out(dim('(no tracking table: this store records no projection positions)\n', ctx.style));
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
    await withStore(ctx, async (store) => {
      const page = await store.listStreams({
        category: ctx.values.category,
        prefix: ctx.values.prefix,
        limit: integer('limit', ctx.values.limit, 1),
        after: ctx.values.after,
      });
      if (ctx.values.json) {
        ctx.out(`${stringifyExact(page.items.map(streamToJSON), 2)}\n`);
        if (page.next) process.stderr.write(`more streams: --after ${page.next}\n`);
        return;
      }
      if (!page.items.length) return ctx.out(dim('(no streams)\n', ctx.style));
      ctx.out(
        renderTable(
          ['STREAM', 'CATEGORY', 'EVENTS', 'LAST REV', 'FIRST TYPE'],
          page.items.map((s) => [s.streamId, s.category, String(s.count), String(s.lastRevision), qualifiedName(s.firstType)]),
          ctx.style,
        ),
      );
      if (page.next) ctx.out(dim(`\nMore streams: add --after ${page.next}\n`, ctx.style));
    });
  },

  async events(ctx) {
    const from = integer('from', ctx.values.from, 0);
    const limit = integer('limit', ctx.values.limit, 1);
    const direction = ctx.values.backwards ? 'backwards' : 'forwards';
    await withStore(ctx, async (store) => {
      const read = (next: string | undefined, n: number) =>
        store.readStream(ctx.args[1], { fromRevision: next === undefined ? from : Number(next), direction, limit: n });
      await printEvents(ctx, pagesOf(read, limit), false);
    });
  },

  async log(ctx) {
    const from = integer('from', ctx.values.from, 0);
    const limit = integer('limit', ctx.values.limit, 1);
    await withStore(ctx, async (store) => {
      const read = (next: string | undefined, n: number) =>
        store.readAll({ fromPosition: next === undefined ? from : Number(next), limit: n, types: ctx.values.type });
      await printEvents(ctx, pagesOf(read, limit), true);
    });
  },

  async show(ctx) {
    if (!/^\d+$/.test(ctx.args[2])) throw new UsageError(`the revision must be a whole number (got "${ctx.args[2]}")`);
    const revision = Number(ctx.args[2]);
    await withStore(ctx, async (store) => {
      const page = await store.readStream(ctx.args[1], { fromRevision: revision, limit: 1 });
      const event = page.items[0];
      if (!event || event.revision !== revision) {
        throw new EventscopeError(`Stream ${ctx.args[1]} in ${store.location} has no revision ${revision}.`);
      }
      if (ctx.values.json) return ctx.out(`${stringifyExact(eventToJSON(event), 2)}\n`);
      ctx.out(
        renderFields(
          [
            ['Type', event.type],
            ['Stream', event.streamId],
            ['Revision', String(event.revision)],
            ['Position', String(event.position)],
            ['Timestamp', event.timestamp ?? ''],
          ],
          ctx.style,
        ),
      );
      ctx.out(`\nData\n${stringifyExact(event.data, 2)}\n`);
      if (Object.keys(event.metadata).length) ctx.out(`\nMetadata\n${stringifyExact(event.metadata, 2)}\n`);
    });
  },

  async replay(ctx) {
    const { stream, category, all } = ctx.values;
    if ([stream !== undefined, category !== undefined, all === true].filter(Boolean).length > 1) {
      throw new UsageError('give one of --stream, --category and --all');
    }
    const scope: ReplayScope = stream !== undefined ? { stream } : category !== undefined ? { category } : { all: true };
    const location = ctx.args[0];
    const key = cipherKey(ctx.values);
    let source: ReplaySourceSpec;
    if (/\.events$/i.test(location)) {
      if (stream !== undefined || category !== undefined)
        throw new UsageError('a .events file is replayed whole: drop --stream/--category');
      source = { kind: 'eventsFile', path: resolve(location) };
    } else source = { kind: 'store', location, scope, ...(key ? { cipherKey: key } : {}) };
    const session = await ReplaySession.open({
      source,
      projection: ctx.values.projection ? { kind: 'file', path: ctx.values.projection } : { kind: 'generic' },
      timeBudgetMs: integer('time-budget', ctx.values['time-budget'], 1),
    });
    try {
      const summary = session.summary;
      const failure = summary.firstFailure;
      const until = ctx.values['until-invariant-fails'] && failure ? failure.index + 1 : summary.steps;
      const state = await session.stateAfter(until);
      const describe = async (mark: { index: number; message: string }, field: 'error' | 'message') => {
        const [e] = await session.events(mark.index, 1);
        return { index: mark.index, position: e.position, streamId: e.streamId, revision: e.revision, type: e.type, [field]: mark.message };
      };
      const firstFailure = failure ? await describe(failure, 'error') : null;
      const errors = await Promise.all(summary.errors.slice(0, 100).map((m) => describe(m, 'error')));
      if (ctx.values.json) {
        ctx.out(
          `${stringifyExact({ steps: until, state, firstFailure, errors, ...(summary.stopped ? { stopped: summary.stopped } : {}) }, 2)}\n`,
        );
      } else {
        ctx.out(
          renderFields(
            [
              ['Projection', `${summary.projection.name}${summary.projection.kind === 'kurrentdb' ? ' (KurrentDB script)' : ''}`],
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
                  : summary.hasInvariant
                    ? 'none: the invariant held throughout'
                    : 'none (the projection has no invariant)',
              ],
            ],
            ctx.style,
          ),
        );
        ctx.out(`\nState after step ${until}\n${stringifyExact(state, 2)}\n`);
      }
      if (summary.stopped) throw new EventscopeError(summary.stopped);
      const thrown = summary.errors[0];
      if (thrown && (!ctx.values['until-invariant-fails'] || thrown.index < until)) {
        const [e] = await session.events(thrown.index, 1);
        throw new EventscopeError(
          `the projection threw on ${eventLabel(e, thrown.index)}: ${thrown.message}${summary.errors.length > 1 ? ` (and on ${summary.errors.length - 1} more events)` : ''}.`,
        );
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
};

export async function main(argv: string[]): Promise<number> {
  const out = (text: string) => void process.stdout.write(text);
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError(messageOf(error));
    }
    const { values, positionals } = parsed;
    if (values.version) {
      out(`${EVENTSCOPE_VERSION}\n`);
      return 0;
    }
    const [command, ...args] = positionals;
    if (values.help || command === undefined || command === 'help') {
      (command === undefined && !values.help ? process.stderr : process.stdout).write(USAGE);
      return command === undefined && !values.help ? 2 : 0;
    }
    const spec = ALLOWED[command];
    if (!spec) throw new UsageError(`unknown command "${command}"`);
    const [min, max] = spec.args;
    if (args.length < min || args.length > max)
      throw new UsageError(`"${command}" takes ${min === max ? min : `${min} to ${max}`} argument(s), got ${args.length}`);
    for (const name of Object.keys(values) as (keyof typeof options)[]) {
      if (!COMMON.includes(name) && !spec.options.includes(name)) throw new UsageError(`"${command}" has no option --${name}`);
    }
    if (values.json && values['events-format']) throw new UsageError('--json and --events-format cannot be combined');
    await commands[command]({ values, args, out, style: { color: useColor(process.stdout) } });
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`eventscope: ${error.message}\nRun "eventscope --help" for usage.\n`);
      return 2;
    }
    if (error instanceof EventscopeError) {
      process.stderr.write(`eventscope: ${error.message}\n`);
      if (process.env.EVENTSCOPE_DEBUG) process.stderr.write(`${String((error.cause as Error | undefined)?.stack ?? error.stack)}\n`);
      return 1;
    }
    process.stderr.write(`eventscope: unexpected error: ${messageOf(error)} (set EVENTSCOPE_DEBUG=1 for details)\n`);
    if (process.env.EVENTSCOPE_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return 1;
  }
}

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
