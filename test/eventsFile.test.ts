// The `.events` format (src/core/eventsFile/eventsFile.ts): parsing and printing files; the
// document model (the exact place of every part, reading on past what is wrong); the body
// formatter; and, with fast-check, that print -> parse -> print gives the same text for any events
// the format can hold, with every range on its text.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatEventsBodies,
  formatEventsDocument,
  parseEventsDocument,
  parseEventsFile,
  printEventsFile,
  type EventsFileEvent,
  type Position,
  type TextRange,
} from '../src/core/eventsFile/eventsFile';
import type { RecordedEvent } from '../src/core/events';
import { stringifyExact } from '../src/core/json/exact';

/** The text a range covers. */
const slice = (text: string, range: TextRange) => text.slice(range.startOffset, range.endOffset);

/** The offset of an LSP position, counted apart from the parser (lines end at \r\n, \r or \n). */
function offsetAt(text: string, { line, character }: Position): number {
  const breaks = [...text.matchAll(/\r\n|\r|\n/g)];
  return (line === 0 ? 0 : breaks[line - 1].index + breaks[line - 1][0].length) + character;
}

/** A range's positions say the same place as its offsets. */
function assertConsistent(text: string, range: TextRange, what = ''): void {
  assert.equal(offsetAt(text, range.start), range.startOffset, `start of ${what}`);
  assert.equal(offsetAt(text, range.end), range.endOffset, `end of ${what}`);
}

const at = (range: TextRange) => `${range.start.line}:${range.start.character}-${range.end.line}:${range.end.character}`;

const example = `# comments start with '#'
### BankAccount.Opened  account-1
created: 2024-05-01T10:00:00Z
metadata: {"correlationId": "c-1"}

{ "full_name": "Alice", "email_address": "alice@example.com" }

### BankAccount.Credited  account-1
{ "amount": "200.00",
  "big": 123456789012345678901234567890 }
`;

describe('.events format', () => {
  it('parses the documented example', () => {
    assert.deepEqual(parseEventsFile(example), [
      {
        type: 'BankAccount.Opened',
        streamId: 'account-1',
        created: '2024-05-01T10:00:00Z',
        metadata: { correlationId: 'c-1' },
        data: { full_name: 'Alice', email_address: 'alice@example.com' },
        line: 2,
      },
      { type: 'BankAccount.Credited', streamId: 'account-1', data: { amount: '200.00', big: 123456789012345678901234567890n }, line: 8 },
    ]);
  });

  it('prints recorded events so that parsing gives them back exactly', () => {
    const events: RecordedEvent[] = [
      {
        streamId: 'a-1',
        revision: 1,
        position: 10,
        type: 'bank:Account.Opened',
        timestamp: '2026-11-28T04:52:14.610059+00:00',
        data: { timestamp: '2026-11-28T04:52:14.610059+00:00', n: 2n ** 70n, nan: NaN, note: 'line\nbreak ### not a header' },
        metadata: { origin: 'test' },
        kinds: {},
      },
      { streamId: 'a-1', revision: 2, position: 11, type: 'Closed', timestamp: null, data: {}, metadata: {}, kinds: {} },
    ];
    const text = printEventsFile(events, 'Stream a-1\n2 events');
    assert.ok(text.startsWith('# Stream a-1\n# 2 events\n'));
    const parsed = parseEventsFile(text);
    assert.deepEqual(
      parsed.map((p) => [p.type, p.streamId, p.revision, p.created, p.metadata]),
      [
        ['bank:Account.Opened', 'a-1', 1, '2026-11-28T04:52:14.610059+00:00', { origin: 'test' }],
        ['Closed', 'a-1', 2, undefined, undefined],
      ],
    );
    assert.deepEqual(parsed[0].data, { ...events[0].data, nan: 'NaN' }); // NaN prints as the string "NaN"
    assert.deepEqual(parsed[1].data, {});
  });

  it('names the file and line of what is wrong', () => {
    assert.throws(() => parseEventsFile('{"a": 1}', 'x.events'), /^EventscopeError: x\.events:1: expected "### <type> <streamId>"/);
    assert.throws(() => parseEventsFile('### OnlyType\n{}', 'x.events'), /x\.events:1: an event needs a type and a stream id/);
    assert.throws(() => parseEventsFile('### T s\n\n\n{"a": }', 'x.events'), /x\.events:4: the body of "T" is not valid JSON/);
    assert.throws(() => parseEventsFile('### T s\nmetadata: [1]\n{}', 'x.events'), /x\.events:2: metadata must be a JSON object/);
    assert.throws(() => parseEventsFile('### T s\nrevision: two\n{}', 'x.events'), /x\.events:2: revision must be a whole number/);
  });
});

