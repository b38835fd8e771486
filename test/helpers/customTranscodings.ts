/**
 * A store written with the project's writer whose events hold application transcodings, as an
 * application that registers its own (`date_iso` for `datetime.date`, a `frozenset`, a `uuid_str`,
 * a `money_str`) writes them: `{"_type_": NAME, "_data_": VALUE}` the library does not define.
 */

import { transcoded } from '../../src/core/codecs/eventsourcing';
import { EventsourcingSqliteWriter, type StoredEventInput } from '../../src/core/stores/eventsourcingSqliteWriter';

export const PERSON_A = '0000000a-0000-4000-8000-00000000000a';
export const PERSON_B = '0000000b-0000-4000-8000-00000000000b';

const custom = (type: string, data: unknown) => ({ _type_: type, _data_: data });
const TOPIC = 'app.domain:Person';

/** The events, in the order written (positions 1…5). */
export const CUSTOM_EVENTS: StoredEventInput[] = [
  {
    originatorId: PERSON_A.replace(/-/g, ''),
    version: 1,
    topic: `${TOPIC}.Registered`,
    state: {
      timestamp: transcoded.datetime('2026-01-01T09:00:00+00:00'),
      originator_topic: TOPIC,
      name: 'Ann Lee',
      born_on: custom('date_iso', '1990-04-01'),
      tags: custom('frozenset', ['a', 'b']),
    },
  },
  {
    originatorId: PERSON_B.replace(/-/g, ''),
    version: 1,
    topic: `${TOPIC}.Registered`,
    state: {
      timestamp: transcoded.datetime('2026-01-01T09:05:00+00:00'),
      originator_topic: TOPIC,
      name: 'Bo Berg',
      born_on: custom('date_iso', '1985-12-31'),
      tags: custom('frozenset', []),
      referrer: custom('uuid_str', '0000000A-0000-4000-8000-00000000000A'),
    },
  },
  {
    originatorId: PERSON_A.replace(/-/g, ''),
    version: 2,
    topic: `${TOPIC}.Moved`,
    state: { timestamp: transcoded.datetime('2026-01-02T10:00:00+00:00'), moved_on: custom('date_iso', '2020-01-02'), city: 'Oslo' },
  },
  {
    originatorId: PERSON_B.replace(/-/g, ''),
    version: 2,
    topic: `${TOPIC}.Paid`,
    state: { timestamp: transcoded.datetime('2026-01-03T11:00:00+00:00'), amount: custom('money_str', '-5.25') },
  },
  {
    originatorId: PERSON_A.replace(/-/g, ''),
    version: 3,
    topic: `${TOPIC}.Moved`,
    state: { timestamp: transcoded.datetime('2026-01-04T12:00:00+00:00'), moved_on: custom('date_iso', 'someday'), city: 'Bergen' },
  },
];

/** The application transcodings the store holds, by name. */
export const CUSTOM_NAMES = ['date_iso', 'frozenset', 'uuid_str', 'money_str'];

/** Writes the store (a new file at `path`); returns `path`. */
export function writeCustomTranscodingsStore(path: string): string {
  const writer = new EventsourcingSqliteWriter(path, { snapshots: false });
  writer.append(CUSTOM_EVENTS);
  writer.close();
  return path;
}
