/** The demo's amounts (exact decimal strings, "123.45") in cents, as examples/bank-balances.js counts them. */
export function cents(amount: unknown): number {
  const [units, fraction = ''] = String(amount).split('.');
  return Number(units) * 100 + Number(fraction.padEnd(2, '0').slice(0, 2));
}