describe('.events document model', () => {
  it('gives the place of every part of the documented example', () => {
    const doc = parseEventsDocument(example);
    assert.deepEqual(doc.problems, []);
    assert.deepEqual(
      doc.comments.map((c) => [at(c), slice(example, c)]),
      [['0:0-0:25', "# comments start with '#'"]],
    );
    const [opened, credited] = doc.events;
    assert.equal(at(opened.headerLine), '1:0-1:33');
    assert.equal(slice(example, opened.headerLine), '### BankAccount.Opened  account-1');
    assert.deepEqual([opened.type!.text, at(opened.type!.range)], ['BankAccount.Opened', '1:4-1:22']);
    assert.deepEqual([opened.streamId!.text, at(opened.streamId!.range)], ['account-1', '1:24-1:33']);
    assert.deepEqual(
      opened.headers.map((h) => [h.key.text, at(h.key.range), h.value.text, at(h.value.range), at(h.range), h.known]),
      [
        ['created', '2:0-2:7', '2024-05-01T10:00:00Z', '2:9-2:29', '2:0-2:29', true],
        ['metadata', '3:0-3:8', '{"correlationId": "c-1"}', '3:10-3:34', '3:0-3:34', true],
      ],
    );
    assert.equal(at(opened.body!.range), '5:0-5:62');
    assert.deepEqual(opened.body!.value, { full_name: 'Alice', email_address: 'alice@example.com' });
    assert.equal(at(opened.range), '1:0-5:62');
    assert.equal(at(credited.body!.range), '8:0-9:41');
    assert.deepEqual(credited.body!.value, { amount: '200.00', big: 123456789012345678901234567890n });
    assert.equal(at(credited.range), '7:0-9:41');
    // The events parseEventsFile gives are the model's.
    assert.deepEqual(
      doc.events.map((e) => e.event),
      parseEventsFile(example),
    );
    // Ranges turn into plain data in JSON (what a language server sends).
    assert.deepEqual(JSON.parse(JSON.stringify(opened.type!.range)), {
      start: { line: 1, character: 4 },
      end: { line: 1, character: 22 },
      startOffset: opened.type!.range.startOffset,
      endOffset: opened.type!.range.endOffset,
    });
  });

  it('reads on past every problem, each where it is, and keeps the good events', () => {
    const text = [
      'stray text', //                         0
      '### A s-1', //                          1
      'revision: 1', //                        2
      '{"ok": 1}', //                          3
      '### B s-1 extra words', //              4
      'revision: 2', //                        5
      'colour: blue', //                       6
      '{"ok": 2}', //                          7
      '### C', //                              8
      '{}', //                                 9
      '### D s-2', //                         10
      'metadata: {"a": }', //                 11
      'revision: two', //                     12
      '', //                                  13
      '{"a": 1,', //                          14
      '# a comment inside the body', //      15
      ' "b": [1, 2,, 3]}', //                 16
      '### E s-1', //                         17
      'revision: 1', //                       18
      'created: x', //                        19
      'created: y', //                        20
      '{"ok": 3}', //                         21
      '### F s-3', //                         22
      '{"truncated": [1', //                  23
      '### G s-3', //                         24
      '{"ok": 4}', //                         25
    ].join('\n');
    const doc = parseEventsDocument(text);
    assert.deepEqual(
      doc.problems.map((p) => [p.code, p.severity, at(p.range), slice(text, p.range)]),
      [
        ['stray-text', 'error', '0:0-0:10', 'stray text'],
        ['malformed-header', 'error', '4:10-4:21', 'extra words'],
        ['unknown-header-key', 'error', '6:0-6:6', 'colour'],
        ['malformed-header', 'error', '8:0-8:5', '### C'],
        ['invalid-header-value', 'error', '11:16-11:17', '}'],
        ['invalid-header-value', 'error', '12:10-12:13', 'two'],
        ['invalid-json', 'error', '16:12-16:13', ','],
        ['revision-order', 'warning', '18:10-18:11', '1'],
        ['duplicate-header', 'warning', '20:0-20:10', 'created: y'],
        ['invalid-json', 'error', '23:15-23:16', '1'],
      ],
    );
    const messages = doc.problems.map((p) => p.message);
    assert.match(messages[0], /^expected "### <type> <streamId>" to start an event$/);
    assert.match(messages[2], /^unknown header "colour" \(an event's headers are created, metadata, id, revision\)$/);
    assert.match(messages[4], /^metadata is not valid JSON \(unexpected "}" at column 17\)$/);
    assert.match(messages[6], /^the body of "D" is not valid JSON \(unexpected "," at column 13\)$/);
    assert.match(messages[7], /^revision 1 of stream "s-1" is not above revision 1 \(line 2\): revisions out of order$/);
    assert.match(messages[9], /^the body of "F" is not valid JSON \(expected , or \] at its end: truncated\?\)$/);
    // Every event is in the model; those without an error are whole.
    assert.deepEqual(
      doc.events.map((e) => [e.type?.text, e.event?.data]),
      [
        ['A', { ok: 1 }],
        ['B', undefined],
        ['C', undefined],
        ['D', undefined],
        ['E', { ok: 3 }],
        ['F', undefined],
        ['G', { ok: 4 }],
      ],
    );
    // The last header of a kind counts (a warning says so).
    assert.equal(doc.events[4].event!.created, 'y');
    // A comment line inside a body is blanked out of the JSON text, keeping every offset.
    const body = doc.events[3].body!;
    assert.equal(body.hasComments, true);
    assert.equal(body.json.length, slice(text, body.range).length);
    assert.equal(body.json.split('\n')[1].trim(), '');
    assert.deepEqual(
      doc.comments.map((c) => c.start.line),
      [15],
    );
    // parseEventsFile throws the first error, naming the file and its line.
    assert.throws(
      () => parseEventsFile(text, 'x.events'),
      /^EventscopeError: x\.events:1: expected "### <type> <streamId>" to start an event\.$/,
    );
  });

  it('says where in a multi-line body the JSON breaks, at its line and column in the file', () => {
    const text = '### T s\n{\n  "a": 1,\n  "b": tru\n}\n';
    const doc = parseEventsDocument(text);
    assert.deepEqual(
      doc.problems.map((p) => [at(p.range), p.message]),
      [['3:7-3:8', 'the body of "T" is not valid JSON (expected true at column 8)']],
    );
    assert.throws(
      () => parseEventsFile(text, 'x.events'),
      /^EventscopeError: x\.events:4: the body of "T" is not valid JSON \(expected true at column 8\)\.$/,
    );
  });

  it('warns of revisions out of order in a stream, which parseEventsFile accepts', () => {
    const text = '### T a\nrevision: 2\n{}\n### T b\nrevision: 1\n{}\n### T a\nrevision: 1\n{}\n### T a\nrevision: 3\n{}\n';
    const doc = parseEventsDocument(text);
    assert.deepEqual(
      doc.problems.map((p) => [p.code, p.severity, p.range.start.line]),
      [['revision-order', 'warning', 7]],
    );
    assert.deepEqual(
      parseEventsFile(text).map((e) => e.revision),
      [2, 1, 1, 3],
    );
  });

  it('counts lines as LSP does: \\r\\n, \\r and \\n; a byte order mark is not text', () => {
    const text = '\uFEFF# c\r\n### T s\r### U t\n{"é": "\\u00e9"}\r\n';
    const doc = parseEventsDocument(text);
    assert.deepEqual(doc.problems, []);
    assert.deepEqual(
      doc.events.map((e) => [e.type!.text, at(e.type!.range), at(e.range)]),
      [
        ['T', '1:4-1:5', '1:0-1:7'],
        ['U', '2:4-2:5', '2:0-3:15'],
      ],
    );
    assert.equal(at(doc.comments[0]), '0:1-0:4');
    for (const e of doc.events) for (const r of [e.range, e.headerLine, e.type!.range, e.streamId!.range]) assertConsistent(text, r);
    assert.deepEqual(doc.events[1].event!.data, { é: 'é' });
  });

  it('takes header lines between blank and comment lines, and an unknown key is an error of its own', () => {
    const doc = parseEventsDocument('### T s\n\nrevision: 3\n# why\nid: e-1\n\n{"a": 1}\n');
    assert.deepEqual(doc.problems, []);
    assert.deepEqual(doc.events[0].event, { type: 'T', streamId: 's', revision: 3, id: 'e-1', data: { a: 1 }, line: 1 });
    assert.throws(() => parseEventsFile('### T s\ncolour: blue\n{}', 'x.events'), /x\.events:2: unknown header "colour"/);
    assert.throws(
      () => parseEventsFile('### T s\nrevision: 99999999999999999999\n{}', 'x.events'),
      /x\.events:2: revision 99999999999999999999 is too large/,
    );
  });
});

describe('.events body formatter', () => {
  it('lays bodies out as the printer does, keeping headers, comments and every value as written', () => {
    const head = ['# a file', '### T s', 'metadata: {"a":1}', ''];
    // Bodies left alone: one with a comment inside, one that is not JSON, one already laid out.
    const rest = ['# after', '### U s', '{"a": ', '# inside', '1}', '### V s', '{"broken": }', '### W s', '{}', ''];
    const text = [
      ...head,
      '  {"amount":1.50, "big": 123456789012345678901234567890,"e":"\\u00e9", "x":[ ],"y":{ "z":[1,{"w":NaN}] }}',
      ...rest,
    ].join('\n');
    const formatted = formatEventsDocument(text);
    const body = ['{', '  "amount": 1.50,', '  "big": 123456789012345678901234567890,', '  "e": "\\u00e9",', '  "x": [],'];
    const nested = ['  "y": {', '    "z": [', '      1,', '      {', '        "w": NaN', '      }', '    ]', '  }', '}'];
    assert.equal(formatted, [...head, ...body, ...nested, ...rest].join('\n'));
    // One edit, for the one body that changes, from its line's start.
    const edits = formatEventsBodies(text);
    assert.deepEqual(
      edits.map((e) => at(e.range)),
      ['4:0-4:104'],
    );
    assert.equal(formatEventsDocument(formatted), formatted);
  });

  it('keeps \\r\\n line ends', () => {
    assert.equal(formatEventsDocument('### T s\r\n{"a":[1]}\r\n'), '### T s\r\n{\r\n  "a": [\r\n    1\r\n  ]\r\n}\r\n');
  });
});

// ---- Properties ---------------------------------------------------------------------------------

/** What a type or a stream id can be: no whitespace (the format splits the `###` line at it), any other Unicode. */
const word = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((s) => !/\s/.test(s));

/** JSON data as stores give it: Unicode strings, big integers, decimals as strings, doubles (NaN too), nesting. */
const jsonValue = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 8 }),
    fc.string({ unit: 'binary', maxLength: 4 }),
    fc.integer(),
    fc.double(),
    fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }).filter((n) => n < -(2n ** 53n) || n > 2n ** 53n),
    fc
      .tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: 0, max: 99 }))
      .map(([a, b]) => `${a}.${String(b).padStart(2, '0')}`),
    fc.constantFrom(true, false, null),
  ),
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('array'), tie('object')),
  array: fc.array(tie('node'), { maxLength: 4 }),
  object: fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 6 }), tie('node'), { maxKeys: 4, noNullPrototype: true }),
}));
const data = jsonValue.object as fc.Arbitrary<Record<string, unknown>>;

