/**
 * An application's own transcodings (`{"_type_": NAME, "_data_": VALUE}` with a NAME the library
 * does not define, such as `date_iso`): shown as stored unless the user maps NAME to a kind
 * Eventscope knows (`--transcoding date_iso=date`, the `eventscope.transcodings` setting), and
 * noted once per name where they are shown as stored. See docs/stores.md.
 */

// No Node imports: the codec, the CLI and the extension use this, and nothing here needs Node.

import type { ValueKinds } from '../events';

/** The kinds an application transcoding can be decoded as: its `_data_` is then that kind's text. */
export const TRANSCODING_KINDS = ['decimal', 'uuid', 'datetime', 'date'] as const;

export type TranscodingKind = (typeof TRANSCODING_KINDS)[number];

/** Application transcoding name -> the kind to decode it as (structured-clone-able, JSON-able). */
export type TranscodingMapping = Record<string, TranscodingKind>;

/** The library's own transcodings (always decoded): they can't be mapped. */
const BUILT_IN = new Set(['uuid_hex', 'decimal_str', 'datetime_iso']);

export function isTranscodingKind(text: string): text is TranscodingKind {
  return (TRANSCODING_KINDS as readonly string[]).includes(text);
}

/** What is wrong with mapping `name` to `kind`, or undefined when it is a valid mapping. */
export function mappingProblem(name: string, kind: string): string | undefined {
  if (!name) return 'the transcoding name is empty';
  if (BUILT_IN.has(name)) return `"${name}" is one of the library's own transcodings (always decoded)`;
  if (!isTranscodingKind(kind)) return `the kind must be one of ${TRANSCODING_KINDS.join(', ')} (got "${kind}")`;
  return undefined;
}

/** Parses `NAME=KIND` (the CLI's `--transcoding`); throws an Error whose message says what is wrong. */
export function parseTranscodingMapping(text: string): [string, TranscodingKind] {
  const eq = text.lastIndexOf('=');
  if (eq < 0) throw new Error(`expected NAME=KIND, such as date_iso=date (got "${text}")`);
  const name = text.slice(0, eq).trim();
  const kind = text.slice(eq + 1).trim();
  const problem = mappingProblem(name, kind);
  if (problem) throw new Error(problem);
  return [name, kind as TranscodingKind];
}

/**
 * A mapping from a setting's value (an object NAME -> KIND): the valid entries, and a sentence for
 * each entry left out.
 */
export function readTranscodingSetting(value: unknown): { mapping: TranscodingMapping; problems: string[] } {
  const mapping: TranscodingMapping = {};
  const problems: string[] = [];
  if (value === undefined || value === null) return { mapping, problems };
  if (typeof value !== 'object' || Array.isArray(value)) return { mapping, problems: ['it must be an object of NAME: KIND'] };
  for (const [name, kind] of Object.entries(value)) {
    const problem = typeof kind === 'string' ? mappingProblem(name, kind) : `the kind of "${name}" must be a string`;
    if (problem) problems.push(problem);
    else mapping[name] = kind as TranscodingKind;
  }
  return { mapping, problems };
}

/** Whether a mapping maps anything (an empty one is as good as none: the codec's fast path). */
export function hasMappings(mapping: TranscodingMapping | undefined): mapping is TranscodingMapping {
  if (!mapping) return false;
  for (const name in mapping) if (Object.hasOwn(mapping, name)) return true;
  return false;
}

/**
 * Adds the names of the application transcodings shown as stored among `kinds` (their
 * `custom:NAME` kinds) to `into`. Cheap enough to run on every event: only `custom:` kinds start
 * with a `c`.
 */
export function collectApplicationTranscodings(kinds: ValueKinds, into: Set<string>): void {
  for (const path in kinds) {
    const kind = kinds[path];
    if (kind.charCodeAt(0) === 0x63 && kind.startsWith('custom:')) into.add(kind.slice(7));
  }
}

/** The one sentence each face shows once for an application transcoding shown as stored. */
export function applicationTranscodingNote(name: string): string {
  return `\`${name}\` is an application transcoding: shown as stored`;
}

/** The same for several at once: "`a` and `b` are application transcodings: shown as stored". */
export function applicationTranscodingsNote(names: readonly string[]): string {
  if (names.length === 1) return applicationTranscodingNote(names[0]);
  const list = names.map((name) => `\`${name}\``);
  return `${list.slice(0, -1).join(', ')} and ${list.at(-1)} are application transcodings: shown as stored`;
}

/** Where a face's user maps them, in words: the end of its note. */
export function mapAdvice(count: number, where: string): string {
  return `map ${count > 1 ? 'them' : 'it'} to a kind (${TRANSCODING_KINDS.join(', ')}) in ${where}`;
}
