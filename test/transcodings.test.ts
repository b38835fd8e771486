/**
 * Values that keep their type (issue 15): application transcodings decoded as a known kind when
 * mapped (the codec's `transcodings` option, through the stores), left as stored otherwise and
 * noted once per name; the kinds of a replay's state (`--typed`).
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  decodeEventsourcingState,
  decodeEventsourcingStates,
  encodeEventsourcingState,
  transcoded,
} from '../src/core/codecs/eventsourcing';
import {
  applicationTranscodingsNote,
  collectApplicationTranscodings,
  parseTranscodingMapping,
  readTranscodingSetting,
  type TranscodingMapping,
} from '../src/core/codecs/transcodings';
import { DecodeError } from '../src/core/errors';
import type { RecordedEvent, ValueKinds } from '../src/core/events';
import { genericEngine, moduleEngine } from '../src/core/projection/engines';
import type { Projection } from '../src/core/projection/projection';
import { Replay } from '../src/core/projection/replay';
import { openReplaySource } from '../src/core/projection/source';
import type { ProjectionEngine } from '../src/core/projection/types';
import { openStore } from '../src/core/stores/open';
import { iterateAll } from '../src/core/stores/types';
import { TranscodingNotes } from '../src/cli/transcodings';
import { copyFixture, makeTempDir, removeTempDirs } from './helpers/cli';
import { CUSTOM_NAMES, PERSON_A, PERSON_B, writeCustomTranscodingsStore } from './helpers/customTranscodings';

const custom = (type: string, data: unknown) => ({ _type_: type, _data_: data });
const decode = (state: unknown, transcodings?: TranscodingMapping) =>
  decodeEventsourcingState(encodeEventsourcingState(state), transcodings ? { transcodings } : {});

describe('application transcodings: the codec', () => {
  it('keeps an unmapped one as stored, kind custom:NAME (its inner values still decoded)', () => {
    const { value, kinds } = decode({
      born_on: custom('date_iso', '1990-04-01'),
      box: custom('wrapper', { at: transcoded.datetime('2026-01-01T00:00:00+00:00') }),
    });
    assert.deepEqual(value, { born_on: custom('date_iso', '1990-04-01'), box: custom('wrapper', { at: '2026-01-01T00:00:00+00:00' }) });
    assert.deepEqual(kinds, { '/born_on': 'custom:date_iso', '/box': 'custom:wrapper', '/box/_data_/at': 'datetime' });
  });

  it('decodes a mapped one as its kind when its data is that kind’s text, anywhere in the state', () => {
    const state = {
      born_on: custom('date_iso', '1990-04-01'),
      moved: [custom('date_iso', '2020-01-02'), custom('date_iso', 'someday')],
      nested: { when: custom('when_iso', '2026-01-01T09:00:00.5+01:00'), day: custom('when_iso', '2026-01-01') },
      ids: [custom('uuid_str', '0000000A-0000-4000-8000-00000000000A'), custom('uuid_str', '0000000b00004000800000000000000b')],
      bad_id: custom('uuid_str', 'not-a-uuid'),
      amounts: [custom('money_str', '-5.25'), custom('money_str', '1E+3'), custom('money_str', 'NaN'), custom('money_str', '12,50')],
      not_text: custom('date_iso', [1990, 4, 1]),
      inner: custom('wrapper', custom('date_iso', '1999-12-31')),
    };
    const { value, kinds } = decode(state, { date_iso: 'date', when_iso: 'datetime', uuid_str: 'uuid', money_str: 'decimal' });
    assert.deepEqual(value, {
      born_on: '1990-04-01',
      moved: ['2020-01-02', custom('date_iso', 'someday')],
      nested: { when: '2026-01-01T09:00:00.5+01:00', day: '2026-01-01' },
      ids: ['0000000a-0000-4000-8000-00000000000a', '0000000b-0000-4000-8000-00000000000b'],
      bad_id: custom('uuid_str', 'not-a-uuid'),
      amounts: ['-5.25', '1E+3', 'NaN', custom('money_str', '12,50')],
      not_text: custom('date_iso', [1990, 4, 1]),
      inner: custom('wrapper', '1999-12-31'),
    });
    assert.deepEqual(kinds, {
      '/born_on': 'date',
      '/moved/0': 'date',
      '/moved/1': 'custom:date_iso',
      '/nested/when': 'datetime',
      '/nested/day': 'datetime',
      '/ids/0': 'uuid',
      '/ids/1': 'uuid',
      '/bad_id': 'custom:uuid_str',
      '/amounts/0': 'decimal',
      '/amounts/1': 'decimal',
      '/amounts/2': 'decimal',
      '/amounts/3': 'custom:money_str',
      '/not_text': 'custom:date_iso',
      '/inner': 'custom:wrapper',
      '/inner/_data_': 'date',
    });
  });

  it("never touches the library's own transcodings, nor names only an object's prototype has", () => {
    const state = {
      at: transcoded.datetime('2026-01-01T00:00:00+00:00'),
      id: transcoded.uuid('0000000a-0000-4000-8000-00000000000a'),
      odd: custom('toString', 'x'),
      proto: custom('__proto__', '2020-01-01'),
    };
    const plain = decode(state);
    assert.deepEqual(decode(state, { date_iso: 'date' }), plain);
    assert.deepEqual(plain.kinds, { '/at': 'datetime', '/id': 'uuid', '/odd': 'custom:toString', '/proto': 'custom:__proto__' });
  });

  it('applies a mapping to the page it is given only; an empty mapping is none', () => {
    const blob = encodeEventsourcingState({ d: custom('date_iso', '2024-05-01') });
    const [mapped] = decodeEventsourcingStates([blob], { transcodings: { date_iso: 'date' } });
    const [after] = decodeEventsourcingStates([blob]);
    const [empty] = decodeEventsourcingStates([blob], { transcodings: {} });
    assert.ok(!(mapped instanceof DecodeError) && !(after instanceof DecodeError) && !(empty instanceof DecodeError));
    assert.deepEqual([mapped.value.d, mapped.kinds], ['2024-05-01', { '/d': 'date' }]);
    assert.deepEqual([after.value.d, after.kinds], [custom('date_iso', '2024-05-01'), { '/d': 'custom:date_iso' }]);
    assert.deepEqual(empty, after);
  });

  it('the stores decode with it (openStore threads it like the cipher key); without a name the fixture holds, nothing changes', async () => {
    const dir = makeTempDir();
    try {
      const path = writeCustomTranscodingsStore(join(dir, 'custom.sqlite'));
      const read = async (location: string, transcodings?: TranscodingMapping) => {
        const store = openStore(location, transcodings ? { transcodings } : {});
        try {
          const events: RecordedEvent[] = [];
          for await (const e of iterateAll(store)) events.push(e);
          return events;
        } finally {
          await store.close();
        }
      };
      const stored = await read(path);
      const found = new Set<string>();
      for (const e of stored) collectApplicationTranscodings(e.kinds, found);
      assert.deepEqual([...found], CUSTOM_NAMES);
      const mapped = await read(path, { date_iso: 'date', uuid_str: 'uuid' });
      assert.deepEqual(
        mapped.map((e) => [e.streamId, e.kinds['/born_on'] ?? e.kinds['/moved_on'] ?? e.kinds['/amount']]),
        [
          [PERSON_A, 'date'],
          [PERSON_B, 'date'],
          [PERSON_A, 'date'],
          [PERSON_B, 'custom:money_str'],
          [PERSON_A, 'custom:date_iso'],
        ],
      );
      assert.equal(mapped[1].data.referrer, PERSON_A);
      // A real store of the library, decoded with a mapping of a name it does not hold: the same events.
      const fixture = copyFixture('a_plain.db', dir);
      assert.deepEqual(await read(fixture, { date_iso: 'date' }), await read(fixture));
    } finally {
      removeTempDirs();
    }
  });
});

describe('application transcodings: mappings and notes', () => {
  it('parses NAME=KIND, refusing unknown kinds and the library’s own names', () => {
    assert.deepEqual(parseTranscodingMapping('date_iso=date'), ['date_iso', 'date']);
    assert.deepEqual(parseTranscodingMapping(' money = decimal '), ['money', 'decimal']);
    assert.deepEqual(parseTranscodingMapping('a=b=uuid'), ['a=b', 'uuid'], 'the last = splits');
    assert.throws(() => parseTranscodingMapping('date_iso'), /expected NAME=KIND/);
    assert.throws(() => parseTranscodingMapping('=date'), /the transcoding name is empty/);
    assert.throws(() => parseTranscodingMapping('date_iso=time'), /one of decimal, uuid, datetime, date \(got "time"\)/);
    assert.throws(() => parseTranscodingMapping('uuid_hex=uuid'), /one of the library's own transcodings/);
  });

  it('reads the setting: the valid entries, and what is wrong with the others', () => {
    assert.deepEqual(readTranscodingSetting({ date_iso: 'date', money: 'decimal', bad: 'time', worse: 3 }), {
      mapping: { date_iso: 'date', money: 'decimal' },
      problems: ['the kind must be one of decimal, uuid, datetime, date (got "time")', 'the kind of "worse" must be a string'],
    });
    assert.deepEqual(readTranscodingSetting(undefined), { mapping: {}, problems: [] });
    assert.deepEqual(readTranscodingSetting(['date_iso']).problems, ['it must be an object of NAME: KIND']);
  });

  it('finds the names among kinds, and says them in one sentence', () => {
    const found = new Set<string>();
    collectApplicationTranscodings(
      { '/a': 'decimal', '/b': 'custom:date_iso', '/c/_data_/d': 'custom:frozenset', '/e': 'custom:date_iso' },
      found,
    );
    assert.deepEqual([...found], ['date_iso', 'frozenset']);
    assert.equal(applicationTranscodingsNote(['date_iso']), '`date_iso` is an application transcoding: shown as stored');
    assert.equal(applicationTranscodingsNote(['a', 'b', 'c']), '`a`, `b` and `c` are application transcodings: shown as stored');
  });

  it('the CLI says each name once per run, and what a mapped name’s odd values are', () => {
    const written: string[] = [];
    const notes = new TranscodingNotes({ date_iso: 'date' }, { write: (text: string) => written.push(text) });
    const kinds: ValueKinds = { '/a': 'custom:frozenset', '/b': 'custom:date_iso' };
    for (let i = 0; i < 3; i++) notes.see(kinds);
    notes.names(['frozenset', 'uuid_str']);
    assert.deepEqual(written, [
      'eventscope: note: `frozenset` is an application transcoding: shown as stored (--transcoding frozenset=KIND decodes it as decimal, uuid, datetime or date)\n',
      'eventscope: note: `date_iso` values that are not a date (--transcoding date_iso=date) are shown as stored\n',
      'eventscope: note: `uuid_str` is an application transcoding: shown as stored (--transcoding uuid_str=KIND decodes it as decimal, uuid, datetime or date)\n',
    ]);
    // On a terminal, a progress line is cleared first.
    const tty: string[] = [];
    new TranscodingNotes({}, { write: (text: string) => tty.push(text), isTTY: true }).names(['x']);
    assert.ok(tty[0].startsWith('\r\u001b[Keventscope: note: `x`'), JSON.stringify(tty[0]));
  });
});

describe('typed states: the kinds of a replay state', () => {
  const event = (streamId: string, revision: number, data: Record<string, unknown>, kinds: ValueKinds): RecordedEvent => ({
    streamId,
    revision,
    position: revision,
    type: 'app:Thing.Changed',
    timestamp: null,
    data,
    metadata: {},
    kinds,
  });
  const events = [
    event(
      's/1',
      1,
      { amount: '1.50', at: '2026-01-01', deep: { id: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', n: 1 } },
      {
        '/amount': 'decimal',
        '/at': 'datetime',
        '/deep/id': 'uuid',
      },
    ),
    event('s~2', 1, { 'a/b': 12345678901234567890n, tag: custom('date_iso', 'x') }, { '/a~1b': 'bigint', '/tag': 'custom:date_iso' }),
    // A later event's field replaces the earlier one whole: its kinds with it.
    event('s/1', 2, { amount: 'none', deep: { id: 'x' } }, {}),
    event('s/1', 3, { at: '2026-02-02T10:00:00Z' }, { '/at': 'datetime' }),
  ];
  const replayOf = async (engine: ProjectionEngine) => {
    const replay = new Replay(engine, await openReplaySource({ kind: 'events', label: 'test', events }), { interval: 1 });
    await replay.run();
    return replay;
  };

  it("traces the generic projection's fields to the events they came from, at any step", async () => {
    const replay = await replayOf(genericEngine());
    const after = async (count: number) => {
      const typed = await replay.typedStateAfter(count);
      assert.deepEqual(typed.state, await replay.stateAfter(count));
      return typed.kinds;
    };
    assert.deepEqual(await after(0), {});
    assert.deepEqual(await after(2), {
      '/streams/s~11/fields/amount': 'decimal',
      '/streams/s~11/fields/at': 'datetime',
      '/streams/s~11/fields/deep/id': 'uuid',
      '/streams/s~02/fields/a~1b': 'bigint',
      '/streams/s~02/fields/tag': 'custom:date_iso',
    });
    assert.deepEqual(await after(4), {
      '/streams/s~11/fields/at': 'datetime',
      '/streams/s~02/fields/a~1b': 'bigint',
      '/streams/s~02/fields/tag': 'custom:date_iso',
    });
    // The first pass noted the application transcodings it met.
    assert.deepEqual([...replay.applicationTranscodings], ['date_iso']);
  });

  it("a JavaScript projection's state: its bigints and non-finite numbers (its strings are its own)", async () => {
    const projection: Projection = {
      init: () => ({ total: 0n, ratio: 0, names: [] as string[], nested: { cycle: undefined as unknown } }),
      when: {
        Changed: (state, e) => {
          const s = state as { total: bigint; ratio: number; names: string[]; nested: { cycle: unknown } };
          const big = e.data['a/b'];
          if (typeof big === 'bigint') s.total += big;
          s.ratio = 1 / 0;
          s.names.push(String(e.data.amount));
          s.nested.cycle = s.nested;
        },
      },
    };
    const replay = await replayOf(moduleEngine(projection, 'typed.js'));
    const { kinds } = await replay.typedStateAfter(4);
    assert.deepEqual(kinds, { '/total': 'bigint', '/ratio': 'nonfinite' });
  });
});