const recordedEvent = fc.record({
  type: word,
  streamId: word,
  revision: fc.nat(),
  timestamp: fc.option(fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString())),
  data,
  metadata: fc.oneof(fc.constant({}), data),
});

const toRecorded = (
  events: { type: string; streamId: string; revision: number; timestamp: string | null; data: unknown; metadata: unknown }[],
) =>
  events.map((e, i): RecordedEvent => ({
    ...e,
    position: i + 1,
    data: e.data as Record<string, unknown>,
    metadata: e.metadata as Record<string, unknown>,
    kinds: {},
  }));

/** A parsed event as the recorded event it was printed from. */
const fromParsed = (e: EventsFileEvent, i: number): RecordedEvent => ({
  streamId: e.streamId,
  revision: e.revision!,
  position: i + 1,
  type: e.type,
  timestamp: e.created ?? null,
  data: e.data as Record<string, unknown>,
  metadata: e.metadata ?? {},
  kinds: {},
});

const title = fc.option(
  fc.array(
    fc.string({ unit: 'grapheme', maxLength: 10 }).filter((s) => !/[\r\n]/.test(s)),
    { minLength: 1, maxLength: 3 },
  ),
);

describe('.events round trip (properties)', () => {
  it('print -> parse -> print gives the same text, and parsing gives the events back', () => {
    fc.assert(
      fc.property(fc.array(recordedEvent, { maxLength: 6 }), title, (generated, lines) => {
        const events = toRecorded(generated);
        const text = printEventsFile(events, lines?.join('\n') ?? undefined);
        const parsed = parseEventsFile(text);
        assert.equal(printEventsFile(parsed.map(fromParsed), lines?.join('\n') ?? undefined), text);
        assert.deepEqual(
          parsed.map((e) => [e.type, e.streamId, e.revision, e.created ?? null]),
          events.map((e) => [e.type, e.streamId, e.revision, e.timestamp]),
        );
        // Values come back exactly, but for what JSON cannot hold (NaN as "NaN", -0 as 0).
        for (const [i, e] of parsed.entries()) assert.equal(stringifyExact(e.data), stringifyExact(events[i].data));
      }),
    );
  });

  it('every range covers its token, and its positions say the same place as its offsets, with any line ends', () => {
    fc.assert(
      fc.property(fc.array(recordedEvent, { minLength: 1, maxLength: 5 }), fc.constantFrom('\n', '\r\n', '\r'), (generated, eol) => {
        const events = toRecorded(generated);
        const text = printEventsFile(events, 'a title').replace(/\n/g, eol);
        const doc = parseEventsDocument(text);
        assert.deepEqual(
          doc.problems.filter((p) => p.code !== 'revision-order'),
          [],
        );
        assert.equal(doc.events.length, events.length);
        for (const [i, e] of doc.events.entries()) {
          const source = events[i];
          assert.equal(slice(text, e.headerLine), `### ${source.type}  ${source.streamId}`);
          assert.equal(slice(text, e.type!.range), source.type);
          assert.equal(slice(text, e.streamId!.range), source.streamId);
          for (const h of e.headers) {
            assert.equal(slice(text, h.key.range), h.key.text);
            assert.equal(slice(text, h.value.range), h.value.text);
            assert.equal(slice(text, h.range), `${h.key.text}: ${h.value.text}`);
          }
          assert.deepEqual(
            e.headers.map((h) => h.key.text),
            ['revision', ...(source.timestamp ? ['created'] : []), ...(Object.keys(source.metadata).length ? ['metadata'] : [])],
          );
          assert.equal(slice(text, e.body!.range), stringifyExact(source.data, 2).replace(/\n/g, eol));
          assert.equal(stringifyExact(e.body!.value), stringifyExact(source.data));
          assert.equal(slice(text, e.range), text.slice(e.headerLine.startOffset, e.body!.range.endOffset));
          for (const range of [
            e.range,
            e.headerLine,
            e.type!.range,
            e.streamId!.range,
            e.body!.range,
            ...e.headers.flatMap((h) => [h.range, h.key.range, h.value.range]),
          ]) {
            assertConsistent(text, range);
          }
        }
        for (const comment of doc.comments) assert.equal(slice(text, comment), '# a title');
      }),
    );
  });

  it('formatting a printed file changes nothing, and lays compact bodies out as the printer does', () => {
    fc.assert(
      fc.property(fc.array(recordedEvent, { maxLength: 5 }), (generated) => {
        const events = toRecorded(generated);
        const text = printEventsFile(events);
        assert.deepEqual(formatEventsBodies(text), []);
        const compact = events.map((e) => `### ${e.type} ${e.streamId}\nrevision: ${e.revision}\n${stringifyExact(e.data)}\n`).join('');
        const expected = events.map((e) => `### ${e.type} ${e.streamId}\nrevision: ${e.revision}\n${stringifyExact(e.data, 2)}\n`).join('');
        assert.equal(formatEventsDocument(compact), expected);
      }),
    );
  });

  it('a broken event among good ones breaks only itself', () => {
    const broken = fc.constantFrom(
      '### Broken\n{}\n',
      '### B s\n{"a": }\n',
      '### B s\nrevision: x\n{}\n',
      '### B s\nnope: 1\n{}\n',
      '### B s\n{"a": [1\n',
    );
    fc.assert(
      fc.property(fc.array(recordedEvent, { minLength: 1, maxLength: 5 }), broken, fc.nat(), (generated, bad, where) => {
        const events = toRecorded(generated);
        const printed = events.map((e) => printEventsFile([e]));
        const at = where % (printed.length + 1);
        const text = [...printed.slice(0, at), bad, ...printed.slice(at)].join('');
        const doc = parseEventsDocument(text);
        assert.equal(doc.events.length, events.length + 1);
        assert.equal(doc.events[at].event, undefined);
        assert.ok(doc.problems.some((p) => p.severity === 'error'));
        const good = doc.events.filter((_, i) => i !== at).map((e) => e.event!);
        assert.deepEqual(
          good,
          parseEventsFile(printed.join('')).map((e, i) => ({ ...e, line: good[i].line })),
        );
      }),
    );
  });
});
