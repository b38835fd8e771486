/**
 * Expected values from the fixtures' dumps.txt (every row of every table, written alongside the
 * stores by the real eventsourcing library), parsed independently of the code under test.
 */

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The fixtures' folder: found from here upwards (this module also runs bundled, from dist/test/vscode). */
export const FIXTURES = ((): string => {
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    const candidate = join(dir, 'test', 'fixtures', 'eventsourcing');
    if (existsSync(candidate)) return candidate;
  }
  return join(__dirname, '..', 'fixtures', 'eventsourcing');
})();
export const FIXTURE_KEY = 'ZXZlbnRzb3VyY2luZy1maXh0dXJlLWtleS0zMmJ5dGU=';

export interface DumpRow {
  rowid?: number;
  originatorId: string;
  version: number;
  topic: string;
  hex: string;
  /** The state as the dump decoded it (with `_type_`/`_data_` wrappers). */
  decoded: Record<string, unknown>;
}

export interface FixtureDump {
  file: string;
  events: DumpRow[];
  snapshots: DumpRow[];
  tracking: [string, number][];
}

export function readDumps(): Map<string, FixtureDump> {
  const text = readFileSync(join(FIXTURES, 'dumps.txt'), 'utf8');
  const dumps = new Map<string, FixtureDump>();
  for (const section of text.split(/^==== /m).slice(1)) {
    const file = section.slice(0, section.indexOf(' '));
    const dump: FixtureDump = { file, events: [], snapshots: [], tracking: [] };
    let table: 'events' | 'snapshots' | 'tracking' | undefined;
    const lines = section.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (line.startsWith('sqlite> ')) {
        table = line.includes('FROM stored_events ORDER')
          ? 'events'
          : line.includes('FROM stored_snapshots ORDER')
            ? 'snapshots'
            : line.includes('SELECT * FROM tracking')
              ? 'tracking'
              : undefined;
        continue;
      }
      if (!table || line.startsWith('   -- ') || line.startsWith('(--') || !line.includes('|')) continue;
      const cells = line.split('|');
      if (table === 'tracking') {
        dump.tracking.push([cells[0], Number(cells[1])]);
        continue;
      }
      const decodedLine = lines[i + 1] ?? '';
      const decoded = JSON.parse(decodedLine.replace(/^ {3}-- decoded: /, '')) as Record<string, unknown>;
      if (table === 'events') {
        const [rowid, originatorId, version, topic, hex] = cells;
        dump.events.push({ rowid: Number(rowid), originatorId, version: Number(version), topic, hex, decoded });
      } else {
        const [originatorId, version, topic, hex] = cells;
        dump.snapshots.push({ originatorId, version: Number(version), topic, hex, decoded });
      }
    }
    dumps.set(file, dump);
  }
  return dumps;
}

/** The dump's decoded JSON with the library's transcodings applied (uuid dashed, decimals and datetimes as strings). */
export function expectedData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(expectedData);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (Object.keys(o).length === 2 && '_type_' in o && '_data_' in o) {
      const d = o._data_ as string;
      if (o._type_ === 'uuid_hex') return `${d.slice(0, 8)}-${d.slice(8, 12)}-${d.slice(12, 16)}-${d.slice(16, 20)}-${d.slice(20)}`;
      if (o._type_ === 'decimal_str' || o._type_ === 'datetime_iso') return d;
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, expectedData(v)]));
  }
  return value;
}

export function dashed(hex: string): string {
  return /^[0-9a-f]{32}$/.test(hex)
    ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
    : hex;
}
