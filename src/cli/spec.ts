/**
 * The command table: every command of `eventscope`, its arguments and options. One source of
 * truth for parsing and validation (`args.ts`), `--help` (`help.ts`), shell completion
 * (`completion.ts`) and the README's command list (checked by `test/cli-table.test.ts`).
 */

/**
 * What an option's or argument's value is: `flag` (no value), `text`, `file` (a path: completed
 * as one), `count` (an integer >= 1), `index` (an integer >= 0), `cursor` (printed by `streams`),
 * `choice` (one of `choices`), `command` (a command's name).
 */
export type ValueKind = 'flag' | 'text' | 'file' | 'count' | 'index' | 'cursor' | 'choice' | 'command';

export interface OptionSpec {
  kind: ValueKind;
  /** The value's placeholder in help (`N`, `FILE`). */
  value?: string;
  /** One letter: `-h`. */
  short?: string;
  /** May be given more than once; the values are collected. */
  multiple?: boolean;
  choices?: readonly string[];
  /** The help line (a command may say it its own way). */
  help: string;
}

export const OPTIONS = {
  json: { kind: 'flag', help: 'print one JSON value on stdout' },
  ndjson: { kind: 'flag', help: 'print one JSON value per line' },
  'events-format': { kind: 'flag', help: 'print events in the editable .events text format' },
  'cipher-key': {
    kind: 'text',
    value: 'KEY',
    help: 'base64 AES key of an encrypted store (default: $EVENTSCOPE_CIPHER_KEY, else $CIPHER_KEY)',
  },
  typed: {
    kind: 'flag',
    help: 'with --json or --ndjson: add "kinds", what each exact value is by JSON pointer (decimal, uuid, datetime…)',
  },
  transcoding: {
    kind: 'text',
    value: 'NAME=KIND',
    multiple: true,
    help: "decode the application's transcoding NAME as KIND: decimal, uuid, datetime or date; repeatable",
  },
  upstream: { kind: 'file', value: 'STORE', help: 'the store the projections follow, for their lag' },
  category: { kind: 'text', value: 'C', help: 'only streams of this aggregate type (short name or topic)' },
  prefix: { kind: 'text', value: 'P', help: 'only stream ids that start with P (UUID dashes optional)' },
  limit: { kind: 'count', value: 'N', help: 'print N items, or all there are (default: all)' },
  after: { kind: 'cursor', value: 'CURSOR', help: 'go on after the page that printed this cursor' },
  from: { kind: 'index', value: 'REV', help: 'first one to print' },
  backwards: { kind: 'flag', help: 'newest first' },
  type: { kind: 'text', value: 'T', multiple: true, help: 'only events of type T; give it again for more types' },
  force: { kind: 'flag', help: 'replace the file if it exists' },
  projection: { kind: 'file', value: 'FILE', help: 'a JS/TS projection module or a KurrentDB script' },
  stream: { kind: 'text', value: 'ID', help: 'replay one stream' },
  since: { kind: 'text', value: 'WHEN', help: 'from this position or ISO time on (2026-11-28, 2026-11-28T06:00:00Z)' },
  until: { kind: 'text', value: 'WHEN', help: 'up to this position or ISO time (inclusive)' },
  where: {
    kind: 'text',
    value: 'EXPR',
    help: 'only events for which this JavaScript expression over event holds (event.data.amount > 1000); run sealed off',
  },
  follow: { kind: 'flag', help: 'keep printing new events as they are written (Ctrl+C ends)' },
  all: { kind: 'flag', help: 'replay every event of the store (the default)' },
  'until-invariant-fails': {
    kind: 'flag',
    help: 'stop at the first step that fails; print its event, its diff and the events of its stream before it; exit 3',
  },
  context: {
    kind: 'index',
    value: 'N',
    help: 'with --until-invariant-fails: how many events of the failing stream to print before it (default: 3)',
  },
  invariant: {
    kind: 'text',
    value: 'EXPR',
    help: "a JavaScript expression over state, event and before that must hold after every event (instead of the projection's own invariant)",
  },
  'time-budget': { kind: 'count', value: 'MS', help: 'time budget per event in milliseconds (default: 1000)' },
  python: { kind: 'flag', help: "replay through your own Python code: each stream's aggregate class, or a Python --projection" },
  app: {
    kind: 'text',
    value: 'MODULE:CLASS',
    help: 'with --python: the application whose transcodings, compressor and cipher decode the events',
  },
  'python-path': {
    kind: 'file',
    value: 'DIR',
    multiple: true,
    help: 'with --python: a source root for sys.path; give it again for more (default: . and ./src)',
  },
  policy: { kind: 'flag', help: "with --python and --app: replay the process application's policy; its new events are each step's output" },
  mutator: {
    kind: 'text',
    value: 'MODULE:FUNC',
    help: 'with --python: the function mutate(event, aggregate) of functional aggregates, instead of event.mutate',
  },
  interpreter: { kind: 'file', value: 'PATH', help: 'with --python: the Python to run (default: $EVENTSCOPE_PYTHON, else python3)' },
  dotenv: {
    kind: 'file',
    value: 'FILE',
    help: "with --python: the application's settings (COMPRESSOR_TOPIC, CIPHER_KEY…) from a .env file",
  },
  store: {
    kind: 'file',
    value: 'STORE',
    multiple: true,
    help: "a store agents may name by leaving `store` out (the first) and that the server's instructions list; repeatable",
  },
  'allow-code': { kind: 'flag', help: 'let agents run projection files (replay, find_first_failure with projection)' },
  help: { kind: 'flag', short: 'h', help: 'show this help' },
  version: { kind: 'flag', help: 'print the version' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

type ValueOf<S> = S extends { kind: 'flag' }
  ? boolean
  : S extends { kind: 'count' | 'index' }
    ? number
    : S extends { multiple: true }
      ? string[]
      : string;

/** Parsed option values, typed by their kind in `OPTIONS`. */
export type Values = { -readonly [K in OptionName]?: ValueOf<(typeof OPTIONS)[K]> };

export interface ArgSpec {
  /** The placeholder: `store`, `streamId`. */
  name: string;
  kind: ValueKind;
  choices?: readonly string[];
  optional?: boolean;
  help: string;
}

/** How a command says an option: `true` as `OPTIONS` says it, a string: its own help line. */
type OptionUse = true | string | { value: string; help: string };

export interface CommandSpec {
  /** One line, for the list of commands. */
  summary: string;
  args: readonly ArgSpec[];
  options: Partial<Record<OptionName, OptionUse>>;
  /** Options of which at most one may be given. */
  exclusive?: readonly (readonly OptionName[])[];
  /** More about the command, for its help (lines). */
  details?: readonly string[];
  examples: readonly string[];
}

/** Options every command takes (`--version` only means something on its own). */
export const GLOBAL_OPTIONS: readonly OptionName[] = ['help', 'version'];

const STORE: ArgSpec = {
  name: 'store',
  kind: 'file',
  help: 'an eventsourcing SQLite file (SQLITE_DBNAME), a .events or .jsonl file, postgres://…?app=NAME, kurrentdb://host:2113?tls=false, or redis://host:port',
};
const STREAM_ID: ArgSpec = { name: 'streamId', kind: 'text', help: 'a stream (aggregate) id, dashes optional' };
const OUTPUTS = ['json', 'ndjson', 'events-format'] as const satisfies OptionName[];

/** `streams` prints this many streams when no --limit is given (one page, and the cursor of the next). */
export const DEFAULT_STREAMS = 100;

export const COMMANDS = {
  info: {
    summary: 'tables, counts, categories, snapshots, checkpoints and lag',
    args: [STORE],
    options: { upstream: true, json: 'print one JSON object', 'cipher-key': true },
    examples: ['eventscope info app.sqlite', 'eventscope info projections.sqlite --upstream app.sqlite --json'],
  },
  streams: {
    summary: 'the streams (aggregates) in id order, with their labels',
    args: [STORE],
    options: {
      category: true,
      prefix: true,
      limit: `print N streams, or all there are (default: ${DEFAULT_STREAMS} and the --after cursor of the next page)`,
      after: 'go on after the page that printed this cursor (same store, same --category and --prefix)',
      json: 'print one JSON array of streams',
      ndjson: 'print one JSON stream per line',
      'cipher-key': true,
    },
    exclusive: [OUTPUTS],
    details: [
      `Without --limit, prints the first ${DEFAULT_STREAMS} streams and, when there are more, the --after`,
      'cursor of the next page (last line; on stderr with --json and --ndjson).',
    ],
    examples: ['eventscope streams app.sqlite --category BankAccount', 'eventscope streams app.sqlite --limit 1000000 --ndjson | wc -l'],
  },
  events: {
    summary: 'the events of one stream, oldest first',
    args: [STORE, STREAM_ID],
    options: {
      from: { value: 'REV', help: 'first revision to print (with --backwards: the last)' },
      limit: 'print N events, or all there are (default: all)',
      backwards: true,
      json: 'print one JSON array of events',
      ndjson: 'print one JSON event per line',
      'events-format': true,
      typed: 'with --json or --ndjson: each event with "kinds" (JSON pointer into data -> decimal, uuid, datetime…)',
      transcoding: true,
      'cipher-key': true,
    },
    exclusive: [OUTPUTS],
    examples: [
      'eventscope events app.sqlite 7d6c8a9e-1f2b-4c3d-8e9f-0a1b2c3d4e5f',
      'eventscope events app.sqlite 7d6c8a9e-1f2b-4c3d-8e9f-0a1b2c3d4e5f --backwards --limit 5',
      'eventscope events app.sqlite 7d6c8a9e-1f2b-4c3d-8e9f-0a1b2c3d4e5f --events-format > fixture.events',
    ],
  },
  log: {
    summary: 'every event of the store in global order',
    args: [STORE],
    options: {
      from: { value: 'POSITION', help: 'first position to print' },
      limit: 'print N events, or all there are (default: all)',
      type: 'only events of type T (exactly, its qualified name as BankAccount.Credited, or its last part); repeatable',
      stream: { value: 'ID', help: 'only the events of this stream (an id, or the start of one)' },
      since: true,
      until: true,
      where: true,
      backwards: 'newest first (with --limit N: the last N events)',
      follow: true,
      json: 'print one JSON array of events',
      ndjson: 'print one JSON event per line',
      'events-format': true,
      typed: 'with --json or --ndjson: each event with "kinds" (JSON pointer into data -> decimal, uuid, datetime…)',
      transcoding: true,
      'cipher-key': true,
    },
    exclusive: [OUTPUTS, ['backwards', 'follow'], ['from', 'since']],
    details: [
      "Time bounds are checked against each event's timestamp; the log is written in time order, so the",
      'read ends at the first event past the far bound. --where expressions see event.streamId, .revision,',
      '.position, .type, .timestamp, .data and .metadata; they run with no access to require, process, files',
      'or the network. --follow prints as a table, --ndjson or --events-format (not --json).',
    ],
    examples: [
      'eventscope log app.sqlite --type Debited --limit 20',
      'eventscope log app.sqlite --backwards --limit 10',
      'eventscope log app.sqlite --since 2026-11-28T06:00:00Z --until 2026-11-28T07:00:00Z',
      'eventscope log app.sqlite --where \'event.data.transaction_id === "8f0a24a4"\'',
      'eventscope log app.sqlite --stream 8b79390a --follow',
      'eventscope log app.sqlite --from 5000 --ndjson | jq -c .data',
      'eventscope log app.sqlite --json > all-events.json',
    ],
  },
  show: {
    summary: 'one event: data and metadata, whole',
    args: [STORE, STREAM_ID, { name: 'revision', kind: 'index', help: 'the revision of the event in its stream' }],
    options: {
      json: 'print the event as one JSON object',
      typed: 'with --json: the event with "kinds" (JSON pointer into data -> decimal, uuid, datetime…)',
      transcoding: true,
      'cipher-key': true,
    },
    examples: ['eventscope show app.sqlite 7d6c8a9e-1f2b-4c3d-8e9f-0a1b2c3d4e5f 3 --json'],
  },
  replay: {
    summary: 'run a projection; print its final state and first failure',
    args: [
      { name: 'store|file.events', kind: 'file', help: 'a store, or a .events or .jsonl file (its whole log, or --stream/--category)' },
    ],
    options: {
      projection: 'a JS/TS projection module, a KurrentDB script, or with --python a Python module (default: the generic built-in one)',
      stream: true,
      category: 'replay the streams of this aggregate type',
      all: true,
      invariant:
        'an expression over state, event and before that must hold after every event: JavaScript, or Python with --python (also `aggregate`)',
      'until-invariant-fails': true,
      context: true,
      'time-budget': true,
      python: true,
      app: true,
      policy: true,
      mutator: true,
      'python-path': true,
      interpreter: true,
      dotenv: true,
      json: 'print {"steps","state","firstFailure","breaks","errors"} (and "context" with --until-invariant-fails)',
      typed: 'with --json: "kinds" of the state (JSON pointer into state -> decimal, uuid, datetime…)',
      transcoding: true,
      'cipher-key': true,
    },
    exclusive: [['stream', 'category', 'all']],
    details: [
      "Without --projection, the generic projection merges each event into its stream's state and",
      'counts events by type. With --python, each event is decoded by your application and applied by',
      'your own code: without --projection each stream replays through its aggregate class (the state is',
      "that aggregate's attributes, or {streamId: attributes} for a category or the log).",
      '',
      'A break is a step after which the invariant fails while it held before (per stream or partition',
      'when the projection partitions its state: foreachStream, partitionBy, the generic projection).',
      'Exit status 3 with --until-invariant-fails when the invariant breaks (for CI); 1 when the',
      'projection throws or overruns its time budget.',
    ],
    examples: [
      'eventscope replay app.sqlite --projection examples/bank-balances.js --until-invariant-fails',
      'eventscope replay app.sqlite --projection examples/bank-balances.js --until-invariant-fails --context 10 --json',
      'eventscope replay app.sqlite --category BankAccount --json',
      'eventscope replay app.sqlite --category BankAccount --invariant "event.revision < 20" --until-invariant-fails',
      'eventscope replay app.sqlite --python --app bank.app:Bank --invariant "aggregate.balance >= 0" --until-invariant-fails',
    ],
  },
  demo: {
    summary: 'write the demo store, print its path',
    args: [{ name: 'path', kind: 'file', optional: true, help: 'where to write it (default: eventscope-demo.sqlite in the temp folder)' }],
    options: { force: true, json: 'print {"path","events","streams"}' },
    examples: ['eventscope demo .eventscope/demo.sqlite --force'],
  },
  mcp: {
    summary: 'serve the agent tools over the Model Context Protocol (stdio), for AI agents',
    args: [],
    options: { store: true, 'allow-code': true },
    details: [
      'Tools: store_info, list_streams, read_stream, read_log, show_event, search_events, replay and',
      'find_first_failure, on stores named by path or URL (the first --store when a call names none).',
      'Keys and passwords come from the environment (EVENTSCOPE_CIPHER_KEY, EVENTSCOPE_PASSWORD, PGPASSWORD…),',
      "never from the tools' arguments. Every read is read-only; where and invariant expressions run sealed",
      '(no require, process, files or network); projection files run only with --allow-code.',
    ],
    examples: [
      'eventscope mcp --store app.sqlite',
      'EVENTSCOPE_CIPHER_KEY=… eventscope mcp --store app.sqlite --store postgres://me@db/app --allow-code',
    ],
  },
  completion: {
    summary: 'print the shell completion script for bash, zsh or fish',
    args: [{ name: 'shell', kind: 'choice', choices: ['bash', 'zsh', 'fish'], help: 'bash, zsh or fish' }],
    options: {},
    details: [
      'bash:  source <(eventscope completion bash)            (in ~/.bashrc)',
      'zsh:   source <(eventscope completion zsh)             (in ~/.zshrc, after compinit)',
      'fish:  eventscope completion fish > ~/.config/fish/completions/eventscope.fish',
    ],
    examples: ['eventscope completion bash > ~/.local/share/bash-completion/completions/eventscope'],
  },
  help: {
    summary: 'show the help of a command',
    args: [{ name: 'command', kind: 'command', optional: true, help: 'a command' }],
    options: {},
    examples: ['eventscope help log'],
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

export function commandSpec(name: CommandName): CommandSpec {
  return COMMANDS[name];
}

export function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** The values an argument or option can take, when they are fixed. */
export function choicesOf(spec: { kind: ValueKind; choices?: readonly string[] }): readonly string[] | undefined {
  return spec.kind === 'command' ? COMMAND_NAMES : spec.kind === 'choice' ? spec.choices : undefined;
}

/** The options a command takes, in the table's order, each with its placeholder and help line. */
export function commandOptions(name: CommandName): { name: OptionName; spec: OptionSpec; value?: string; help: string }[] {
  const uses = commandSpec(name).options;
  const out: { name: OptionName; spec: OptionSpec; value?: string; help: string }[] = [];
  for (const option of [...(Object.keys(uses) as OptionName[]), 'help' as const]) {
    const spec: OptionSpec = OPTIONS[option];
    const use = uses[option] ?? true;
    if (use === true) out.push({ name: option, spec, value: spec.value, help: spec.help });
    else if (typeof use === 'string') out.push({ name: option, spec, value: spec.value, help: use });
    else out.push({ name: option, spec, value: use.value, help: use.help });
  }
  return out;
}

/** Whether a command takes an option (`--help` and `--version`: every command). */
export function takesOption(name: CommandName, option: OptionName): boolean {
  return GLOBAL_OPTIONS.includes(option) || Object.hasOwn(commandSpec(name).options, option);
}

/** The groups of options of a command of which at most one may be given (only options it takes). */
export function exclusiveGroups(name: CommandName): OptionName[][] {
  const spec: CommandSpec = COMMANDS[name];
  return (spec.exclusive ?? []).map((g) => g.filter((o) => takesOption(name, o))).filter((g) => g.length > 1);
}
