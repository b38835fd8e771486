// A projection of the demo store: each account's balance, in cents, and an invariant that no
// balance goes below zero. Replay it to find the event that breaks it.
export default {
  name: 'Account balances',
  init: () => ({ balances: {}, names: {} }),
  when: {
    'BankAccount.Opened': (state, event) => {
      state.balances[event.streamId] = 0;
      state.names[event.streamId] = event.data.full_name;
    },
    Credited: (state, event) => {
      state.balances[event.streamId] += cents(event.data.amount);
    },
    Debited: (state, event) => {
      state.balances[event.streamId] -= cents(event.data.amount);
    },
  },
  invariant: (state) => {
    const negative = Object.entries(state.balances).find(([, balance]) => balance < 0);
    return negative ? `${state.names[negative[0]]}'s balance is ${negative[1] / 100}` : true;
  },
};

/** A decimal's text: sign, units, fraction, exponent (Python writes `Decimal('1E+3')` as "1E+3"). */
const DECIMAL = /^([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/;

/**
 * An amount in whole cents, exactly. Decimals arrive as their text ("123.45", "-5.25", "1E+3"),
 * and the cents are read from its digits, never through a binary float. An amount that is not a
 * decimal, holds a fraction of a cent ("0.005") or is too large to count exactly throws: the
 * replay marks that event instead of counting it wrong.
 */
export function cents(amount) {
  const [, sign, units = '', fraction = '', exponent = '0'] = DECIMAL.exec(String(amount)) ?? [];
  if (!units && !fraction) throw new Error(`${JSON.stringify(amount)} is not a decimal amount`);
  // Its digits, and where the point falls among them once moved two places right (to cents).
  const digits = units + fraction;
  const point = units.length + Number(exponent) + 2;
  if (/[1-9]/.test(digits.slice(Math.max(point, 0)))) throw new Error(`${JSON.stringify(amount)} holds a fraction of a cent`);
  const whole = digits.slice(0, Math.max(point, 0)).replace(/^0+/, '');
  const zeros = whole ? Math.max(point - digits.length, 0) : 0;
  const count = whole.length + zeros > 16 ? NaN : Number(whole + '0'.repeat(zeros));
  if (!Number.isSafeInteger(count)) throw new Error(`${JSON.stringify(amount)} is too large to count in cents exactly`);
  return sign === '-' ? 0 - count : count;
}
