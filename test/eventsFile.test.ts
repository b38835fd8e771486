import assert from 'node:assert/strict';
import { parseEventsFile, printEventsFile } from '../src/core/eventsFile/eventsFile';
import type { RecordedEvent } from '../src/core/events';

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
