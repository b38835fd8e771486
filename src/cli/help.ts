/** `--help`, generated from the command table. */

import {
  COMMAND_NAMES,
  COMMANDS,
  commandOptions,
  exclusiveGroups,
  OPTIONS,
  type CommandName,
  type CommandSpec,
  type OptionName,
} from './spec';

const WIDTH = 100;

/** Options every store-reading command has, left out of the synopses (the help lists them). */
const UNSAID: readonly OptionName[] = ['cipher-key', 'help'];

function optionWord(name: OptionName, value: string | undefined): string {
  return value ? `--${name} ${value}` : `--${name}`;
}

/**
 * `eventscope info <store> [--upstream STORE] [--json]`, wrapped to `WIDTH` with the continuation
 * indented; `pad` aligns the arguments of all commands.
 */
export function synopsis(name: CommandName, pad = false): string {
  const spec: CommandSpec = COMMANDS[name];
  const options = commandOptions(name).filter((o) => !UNSAID.includes(o.name));
  const words: string[] = spec.args.map((a) => (a.optional ? `[${a.name.toUpperCase()}]` : `<${a.name}>`));
  const grouped = new Set<OptionName>();
  for (const option of options) {
    if (grouped.has(option.name)) continue;
    const group = exclusiveGroups(name).find((g) => g.includes(option.name));
    if (group) {
      const members = options.filter((o) => group.includes(o.name));
      for (const m of members) grouped.add(m.name);
      words.push(`[${members.map((m) => optionWord(m.name, m.value)).join(' | ')}]`);
    } else words.push(`[${optionWord(option.name, option.value)}]${option.spec.multiple ? '...' : ''}`);
  }
  const head = `${pad ? name.padEnd(Math.max(...COMMAND_NAMES.map((n) => n.length))) : name} `;
  const lines: string[] = [];
  const continuation = ' '.repeat('eventscope '.length + head.length);
  let line = `eventscope ${head}`;
  for (const word of words) {
    if (line.length > continuation.length && line.length + word.length > WIDTH) {
      lines.push(line.trimEnd());
      line = continuation;
    }
    line += `${word} `;
  }
  lines.push(line.trimEnd());
  return lines.join('\n');
}

/** Every command's synopsis: the README's command list is exactly this. */
export function synopses(): string {
  return COMMAND_NAMES.filter((n) => n !== 'help')
    .map((n) => synopsis(n, true))
    .join('\n');
}

/** Words of `text` in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** Two columns; the right one wrapped to `WIDTH` under itself. */
function columns(rows: [string, string][], indent = 2): string {
  const width = Math.max(...rows.map(([left]) => left.length));
  const hang = indent + width + 2;
  return rows
    .map(([left, right]) =>
      wrap(right, Math.max(30, WIDTH - hang))
        .map((line, i) => (i === 0 ? `${' '.repeat(indent)}${left.padEnd(width)}  ${line}` : `${' '.repeat(hang)}${line}`))
        .join('\n'),
    )
    .join('\n');
}

export function generalHelp(): string {
  return `Usage: eventscope <command> [options]

Debug event-sourced systems: read a store written by the Python eventsourcing library (always
read-only), its streams and events decoded exactly, and replay projections over it.

Commands:
${columns(COMMAND_NAMES.map((n) => [n, COMMANDS[n].summary]))}

Synopsis:
${synopses()
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}

<store> is the path of an eventsourcing SQLite file, postgres://user@host:port/db?app=NAME,
kurrentdb://user@host:2113?tls=false (KurrentDB), or redis://host:port[/db] (Redis/Valkey
streams); passwords from PGPASSWORD, REDISCLI_AUTH or EVENTSCOPE_PASSWORD. replay also reads a
.events file.

Common options (see each command's --help):
${columns([
  [optionWord('cipher-key', OPTIONS['cipher-key'].value), OPTIONS['cipher-key'].help],
  ['--json', 'print one JSON value (streams, events, log: one array)'],
  ['--ndjson', 'streams, events, log: one JSON value per line'],
  ['-h, --help', 'show the help of a command: eventscope <command> --help'],
  ['--version', OPTIONS.version.help],
])}

Environment: EVENTSCOPE_CIPHER_KEY or CIPHER_KEY (the cipher key), NO_COLOR, EVENTSCOPE_SQLITE_ENGINE
(better-sqlite3 | node:sqlite), EVENTSCOPE_PROGRESS (1: always show progress on stderr, 0: never;
by default it shows when stderr is a terminal and stdout is not), EVENTSCOPE_DEBUG=1 (details of errors).

Exit status: 0 done; 1 a problem with the input or the store (for replay: the projection threw or ran
over its time budget); 2 bad usage.
`;
}

export function commandHelp(name: CommandName): string {
  const spec: CommandSpec = COMMANDS[name];
  const usage = `Usage:\n${synopsis(name)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}`;
  const parts = [usage, '', `${spec.summary[0].toUpperCase()}${spec.summary.slice(1)}.`];
  if (spec.details?.length) parts.push('', ...spec.details);
  if (spec.args.length) {
    parts.push('', 'Arguments:', columns(spec.args.map((a) => [a.optional ? `[${a.name.toUpperCase()}]` : `<${a.name}>`, a.help])));
  }
  const options = commandOptions(name);
  parts.push(
    '',
    'Options:',
    columns(options.map((o) => [o.spec.short ? `-${o.spec.short}, --${o.name}` : optionWord(o.name, o.value), o.help])),
  );
  const exclusive = exclusiveGroups(name).map((g) => g.map((n) => `--${n}`).join(', '));
  if (exclusive.length) parts.push('', ...exclusive.map((g) => `Give at most one of ${g}.`));
  parts.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return `${parts.join('\n')}\n`;
}
