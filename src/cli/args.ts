/**
 * Parses and validates a command line against the command table (`spec.ts`): options anywhere
 * (`--name value`, `--name=value`, `-h`; `--` ends them), values checked by their kind. Every
 * mistake is one `UsageError` (exit 2) naming the option or argument and what was given.
 */

import { editDistance as distance } from '../core/closest';
import { CursorError, decodeStreamCursor } from '../core/query/cursor';
import {
  choicesOf,
  COMMAND_NAMES,
  COMMANDS,
  exclusiveGroups,
  isCommand,
  OPTIONS,
  takesOption,
  type ArgSpec,
  type CommandName,
  type OptionName,
  type OptionSpec,
  type Values,
} from './spec';

/** Bad usage: exit code 2, one line, pointing to the help of `command` (or the general help). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: CommandName,
  ) {
    super(message);
  }
}

export type CommandLine =
  | { kind: 'help'; command?: CommandName }
  | { kind: 'usage' }
  | { kind: 'version' }
  | { kind: 'run'; command: CommandName; args: string[]; values: Values };

function isOption(name: string): name is OptionName {
  return Object.hasOwn(OPTIONS, name);
}

function suggestion(word: string, candidates: readonly string[], prefix = ''): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = word.length >= 2 && candidate.startsWith(word) ? 0 : distance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  // Close enough to be a typo: one edit, more for long words.
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(word.length / 4)) ? ` (did you mean ${prefix}${best}?)` : '';
}

/** A value of an option or argument, checked by its kind; numbers come back as numbers. */
function parseValue(label: string, spec: Pick<OptionSpec, 'kind' | 'choices'>, text: string, command?: CommandName): string | number {
  switch (spec.kind) {
    case 'count':
    case 'index': {
      const min = spec.kind === 'count' ? 1 : 0;
      const n = Number(text);
      if (!/^\d+$/.test(text) || n < min) throw new UsageError(`${label} must be an integer >= ${min} (got "${text}")`, command);
      if (!Number.isSafeInteger(n))
        throw new UsageError(`${label} must be an integer from ${min} to ${Number.MAX_SAFE_INTEGER} (got "${text}")`, command);
      return n;
    }
    case 'choice':
    case 'command': {
      const choices = choicesOf(spec) ?? [];
      if (!choices.includes(text)) {
        throw new UsageError(`${label} must be one of ${choices.join(', ')} (got "${text}")${suggestion(text, choices)}`, command);
      }
      return text;
    }
    case 'cursor':
      try {
        decodeStreamCursor(text);
      } catch (error) {
        if (error instanceof CursorError) throw new UsageError(error.message, command);
        throw error;
      }
      return text;
    default:
      if (text === '') throw new UsageError(`${label} is empty`, command);
      return text;
  }
}

function describeArgs(args: readonly ArgSpec[]): string {
  return args.map((a) => (a.optional ? `[${a.name}]` : `<${a.name}>`)).join(' ');
}

export function parseCommandLine(argv: readonly string[]): CommandLine {
  const given: [OptionName, string | undefined][] = [];
  const positionals: string[] = [];
  let error: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string;
    let inline: string | undefined;
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      inline = eq < 0 ? undefined : word.slice(eq + 1);
      if (!isOption(name)) {
        error ??= `unknown option --${name}${suggestion(name, Object.keys(OPTIONS), '--')}`;
        continue;
      }
    } else if (/^-[^\d-]/.test(word)) {
      // Short options: only -h. (A word like -1 is an argument: a revision that is then refused.)
      const short = Object.entries(OPTIONS).find(([, spec]) => 'short' in spec && `-${spec.short}` === word);
      if (!short) {
        error ??= `unknown option ${word}`;
        continue;
      }
      name = short[0];
    } else {
      positionals.push(word);
      continue;
    }
    const spec: OptionSpec = OPTIONS[name as OptionName];
    if (spec.kind === 'flag') {
      if (inline !== undefined) error ??= `--${name} takes no value (got "--${name}=${inline}")`;
      else given.push([name as OptionName, undefined]);
      if (name === 'help') help = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        error ??= `--${name} needs a value (--${name} ${spec.value})`;
        continue;
      }
      value = next;
      i++;
    }
    given.push([name as OptionName, value]);
  }

  const [first, ...args] = positionals;
  const command = first !== undefined && isCommand(first) ? first : undefined;
  if (help) {
    if (first !== undefined && !command) throw new UsageError(`unknown command "${first}"${suggestion(first, COMMAND_NAMES)}`);
    return command === 'help' && args[0] !== undefined && isCommand(args[0])
      ? { kind: 'help', command: args[0] }
      : { kind: 'help', command };
  }
  if (error) throw new UsageError(error, command);
  if (given.some(([name]) => name === 'version')) return { kind: 'version' };
  if (first === undefined) return { kind: 'usage' };
  if (!command) throw new UsageError(`unknown command "${first}"${suggestion(first, COMMAND_NAMES)}`);

  const spec = COMMANDS[command];
  for (const [name] of given) {
    if (!takesOption(command, name)) throw new UsageError(`"${command}" has no option --${name}`, command);
  }
  for (const group of exclusiveGroups(command)) {
    const used = group.filter((name) => given.some(([g]) => g === name));
    if (used.length > 1) {
      const all = group.map((n) => `--${n}`);
      throw new UsageError(
        `give only one of ${all.slice(0, -1).join(', ')} and ${all.at(-1)} (got ${used.map((n) => `--${n}`).join(' and ')})`,
        command,
      );
    }
  }
  const min = spec.args.filter((a: ArgSpec) => !a.optional).length;
  const max = spec.args.length;
  if (args.length < min || args.length > max) {
    const count = min === max ? `${min} argument${min === 1 ? '' : 's'}` : `${min} to ${max} arguments`;
    throw new UsageError(`"${command}" takes ${count} (${describeArgs(spec.args)}), got ${args.length}`, command);
  }
  const argSpecs: readonly ArgSpec[] = spec.args;
  argSpecs.forEach((arg, i) => {
    if (args[i] !== undefined) parseValue(`the ${arg.name}`, arg, args[i], command);
  });

  const values: Record<string, unknown> = {};
  for (const [name, text] of given) {
    const option: OptionSpec = OPTIONS[name];
    if (text === undefined) values[name] = true;
    else if (option.multiple) ((values[name] ??= []) as unknown[]).push(parseValue(`--${name}`, option, text, command));
    else if (Object.hasOwn(values, name))
      throw new UsageError(`--${name} takes one value (got "${String(given.find(([n]) => n === name)![1])}" and "${text}")`, command);
    else values[name] = parseValue(`--${name}`, option, text, command);
  }
  if (command === 'help') return { kind: 'help', command: args[0] as CommandName | undefined };
  return { kind: 'run', command, args, values: values as Values };
}
