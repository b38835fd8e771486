import assert from 'node:assert/strict';
import type { TypeInfo } from '../src/core/catalog';
import { describeTypes } from '../src/server/describe';

const info = (name: string, count: number): TypeInfo => ({
  type: `bank:${name}`,
  name,
  count,
  first: { position: 1, timestamp: '2026-03-02T09:17:14.989323+00:00', streamId: 'a-1' },
  last: { position: 99, timestamp: null, streamId: 'a-2' },
  sample: '{\n  "amount": "1.00"\n}',
  looked: 2,
  fields: [{ path: ['amount'], count: 2, samples: ['"1.00"', '"2.50"'], kinds: ['string'] }],
});

describe('what the language server says about a type', () => {
  it('counts, first and last seen, fields with samples, the sample payload', () => {
    const text = describeTypes('Credited', [{ store: 'Bank', info: info('Account.Credited', 1234) }]);
    assert.match(text, /^\*\*Account\.Credited\*\*: 1,234 events\n/);
    assert.match(
      text,
      /Bank: `bank:Account\.Credited`, 1,234 events, first at position 1 \(2026-03-02 09:17:14 UTC\), last at position 99$/m,
    );
    assert.match(text, /- `amount`: string, in 2 of 2 e\.g\. `"1\.00"`, `"2\.50"`/);
    assert.match(text, /```json\n\{\n {2}"amount": "1\.00"\n\}\n```/);
    assert.doesNotMatch(text, /Counted over/);
  });

  it('says when the counts are of the events read only (a catalog that stopped at its limit)', () => {
    const text = describeTypes('Credited', [{ store: 'Big', info: info('Account.Credited', 5), partial: { events: 1_000_000 } }]);
    assert.match(text, /Counted over the first 1,000,000 events of Big: the catalog reads no further\.$/);
  });

  it('says nothing of a key no store has', () => {
    assert.equal(describeTypes('Nope', []), '');
  });
});
