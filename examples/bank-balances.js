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

/** Exact decimals arrive as strings ("123.45"): count in cents to stay exact. */
function cents(amount) {
  const [units, fraction = ''] = String(amount).split('.');
  return Number(units) * 100 + Number(fraction.padEnd(2, '0').slice(0, 2));
}
