/**
 * The shipped example projection (examples/bank-balances.js, used by the demo, the quick start and
 * the UI tests): its `cents` counts decimal amounts exactly, refuses what it can't count, and the
 * demo's story still ends at Dana Whitfield's duplicated debit.
 */

import assert from 'node:assert/strict';
import fc from 'fast-check';
import bankBalances, { cents } from '../examples/bank-balances.js';
import type { RecordedEvent } from '../src/core/events';
import { moduleEngine } from '../src/core/projection/engines';
import type { Projection } from '../src/core/projection/projection';
import { Replay } from '../src/core/projection/replay';
import { openReplaySource } from '../src/core/projection/source';

describe('examples/bank-balances.js', () => {
  it('counts decimal text in whole cents exactly: signs, exponents, trailing zeros', () => {
    const cases: [unknown, number][] = [
      ['123.45', 12345],
      ['-5.25', -525],
      ['+7', 700],
      ['0.10', 10],
      ['.5', 50],
      ['1.', 100],
      ['100.000', 10000],
      ['1e3', 100000],
      ['1E+3', 100000],
      ['1.5E-1', 15],
      ['0E+99', 0],
      ['0E-99', 0],
      ['-787.93', -78793],
      ['9007199254740991E-2', Number.MAX_SAFE_INTEGER],
      [12.5, 1250],
    ];
    for (const [amount, expected] of cases) assert.equal(cents(amount), expected, String(amount));
    assert.ok(Object.is(cents('-0.00'), 0), 'no negative zero');
  });

  it('throws, loudly, on a fraction of a cent, what is not a decimal, and what it cannot count exactly', () => {
    for (const amount of ['0.005', '5E-3', '1.001', '1e-99999999999999999999', 0.1 + 0.2]) {
      assert.throws(() => cents(amount), /holds a fraction of a cent/, String(amount));
    }
    for (const amount of ['NaN', 'Infinity', '', '.', '-', '12,50', '1_000', 'abc', null]) {
      assert.throws(() => cents(amount), /is not a decimal amount/, String(amount));
    }
    for (const amount of ['90071992547409.92', '1e99999999999999999999', '123456789012345678']) {
      assert.throws(() => cents(amount), /is too large to count in cents exactly/, String(amount));
    }
  });

  it('agrees with exact integer arithmetic on any amount written in any form (property)', () => {
    // A whole number of cents, written with or without a fraction, padded, or with an exponent.
    const written = fc
      .tuple(fc.bigInt(-(2n ** 53n) + 1n, 2n ** 53n - 1n), fc.nat(4), fc.integer({ min: -3, max: 3 }), fc.boolean())
      .map(([count, pad, shift, scientific]) => {
        const digits = (count < 0n ? -count : count).toString().padStart(3, '0');
        const sign = count < 0n ? '-' : '';
        const plain = `${digits.slice(0, -2)}.${digits.slice(-2)}${'0'.repeat(pad)}`;
        if (!scientific) return { count, text: sign + plain };
        // The same value with the point moved `shift` places and an exponent to make up for it.
        const [units, fraction] = plain.split('.');
        const all = units + fraction;
        const point = units.length + shift;
        const moved = point <= 0 ? `0.${'0'.repeat(-point)}${all}` : `${all.padEnd(point, '0').slice(0, point)}.${all.slice(point)}`;
        return { count, text: `${sign}${moved}E${-shift >= 0 ? '+' : ''}${-shift}` };
      });
    fc.assert(
      fc.property(written, ({ count, text }) => {
        assert.equal(cents(text), Number(count), text);
      }),
    );
  });

  it('marks the event whose amount it cannot count; a negative debit adds', async () => {
    const event = (revision: number, type: string, data: Record<string, unknown>): RecordedEvent => ({
      streamId: 'acc-1',
      revision,
      position: revision,
      type: `bank:BankAccount.${type}`,
      timestamp: null,
      data,
      metadata: {},
      kinds: {},
    });
    const events = [
      event(1, 'Opened', { full_name: 'Ann' }),
      event(2, 'Credited', { amount: '10.00' }),
      event(3, 'Debited', { amount: '-5.25' }),
      event(4, 'Credited', { amount: '0.005' }),
    ];
    const replay = new Replay(
      moduleEngine(bankBalances as Projection, 'bank-balances.js'),
      await openReplaySource({ kind: 'events', label: 'test', events }),
    );
    await replay.run();
    assert.deepEqual(
      replay.errors.map((m) => m.index),
      [3],
    );
    assert.match(replay.errors[0].message, /"0\.005" holds a fraction of a cent/);
    assert.deepEqual((await replay.stateAfter(4)) as unknown, { balances: { 'acc-1': 1525 }, names: { 'acc-1': 'Ann' } });
  });
});
