/**
 * Values that keep their type: `--typed` (each event's, and a replay state's, `kinds`: JSON pointer
 * -> decimal, uuid, datetime…), `--transcoding NAME=KIND` (an application transcoding decoded as a
 * known kind), and the one line per application transcoding that stays as stored.
 */

import {
  applicationTranscodingNote,
  collectApplicationTranscodings,
  parseTranscodingMapping,
  TRANSCODING_KINDS,
  type TranscodingMapping,
} from '../core/codecs/transcodings';
import type { ValueKinds } from '../core/events';
import type { EventPage, EventStore } from '../core/stores/types';
import { UsageError } from './args';
import type { CommandName, Values } from './spec';

/** `--transcoding NAME=KIND`, each given: the mapping the codec decodes with (undefined: none given). */
export function transcodingMapping(values: Values, command: CommandName): TranscodingMapping | undefined {
  const given = values.transcoding;
  if (!given?.length) return undefined;
  const mapping: TranscodingMapping = {};
  for (const text of given) {
    let name: string;
    let kind: TranscodingMapping[string];
    try {
      [name, kind] = parseTranscodingMapping(text);
    } catch (error) {
      throw new UsageError(`--transcoding "${text}": ${(error as Error).message}`, command);
    }
    if (Object.hasOwn(mapping, name) && mapping[name] !== kind) {
      throw new UsageError(`--transcoding maps ${name} twice (to ${mapping[name]} and ${kind})`, command);
    }
    mapping[name] = kind;
  }
  return mapping;
}

/** `--typed` adds to JSON output: refused without it (exit 2). */
export function checkTyped(values: Values, command: CommandName): void {
  if (!values.typed || values.json || values.ndjson) return;
  const outputs = command === 'events' || command === 'log' ? '--json or --ndjson' : '--json';
  throw new UsageError(`--typed adds "kinds" to the JSON output: give ${outputs} too`, command);
}

/** The kinds a transcoding can be mapped to, in a sentence: "decimal, uuid, datetime or date". */
const KINDS = `${TRANSCODING_KINDS.slice(0, -1).join(', ')} or ${TRANSCODING_KINDS.at(-1)}`;

/** Where notes go: stderr. */
export interface NoteSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * Says once per name, on stderr, that an application transcoding is shown as stored (and how to
 * map it to a kind), as soon as an event holding one is read.
 */
export class TranscodingNotes {
  private readonly said = new Set<string>();
  private readonly found = new Set<string>();

  /** `mapping`: what `--transcoding` maps (a value of a mapped name that is not of its kind stays as stored). */
  constructor(
    private readonly mapping: TranscodingMapping = {},
    private readonly sink: NoteSink = process.stderr,
  ) {}

  /** Notes the application transcodings among an event's (or a state's) kinds. */
  see(kinds: ValueKinds): void {
    collectApplicationTranscodings(kinds, this.found);
    if (this.found.size > this.said.size) this.say(this.found);
  }

  /** Notes application transcodings by name (found by a worker thread). */
  names(names: Iterable<string>): void {
    this.say(names);
  }

  private say(names: Iterable<string>): void {
    for (const name of names) {
      if (this.said.has(name)) continue;
      this.said.add(name);
      this.found.add(name);
      // On a terminal, clear a progress line first (it is drawn again on its next update).
      const clear = this.sink.isTTY ? '\r\x1b[K' : '';
      const kind = Object.hasOwn(this.mapping, name) ? this.mapping[name] : undefined;
      const note = kind
        ? `\`${name}\` values that are not a ${kind} (--transcoding ${name}=${kind}) are shown as stored`
        : `${applicationTranscodingNote(name)} (--transcoding ${name}=KIND decodes it as ${KINDS})`;
      this.sink.write(`${clear}eventscope: note: ${note}\n`);
    }
  }
}

/** The store, noting the application transcodings of every event it reads (each said once). */
export function notingReads(store: EventStore, notes: TranscodingNotes): EventStore {
  const see = (page: EventPage): EventPage => {
    for (const event of page.items) notes.see(event.kinds);
    return page;
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'readAll') return (...args: Parameters<EventStore['readAll']>) => target.readAll(...args).then(see);
      if (property === 'readStream') return (...args: Parameters<EventStore['readStream']>) => target.readStream(...args).then(see);
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
