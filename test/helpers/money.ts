/**
 * The demo's amounts (exact decimal strings, "123.45") in cents: examples/bank-balances.js's own
 * `cents`, so the tests count exactly as the projection does.
 */
export { cents } from '../../examples/bank-balances.js';
